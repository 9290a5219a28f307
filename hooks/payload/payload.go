// Package payload builds the JSON bodies of webhook deliveries in GitHub's
// shapes, from plain facts the store reads inside the transaction of the
// change a delivery reports, and signs them. It knows no database and no
// network, so that the store can build a delivery's snapshot without
// knowing GitHub's field names.
package payload

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"patpolicy/policy"
)

// The events a webhook may subscribe to.
const (
	// EventTokenRequest is GitHub's personal_access_token_request event:
	// a request created, approved, denied or cancelled.
	EventTokenRequest = "personal_access_token_request"
	// EventToken is this console's own event about a token's access:
	// revoked by an owner, expiring, expired, blocked by a policy.
	EventToken = "personal_access_token"
)

// Events lists every event a webhook may subscribe to, in form order.
func Events() []string { return []string{EventTokenRequest, EventToken} }

// KnownEvent reports whether a webhook may subscribe to event.
func KnownEvent(event string) bool {
	return event == EventTokenRequest || event == EventToken
}

// Account is a user or an organization as a payload names it.
type Account struct {
	ID    int64
	Login string
}

// Repo is a repository a token reaches.
type Repo struct {
	ID      int64
	Name    string
	Private bool
}

// Token is what a payload says of a token and its grant.
type Token struct {
	ID          int64
	GrantID     int64
	Name        string
	Owner       Account
	Permissions map[string]policy.Level
	Selection   policy.Selection
	Repos       []Repo
	CreatedAt   time.Time // the grant's (the request's) creation
	ExpiresAt   time.Time // zero: never
	LastUsedAt  time.Time // zero: never
	Status      policy.GrantStatus
}

// Facts are what one delivery reports.
type Facts struct {
	Event  string
	Action string
	Token  Token
	Org    Account
	Sender Account
	Now    time.Time
	// Base is the site's public URL (scheme://host[:port]), which the
	// body's links start with; "" gives links from the root.
	Base string
}

// Permissions is a token's permissions by kind, as GitHub groups them.
type Permissions struct {
	Organization map[string]string `json:"organization"`
	Repository   map[string]string `json:"repository"`
	Other        map[string]string `json:"other"`
}

// GroupPermissions groups permissions by kind as GitHub does.
func GroupPermissions(perms map[string]policy.Level) Permissions {
	out := Permissions{Organization: map[string]string{}, Repository: map[string]string{}, Other: map[string]string{}}
	for name, level := range perms {
		p, ok := policy.PermissionByName(name)
		switch {
		case !ok || p.Account:
			out.Other[name] = string(level)
		case p.Org:
			out.Organization[name] = string(level)
		default:
			out.Repository[name] = string(level)
		}
	}
	return out
}

// RepositorySelection names a selection as GitHub's API does.
func RepositorySelection(s policy.Selection) string {
	switch s {
	case policy.SelectAll:
		return "all"
	case policy.SelectSelected:
		return "subset"
	}
	return "none"
}

// SimpleUser is GitHub's simple-user, in the API's answers and in the
// deliveries' bodies alike.
type SimpleUser struct {
	Login             string  `json:"login"`
	ID                int64   `json:"id"`
	NodeID            string  `json:"node_id"`
	Name              *string `json:"name,omitempty"`
	AvatarURL         string  `json:"avatar_url"`
	GravatarID        string  `json:"gravatar_id"`
	URL               string  `json:"url"`
	HTMLURL           string  `json:"html_url"`
	FollowersURL      string  `json:"followers_url"`
	FollowingURL      string  `json:"following_url"`
	GistsURL          string  `json:"gists_url"`
	StarredURL        string  `json:"starred_url"`
	SubscriptionsURL  string  `json:"subscriptions_url"`
	OrganizationsURL  string  `json:"organizations_url"`
	ReposURL          string  `json:"repos_url"`
	EventsURL         string  `json:"events_url"`
	ReceivedEventsURL string  `json:"received_events_url"`
	Type              string  `json:"type"`
	SiteAdmin         bool    `json:"site_admin"`
}

type user = SimpleUser

// organization is GitHub's organization-simple as a webhook carries it.
type organization struct {
	Login            string  `json:"login"`
	ID               int64   `json:"id"`
	NodeID           string  `json:"node_id"`
	URL              string  `json:"url"`
	ReposURL         string  `json:"repos_url"`
	EventsURL        string  `json:"events_url"`
	HooksURL         string  `json:"hooks_url"`
	IssuesURL        string  `json:"issues_url"`
	MembersURL       string  `json:"members_url"`
	PublicMembersURL string  `json:"public_members_url"`
	AvatarURL        string  `json:"avatar_url"`
	Description      *string `json:"description"`
}

// Links builds the URLs of GitHub's objects from the site's public URL
// (scheme://host[:port]): the API's answers and the deliveries' bodies
// take them from here.
type Links struct{ Base string }

// API is the REST API's root.
func (l Links) API() string    { return l.Base + "/api/v3" }
func (l Links) avatar() string { return l.Base + "/static/avatar.svg" }

// User is the simple-user of an account; kind is "User" or
// "Organization".
func (l Links) User(id int64, login, kind string) SimpleUser {
	u := l.API() + "/users/" + login
	if kind == "Organization" {
		u = l.API() + "/orgs/" + login
	}
	return SimpleUser{Login: login, ID: id, NodeID: nodeID(kind, id), AvatarURL: l.avatar(), URL: u,
		HTMLURL: l.Base + "/" + login, FollowersURL: u + "/followers", FollowingURL: u + "/following{/other_user}",
		GistsURL: u + "/gists{/gist_id}", StarredURL: u + "/starred{/owner}{/repo}", SubscriptionsURL: u + "/subscriptions",
		OrganizationsURL: u + "/orgs", ReposURL: u + "/repos", EventsURL: u + "/events{/privacy}",
		ReceivedEventsURL: u + "/received_events", Type: kind}
}

func (l Links) user(a Account) user { return l.User(a.ID, a.Login, "User") }

// sender is who made the change a delivery reports: a user, or for a
// change nobody signed in made (a rule, a background run, a token revoked
// by its value) patpolicy itself, as a bot named as the audit log names
// it.
func (l Links) sender(a Account) user {
	if a.ID == 0 {
		return l.User(0, policy.RuleActor, "Bot")
	}
	return l.user(a)
}

func (l Links) org(a Account) organization {
	u := l.API() + "/orgs/" + a.Login
	return organization{Login: a.Login, ID: a.ID, NodeID: nodeID("Organization", a.ID), URL: u, ReposURL: u + "/repos",
		EventsURL: u + "/events", HooksURL: u + "/hooks", IssuesURL: u + "/issues", MembersURL: u + "/members{/member}",
		PublicMembersURL: u + "/public_members{/member}", AvatarURL: l.avatar()}
}

type repository struct {
	ID       int64  `json:"id"`
	NodeID   string `json:"node_id"`
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	Private  bool   `json:"private"`
}

// tokenFields are what both objects say of the token itself.
type tokenFields struct {
	TokenID         int64   `json:"token_id"`
	TokenName       string  `json:"token_name"`
	TokenExpired    bool    `json:"token_expired"`
	TokenExpiresAt  *string `json:"token_expires_at"`
	TokenLastUsedAt *string `json:"token_last_used_at"`
}

// request is GitHub's personal-access-token-request.
type request struct {
	ID                  int64        `json:"id"`
	Owner               user         `json:"owner"`
	PermissionsAdded    Permissions  `json:"permissions_added"`
	PermissionsUpgraded Permissions  `json:"permissions_upgraded"`
	PermissionsResult   Permissions  `json:"permissions_result"`
	RepositorySelection string       `json:"repository_selection"`
	RepositoryCount     *int         `json:"repository_count"`
	Repositories        []repository `json:"repositories"`
	CreatedAt           string       `json:"created_at"`
	tokenFields
}

// token is this console's own personal_access_token object: the grant
// (its id is the one the API's personal-access-tokens endpoints take)
// with its token.
type token struct {
	ID                  int64        `json:"id"`
	Owner               user         `json:"owner"`
	Permissions         Permissions  `json:"permissions"`
	RepositorySelection string       `json:"repository_selection"`
	Repositories        []repository `json:"repositories"`
	tokenFields
	Status string `json:"status"`
}

// Build encodes the body of a delivery of f.
func Build(f Facts) ([]byte, error) {
	l := Links{Base: f.Base}
	org, sender := l.org(f.Org), l.sender(f.Sender)
	t := f.Token
	repos := make([]repository, 0, len(t.Repos))
	for _, r := range t.Repos {
		repos = append(repos, repository{ID: r.ID, NodeID: nodeID("Repository", r.ID), Name: r.Name,
			FullName: f.Org.Login + "/" + r.Name, Private: r.Private})
	}
	sort.Slice(repos, func(i, j int) bool { return repos[i].Name < repos[j].Name })
	perms := GroupPermissions(t.Permissions)
	fields := tokenFields{TokenID: t.ID, TokenName: t.Name, TokenExpired: !t.ExpiresAt.IsZero() && !f.Now.Before(t.ExpiresAt),
		TokenExpiresAt: when(t.ExpiresAt), TokenLastUsedAt: when(t.LastUsedAt)}
	if f.Event == EventToken {
		return json.Marshal(struct {
			Action       string       `json:"action"`
			Token        token        `json:"personal_access_token"`
			Organization organization `json:"organization"`
			Sender       user         `json:"sender"`
		}{f.Action, token{ID: t.GrantID, Owner: l.user(t.Owner), Permissions: perms,
			RepositorySelection: RepositorySelection(t.Selection), Repositories: repos, tokenFields: fields, Status: string(t.Status)},
			org, sender})
	}
	r := request{ID: t.GrantID, Owner: l.user(t.Owner), PermissionsAdded: perms,
		PermissionsUpgraded: Permissions{Organization: map[string]string{}, Repository: map[string]string{}, Other: map[string]string{}},
		PermissionsResult:   perms, RepositorySelection: RepositorySelection(t.Selection),
		tokenFields: fields}
	if c := when(t.CreatedAt); c != nil {
		r.CreatedAt = *c
	}
	if t.Selection == policy.SelectSelected {
		n := len(repos)
		r.RepositoryCount, r.Repositories = &n, repos
	}
	return json.Marshal(struct {
		Action       string       `json:"action"`
		Request      request      `json:"personal_access_token_request"`
		Organization organization `json:"organization"`
		Sender       user         `json:"sender"`
	}{f.Action, r, org, sender})
}

// NodeID makes a stable opaque node id, as GitHub's GraphQL ids are.
func NodeID(kind string, id int64) string { return nodeID(kind, id) }

func nodeID(kind string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(id, 10)))
}

func when(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// Signature is the X-Hub-Signature-256 header of body signed with secret:
// "sha256=" and the hex HMAC-SHA256.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// DeliveryStatus words a delivery's outcome as GitHub's delivery lists
// do: "OK", "Invalid HTTP Response: 500", the network error, or "Pending"
// before any attempt.
func DeliveryStatus(attempts, statusCode int, errText string) string {
	switch {
	case statusCode >= 200 && statusCode < 300:
		return "OK"
	case statusCode != 0:
		return "Invalid HTTP Response: " + strconv.Itoa(statusCode)
	case attempts == 0 || errText == "":
		return "Pending"
	}
	return errText
}
