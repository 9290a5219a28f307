package policy

import "fmt"

// ActionCredentialRevoked is the audit action of a token deleted because
// someone reported its secret (revoking by value). ActionRegenerated is
// patpolicy's own: a token's secret replaced by its owner.
const (
	ActionCredentialRevoked = "personal_access_token.credential_revoked"
	ActionRegenerated       = "personal_access_token.regenerated"
)

// MaxCredentials is how many secrets one call to revoke by value may name.
const MaxCredentials = 1000

// Regeneration is a checked request to give a token a new secret.
type Regeneration struct {
	ExpiresInDays int // 0: never
	// Status is where the token's grant stands after it (empty for a token
	// without one): see Regranted.
	Status GrantStatus
}

// CheckRegeneration checks the expiration chosen for a token given a new
// secret, by the rules of a new token of its kind: one of the choices, and,
// for a fine-grained token of an organization (target, nil for none), that
// the organization still accepts such tokens and its maximum lifetime. The
// other fields stay as the token has them. status is the token's grant's
// now, "" for none.
func CheckRegeneration(kind Kind, expiration string, target *TokenTarget, status GrantStatus) (Regeneration, Errors) {
	var errs Errors
	add := func(f Field, format string, args ...any) {
		errs = append(errs, FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	days, ok := parseExpiration(expiration)
	if !ok {
		add(FieldExpiration, "Choose one of the expiration options.")
	}
	r := Regeneration{ExpiresInDays: days, Status: status}
	if kind == KindFineGrained && target != nil {
		if !target.Offered() {
			add(FieldExpiration, "%s does not accept fine-grained personal access tokens.", target.Login)
		}
		if limit := maxLifetime(target); ok && !ExpirationFits(days, limit) {
			add(FieldExpiration, "%s requires fine-grained personal access tokens to expire within %d days. Choose %d days or fewer.", target.Login, limit, limit)
		}
		r.Status = Regranted(status, target.NeedsApproval())
	}
	if len(errs) > 0 {
		return Regeneration{}, errs
	}
	return r, nil
}

// Regranted is where a grant in status stands once its token has a new
// secret: a secret the owners approved is not the one now in use, so where
// they must approve requests (needsApproval) an approved grant waits for
// them again. A denial or a revocation is final and stays; a pending grant
// stays pending.
func Regranted(status GrantStatus, needsApproval bool) GrantStatus {
	if status == GrantApproved && needsApproval {
		return GrantPending
	}
	return status
}

// RegeneratedEvent is what an organization's audit log records when the
// owner of a token that reaches it gives the token a new secret.
func RegeneratedEvent(t TokenSubject) Event {
	return GrantEvent(ActionRegenerated, t, "a new secret replaces the old one")
}

// NoteCredentialRevoked is the audit note of a token deleted by its value.
const NoteCredentialRevoked = "its secret was reported as exposed and the token was deleted"

// CredentialRevoked is what an organization's audit log records of a token
// that reached it and was deleted because its secret was reported.
func CredentialRevoked(t TokenSubject) Event {
	return GrantEvent(ActionCredentialRevoked, t, NoteCredentialRevoked)
}

// CredentialRevokedNotice is what a token's owner is told when it was
// deleted by its value. It names the token, never its secret.
func CredentialRevokedNotice(kind Kind, name string) string {
	what := "fine-grained personal access token"
	if kind == KindClassic {
		what = "personal access token (classic)"
	}
	return fmt.Sprintf("Your %s “%s” was deleted because its secret was reported as exposed. Generate a new token if you still need one.", what, name)
}
