package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/web/paths"
	"patpolicy/web/render"
)

// ResourceStore is what the resource endpoints read and write.
type ResourceStore interface {
	TokenChecker
	UserByID(ctx context.Context, id int64) (db.User, error)
	UserByLogin(ctx context.Context, login string) (int64, error)
	MembersPage(ctx context.Context, orgID int64, page, perPage int) ([]db.Member, int, error)
	CreateIssue(ctx context.Context, ni db.NewIssue) (db.Issue, error)
	OpenIssueCounts(ctx context.Context, repoIDs []int64) (map[int64]int, error)
	AddSSHKey(ctx context.Context, userID, tokenID int64, title, key string) (db.SSHKey, error)
	SSHKeysOf(ctx context.Context, userID int64, page, perPage int) ([]db.SSHKey, int, error)
}

// APIResources serves the resources a token reaches: the caller, its
// SSH keys, organizations, their repositories and members, issues.
type Resources struct {
	Store ResourceStore
	Now   func() time.Time
	// Answers keeps encoded repositories; nil keeps none.
	Answers *Answers
}

func (h Resources) access() apiAccess { return apiAccess{Store: h.Store, Now: h.Now} }

// User is GET /user: the token's owner.
func (h Resources) User(c echo.Context) error {
	if err := h.access().decide(c, nil, nil); err != nil {
		return err
	}
	caller := callerOf(c)
	u, err := h.Store.UserByID(c.Request().Context(), caller.Token.UserID)
	if err != nil {
		return err
	}
	return render.JSON(c, http.StatusOK, privateUser(c, u))
}

// Org is GET /orgs/{org}: an organization's public profile.
func (h Resources) Org(c echo.Context) error {
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return err
	}
	if err := h.access().decide(c, &org, nil); err != nil {
		return err
	}
	return render.JSON(c, http.StatusOK, organizationJSON(c, org))
}

// repoListing is how GET /orgs/{org}/repos filters and orders, from its
// type, sort and direction parameters.
type repoListing struct {
	kind      string
	sort      string
	ascending bool
}

// repoListingOf reads type (all, public, private, forks, sources, member;
// default all), sort (created, updated, pushed, full_name; default
// created) and direction (default asc for full_name, desc otherwise), as
// GitHub does.
func repoListingOf(c echo.Context) (repoListing, error) {
	l := repoListing{kind: cmp.Or(c.QueryParam("type"), "all"), sort: cmp.Or(c.QueryParam("sort"), "created")}
	bad := func(field, msg string) (repoListing, error) {
		return l, invalid("Query", FieldProblem{Field: field, Code: "invalid", Message: msg})
	}
	if !slices.Contains([]string{"all", "public", "private", "forks", "sources", "member"}, l.kind) {
		return bad("type", "type must be all, public, private, forks, sources or member")
	}
	if !slices.Contains([]string{"created", "updated", "pushed", "full_name"}, l.sort) {
		return bad("sort", "sort must be created, updated, pushed or full_name")
	}
	switch c.QueryParam("direction") {
	case "":
		l.ascending = l.sort == "full_name"
	case "asc":
		l.ascending = true
	case "desc":
	default:
		return bad("direction", "direction must be asc or desc")
	}
	return l, nil
}

// keeps reports whether the listing's type takes r. No repository here is
// a fork, so forks takes none and sources all; member takes those of an
// organization the caller belongs to.
func (l repoListing) keeps(r db.Repo, member bool) bool {
	switch l.kind {
	case "public":
		return !r.Private
	case "private":
		return r.Private
	case "forks":
		return false
	case "member":
		return member
	}
	return true
}

// order sorts repositories by the listing's key. Every repository was
// last updated and pushed when it was created; the id breaks ties, in
// creation order.
func (l repoListing) order(repos []db.Repo) {
	slices.SortStableFunc(repos, func(a, b db.Repo) int {
		n := 0
		if l.sort == "full_name" {
			n = cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		} else {
			n = cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}
		if !l.ascending {
			n = -n
		}
		return n
	})
}

// OrgRepos is GET /orgs/{org}/repos: the repositories the call may see,
// filtered by type and ordered by sort and direction.
func (h Resources) OrgRepos(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	listing, err := repoListingOf(c)
	if err != nil {
		return err
	}
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return err
	}
	// The list itself is public: an expired token is still refused.
	if err := h.access().decide(c, &org, nil); err != nil {
		return err
	}
	member := false
	if caller := callerOf(c); caller != nil && listing.kind == "member" {
		m, err := h.Store.MembershipOf(c.Request().Context(), org.Org.ID, caller.Token.UserID)
		if err != nil {
			return err
		}
		member = m != policy.NotMember
	}
	var visible []db.Repo
	for _, r := range org.List {
		if !listing.keeps(r, member) {
			continue
		}
		d, err := h.access().decision(c, &org, &r)
		if err != nil {
			return err
		}
		if d.Allowed {
			visible = append(visible, r)
		}
	}
	listing.order(visible)
	out, err := h.repositories(c, org.Org, pageOf(c, p, visible))
	if err != nil {
		return err
	}
	return render.JSON(c, http.StatusOK, out)
}

// repositories answers repositories with their open issue counts.
func (h Resources) repositories(c echo.Context, org db.Org, repos []db.Repo) ([]Repository, error) {
	ids := make([]int64, len(repos))
	for i, r := range repos {
		ids[i] = r.ID
	}
	open, err := h.Store.OpenIssueCounts(c.Request().Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]Repository, 0, len(repos))
	for _, r := range repos {
		j := repositoryJSON(c, org, r)
		j.OpenIssues, j.OpenIssuesCount = open[r.ID], open[r.ID]
		out = append(out, j)
	}
	return out, nil
}

// Repo is GET /repos/{owner}/{repo}. A private repository the call may not
// see is 404, as if it did not exist.
func (h Resources) Repo(c echo.Context) error {
	org, repo, err := h.repo(c)
	if err != nil {
		return err
	}
	if err := h.access().decide(c, &org, &repo); err != nil {
		return err
	}
	open, err := h.Store.OpenIssueCounts(c.Request().Context(), []int64{repo.ID})
	if err != nil {
		return err
	}
	n := open[repo.ID]
	return h.Answers.JSON(c, repositoryKey(c, org.Org, repo, n), func() any {
		j := repositoryJSON(c, org.Org, repo)
		j.OpenIssues, j.OpenIssuesCount = n, n
		return j
	})
}

func (h Resources) repo(c echo.Context) (db.OrgAccess, db.Repo, error) {
	org, err := h.access().org(c, c.Param("owner"))
	if err != nil {
		return org, db.Repo{}, err
	}
	repo, ok := org.Repo(c.Param("repo"))
	if !ok {
		return org, repo, notFound()
	}
	return org, repo, nil
}

// Members is GET /orgs/{org}/members: needs Members read, or read:org.
func (h Resources) Members(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return err
	}
	if err := h.access().decide(c, &org, nil); err != nil {
		return err
	}
	members, total, err := h.Store.MembersPage(c.Request().Context(), org.Org.ID, p.Page, p.PerPage)
	if err != nil {
		return err
	}
	setLink(c, p, total)
	out := make([]SimpleUser, 0, len(members))
	for _, m := range members {
		out = append(out, simpleUser(c, m.ID, m.Login, "User"))
	}
	return render.JSON(c, http.StatusOK, out)
}

// IssueInput is the body of POST /repos/{owner}/{repo}/issues: every
// field of GitHub's request schema.
type IssueInput struct {
	// Title is a string or an integer.
	Title *json.RawMessage `json:"title"`
	Body  *string          `json:"body"`
	// Assignee is the one assignee of old clients, added to Assignees.
	Assignee  *string  `json:"assignee"`
	Assignees []string `json:"assignees"`
	// Labels are names, or objects naming a label by id or name.
	Labels []json.RawMessage `json:"labels"`
	// Milestone (a number) and Type name what no repository here has:
	// only null passes.
	Milestone *json.RawMessage `json:"milestone"`
	Type      *string          `json:"type"`
	// IssueFieldValues are dropped, as GitHub drops them where issue
	// fields are not enabled, once they have the shape it takes.
	IssueFieldValues []IssueFieldValue `json:"issue_field_values"`
}

// IssueFieldValue is one of an issue's custom field values.
type IssueFieldValue struct {
	FieldID *int64           `json:"field_id"`
	Value   *json.RawMessage `json:"value"`
}

// LabelInput is a label given as an object.
type LabelInput struct {
	ID          *int64  `json:"id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Color       *string `json:"color"`
}

// Issue and label limits, as GitHub's.
const (
	maxIssueTitle     = 256
	maxIssueBody      = 65536
	maxIssueAssignees = 10
	maxIssueLabels    = 100
	maxLabelName      = 50
	maxLabelDesc      = 100
	defaultLabelColor = "ededed"
)

// IssueJSON is GitHub's issue, with the fields a new issue has.
type IssueJSON struct {
	ID            int64        `json:"id"`
	NodeID        string       `json:"node_id"`
	Number        int64        `json:"number"`
	Title         string       `json:"title"`
	Body          *string      `json:"body"`
	State         string       `json:"state"`
	Locked        bool         `json:"locked"`
	User          SimpleUser   `json:"user"`
	Assignee      *SimpleUser  `json:"assignee"`
	Assignees     []SimpleUser `json:"assignees"`
	Labels        []LabelJSON  `json:"labels"`
	Milestone     *struct{}    `json:"milestone"`
	Comments      int          `json:"comments"`
	URL           string       `json:"url"`
	HTMLURL       string       `json:"html_url"`
	RepositoryURL string       `json:"repository_url"`
	CommentsURL   string       `json:"comments_url"`
	EventsURL     string       `json:"events_url"`
	LabelsURL     string       `json:"labels_url"`
	CreatedAt     *string      `json:"created_at"`
	UpdatedAt     *string      `json:"updated_at"`
	ClosedAt      *string      `json:"closed_at"`
	Association   string       `json:"author_association"`
}

// LabelJSON is GitHub's label.
type LabelJSON struct {
	ID          int64   `json:"id"`
	NodeID      string  `json:"node_id"`
	URL         string  `json:"url"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Color       string  `json:"color"`
	Default     bool    `json:"default"`
}

// issueTitle reads a title sent as a string or a whole number.
func issueTitle(raw *json.RawMessage) (string, bool) {
	if raw == nil || string(*raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(*raw, &s) == nil {
		return strings.TrimSpace(s), true
	}
	var n int64
	if json.Unmarshal(*raw, &n) == nil {
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// issueLabels reads the labels, each a name or an object with an id or a
// name (and the color and description a new label gets).
func issueLabels(raws []json.RawMessage, problems *[]FieldProblem) []db.NewLabel {
	bad := func(msg string) []db.NewLabel {
		*problems = append(*problems, FieldProblem{Field: "labels", Code: "invalid", Message: msg})
		return nil
	}
	if len(raws) > maxIssueLabels {
		return bad("labels takes at most 100 labels")
	}
	out := make([]db.NewLabel, 0, len(raws))
	for _, raw := range raws {
		var in LabelInput
		var name string
		if json.Unmarshal(raw, &name) == nil {
			in.Name = &name
		} else {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if dec.Decode(&in) != nil {
				return bad("each label is a name, or an object with an id or a name, and a color and a description")
			}
		}
		l := db.NewLabel{Color: defaultLabelColor}
		switch {
		case in.ID != nil && in.Name == nil:
			l.ID = *in.ID
			out = append(out, l)
			continue
		case in.Name == nil:
			return bad("each label needs a name or an id")
		}
		l.Name = strings.TrimSpace(*in.Name)
		if l.Name == "" || utf8.RuneCountInString(l.Name) > maxLabelName || !policy.PlainText(l.Name, true) {
			return bad("a label name is one line of 1 to 50 characters")
		}
		if in.Color != nil {
			l.Color = strings.ToLower(strings.TrimPrefix(*in.Color, "#"))
			if _, err := hex.DecodeString(l.Color); err != nil || len(l.Color) != 6 {
				return bad("a label color is six hexadecimal digits, such as d73a4a")
			}
		}
		if in.Description != nil {
			if utf8.RuneCountInString(*in.Description) > maxLabelDesc || !policy.PlainText(*in.Description, true) {
				return bad("a label description is one line of at most 100 characters")
			}
			l.Description = in.Description
		}
		out = append(out, l)
	}
	return out
}

// CreateIssue is POST /repos/{owner}/{repo}/issues: needs Issues read and
// write, or the repo scope.
func (h Resources) CreateIssue(c echo.Context) error {
	org, repo, err := h.repo(c)
	if err != nil {
		return err
	}
	if err := h.access().decide(c, &org, &repo); err != nil {
		return err
	}
	var in IssueInput
	if err := decodeJSON(c, "Issue", &in); err != nil {
		return err
	}
	var problems []FieldProblem
	title, ok := issueTitle(in.Title)
	switch {
	case !ok:
		problems = append(problems, FieldProblem{Field: "title", Code: "invalid", Message: "title must be a string or a whole number"})
	case title == "":
		problems = append(problems, FieldProblem{Field: "title", Code: "missing_field", Message: "title can't be blank"})
	case utf8.RuneCountInString(title) > maxIssueTitle || !policy.PlainText(title, true):
		problems = append(problems, FieldProblem{Field: "title", Code: "invalid", Message: "title must be one line of at most 256 characters"})
	}
	body := ""
	if in.Body != nil {
		body = *in.Body
	}
	switch {
	case utf8.RuneCountInString(body) > maxIssueBody:
		problems = append(problems, FieldProblem{Field: "body", Code: "invalid", Message: "body is too long (at most 65536 characters)"})
	case !policy.PlainText(body, false):
		problems = append(problems, FieldProblem{Field: "body", Code: "invalid", Message: "body contains control characters"})
	}
	assignees := in.Assignees
	if in.Assignee != nil && *in.Assignee != "" {
		assignees = append([]string{*in.Assignee}, assignees...)
	}
	if len(assignees) > maxIssueAssignees {
		problems = append(problems, FieldProblem{Field: "assignees", Code: "invalid", Message: "an issue takes at most 10 assignees"})
	}
	labels := issueLabels(in.Labels, &problems)
	if in.Milestone != nil && string(*in.Milestone) != "null" {
		problems = append(problems, FieldProblem{Field: "milestone", Code: "invalid", Message: "this repository has no such milestone"})
	}
	if in.Type != nil {
		problems = append(problems, FieldProblem{Field: "type", Code: "invalid", Message: "this repository has no issue type " + *in.Type})
	}
	for _, v := range in.IssueFieldValues {
		if v.FieldID == nil || v.Value == nil {
			problems = append(problems, FieldProblem{Field: "issue_field_values", Code: "missing_field", Message: "each issue field value needs a field_id and a value"})
			break
		}
	}
	if len(problems) > 0 {
		return invalid("Issue", problems...)
	}
	caller := callerOf(c)
	issue, err := h.Store.CreateIssue(c.Request().Context(), db.NewIssue{RepoID: repo.ID, UserID: caller.Token.UserID,
		TokenID: caller.Token.ID, Title: title, Body: body, Labels: labels, Assignees: assignees})
	if errors.Is(err, db.ErrUnknownLabel) {
		return invalid("Issue", FieldProblem{Field: "labels", Code: "invalid", Message: "a label id names no label of this repository"})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, issueURL(c, org.Org, repo, issue.Number))
	return render.JSON(c, http.StatusCreated, issueJSON(c, org.Org, repo, issue))
}

func issueURL(c echo.Context, org db.Org, repo db.Repo, number int64) string {
	return apiBase(c) + "/repos/" + org.Login + "/" + repo.Name + "/issues/" + strconv.FormatInt(number, 10)
}

// issueJSON is a new issue as GitHub answers it.
func issueJSON(c echo.Context, org db.Org, repo db.Repo, issue db.Issue) IssueJSON {
	repoURL := apiBase(c) + "/repos/" + org.Login + "/" + repo.Name
	out := IssueJSON{
		ID: issue.ID, NodeID: nodeID("Issue", issue.ID), Number: issue.Number, Title: issue.Title, State: "open",
		User: simpleUser(c, issue.UserID, issue.UserLogin, "User"), Labels: []LabelJSON{}, Assignees: []SimpleUser{},
		URL: issueURL(c, org, repo, issue.Number), HTMLURL: paths.Base(c) + paths.Issue(org.Login, repo.Name, issue.Number),
		RepositoryURL: repoURL, CreatedAt: apiTime(issue.CreatedAt), UpdatedAt: apiTime(issue.CreatedAt), Association: "MEMBER",
	}
	out.CommentsURL, out.EventsURL, out.LabelsURL = out.URL+"/comments", out.URL+"/events", out.URL+"/labels{/name}"
	if issue.Body != "" {
		out.Body = &issue.Body
	}
	for _, l := range issue.Labels {
		out.Labels = append(out.Labels, LabelJSON{ID: l.ID, NodeID: nodeID("Label", l.ID), URL: repoURL + "/labels/" + url.PathEscape(l.Name),
			Name: l.Name, Description: l.Description, Color: l.Color})
	}
	for _, m := range issue.Assignees {
		out.Assignees = append(out.Assignees, simpleUser(c, m.ID, m.Login, "User"))
	}
	if len(out.Assignees) > 0 {
		out.Assignee = &out.Assignees[0]
	}
	return out
}

// SSH key limits.
const maxKeyTitle = 100

// SSHKeyInput is the body of POST /user/keys.
type SSHKeyInput struct {
	Title *string `json:"title"`
	Key   *string `json:"key"`
}

// SSHKeyJSON is GitHub's key; PublicKeyJSON is the key-simple anyone sees.
type SSHKeyJSON struct {
	ID        int64   `json:"id"`
	Key       string  `json:"key"`
	Title     string  `json:"title"`
	URL       string  `json:"url"`
	CreatedAt *string `json:"created_at"`
	Verified  bool    `json:"verified"`
	ReadOnly  bool    `json:"read_only"`
}

type PublicKeyJSON struct {
	ID  int64  `json:"id"`
	Key string `json:"key"`
}

func sshKeyJSON(c echo.Context, k db.SSHKey) SSHKeyJSON {
	return SSHKeyJSON{ID: k.ID, Key: k.Key, Title: k.Title, URL: apiBase(c) + "/user/keys/" + strconv.FormatInt(k.ID, 10),
		CreatedAt: apiTime(k.CreatedAt), Verified: true}
}

// AddSSHKey is POST /user/keys: needs Git SSH keys read and write, or the
// write:public_key scope. The key remembers the token that added it, and
// outlives it.
func (h Resources) AddSSHKey(c echo.Context) error {
	if err := h.access().decide(c, nil, nil); err != nil {
		return err
	}
	var in SSHKeyInput
	if err := decodeJSON(c, "PublicKey", &in); err != nil {
		return err
	}
	var problems []FieldProblem
	title, key := "", ""
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
	}
	if in.Key != nil {
		key = strings.TrimSpace(*in.Key)
	}
	if utf8.RuneCountInString(title) > maxKeyTitle || !policy.PlainText(title, true) {
		problems = append(problems, FieldProblem{Field: "title", Code: "invalid", Message: "title must be one line of at most 100 characters"})
	}
	switch normalized, ok := policy.ParseSSHKey(key); {
	case key == "":
		problems = append(problems, FieldProblem{Field: "key", Code: "missing_field", Message: "key can't be blank"})
	case !ok:
		problems = append(problems, FieldProblem{Field: "key", Code: "custom", Message: "key is invalid. You must supply a key in OpenSSH public key format"})
	default:
		key = normalized
	}
	if len(problems) > 0 {
		return invalid("PublicKey", problems...)
	}
	caller := callerOf(c)
	k, err := h.Store.AddSSHKey(c.Request().Context(), caller.Token.UserID, caller.Token.ID, title, key)
	if errors.Is(err, db.ErrDuplicateKey) {
		return invalid("PublicKey", FieldProblem{Field: "key", Code: "custom", Message: "key is already in use"})
	}
	if err != nil {
		return err
	}
	out := sshKeyJSON(c, k)
	c.Response().Header().Set(echo.HeaderLocation, out.URL)
	return render.JSON(c, http.StatusCreated, out)
}

// SSHKeys is GET /user/keys: the caller's keys. Needs Git SSH keys
// read-only, or the read:public_key scope.
func (h Resources) SSHKeys(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	if err := h.access().decide(c, nil, nil); err != nil {
		return err
	}
	keys, total, err := h.Store.SSHKeysOf(c.Request().Context(), callerOf(c).Token.UserID, p.Page, p.PerPage)
	if err != nil {
		return err
	}
	setLink(c, p, total)
	out := make([]SSHKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, sshKeyJSON(c, k))
	}
	return render.JSON(c, http.StatusOK, out)
}

// UserSSHKeys is GET /users/{user}/keys: anyone's public keys, public.
func (h Resources) UserSSHKeys(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	if err := h.access().decide(c, nil, nil); err != nil {
		return err
	}
	id, err := h.Store.UserByLogin(c.Request().Context(), c.Param("user"))
	if errors.Is(err, db.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return err
	}
	keys, total, err := h.Store.SSHKeysOf(c.Request().Context(), id, p.Page, p.PerPage)
	if err != nil {
		return err
	}
	setLink(c, p, total)
	out := make([]PublicKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, PublicKeyJSON{ID: k.ID, Key: k.Key})
	}
	return render.JSON(c, http.StatusOK, out)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
