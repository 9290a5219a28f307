package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/web/render"
)

// ResourceStore is what the resource endpoints read and write.
type ResourceStore interface {
	TokenChecker
	UserByID(ctx context.Context, id int64) (db.User, error)
	UserByLogin(ctx context.Context, login string) (int64, error)
	MembersPage(ctx context.Context, orgID int64, page, perPage int) ([]db.Member, int, error)
	CreateIssue(ctx context.Context, repoID, userID, tokenID int64, title, body string) (db.Issue, error)
	AddSSHKey(ctx context.Context, userID, tokenID int64, title, key string) (db.SSHKey, error)
	SSHKeysOf(ctx context.Context, userID int64, page, perPage int) ([]db.SSHKey, int, error)
}

// APIResources serves the resources a token reaches: the caller, its
// SSH keys, organizations, their repositories and members, issues.
type APIResources struct {
	Store ResourceStore
	Now   func() time.Time
}

func (h APIResources) access() apiAccess { return apiAccess{Store: h.Store, Now: h.Now} }

// User is GET /user: the token's owner.
func (h APIResources) User(c echo.Context) error {
	if err := h.access().decide(c, nil, policy.Resource{}); err != nil {
		return err
	}
	caller := callerOf(c)
	u, err := h.Store.UserByID(c.Request().Context(), caller.Token.UserID)
	if err != nil {
		return err
	}
	out := simpleUser(c, u.ID, u.Login, "User")
	if u.Name != "" {
		out.Name = &u.Name
	}
	return render.JSON(c, http.StatusOK, out)
}

// Org is GET /orgs/{org}: an organization's public profile.
func (h APIResources) Org(c echo.Context) error {
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return err
	}
	if err := h.access().decide(c, &org, policy.Resource{Public: true}); err != nil {
		return err
	}
	return render.JSON(c, http.StatusOK, organizationJSON(c, org))
}

// OrgRepos is GET /orgs/{org}/repos: the repositories the call may see, by
// name.
func (h APIResources) OrgRepos(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return err
	}
	// The list itself is public: an expired token is still refused.
	if err := h.access().decide(c, &org, policy.Resource{Public: true}); err != nil {
		return err
	}
	var visible []Repository
	for _, r := range org.List {
		d, err := h.access().decision(c, &org, repoResource(r))
		if err != nil {
			return err
		}
		if d.Allowed {
			visible = append(visible, repositoryJSON(c, org.Org, r))
		}
	}
	return render.JSON(c, http.StatusOK, nonNil(pageOf(c, p, visible)))
}

// Repo is GET /repos/{owner}/{repo}. A private repository the call may not
// see is 404, as if it did not exist.
func (h APIResources) Repo(c echo.Context) error {
	org, repo, err := h.repo(c)
	if err != nil {
		return err
	}
	if err := h.access().decide(c, &org, repoResource(repo)); err != nil {
		return err
	}
	return render.JSON(c, http.StatusOK, repositoryJSON(c, org.Org, repo))
}

func (h APIResources) repo(c echo.Context) (db.OrgAccess, db.Repo, error) {
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
func (h APIResources) Members(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return err
	}
	res := policy.Resource{Permission: "members", Level: policy.LevelRead, Scope: "read:org"}
	if err := h.access().decide(c, &org, res); err != nil {
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

// Issue limits.
const (
	maxIssueTitle = 256
	maxIssueBody  = 65536
)

// IssueInput is the body of POST /repos/{owner}/{repo}/issues.
type IssueInput struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

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
	Labels        []string     `json:"labels"`
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

// CreateIssue is POST /repos/{owner}/{repo}/issues: needs Issues read and
// write, or the repo scope.
func (h APIResources) CreateIssue(c echo.Context) error {
	org, repo, err := h.repo(c)
	if err != nil {
		return err
	}
	res := repoResource(repo)
	res.Write, res.Permission, res.Level, res.Scope = true, "issues", policy.LevelWrite, "repo"
	if err := h.access().decide(c, &org, res); err != nil {
		return err
	}
	var in IssueInput
	if err := decodeJSON(c, "Issue", &in); err != nil {
		return err
	}
	var problems []FieldProblem
	title := ""
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
	}
	switch {
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
	if len(problems) > 0 {
		return invalid("Issue", problems...)
	}
	caller := callerOf(c)
	issue, err := h.Store.CreateIssue(c.Request().Context(), repo.ID, caller.Token.UserID, caller.Token.ID, title, body)
	if err != nil {
		return err
	}
	u := apiBase(c) + "/repos/" + org.Org.Login + "/" + repo.Name
	out := IssueJSON{
		ID: issue.ID, NodeID: nodeID("Issue", issue.ID), Number: issue.Number, Title: issue.Title, State: "open",
		User: simpleUser(c, caller.Token.UserID, caller.Token.UserLogin, "User"), Labels: []string{}, Assignees: []SimpleUser{},
		URL: u + "/issues/" + idString(issue.Number), HTMLURL: webBase(c) + "/" + org.Org.Login + "/" + repo.Name + "/issues/" + idString(issue.Number),
		RepositoryURL: u, CreatedAt: apiTime(issue.CreatedAt), UpdatedAt: apiTime(issue.CreatedAt), Association: "MEMBER",
	}
	out.CommentsURL, out.EventsURL, out.LabelsURL = out.URL+"/comments", out.URL+"/events", out.URL+"/labels{/name}"
	if body != "" {
		out.Body = &body
	}
	c.Response().Header().Set(echo.HeaderLocation, out.URL)
	return render.JSON(c, http.StatusCreated, out)
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
	return SSHKeyJSON{ID: k.ID, Key: k.Key, Title: k.Title, URL: apiBase(c) + "/user/keys/" + idString(k.ID),
		CreatedAt: apiTime(k.CreatedAt), Verified: true}
}

// AddSSHKey is POST /user/keys: needs Git SSH keys read and write, or the
// write:public_key scope. The key remembers the token that added it, and
// outlives it.
func (h APIResources) AddSSHKey(c echo.Context) error {
	res := policy.Resource{Write: true, Permission: policy.GitSSHKeys, Level: policy.LevelWrite, Scope: "write:public_key"}
	if err := h.access().decide(c, nil, res); err != nil {
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
func (h APIResources) SSHKeys(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	res := policy.Resource{Permission: policy.GitSSHKeys, Level: policy.LevelRead, Scope: "read:public_key"}
	if err := h.access().decide(c, nil, res); err != nil {
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
func (h APIResources) UserSSHKeys(c echo.Context) error {
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	if err := h.access().decide(c, nil, policy.Resource{Public: true}); err != nil {
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
