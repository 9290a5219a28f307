package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Level is a permission's level.
type Level string

const (
	LevelNone  Level = "none"
	LevelRead  Level = "read"
	LevelWrite Level = "write"
)

// Label is how forms name a level.
func (l Level) Label() string {
	switch l {
	case LevelRead:
		return "Read-only"
	case LevelWrite:
		return "Read and write"
	}
	return "No access"
}

// Levels lists the levels from least to most.
func Levels() []Level { return []Level{LevelNone, LevelRead, LevelWrite} }

// Covers reports whether l grants at least need.
func (l Level) Covers(need Level) bool { return l.rank() >= need.rank() }

func (l Level) rank() int {
	switch l {
	case LevelRead:
		return 1
	case LevelWrite:
		return 2
	}
	return 0
}

// Permission is one permission a fine-grained token can hold.
type Permission struct {
	Name  string // as the API spells it
	Label string // as the form names its combobox
	// Org marks an organization permission, Account one over the token
	// owner's own account (its SSH keys, say); the others are repository
	// permissions.
	Org     bool
	Account bool
}

// Repository reports whether p is a repository permission.
func (p Permission) Repository() bool { return !p.Org && !p.Account }

// GitSSHKeys is the account permission to list and add the owner's SSH
// keys.
const GitSSHKeys = "git_ssh_keys"

// Metadata is the repository permission every token with any repository
// permission holds at least read-only.
const Metadata = "metadata"

// Permissions lists the permissions in form order: repository ones, then
// organization ones, then account ones.
func Permissions() []Permission {
	return []Permission{
		{Name: "contents", Label: "Contents"},
		{Name: "issues", Label: "Issues"},
		{Name: Metadata, Label: "Metadata"},
		{Name: "pull_requests", Label: "Pull requests"},
		{Name: "administration", Label: "Administration"},
		{Name: "members", Label: "Members", Org: true},
		{Name: "organization_administration", Label: "Organization administration", Org: true},
		{Name: GitSSHKeys, Label: "Git SSH keys", Account: true},
	}
}

// PermissionByName finds a permission.
func PermissionByName(name string) (Permission, bool) {
	for _, p := range Permissions() {
		if p.Name == name {
			return p, true
		}
	}
	return Permission{}, false
}

// Scopes lists the scopes a classic token can hold.
func Scopes() []string {
	return []string{"repo", "read:org", "admin:org", "workflow", "user", "admin:enterprise",
		"admin:public_key", "write:public_key", "read:public_key"}
}

// ScopeHelp explains a scope in a few words.
func ScopeHelp(scope string) string {
	switch scope {
	case "repo":
		return "Full control of private repositories"
	case "read:org":
		return "Read organization membership and teams"
	case "admin:org":
		return "Full control of organizations, their members and settings"
	case "workflow":
		return "Change workflow files"
	case "user":
		return "Read and change profile data"
	case "admin:enterprise":
		return "Full control of enterprises you own"
	case "admin:public_key":
		return "Full control of your SSH keys"
	case "write:public_key":
		return "Read and add your SSH keys"
	case "read:public_key":
		return "Read your SSH keys"
	}
	return ""
}

// Expirations lists the expiration choices in days; 0 is "No expiration".
func Expirations() []int { return []int{7, 30, 60, 90, 366, 0} }

// ExpirationFits reports whether an expiration of days (0: never) is
// within a maximum lifetime of limit days (0: no maximum).
func ExpirationFits(days, limit int) bool {
	return limit == 0 || days > 0 && days <= limit
}

// DefaultExpiration is the preselected expiration.
const DefaultExpiration = 30

// ExpirationLabel names an expiration choice.
func ExpirationLabel(days int) string {
	if days == 0 {
		return "No expiration"
	}
	return fmt.Sprintf("%d days", days)
}

// Selection is which repositories a fine-grained token reaches.
type Selection string

const (
	SelectPublic   Selection = "public"
	SelectAll      Selection = "all"
	SelectSelected Selection = "selected"
)

// Label is how forms name a selection.
func (s Selection) Label() string {
	switch s {
	case SelectAll:
		return "All repositories"
	case SelectSelected:
		return "Only select repositories"
	}
	return "Public repositories"
}

// Selections lists the choices in form order.
func Selections() []Selection { return []Selection{SelectPublic, SelectAll, SelectSelected} }

// GrantStatus is where a token's access to an organization stands.
type GrantStatus string

const (
	GrantPending  GrantStatus = "pending"
	GrantApproved GrantStatus = "approved"
	GrantDenied   GrantStatus = "denied"
	GrantRevoked  GrantStatus = "revoked"
)

// Token request and token input limits.
const (
	MaxTokenName     = 40
	MaxDescription   = 1024
	MaxJustification = 1024
	MaxNote          = 100
	MaxReason        = 1024
)

// Token form field names.
const (
	FieldTokenName     Field = "name"
	FieldExpiration    Field = "expiration"
	FieldDescription   Field = "description"
	FieldResourceOwner Field = "resource_owner"
	FieldJustification Field = "justification"
	FieldSelection     Field = "repository_selection"
	FieldRepositories  Field = "repositories"
	FieldPermissions   Field = "permissions"
	FieldNote          Field = "note"
	FieldScopes        Field = "scopes"
	FieldReason        Field = "reason"
)

// TokenTarget is an organization a token may be requested for, as the
// rules need it. A token owned by the user themselves has no target.
type TokenTarget struct {
	Login     string
	Effective Effective
	// IsOwner says the requester owns the organization.
	IsOwner bool
	// Repos maps the organization's repository ids to their names.
	Repos map[int64]string
}

// Offered reports whether tokens may be requested for the organization at
// all: it has opted in and does not restrict fine-grained tokens.
func (t TokenTarget) Offered() bool {
	return t.Effective.OptedIn && t.Effective.FineGrained == Allow
}

// NeedsApproval reports whether a request from this requester waits for an
// owner.
func (t TokenTarget) NeedsApproval() bool {
	return t.Effective.Approval == ApprovalRequired && !t.IsOwner
}

// MaxLifetime is the organization's maximum fine-grained lifetime for this
// requester in days, 0 for none.
func (t TokenTarget) MaxLifetime() int {
	if t.IsOwner && t.Effective.ExemptAdmins {
		return 0
	}
	return t.Effective.FineGrainedLifetime
}

// TokenInput is a submitted new-token form, as typed.
type TokenInput struct {
	Name          string
	Description   string
	Expiration    string // days, or "none"
	Justification string
	Selection     string
	Repos         []string          // repository ids, for "selected"
	Permissions   map[string]string // permission name -> level
}

// TokenRequest is a checked fine-grained token request.
type TokenRequest struct {
	Name          string
	Description   string
	ExpiresInDays int // 0: never
	Justification string
	Selection     Selection
	RepoIDs       []int64
	Permissions   map[string]Level // only levels above none
	// Status is where the grant starts; empty for a token owned by the
	// user, which needs no grant.
	Status GrantStatus
}

// CheckTokenRequest validates a new fine-grained token for target (nil for
// a token owned by the requester) and decides where its grant starts.
func CheckTokenRequest(in TokenInput, target *TokenTarget) (TokenRequest, Errors) {
	var errs Errors
	add := func(f Field, format string, args ...any) {
		errs = append(errs, FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	req := TokenRequest{
		Name:          cleanText(in.Name),
		Description:   cleanText(in.Description),
		Justification: cleanText(in.Justification),
		Permissions:   map[string]Level{},
	}
	checkLine(add, FieldTokenName, "Token name", req.Name, MaxTokenName)
	checkText(add, FieldDescription, "Description", req.Description, MaxDescription, false)

	days, ok := parseExpiration(in.Expiration)
	if !ok {
		add(FieldExpiration, "Choose one of the expiration options.")
	}
	req.ExpiresInDays = days
	if target != nil && !target.Offered() {
		add(FieldResourceOwner, "%s does not accept fine-grained personal access tokens.", target.Login)
	}
	if limit := maxLifetime(target); ok && !ExpirationFits(days, limit) {
		add(FieldExpiration, "%s requires fine-grained personal access tokens to expire within %d days. Choose %d days or fewer.", target.Login, limit, limit)
	}

	req.Selection = Selection(in.Selection)
	switch req.Selection {
	case SelectPublic, SelectAll:
	case SelectSelected:
		req.RepoIDs = checkRepos(add, in.Repos, target)
	default:
		add(FieldSelection, "Choose which repositories the token may reach.")
	}

	anyRepoPermission := false
	for name, raw := range in.Permissions {
		p, known := PermissionByName(name)
		level := Level(raw)
		switch {
		case !known:
			add(FieldPermissions, "There is no permission named “%s”.", name)
			continue
		case !slices.Contains(Levels(), level):
			add(FieldPermissions, "Choose a level for %s.", p.Label)
			continue
		case level == LevelNone:
			continue
		case p.Org && target == nil:
			add(FieldPermissions, "%s only applies to tokens owned by an organization.", p.Label)
			continue
		}
		req.Permissions[name] = level
		anyRepoPermission = anyRepoPermission || p.Repository()
	}
	// Every repository permission implies reading repository metadata.
	if anyRepoPermission && !req.Permissions[Metadata].Covers(LevelRead) {
		req.Permissions[Metadata] = LevelRead
	}

	switch {
	case target == nil:
		// Nobody reviews a token the user owns: there is no one to justify it to.
		req.Justification = ""
	case target.NeedsApproval():
		checkText(add, FieldJustification, "Justification", req.Justification, MaxJustification, true)
		req.Status = GrantPending
	default:
		checkText(add, FieldJustification, "Justification", req.Justification, MaxJustification, false)
		req.Status = GrantApproved
	}
	if len(errs) > 0 {
		return TokenRequest{}, errs
	}
	return req, nil
}

func maxLifetime(t *TokenTarget) int {
	if t == nil {
		return 0
	}
	return t.MaxLifetime()
}

func checkRepos(add func(Field, string, ...any), raw []string, target *TokenTarget) []int64 {
	if target == nil || len(target.Repos) == 0 {
		add(FieldRepositories, "This resource owner has no repositories to select.")
		return nil
	}
	if len(raw) == 0 {
		add(FieldRepositories, "Select at least one repository.")
		return nil
	}
	var ids []int64
	for _, s := range raw {
		id, err := strconv.ParseInt(s, 10, 64)
		if _, ok := target.Repos[id]; err != nil || !ok {
			add(FieldRepositories, "Select repositories of %s only.", target.Login)
			return nil
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// cleanText is typed text as it is checked and stored: without the spaces
// around it, and in Unicode normal form C, so that two texts that look the
// same (an accented letter typed as one character, or as a letter and a
// combining accent) are the same.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s // refused by checkText, as typed
	}
	return norm.NFC.String(s)
}

// misleading reports a character that shows as nothing, or changes how
// the text around it is shown, so that text holding it can read as
// something other than what it is: the format characters (Unicode category
// Cf: bidirectional embeddings, overrides and isolates, zero-width spaces
// and joiners, direction marks, the byte order mark, the soft hyphen...),
// the line and paragraph separators, and the fillers that draw nothing.
func misleading(r rune) bool {
	switch r {
	case 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0:
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// checkText validates a free-text field: valid UTF-8, no control
// characters other than line breaks and tabs, no misleading characters,
// at most max characters.
func checkText(add func(Field, string, ...any), f Field, label, s string, max int, required bool) {
	switch {
	case !utf8.ValidString(s):
		add(f, "%s contains characters that are not valid text.", label)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f }):
		add(f, "%s contains control characters.", label)
	case strings.ContainsFunc(s, misleading):
		r, _ := utf8.DecodeRuneInString(s[strings.IndexFunc(s, misleading):])
		add(f, "%s contains an invisible or formatting character (U+%04X), which could make it read as something it is not. Remove it.", label, r)
	case required && s == "":
		add(f, "%s can't be blank.", label)
	case utf8.RuneCountInString(s) > max:
		add(f, "%s is too long (at most %d characters).", label, max)
	}
}

// checkLine validates a required one-line field: checkText, and no line
// breaks or tabs.
func checkLine(add func(Field, string, ...any), f Field, label, s string, max int) {
	if strings.ContainsAny(s, "\n\r\t") {
		add(f, "%s must fit on one line.", label)
		return
	}
	checkText(add, f, label, s, max, true)
}

func parseExpiration(s string) (int, bool) {
	if s == "none" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n == 0 || !slices.Contains(Expirations(), n) {
		return 0, false
	}
	return n, true
}

// ClassicInput is a submitted new classic token form.
type ClassicInput struct {
	Note       string
	Expiration string
	Scopes     []string
}

// ClassicRequest is a checked classic token.
type ClassicRequest struct {
	Note          string
	ExpiresInDays int
	Scopes        []string // in Scopes() order
}

// CheckClassicRequest validates a new classic token.
func CheckClassicRequest(in ClassicInput) (ClassicRequest, Errors) {
	var errs Errors
	add := func(f Field, format string, args ...any) {
		errs = append(errs, FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	req := ClassicRequest{Note: cleanText(in.Note)}
	checkLine(add, FieldNote, "Note", req.Note, MaxNote)
	days, ok := parseExpiration(in.Expiration)
	if !ok {
		add(FieldExpiration, "Choose one of the expiration options.")
	}
	req.ExpiresInDays = days
	for _, s := range in.Scopes {
		if !slices.Contains(Scopes(), s) {
			add(FieldScopes, "There is no scope named “%s”.", s)
		}
	}
	for _, s := range Scopes() {
		if slices.Contains(in.Scopes, s) {
			req.Scopes = append(req.Scopes, s)
		}
	}
	if len(errs) > 0 {
		return ClassicRequest{}, errs
	}
	return req, nil
}

// ExpiresAt is when a token made at now with a lifetime of days expires;
// the zero time for a token that never does.
func ExpiresAt(now time.Time, days int) time.Time {
	if days == 0 {
		return time.Time{}
	}
	return now.AddDate(0, 0, days)
}

// Expired reports whether a token expiring at expiresAt (zero: never) has
// expired at now.
func Expired(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}

// ApprovalTurnedOff reports whether a change of the policy in force stops
// requiring approval, which approves every pending request.
func ApprovalTurnedOff(before, after Effective) bool {
	return before.Approval == ApprovalRequired && after.Approval == ApprovalNotRequired
}

// EnterpriseApprovalTurnedOff reports whether an enterprise's change
// disables the approval flow in all its organizations, which approves the
// pending requests of every one.
func EnterpriseApprovalTurnedOff(before, after Enterprise) bool {
	return after.Approval == EnterpriseApprovalDisabled && before.Approval != EnterpriseApprovalDisabled
}

// CheckReason validates an owner's optional reason for a review.
func CheckReason(s string) (string, Errors) {
	var errs Errors
	s = cleanText(s)
	checkText(func(f Field, format string, args ...any) {
		errs = append(errs, FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}, FieldReason, "Reason", s, MaxReason, false)
	return s, errs
}

// TokenState is how a token stands as its owner sees it.
type TokenState string

const (
	StateActive  TokenState = "Active"
	StatePending TokenState = "Pending"
	StateDenied  TokenState = "Denied"
	StateRevoked TokenState = "Revoked"
	StateExpired TokenState = "Expired"
)

// StateOf tells a token's state from its grant's status ("" for a token
// with no grant) and its expiry: an organization's decision against it
// first, then expiry, then a pending approval.
func StateOf(grant GrantStatus, expiresAt, now time.Time) TokenState {
	switch {
	case grant == GrantRevoked:
		return StateRevoked
	case grant == GrantDenied:
		return StateDenied
	case Expired(expiresAt, now):
		return StateExpired
	case grant == GrantPending:
		return StatePending
	}
	return StateActive
}

// PlainText reports whether s is text a person could have typed: valid
// UTF-8 without control characters other than line breaks and tabs, and
// without those either when it must fit on one line.
func PlainText(s string, oneLine bool) bool {
	if !utf8.ValidString(s) || oneLine && strings.ContainsAny(s, "\n\r\t") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f })
}
