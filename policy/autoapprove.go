package policy

import (
	"fmt"
	"slices"
	"strings"
)

// AutoApproval is an organization's rule that approves some requests the
// moment they are made, where approval is required: when ReadOnly is on,
// a request whose every permission is read-only. RepoIDs, when not empty,
// limits the rule to requests for those repositories only (sorted
// ascending); empty means any repository.
type AutoApproval struct {
	ReadOnly bool
	RepoIDs  []int64
}

// The rule's fields, as the API's JSON body and the settings form name them.
const (
	FieldAutoApproveReadOnly Field = "auto_approve_read_only"
	FieldAutoApproveRepos    Field = "auto_approve_repositories"
)

// RuleActor is who the audit log says acted when a rule approved a
// request: the application, not a person.
const RuleActor = "patpolicy[rule]"

// RuleReadOnly is the name of the read-only rule, as its checkbox words it.
const RuleReadOnly = "Approve read-only requests automatically"

// ActionAutoApprovalRuleChanged records a change of the rule. GitHub has
// no such rule, so the action is patpolicy's own.
const ActionAutoApprovalRuleChanged = "personal_access_token.auto_approval_rule_changed"

// Equal reports whether two rules are the same.
func (a AutoApproval) Equal(b AutoApproval) bool {
	return a.ReadOnly == b.ReadOnly && slices.Equal(a.RepoIDs, b.RepoIDs)
}

// Covers reports whether the rule approves req at creation: the rule is
// on, no permission is above read (metadata is read like any other), and,
// when the rule lists repositories, the request selects repositories and
// every one it selects is listed. A request for all repositories or for
// public ones is covered only by a rule that lists none.
func (a AutoApproval) Covers(req TokenRequest) bool {
	if !a.ReadOnly {
		return false
	}
	for _, level := range req.Permissions {
		if level != LevelRead {
			return false
		}
	}
	if len(a.RepoIDs) == 0 {
		return true
	}
	if req.Selection != SelectSelected || len(req.RepoIDs) == 0 {
		return false
	}
	for _, id := range req.RepoIDs {
		if _, ok := slices.BinarySearch(a.RepoIDs, id); !ok {
			return false
		}
	}
	return true
}

// AppliesIn reports whether the rule approves anything in an organization
// with policy eff in force: only where approval is required (elsewhere
// every request is approved anyway).
func (a AutoApproval) AppliesIn(eff Effective) bool {
	return a.ReadOnly && eff.Approval == ApprovalRequired
}

// AutoApprovalInput is a submitted rule: the checkbox and the names of
// the repositories chosen.
type AutoApprovalInput struct {
	ReadOnly bool
	Repos    []string
}

// CheckAutoApproval turns a submitted rule into one to store, given the
// organization's repositories (name to id; names compared without letter
// case, as repository names are). A name the organization does not have
// is an error naming it. Repeated names count once.
func CheckAutoApproval(in AutoApprovalInput, repos map[string]int64) (AutoApproval, Errors) {
	byName := make(map[string]int64, len(repos))
	for name, id := range repos {
		byName[strings.ToLower(name)] = id
	}
	out := AutoApproval{ReadOnly: in.ReadOnly}
	var errs Errors
	for _, name := range in.Repos {
		id, ok := byName[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			errs = append(errs, FieldError{Field: FieldAutoApproveRepos,
				Message: fmt.Sprintf("This organization has no repository named “%s”.", name)})
			continue
		}
		out.RepoIDs = append(out.RepoIDs, id)
	}
	if len(errs) > 0 {
		return AutoApproval{}, errs
	}
	slices.Sort(out.RepoIDs)
	out.RepoIDs = slices.Compact(out.RepoIDs)
	return out, nil
}

// AutoApprovalEvents lists the audit event of a change of the rule from
// old to next (none when it did not change); names gives repositories'
// names by id.
func AutoApprovalEvents(old, next AutoApproval, names map[int64]string) []Event {
	if old.Equal(next) {
		return nil
	}
	if !next.ReadOnly {
		return []Event{{ActionAutoApprovalRuleChanged, "Read-only requests are no longer approved automatically"}}
	}
	d := "Read-only requests are approved automatically, for any repository"
	if len(next.RepoIDs) > 0 {
		list := make([]string, len(next.RepoIDs))
		for i, id := range next.RepoIDs {
			list[i] = names[id]
		}
		slices.Sort(list)
		d = "Read-only requests are approved automatically, only for " + strings.Join(list, ", ")
	}
	return []Event{{ActionAutoApprovalRuleChanged, d}}
}

// ShutOut reports whether changing the policy in force from before to
// after shuts out token t, whose owner isOwner of the organization: the
// policy alone let it in before and does not after.
func ShutOut(t *Credential, before, after Effective, isOwner bool) bool {
	return BlockedByPolicy(t, after, isOwner) && !BlockedByPolicy(t, before, isOwner)
}

// Impact is what saving a change would do in one organization: how many
// active tokens it would shut out and how many pending requests it would
// approve.
type Impact struct {
	Org              string
	TokensBlocked    int
	RequestsApproved int
}

// Sentences words an impact for the owner about to save, one sentence per
// figure that is not zero: "Saving blocks 12 active tokens in octo-org".
func (i Impact) Sentences() []string {
	var out []string
	if i.TokensBlocked > 0 {
		out = append(out, fmt.Sprintf("Saving blocks %s in %s", plural(i.TokensBlocked, "active token"), i.Org))
	}
	if i.RequestsApproved > 0 {
		out = append(out, fmt.Sprintf("Saving approves %s in %s", plural(i.RequestsApproved, "pending request"), i.Org))
	}
	return out
}

// Any reports whether the impact is worth confirming.
func (i Impact) Any() bool { return i.TokensBlocked > 0 || i.RequestsApproved > 0 }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
