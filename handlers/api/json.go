package api

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

// The JSON shapes of the API's resources carry every field GitHub's
// published schema requires, so that generated clients decode them.

// SimpleUser is GitHub's simple-user.
type SimpleUser = payload.SimpleUser

// nodeID makes a stable opaque node id, as GitHub's GraphQL ids are.
func nodeID(kind string, id int64) string { return payload.NodeID(kind, id) }

func simpleUser(c echo.Context, id int64, login, kind string) SimpleUser {
	return payload.Links{Base: paths.Base(c)}.User(id, login, kind)
}

// PrivateUser is GitHub's private-user: the caller's own account, with
// zeros for what this console does not keep (gists, followers, disk use).
type PrivateUser struct {
	SimpleUser
	Name                    *string `json:"name"`
	Company                 *string `json:"company"`
	Blog                    *string `json:"blog"`
	Location                *string `json:"location"`
	Email                   *string `json:"email"`
	Hireable                *bool   `json:"hireable"`
	Bio                     *string `json:"bio"`
	PublicRepos             int     `json:"public_repos"`
	PublicGists             int     `json:"public_gists"`
	Followers               int     `json:"followers"`
	Following               int     `json:"following"`
	CreatedAt               *string `json:"created_at"`
	UpdatedAt               *string `json:"updated_at"`
	PrivateGists            int     `json:"private_gists"`
	TotalPrivateRepos       int     `json:"total_private_repos"`
	OwnedPrivateRepos       int     `json:"owned_private_repos"`
	DiskUsage               int     `json:"disk_usage"`
	Collaborators           int     `json:"collaborators"`
	TwoFactorAuthentication bool    `json:"two_factor_authentication"`
	UserViewType            string  `json:"user_view_type"`
}

func privateUser(c echo.Context, u db.User) PrivateUser {
	out := PrivateUser{SimpleUser: simpleUser(c, u.ID, u.Login, "User"), CreatedAt: apiTime(u.CreatedAt),
		UpdatedAt: apiTime(u.CreatedAt), UserViewType: "private"}
	if u.Name != "" {
		out.Name = &u.Name
	}
	if u.Email != "" {
		out.Email = &u.Email
	}
	return out
}

// Organization is GitHub's organization-full, with the counts this
// console keeps (repositories) and zeros for those it does not.
type Organization struct {
	Login                   string  `json:"login"`
	ID                      int64   `json:"id"`
	NodeID                  string  `json:"node_id"`
	Name                    string  `json:"name"`
	Description             *string `json:"description"`
	URL                     string  `json:"url"`
	HTMLURL                 string  `json:"html_url"`
	ReposURL                string  `json:"repos_url"`
	EventsURL               string  `json:"events_url"`
	HooksURL                string  `json:"hooks_url"`
	IssuesURL               string  `json:"issues_url"`
	MembersURL              string  `json:"members_url"`
	PublicMembersURL        string  `json:"public_members_url"`
	AvatarURL               string  `json:"avatar_url"`
	HasOrganizationProjects bool    `json:"has_organization_projects"`
	HasRepositoryProjects   bool    `json:"has_repository_projects"`
	PublicRepos             int     `json:"public_repos"`
	PublicGists             int     `json:"public_gists"`
	Followers               int     `json:"followers"`
	Following               int     `json:"following"`
	Type                    string  `json:"type"`
	CreatedAt               *string `json:"created_at"`
	UpdatedAt               *string `json:"updated_at"`
	ArchivedAt              *string `json:"archived_at"`
}

func organizationJSON(c echo.Context, o db.OrgAccess) Organization {
	base := apiBase(c) + "/orgs/" + o.Org.Login
	public := 0
	for _, r := range o.List {
		if !r.Private {
			public++
		}
	}
	return Organization{
		Login: o.Org.Login, ID: o.Org.ID, NodeID: nodeID("Organization", o.Org.ID), Name: o.Org.Name,
		URL: base, HTMLURL: paths.Base(c) + paths.Profile(o.Org.Login), ReposURL: base + "/repos", EventsURL: base + "/events",
		HooksURL: base + "/hooks", IssuesURL: base + "/issues",
		MembersURL: base + "/members{/member}", PublicMembersURL: base + "/public_members{/member}",
		AvatarURL: paths.Base(c) + paths.Asset("avatar.svg"), PublicRepos: public, Type: "Organization",
		CreatedAt: apiTime(o.Org.CreatedAt), UpdatedAt: apiTime(o.Org.CreatedAt),
	}
}

// Repository is GitHub's full-repository (a minimal-repository in lists).
type Repository struct {
	ID               int64      `json:"id"`
	NodeID           string     `json:"node_id"`
	Name             string     `json:"name"`
	FullName         string     `json:"full_name"`
	Owner            SimpleUser `json:"owner"`
	Private          bool       `json:"private"`
	Visibility       string     `json:"visibility"`
	HTMLURL          string     `json:"html_url"`
	Description      *string    `json:"description"`
	Fork             bool       `json:"fork"`
	URL              string     `json:"url"`
	ArchiveURL       string     `json:"archive_url"`
	AssigneesURL     string     `json:"assignees_url"`
	BlobsURL         string     `json:"blobs_url"`
	BranchesURL      string     `json:"branches_url"`
	CollaboratorsURL string     `json:"collaborators_url"`
	CommentsURL      string     `json:"comments_url"`
	CommitsURL       string     `json:"commits_url"`
	CompareURL       string     `json:"compare_url"`
	ContentsURL      string     `json:"contents_url"`
	ContributorsURL  string     `json:"contributors_url"`
	DeploymentsURL   string     `json:"deployments_url"`
	DownloadsURL     string     `json:"downloads_url"`
	EventsURL        string     `json:"events_url"`
	ForksURL         string     `json:"forks_url"`
	GitCommitsURL    string     `json:"git_commits_url"`
	GitRefsURL       string     `json:"git_refs_url"`
	GitTagsURL       string     `json:"git_tags_url"`
	HooksURL         string     `json:"hooks_url"`
	IssueCommentURL  string     `json:"issue_comment_url"`
	IssueEventsURL   string     `json:"issue_events_url"`
	IssuesURL        string     `json:"issues_url"`
	KeysURL          string     `json:"keys_url"`
	LabelsURL        string     `json:"labels_url"`
	LanguagesURL     string     `json:"languages_url"`
	MergesURL        string     `json:"merges_url"`
	MilestonesURL    string     `json:"milestones_url"`
	NotificationsURL string     `json:"notifications_url"`
	PullsURL         string     `json:"pulls_url"`
	ReleasesURL      string     `json:"releases_url"`
	StargazersURL    string     `json:"stargazers_url"`
	StatusesURL      string     `json:"statuses_url"`
	SubscribersURL   string     `json:"subscribers_url"`
	SubscriptionURL  string     `json:"subscription_url"`
	TagsURL          string     `json:"tags_url"`
	TeamsURL         string     `json:"teams_url"`
	TreesURL         string     `json:"trees_url"`

	// What a full-repository has besides: the git URLs, the dates, and
	// zeros and falses for what this console does not keep.
	CloneURL         string    `json:"clone_url"`
	GitURL           string    `json:"git_url"`
	SSHURL           string    `json:"ssh_url"`
	SVNURL           string    `json:"svn_url"`
	MirrorURL        *string   `json:"mirror_url"`
	Homepage         *string   `json:"homepage"`
	Language         *string   `json:"language"`
	License          *struct{} `json:"license"`
	DefaultBranch    string    `json:"default_branch"`
	Forks            int       `json:"forks"`
	ForksCount       int       `json:"forks_count"`
	StargazersCount  int       `json:"stargazers_count"`
	Watchers         int       `json:"watchers"`
	WatchersCount    int       `json:"watchers_count"`
	OpenIssues       int       `json:"open_issues"`
	OpenIssuesCount  int       `json:"open_issues_count"`
	Size             int       `json:"size"`
	NetworkCount     int       `json:"network_count"`
	SubscribersCount int       `json:"subscribers_count"`
	HasIssues        bool      `json:"has_issues"`
	HasProjects      bool      `json:"has_projects"`
	HasWiki          bool      `json:"has_wiki"`
	HasPages         bool      `json:"has_pages"`
	HasDiscussions   bool      `json:"has_discussions"`
	Archived         bool      `json:"archived"`
	Disabled         bool      `json:"disabled"`
	PushedAt         *string   `json:"pushed_at"`
	CreatedAt        *string   `json:"created_at"`
	UpdatedAt        *string   `json:"updated_at"`
}

// DefaultBranch is every repository's default branch.
const DefaultBranch = "main"

func repositoryJSON(c echo.Context, org db.Org, r db.Repo) Repository {
	u := apiBase(c) + "/repos/" + org.Login + "/" + r.Name
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	full := org.Login + "/" + r.Name
	html := paths.Base(c) + paths.Repo(org.Login, r.Name)
	return Repository{
		ID: r.ID, NodeID: nodeID("Repository", r.ID), Name: r.Name, FullName: full,
		Owner: simpleUser(c, org.ID, org.Login, "Organization"), Private: r.Private, Visibility: visibility,
		HTMLURL: html, URL: u,
		ArchiveURL: u + "/{archive_format}{/ref}", AssigneesURL: u + "/assignees{/user}",
		BlobsURL: u + "/git/blobs{/sha}", BranchesURL: u + "/branches{/branch}",
		CollaboratorsURL: u + "/collaborators{/collaborator}", CommentsURL: u + "/comments{/number}",
		CommitsURL: u + "/commits{/sha}", CompareURL: u + "/compare/{base}...{head}",
		ContentsURL: u + "/contents/{+path}", ContributorsURL: u + "/contributors",
		DeploymentsURL: u + "/deployments", DownloadsURL: u + "/downloads", EventsURL: u + "/events",
		ForksURL: u + "/forks", GitCommitsURL: u + "/git/commits{/sha}", GitRefsURL: u + "/git/refs{/sha}",
		GitTagsURL: u + "/git/tags{/sha}", HooksURL: u + "/hooks",
		IssueCommentURL: u + "/issues/comments{/number}", IssueEventsURL: u + "/issues/events{/number}",
		IssuesURL: u + "/issues{/number}", KeysURL: u + "/keys{/key_id}", LabelsURL: u + "/labels{/name}",
		LanguagesURL: u + "/languages", MergesURL: u + "/merges", MilestonesURL: u + "/milestones{/number}",
		NotificationsURL: u + "/notifications{?since,all,participating}", PullsURL: u + "/pulls{/number}",
		ReleasesURL: u + "/releases{/id}", StargazersURL: u + "/stargazers", StatusesURL: u + "/statuses/{sha}",
		SubscribersURL: u + "/subscribers", SubscriptionURL: u + "/subscription", TagsURL: u + "/tags",
		TeamsURL: u + "/teams", TreesURL: u + "/git/trees{/sha}",
		CloneURL: html + ".git", GitURL: "git://" + siteHost(c) + "/" + full + ".git",
		SSHURL: "git@" + hostname(c) + ":" + full + ".git", SVNURL: html,
		DefaultBranch: DefaultBranch, HasIssues: true,
		PushedAt: apiTime(r.CreatedAt), CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.CreatedAt),
	}
}

// hostname is the request's host without its port.
func hostname(c echo.Context) string {
	host := siteHost(c)
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// siteHost is the host (and port) of paths.Base: the configured public URL's,
// or without one the request's.
func siteHost(c echo.Context) string {
	base := paths.Base(c)
	if _, rest, ok := strings.Cut(base, "://"); ok {
		return rest
	}
	return base
}

// Permissions is a grant's permissions by kind, as GitHub groups them
// (the webhooks' payloads group them alike).
type Permissions = payload.Permissions

func permissionsJSON(perms map[string]policy.Level) Permissions {
	return payload.GroupPermissions(perms)
}

// repositorySelection names a selection as GitHub's API does.
func repositorySelection(s policy.Selection) string { return payload.RepositorySelection(s) }

// grantFields are common to a request and a granted token.
type grantFields struct {
	ID                  int64       `json:"id"`
	Owner               SimpleUser  `json:"owner"`
	RepositorySelection string      `json:"repository_selection"`
	RepositoriesURL     string      `json:"repositories_url"`
	Permissions         Permissions `json:"permissions"`
	TokenID             int64       `json:"token_id"`
	TokenName           string      `json:"token_name"`
	TokenExpired        bool        `json:"token_expired"`
	TokenExpiresAt      *string     `json:"token_expires_at"`
	TokenLastUsedAt     *string     `json:"token_last_used_at"`
}

// GrantRequestJSON is GitHub's organization-programmatic-access-grant-request.
type GrantRequestJSON struct {
	grantFields
	Reason    *string `json:"reason"`
	CreatedAt *string `json:"created_at"`
}

// GrantJSON is GitHub's organization-programmatic-access-grant.
type GrantJSON struct {
	grantFields
	AccessGrantedAt *string `json:"access_granted_at"`
}

func grantFieldsOf(c echo.Context, list string, org string, t db.Token, now time.Time) grantFields {
	return grantFields{
		ID: t.Grant.ID, Owner: simpleUser(c, t.UserID, t.OwnerLogin, "User"),
		RepositorySelection: repositorySelection(t.Selection),
		RepositoriesURL:     fmt.Sprintf("%s/orgs/%s/%s/%d/repositories", apiBase(c), org, list, t.Grant.ID),
		Permissions:         permissionsJSON(t.Permissions),
		TokenID:             t.ID, TokenName: t.Name, TokenExpired: policy.Expired(t.ExpiresAt, now),
		TokenExpiresAt: apiTime(t.ExpiresAt), TokenLastUsedAt: apiTime(t.LastUsedAt),
	}
}

func grantRequestJSON(c echo.Context, org string, t db.Token, now time.Time) GrantRequestJSON {
	g := GrantRequestJSON{grantFields: grantFieldsOf(c, "personal-access-token-requests", org, t, now), CreatedAt: apiTime(t.Grant.CreatedAt)}
	if t.Grant.Justification != "" {
		g.Reason = &t.Grant.Justification
	}
	return g
}

func grantJSON(c echo.Context, org string, t db.Token, now time.Time) GrantJSON {
	return GrantJSON{grantFields: grantFieldsOf(c, "personal-access-tokens", org, t, now), AccessGrantedAt: apiTime(t.Grant.DecidedAt)}
}
