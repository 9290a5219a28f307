package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"patpolicy/db"
	"patpolicy/policy"
)

// fgSpec describes a fine-grained token made by newFineGrained.
type fgSpec struct {
	Org         string // "" for a token the user owns
	Status      policy.GrantStatus
	Selection   policy.Selection // default all
	Repos       []string         // repository names, for SelectSelected
	Permissions map[string]policy.Level
	Days        int // 0: never expires
}

// newFineGrained stores a fine-grained token of login, as the form would
// have made it, and returns its secret.
func (a *app) newFineGrained(login, name string, spec fgSpec) string {
	a.t.Helper()
	ctx := context.Background()
	secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	req := policy.TokenRequest{Name: name, ExpiresInDays: spec.Days, Selection: spec.Selection,
		Permissions: spec.Permissions, Status: spec.Status}
	if req.Selection == "" {
		req.Selection = policy.SelectAll
	}
	if req.Permissions == nil {
		req.Permissions = map[string]policy.Level{policy.Metadata: policy.LevelRead}
	}
	nt := db.NewToken{UserID: a.userID(login), Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindFineGrained, FineGrained: req}
	if spec.Org != "" {
		nt.OrgID = a.orgID(spec.Org)
		p, err := a.store.OrgPolicy(ctx, nt.OrgID)
		if err != nil {
			a.t.Fatal(err)
		}
		nt.OrgVersion = p.Version
		for _, r := range spec.Repos {
			repos, _ := a.store.ReposOf(ctx, nt.OrgID)
			for _, x := range repos {
				if x.Name == r {
					nt.FineGrained.RepoIDs = append(nt.FineGrained.RepoIDs, x.ID)
				}
			}
		}
		if nt.FineGrained.Status == "" {
			nt.FineGrained.Status = policy.GrantApproved
		}
	}
	if _, err := a.tokenFlows().Add(ctx, nt); err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// newClassic stores a classic token of login with scopes and returns its
// secret.
func (a *app) newClassic(login, note string, days int, scopes ...string) string {
	a.t.Helper()
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.CreateToken(context.Background(), db.NewToken{
		UserID: a.userID(login), Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindClassic, Classic: policy.ClassicRequest{Note: note, ExpiresInDays: days, Scopes: scopes},
	}); err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// apiResponse is an API answer with its body read.
type apiResponse struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   []byte
}

// api calls the REST API with token ("" for none) and body (nil for none;
// a string is sent as is, anything else as JSON).
func (a *app) api(method, path, token string, body any) *apiResponse {
	a.t.Helper()
	return a.apiWith(method, path, token, body, nil)
}

// apiWith is api with extra headers, set last (so they may replace the
// Authorization a.api would send).
func (a *app) apiWith(method, path, token string, body any, header http.Header) *apiResponse {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, a.srv.URL+"/api/v3"+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// Go sends req.Host as the Host header, whatever the header map says.
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	return a.send(req)
}

// send makes a request and reads the answer.
func (a *app) send(req *http.Request) *apiResponse {
	a.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return &apiResponse{t: a.t, Status: res.StatusCode, Header: res.Header, Body: b}
}

// want fails the test unless the answer has status.
func (r *apiResponse) want(status int) *apiResponse {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// decode reads the JSON body into v.
func (r *apiResponse) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// message is an error answer's message.
func (r *apiResponse) message() string {
	r.t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	r.decode(&e)
	return e.Message
}
