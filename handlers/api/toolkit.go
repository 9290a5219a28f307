package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

// The REST API under /api/v3 answers like GitHub's: JSON bodies, GitHub's
// error shape and status codes, page-numbered lists with a Link header.

// APIPrefix is where the REST API is served.
const Prefix = "/api/v3"

// DocsURL is the documentation_url of every error.
const DocsURL = "https://docs.github.com/rest"

// TokenChecker is what every API handler needs to decide a call.
type TokenChecker interface {
	TokenByHash(ctx context.Context, hash []byte) (db.APIToken, error)
	OrgAccessOf(ctx context.Context, login string) (db.OrgAccess, error)
	MembershipOf(ctx context.Context, orgID, userID int64) (policy.Membership, error)
	TouchToken(tokenID int64, at time.Time)
	TouchTokenIn(tokenID, orgID int64, at time.Time)
}

// APIError is an error answered in GitHub's JSON shape.
type Error struct {
	Status  int
	Message string
	// Errors details a 422, one entry per field.
	Errors []FieldProblem
	// Simple details a 422 of an endpoint whose errors GitHub gives as
	// plain sentences ("validation failed, simple"), in place of Errors.
	Simple []string
	// Rule is the id of the policy rule that refused the call, sent as
	// policy.DecisionHeader; "" for anything but a refusal by policy.
	Rule policy.Reason
}

// FieldProblem is one entry of a 422's errors, as GitHub words them.
type FieldProblem struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// SetHeaders sets the headers that go with the error: the rule of a
// refusal by policy.
func (e *Error) SetHeaders(h http.Header) {
	if e.Rule != "" {
		h.Set(policy.DecisionHeader, string(e.Rule))
	}
}

// refused is the answer to a call a decision did not allow: its status,
// its message and, for a refusal by policy, its rule (policy decides which
// answers name one).
func refused(d policy.Decision) *Error {
	return &Error{Status: d.Status, Message: d.Message, Rule: d.Rule()}
}

// Body is the JSON an error is answered with.
func (e *Error) Body() any {
	var details any
	switch {
	case len(e.Simple) > 0:
		details = e.Simple
	case len(e.Errors) > 0:
		details = e.Errors
	}
	return struct {
		Message string `json:"message"`
		Errors  any    `json:"errors,omitempty"`
		DocsURL string `json:"documentation_url"`
		Status  string `json:"status"`
	}{e.Message, details, DocsURL, strconv.Itoa(e.Status)}
}

func apiErr(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// invalid is GitHub's 422 for a body or a parameter that does not pass.
func invalid(resource string, problems ...FieldProblem) *Error {
	for i := range problems {
		problems[i].Resource = resource
	}
	return &Error{Status: http.StatusUnprocessableEntity, Message: "Validation Failed", Errors: problems}
}

func notFound() *Error { return apiErr(http.StatusNotFound, policy.MsgNotFound) }

// APIErrorFrom turns any error a handler returned into the API's answer:
// 4xx errors keep their message, everything else is a 500 with none.
func ErrorFrom(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed {
		// As on GitHub, a method an endpoint does not take is no endpoint.
		return notFound()
	}
	// 503 says "try again later" (see Retry-After), which a client can act on.
	if errors.As(err, &he) && (he.Code < 500 || he.Code == http.StatusServiceUnavailable) {
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && he.Code != http.StatusNotFound {
			msg = s
		}
		return apiErr(he.Code, "%s", msg)
	}
	return apiErr(http.StatusInternalServerError, "Server Error")
}

// Caller is who makes an API call: the token's facts, or nil when the call
// carries no token.
type Caller struct {
	Token db.APIToken
}

const keyCaller = "api.caller"

// callerOf returns the call's caller, nil for an anonymous call.
func callerOf(c echo.Context) *Caller {
	caller, _ := c.Get(keyCaller).(*Caller)
	return caller
}

// APICallerID is the user whose token makes the API call, 0 for an
// anonymous call.
func CallerID(c echo.Context) int64 {
	if caller := callerOf(c); caller != nil {
		return caller.Token.UserID
	}
	return 0
}

// APIAuth authenticates API calls.
type Auth struct {
	Store TokenChecker
	Now   func() time.Time
}

// Authenticate reads the Authorization header ("Bearer <token>",
// "token <token>", or Basic with the token as the password). A call without one goes on anonymously. A header naming
// no live token is 401 whatever the call, and says no more than "Bad
// credentials": malformed, unknown, deleted and expired look the same.
func (a Auth) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return next(c)
		}
		scheme, secret, _ := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		switch {
		case strings.EqualFold(scheme, "basic"):
			// git and older clients send the token as Basic auth's
			// password, under any username.
			raw, err := base64.StdEncoding.DecodeString(secret)
			if err != nil {
				return errBadCredentials()
			}
			_, secret, _ = strings.Cut(string(raw), ":")
		case !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token"):
			return errBadCredentials()
		}
		if _, err := policy.ParseToken(secret); err != nil {
			return errBadCredentials()
		}
		t, err := a.Store.TokenByHash(c.Request().Context(), policy.HashToken(secret))
		if errors.Is(err, db.ErrNotFound) {
			return errBadCredentials()
		}
		if err != nil {
			return err
		}
		// The first rule, before anything about the resource is known: an
		// expired token is 401 even for a resource that does not exist.
		if d := policy.Decide(policy.AccessRequest{Token: &t.Credential, Now: a.Now()}); !d.Allowed {
			return refused(d)
		}
		c.Set(keyCaller, &Caller{Token: t})
		if t.Credential.Kind == policy.KindClassic {
			c.Response().Header().Set("X-OAuth-Scopes", strings.Join(t.Credential.Scopes, ", "))
		}
		return next(c)
	}
}

func errBadCredentials() *Error {
	return apiErr(http.StatusUnauthorized, policy.MsgBadCredentials)
}

// apiAccess decides calls with policy.Decide.
type apiAccess struct {
	Store TokenChecker
	Now   func() time.Time
}

// decide answers whether the call may reach what its route needs, in org
// (nil for the caller's own account) and on repo (nil for none), and
// returns the error to answer when it may not.
func (a apiAccess) decide(c echo.Context, org *db.OrgAccess, repo *db.Repo) error {
	need, err := needOf(c)
	if err != nil {
		return err
	}
	setAcceptedScopes(c, need.resourceFor(repo))
	d, err := a.decision(c, org, repo)
	if err != nil || d.Allowed {
		return err
	}
	return refused(d)
}

// decision applies policy.Decide to the call, for lists that show only
// what the caller may see.
func (a apiAccess) decision(c echo.Context, org *db.OrgAccess, repo *db.Repo) (policy.Decision, error) {
	need, err := needOf(c)
	if err != nil {
		return policy.Decision{}, err
	}
	res := need.resourceFor(repo)
	caller := callerOf(c)
	if caller == nil {
		switch {
		case res.Public && !res.Write:
			return policy.Decision{Allowed: true, Status: http.StatusOK, Reason: policy.ReasonPublicRead}, nil
		case res.Repo != nil && res.Repo.Private:
			// As GitHub does, a private repository does not exist for
			// anonymous callers.
			return policy.Decision{Status: http.StatusNotFound, Message: policy.MsgNotFound}, nil
		}
		return policy.Decision{Status: http.StatusUnauthorized, Message: "Requires authentication"}, nil
	}
	req := policy.AccessRequest{Token: &caller.Token.Credential, Resource: res, Now: a.Now(),
		// Built only for the refusal that names it.
		TokenURL: func() string { return paths.Base(c) + paths.Token(caller.Token.Credential.Kind, caller.Token.ID) }}
	if org != nil {
		req.Resource.Org = org.Org.Login
		req.Policy = org.Effective
		m, err := a.Store.MembershipOf(c.Request().Context(), org.Org.ID, caller.Token.UserID)
		if err != nil {
			return policy.Decision{}, err
		}
		req.Membership = m
	}
	d := policy.Decide(req)
	if d.Status != http.StatusUnauthorized {
		// The token authenticated, whatever the policy then said.
		a.Store.TouchToken(caller.Token.ID, req.Now)
		if org != nil && caller.Token.Credential.Kind == policy.KindClassic {
			// A classic token reaches every organization of its owner: the
			// token inventory shows its last use in each.
			a.Store.TouchTokenIn(caller.Token.ID, org.Org.ID, req.Now)
		}
	}
	return d, nil
}

// decodeJSON reads a JSON body into dst, refusing unknown fields (in any
// letter case but the exact one): 400 for what is not one JSON value in
// valid UTF-8, 422 naming the field for the rest.
func decodeJSON(c echo.Context, resource string, dst any) error {
	raw, err := io.ReadAll(c.Request().Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return apiErr(http.StatusRequestEntityTooLarge, "The request body is larger than this server accepts.")
	}
	if err != nil {
		return apiErr(http.StatusBadRequest, "The request body could not be read.")
	}
	if !utf8.Valid(raw) || !validEscapes(raw) {
		return apiErr(http.StatusBadRequest, "Problems parsing JSON: the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	err = dec.Decode(dst)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return apiErr(http.StatusBadRequest, "Problems parsing JSON")
	}
	// The first problem in the body's order is answered: a field of the
	// wrong type, or one dst does not have; then anything after the body;
	// then a name in another letter case.
	stray := strayFields(raw, reflect.TypeOf(dst))
	switch {
	case typeErr != nil && (!stray.found || typeErr.Offset < stray.at):
		if typeErr.Field == "" {
			return invalid(resource, FieldProblem{Field: "body", Code: "invalid", Message: "the body must be a JSON object"})
		}
		return invalid(resource, FieldProblem{Field: typeErr.Field, Code: "invalid", Message: typeErr.Field + " has the wrong type"})
	case stray.found:
		return notAField(resource, stray.unknown)
	}
	if _, extra := dec.Token(); extra != io.EOF {
		return apiErr(http.StatusBadRequest, "Problems parsing JSON")
	}
	if stray.otherCase != "" {
		// encoding/json would take "ACTION" for "action".
		return notAField(resource, stray.otherCase)
	}
	return nil
}

func notAField(resource, name string) *Error {
	return invalid(resource, FieldProblem{Field: name, Code: "invalid", Message: name + " is not a field of this request"})
}

// stray is what strayFields found.
type stray struct {
	// unknown is the first name, at any depth, that matches no field of its
	// object's type in any letter case (found says there is one: the name
	// may be ""); at is where it ends in the body.
	unknown string
	found   bool
	at      int64
	// otherCase is the first name of the body's own object that matches a
	// field only in another letter case.
	otherCase string
}

// strayFields walks the JSON text raw against the type it is decoded
// into, in the body's order, for the names that type has no field for.
func strayFields(raw []byte, t reflect.Type) stray {
	var found stray
	dec := json.NewDecoder(bytes.NewReader(raw))
	walkJSON(dec, t, true, &found)
	return found
}

// walkJSON reads one JSON value from dec, checking the names of an object
// decoded into a struct type t (nil: any value, not checked).
func walkJSON(dec *json.Decoder, t reflect.Type, top bool, found *stray) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		t = nil
	}
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return false
			}
			name, _ := key.(string)
			var field reflect.Type
			if t != nil && t.Kind() == reflect.Struct {
				exact, folded := fieldNamed(t, name)
				switch {
				case exact != nil:
					field = exact.Type
				case folded != nil:
					field = folded.Type
					if top && found.otherCase == "" {
						found.otherCase = name
					}
				case !found.found:
					found.unknown, found.found, found.at = name, true, dec.InputOffset()
				}
			}
			if !walkJSON(dec, field, false, found) {
				return false
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if !walkJSON(dec, elem, false, found) {
				return false
			}
		}
		_, err = dec.Token()
	}
	return err == nil
}

// fieldNamed is t's field whose JSON name is name: exactly, or else in
// another letter case, as encoding/json matches them.
func fieldNamed(t reflect.Type, name string) (exact, folded *reflect.StructField) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		switch {
		case tag == name:
			return &f, nil
		case folded == nil && strings.EqualFold(tag, name):
			folded = &f
		}
	}
	return nil, folded
}

// validEscapes reports whether every \u escape of a JSON text is a whole
// character: encoding/json turns a lone surrogate into U+FFFD, which would
// store text other than what was sent.
func validEscapes(raw []byte) bool {
	hex := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex(i)
		switch {
		case !ok:
			return false
		case r >= 0xD800 && r < 0xDC00:
			low, ok := hex(i + 6)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return false
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return false
		default:
			i += 5
		}
	}
	return true
}

// administered loads the :org organization and checks the caller may
// administer it.
func (a apiAccess) administered(c echo.Context) (db.OrgAccess, error) {
	org, err := a.org(c, c.Param("org"))
	if err != nil {
		return org, err
	}
	return org, a.decide(c, &org, nil)
}

// org loads the organization named by the :org (or given) path parameter.
func (a apiAccess) org(c echo.Context, login string) (db.OrgAccess, error) {
	o, err := a.Store.OrgAccessOf(c.Request().Context(), login)
	if errors.Is(err, db.ErrNotFound) {
		return o, notFound()
	}
	return o, err
}

// Paging is a list call's page and page size.
type Paging struct {
	Page, PerPage int
}

// Offset is the number of items before the page.
func (p Paging) Offset() int { return (p.Page - 1) * p.PerPage }

// pagingOf reads page (default 1) and per_page (default 30, at most 100
// as on GitHub, where a larger value means 100, and 0 means the default).
func pagingOf(c echo.Context) (Paging, error) {
	p := Paging{Page: 1, PerPage: 30}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &p.Page}, {"per_page", &p.PerPage}} {
		s := c.QueryParam(f.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1_000_000 {
			return p, invalid("Query", FieldProblem{Field: f.name, Code: "invalid", Message: f.name + " must be a whole number from 1"})
		}
		if n > 0 {
			*f.dst = n
		}
	}
	p.PerPage = min(p.PerPage, 100)
	return p, nil
}

// setLink writes GitHub's Link header for a page of a list of total items:
// prev, next, last and first, in that order, each the request's own URL
// with its page changed.
func setLink(c echo.Context, p Paging, total int) {
	last := max(1, (total+p.PerPage-1)/p.PerPage)
	r := c.Request()
	root, u := paths.Base(c), url.URL{Path: r.URL.Path}
	q := r.URL.Query()
	link := func(page int, rel string) string {
		q.Set("page", strconv.Itoa(page))
		u.RawQuery = q.Encode()
		return "<" + root + u.String() + `>; rel="` + rel + `"`
	}
	var parts []string
	if p.Page > 1 {
		parts = append(parts, link(min(p.Page-1, last), "prev"))
	}
	if p.Page < last {
		parts = append(parts, link(p.Page+1, "next"), link(last, "last"))
	}
	if p.Page > 1 {
		parts = append(parts, link(1, "first"))
	}
	if len(parts) > 0 {
		c.Response().Header().Set("Link", strings.Join(parts, ", "))
	}
}

// pageOf cuts one page out of a whole list and sets the Link header.
func pageOf[T any](c echo.Context, p Paging, all []T) []T {
	setLink(c, p, len(all))
	from := min(p.Offset(), len(all))
	return all[from:min(from+p.PerPage, len(all))]
}

// apiBase is the API's absolute root for the URLs in responses.
func apiBase(c echo.Context) string {
	return paths.Base(c) + Prefix
}

// apiTime formats a time as GitHub does; nil for the zero time.
func apiTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
