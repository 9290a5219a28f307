package views

import (
	"slices"
	"strconv"
	"strings"

	"patpolicy/policy"
)

// AutoApprovalShown is a hidden field of the organization's settings form
// that says the form carried the automatic approval fieldset, so that an
// unticked checkbox and an empty list mean "off" and "any repository"
// rather than "not sent".
const AutoApprovalShown = "auto_approval_shown"

// AutoApprovalGroup is the "Automatic approval" fieldset of the
// organization's settings form.
type AutoApprovalGroup struct {
	ReadOnly bool
	Repos    []RuleRepo
	Error    string
}

// RuleRepo is one option of the repositories list.
type RuleRepo struct {
	Name     string
	Selected bool
}

// autoApprovalGroup builds the fieldset from the form's values.
func autoApprovalGroup(v OrgPolicyValues) *AutoApprovalGroup {
	if !v.ShowAutoApproval {
		return nil
	}
	g := &AutoApprovalGroup{ReadOnly: v.AutoApproveReadOnly, Error: v.Errors[policy.FieldAutoApproveRepos]}
	for _, name := range v.RepoNames {
		g.Repos = append(g.Repos, RuleRepo{Name: name, Selected: slices.Contains(v.AutoApproveRepos, name)})
	}
	return g
}

// chosen lists the names of the selected repositories.
func (g AutoApprovalGroup) chosen() []string {
	var out []string
	for _, r := range g.Repos {
		if r.Selected {
			out = append(out, r.Name)
		}
	}
	return out
}

// values are the group's fields as Values lists them: the checkbox, then
// one value per selected repository.
func (g AutoApprovalGroup) values() []FormValue {
	out := []FormValue{{Name: string(policy.FieldAutoApproveReadOnly), Value: onOff(g.ReadOnly)}}
	for _, name := range g.chosen() {
		out = append(out, FormValue{Name: string(policy.FieldAutoApproveRepos), Value: name})
	}
	return out
}

// summary describes the rule in words, for a conflict notice.
func (g AutoApprovalGroup) summary() []SummaryRow {
	on, repos := "No", "Any repository"
	if g.ReadOnly {
		on = "Yes"
	}
	if names := g.chosen(); len(names) > 0 {
		repos = strings.Join(names, ", ")
	}
	return []SummaryRow{{Setting: policy.RuleReadOnly, Value: on}, {Setting: "Only for these repositories", Value: repos}}
}

// ImpactLines words what saving a change would do, every organization's
// figures in turn.
func ImpactLines(impacts []policy.Impact) []string {
	var out []string
	for _, imp := range impacts {
		out = append(out, imp.Sentences()...)
	}
	return out
}

// repoListSize is how many rows the repositories list shows at once.
func repoListSize(n int) string {
	switch {
	case n < 3:
		return "3"
	case n > 8:
		return "8"
	}
	return strconv.Itoa(n)
}
