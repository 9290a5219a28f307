package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"patpolicy/policy"
)

// These tests check the API's answers against GitHub's published OpenAPI
// description of api.github.com, from the npm package @octokit/openapi
// that `make deps` installs into e2e/node_modules.
//
// The package ships the description twice: api.github.com.json (13 MB,
// with $ref) and api.github.com.deref.json (73 MB, every $ref inlined,
// without components). The tests read the first, which is six times faster
// to parse and the only one with the component schemas (minimal-repository,
// simple-user), and resolve its $refs themselves.

// openAPIDir is where the package's generated descriptions are, from this
// package's directory (where go test runs).
var openAPIDir = filepath.Join("..", "e2e", "node_modules", "@octokit", "openapi", "generated")

const openAPIFile = "api.github.com.json"

// openAPIDoc is the part of an OpenAPI description the tests read.
type openAPIDoc struct {
	Paths map[string]map[string]json.RawMessage `json:"paths"`
	// Components by kind (schemas, responses, parameters, …) and name.
	Components map[string]map[string]json.RawMessage `json:"components"`

	mu       sync.Mutex
	resolved map[string]map[string]any
}

var (
	specOnce sync.Once
	specDoc  *openAPIDoc
	specErr  error
)

// loadSpec returns GitHub's description, read once. When it is not
// installed the test fails if PATPOLICY_REQUIRE_OPENAPI=1 (as `make test`
// sets), and is skipped otherwise.
func loadSpec(t *testing.T) *openAPIDoc {
	t.Helper()
	specOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(openAPIDir, openAPIFile))
		if err != nil {
			specErr = err
			return
		}
		var d openAPIDoc
		if err := json.Unmarshal(b, &d); err != nil {
			specErr = fmt.Errorf("parse %s: %w", openAPIFile, err)
			return
		}
		if len(d.Paths) == 0 || len(d.Components["schemas"]) == 0 {
			specErr = fmt.Errorf("%s has no paths or no component schemas", openAPIFile)
			return
		}
		specDoc = &d
	})
	if specErr != nil {
		if errors.Is(specErr, fs.ErrNotExist) {
			if os.Getenv("PATPOLICY_REQUIRE_OPENAPI") == "1" {
				t.Fatalf("GitHub's OpenAPI description is missing (%v); run `make deps` to install it", specErr)
			}
			t.Skipf("GitHub's OpenAPI description is not installed (%v); run `make deps` to install it", specErr)
		}
		t.Fatal(specErr)
	}
	return specDoc
}

// loadSpecFile returns another of the package's descriptions (such as
// ghes-3.19.json, GitHub Enterprise Server's), read once per test binary.
func loadSpecFile(t *testing.T, name string) *openAPIDoc {
	t.Helper()
	loadSpec(t) // skips or fails as loadSpec does when the package is missing
	otherSpecsMu.Lock()
	defer otherSpecsMu.Unlock()
	if d, ok := otherSpecs[name]; ok {
		return d
	}
	b, err := os.ReadFile(filepath.Join(openAPIDir, name))
	if err != nil {
		t.Fatal(err)
	}
	d := &openAPIDoc{}
	if err := json.Unmarshal(b, d); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	otherSpecs[name] = d
	return d
}

var (
	otherSpecsMu sync.Mutex
	otherSpecs   = map[string]*openAPIDoc{}
)

// resolve follows a local reference such as
// "#/components/schemas/simple-user".
func (d *openAPIDoc) resolve(ref string) (map[string]any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.resolved[ref]; ok {
		return s, nil
	}
	parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if !strings.HasPrefix(ref, "#/") || len(parts) != 3 || parts[0] != "components" {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	unescape := strings.NewReplacer("~1", "/", "~0", "~")
	raw, ok := d.Components[unescape.Replace(parts[1])][unescape.Replace(parts[2])]
	if !ok {
		return nil, fmt.Errorf("$ref %q names nothing", ref)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("$ref %q: %w", ref, err)
	}
	if d.resolved == nil {
		d.resolved = map[string]map[string]any{}
	}
	d.resolved[ref] = s
	return s, nil
}

// deref follows $ref until the object is not one.
func (d *openAPIDoc) deref(s map[string]any) (map[string]any, error) {
	for i := 0; i < 10; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, nil
		}
		var err error
		if s, err = d.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("$ref chain too long")
}

// operation is one operation's responses by status code.
func (d *openAPIDoc) operation(t *testing.T, method, path string) map[string]any {
	t.Helper()
	raw, ok := d.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("the description has no operation %s %s", method, path)
	}
	var op struct {
		Responses map[string]any `json:"responses"`
	}
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatal(err)
	}
	return op.Responses
}

// schema is the component schema name.
func (d *openAPIDoc) schema(t *testing.T, name string) map[string]any {
	t.Helper()
	s, err := d.resolve("#/components/schemas/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The validator: the JSON-schema subset GitHub's description uses.

// schemaValidator checks JSON values against OpenAPI 3.0 schemas: $ref,
// type (integer distinct from number), nullable, enum, required,
// properties, additionalProperties (schema or boolean), items,
// min/maxItems, min/maxLength, format date-time and uri, allOf, anyOf and
// oneOf.
type schemaValidator struct {
	resolve func(ref string) (map[string]any, error)
}

// validateJSON decodes body and checks it against s; it returns one line
// per problem, each naming where in the body it is.
func (v schemaValidator) validateJSON(s map[string]any, body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	if dec.More() {
		return []string{"body has trailing data"}
	}
	var errs []string
	v.check(s, x, "$", &errs)
	return errs
}

func (v schemaValidator) check(s map[string]any, x any, at string, errs *[]string) {
	add := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := s["$ref"].(string); ok {
		if v.resolve == nil {
			add("cannot resolve %s", ref)
			return
		}
		rs, err := v.resolve(ref)
		if err != nil {
			add("%v", err)
			return
		}
		v.check(rs, x, at, errs)
		return
	}
	types := schemaTypes(s)
	if x == nil {
		if s["nullable"] == true {
			return
		}
		if len(types) > 0 {
			add("null, want %s", strings.Join(types, " or "))
			return
		}
		// Without a type, the combinators below decide.
	}

	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			if m, ok := sub.(map[string]any); ok {
				v.check(m, x, at, errs)
			}
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		matched, first := v.matches(anyOf, x, at)
		if matched == 0 {
			add("matches none of anyOf (first: %s)", strings.Join(first, "; "))
		}
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		matched, first := v.matches(oneOf, x, at)
		switch {
		case matched == 0:
			add("matches none of oneOf (first: %s)", strings.Join(first, "; "))
		case matched > 1 && x != nil:
			// null satisfying several nullable branches is accepted, as
			// OpenAPI 3.0 validators do.
			add("matches %d branches of oneOf, want exactly one", matched)
		}
	}
	if x == nil {
		return
	}

	if len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return hasType(x, t) }) {
		add("%s, want %s", jsonKind(x), strings.Join(types, " or "))
		return
	}
	if enum, ok := s["enum"].([]any); ok {
		if !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, x) }) {
			add("%v is not one of %v", x, enum)
		}
	}
	switch x := x.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				name, _ := r.(string)
				if _, present := x[name]; !present {
					add("missing required field %q", name)
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				v.check(ps, x[k], at+"."+k, errs)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					add("unexpected field %q", k)
				}
			case map[string]any:
				v.check(ap, x[k], at+"."+k, errs)
			}
		}
	case []any:
		if n, ok := schemaInt(s, "minItems"); ok && len(x) < n {
			add("%d items, want at least %d", len(x), n)
		}
		if n, ok := schemaInt(s, "maxItems"); ok && len(x) > n {
			add("%d items, want at most %d", len(x), n)
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				v.check(items, e, at+"["+strconv.Itoa(i)+"]", errs)
			}
		}
	case string:
		if n, ok := schemaInt(s, "minLength"); ok && len([]rune(x)) < n {
			add("%q is shorter than %d", x, n)
		}
		if n, ok := schemaInt(s, "maxLength"); ok && len([]rune(x)) > n {
			add("string of %d characters, want at most %d", len([]rune(x)), n)
		}
		switch s["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				add("%q is not an RFC 3339 date-time", x)
			}
		case "uri":
			if u, err := url.Parse(x); err != nil || !u.IsAbs() {
				add("%q is not an absolute URI", x)
			}
		}
	}
}

// matches counts the branches x satisfies, and returns the first
// branch's problems.
func (v schemaValidator) matches(branches []any, x any, at string) (int, []string) {
	n := 0
	var first []string
	for i, b := range branches {
		m, ok := b.(map[string]any)
		if !ok {
			continue
		}
		var errs []string
		v.check(m, x, at, &errs)
		if len(errs) == 0 {
			n++
		} else if i == 0 {
			first = errs
		}
	}
	return n, first
}

func schemaTypes(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func schemaInt(s map[string]any, key string) (int, bool) {
	switch n := s[key].(type) {
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// hasType reports whether x, decoded with UseNumber, is of JSON-schema
// type t. An integer is a number written without fraction or exponent.
func hasType(x any, t string) bool {
	switch x := x.(type) {
	case map[string]any:
		return t == "object"
	case []any:
		return t == "array"
	case string:
		return t == "string"
	case bool:
		return t == "boolean"
	case json.Number:
		if t == "number" {
			return true
		}
		_, err := strconv.ParseInt(string(x), 10, 64)
		return t == "integer" && err == nil
	case nil:
		return t == "null"
	}
	return false
}

func jsonKind(x any) string {
	switch x := x.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string " + strconv.Quote(x)
	case bool:
		return "boolean"
	case json.Number:
		return "number " + string(x)
	}
	return fmt.Sprintf("%T", x)
}

// jsonEqual compares an enum member (decoded without UseNumber) with a
// value (decoded with it).
func jsonEqual(a, b any) bool {
	if n, ok := b.(json.Number); ok {
		f, err := n.Float64()
		af, isNum := a.(float64)
		return err == nil && isNum && f == af
	}
	return reflect.DeepEqual(a, b)
}

func TestOpenAPIValidator(t *testing.T) {
	v := schemaValidator{resolve: func(ref string) (map[string]any, error) {
		if ref == "#/components/schemas/owner" {
			return map[string]any{"type": "object", "required": []any{"login"},
				"properties": map[string]any{"login": map[string]any{"type": "string"}}}, nil
		}
		return nil, fmt.Errorf("no %s", ref)
	}}
	var s map[string]any
	if err := json.Unmarshal([]byte(`{
		"type": "object",
		"required": ["id", "name", "expires_at", "owner"],
		"properties": {
			"id": {"type": "integer"},
			"name": {"type": "string", "maxLength": 5},
			"ratio": {"type": "number"},
			"expires_at": {"type": "string", "format": "date-time", "nullable": true},
			"kind": {"type": "string", "enum": ["all", "subset"]},
			"owner": {"$ref": "#/components/schemas/owner"},
			"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
			"perms": {"type": "object", "additionalProperties": {"type": "string"}},
			"closed": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false},
			"either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
			"some": {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
			"both": {"allOf": [{"type": "object", "required": ["a"]}, {"type": "object", "required": ["b"]}]}
		}
	}`), &s); err != nil {
		t.Fatal(err)
	}
	good := `{"id": 1, "name": "abc", "ratio": 1.5, "expires_at": null, "kind": "all", "owner": {"login": "mona"},
		"tags": ["a"], "perms": {"x": "read"}, "closed": {"a": "b"}, "either": 3, "some": true, "both": {"a": 1, "b": 2}, "extra": 1}`
	if errs := v.validateJSON(s, []byte(good)); len(errs) != 0 {
		t.Fatalf("a valid body is refused: %v", errs)
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"missing required field", `{"id": 1, "name": "abc", "owner": {"login": "m"}}`, `$: missing required field "expires_at"`},
		{"missing required field behind $ref", `{"id": 1, "name": "abc", "expires_at": null, "owner": {}}`, `$.owner: missing required field "login"`},
		{"string for integer", `{"id": "1", "name": "abc", "expires_at": null, "owner": {"login": "m"}}`, `$.id: string "1", want integer`},
		{"number for integer", `{"id": 1.5, "name": "abc", "expires_at": null, "owner": {"login": "m"}}`, `$.id: number 1.5, want integer`},
		{"null for non-nullable", `{"id": 1, "name": null, "expires_at": null, "owner": {"login": "m"}}`, `$.name: null, want string`},
		{"bad date-time", `{"id": 1, "name": "abc", "expires_at": "2026-01-02 03:04:05", "owner": {"login": "m"}}`, `is not an RFC 3339 date-time`},
		{"not in enum", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "kind": "some"}`, `$.kind: some is not one of`},
		{"wrong item type", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "tags": [1]}`, `$.tags[0]: number 1, want string`},
		{"too many items", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "tags": ["a", "b", "c"]}`, `3 items, want at most 2`},
		{"too long", `{"id": 1, "name": "abcdef", "expires_at": null, "owner": {"login": "m"}}`, `want at most 5`},
		{"additionalProperties schema", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "perms": {"x": 1}}`, `$.perms.x: number 1, want string`},
		{"additionalProperties false", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "closed": {"z": "1"}}`, `$.closed: unexpected field "z"`},
		{"oneOf none", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "either": true}`, `$.either: matches none of oneOf`},
		{"anyOf none", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "some": 1}`, `$.some: matches none of anyOf`},
		{"allOf one fails", `{"id": 1, "name": "abc", "expires_at": null, "owner": {"login": "m"}, "both": {"a": 1}}`, `$.both: missing required field "b"`},
		{"array for object", `[]`, `$: array, want object`},
		{"not JSON", `{"id":`, `body is not JSON`},
	} {
		errs := v.validateJSON(s, []byte(tc.body))
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
			t.Errorf("%s: problems %q, want one containing %q", tc.name, errs, tc.want)
		}
	}
}

// The API's answers.

// specCheck validates one answer against the operation: the status is one
// the description lists, a body comes as JSON, and the body matches the
// schema for that status. It returns the problems.
func specCheck(d *openAPIDoc, t *testing.T, method, specPath string, res *apiResponse) []string {
	t.Helper()
	responses := d.operation(t, method, specPath)
	code := strconv.Itoa(res.Status)
	r, ok := responses[code].(map[string]any)
	if !ok {
		listed := make([]string, 0, len(responses))
		for k := range responses {
			listed = append(listed, k)
		}
		sort.Strings(listed)
		return []string{fmt.Sprintf("status %d is not one the description lists for %s %s (%s); body %s", res.Status, method, specPath, strings.Join(listed, ", "), res.Body)}
	}
	r, err := d.deref(r)
	if err != nil {
		return []string{err.Error()}
	}
	content, _ := r["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		if len(bytes.TrimSpace(res.Body)) != 0 {
			return []string{fmt.Sprintf("status %d has no body in the description, got %q", res.Status, res.Body)}
		}
		return nil
	}
	var problems []string
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		problems = append(problems, fmt.Sprintf("Content-Type %q, want application/json", ct))
	}
	schema, _ := media["schema"].(map[string]any)
	for _, e := range (schemaValidator{resolve: d.resolve}).validateJSON(schema, res.Body) {
		problems = append(problems, fmt.Sprintf("%d body: %s", res.Status, e))
	}
	return problems
}

// wantSpec fails the test unless the answer has status and matches the
// description.
func wantSpec(d *openAPIDoc, t *testing.T, method, specPath string, res *apiResponse, status int) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s %s: status %d, want %d: %s", method, specPath, res.Status, status, res.Body)
		return
	}
	for _, p := range specCheck(d, t, method, specPath, res) {
		t.Errorf("%s %s: %s", method, specPath, p)
	}
}

// wantSchema fails the test unless the answer is a 200 whose body matches
// the component schema name.
func wantSchema(d *openAPIDoc, t *testing.T, res *apiResponse, name string) {
	t.Helper()
	res.want(http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, e := range (schemaValidator{resolve: d.resolve}).validateJSON(d.schema(t, name), res.Body) {
		t.Errorf("%s: %s", name, e)
	}
}

const (
	opRequests      = "/orgs/{org}/personal-access-token-requests"
	opRequest       = "/orgs/{org}/personal-access-token-requests/{pat_request_id}"
	opRequestRepos  = "/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories"
	opTokens        = "/orgs/{org}/personal-access-tokens"
	opToken         = "/orgs/{org}/personal-access-tokens/{pat_id}"
	opTokenRepos    = "/orgs/{org}/personal-access-tokens/{pat_id}/repositories"
	adminTokenName  = "openapi-admin"
	memberTokenName = "openapi-member"
)

func TestOpenAPIAdministration(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	admin := a.newFineGrained("octo-owner", adminTokenName, fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	member := a.newFineGrained("hubot", memberTokenName, fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	// Requests: one for a selection, one for everything, two for bulk review.
	a.newFineGrained("mona", "openapi-subset", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending,
		Selection: policy.SelectSelected, Repos: []string{"octo-api"},
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "contents": policy.LevelRead, "members": policy.LevelRead}})
	a.newFineGrained("hubot", "openapi-all", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	a.newFineGrained("mona", "openapi-bulk-1", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	a.newFineGrained("mona", "openapi-bulk-2", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	subset, all := a.grantID("mona", "openapi-subset"), a.grantID("hubot", "openapi-all")
	bulk1, _ := strconv.ParseInt(a.grantID("mona", "openapi-bulk-1"), 10, 64)
	bulk2, _ := strconv.ParseInt(a.grantID("mona", "openapi-bulk-2"), 10, 64)

	t.Run("list requests", func(t *testing.T) {
		res := a.api("GET", "/orgs/octo-org/personal-access-token-requests", admin, nil)
		wantSpec(d, t, "GET", opRequests, res, 200)
		var list []map[string]any
		res.decode(&list)
		if len(list) != 6 { // the demo's two and these four
			t.Errorf("%d requests, want 6", len(list))
		}
		wantSpec(d, t, "GET", opRequests, a.api("GET", "/orgs/octo-org/personal-access-token-requests?per_page=1&page=2&direction=asc&sort=created_at&owner[]=mona", admin, nil), 200)
		wantSpec(d, t, "GET", opRequests, a.api("GET", "/orgs/octo-org/personal-access-token-requests?direction=sideways", admin, nil), 422)
		wantSpec(d, t, "GET", opRequests, a.api("GET", "/orgs/octo-org/personal-access-token-requests?last_used_after=yesterday", admin, nil), 422)
		wantSpec(d, t, "GET", opRequests, a.api("GET", "/orgs/no-such-org/personal-access-token-requests", admin, nil), 404)
		wantSpec(d, t, "GET", opRequests, a.api("GET", "/orgs/octo-org/personal-access-token-requests", member, nil), 403)
	})

	t.Run("the check can fail", func(t *testing.T) {
		// A real answer, spoiled: the description's schema (through its
		// $refs) must notice.
		res := a.api("GET", "/orgs/octo-org/personal-access-token-requests", admin, nil).want(200)
		var list []map[string]any
		res.decode(&list)
		delete(list[0], "token_expired")
		list[0]["id"] = "1"
		list[0]["owner"].(map[string]any)["site_admin"] = nil
		list[0]["repository_selection"] = "some"
		spoiled := *res
		spoiled.Body, _ = json.Marshal(list)
		ps := strings.Join(specCheck(d, t, "GET", opRequests, &spoiled), "\n")
		for _, want := range []string{`$[0]: missing required field "token_expired"`, `$[0].id: string "1", want integer`,
			`$[0].owner.site_admin: null, want boolean`, `$[0].repository_selection: some is not one of`} {
			if !strings.Contains(ps, want) {
				t.Errorf("problems %s\nwant one containing %q", ps, want)
			}
		}
		spoiled.Status = 409
		if ps := specCheck(d, t, "GET", opRequests, &spoiled); len(ps) == 0 {
			t.Error("a status the description does not list passes")
		}
		spoiled.Status, spoiled.Header = 200, http.Header{"Content-Type": {"text/html"}}
		if ps := specCheck(d, t, "GET", opRequests, &spoiled); len(ps) == 0 || !strings.Contains(ps[0], "Content-Type") {
			t.Errorf("a body that is not JSON by its Content-Type passes: %v", ps)
		}
	})

	t.Run("request repositories", func(t *testing.T) {
		res := a.api("GET", "/orgs/octo-org/personal-access-token-requests/"+subset+"/repositories", admin, nil)
		wantSpec(d, t, "GET", opRequestRepos, res, 200)
		var repos []map[string]any
		res.decode(&repos)
		if len(repos) != 1 || repos[0]["name"] != "octo-api" {
			t.Errorf("repositories of a one-repository request: %s", res.Body)
		}
		wantSpec(d, t, "GET", opRequestRepos, a.api("GET", "/orgs/octo-org/personal-access-token-requests/"+all+"/repositories?per_page=2", admin, nil), 200)
		wantSpec(d, t, "GET", opRequestRepos, a.api("GET", "/orgs/octo-org/personal-access-token-requests/999999/repositories", admin, nil), 404)
		wantSpec(d, t, "GET", opRequestRepos, a.api("GET", "/orgs/octo-org/personal-access-token-requests/"+subset+"/repositories", member, nil), 403)
	})

	t.Run("review a request", func(t *testing.T) {
		path := "/orgs/octo-org/personal-access-token-requests/"
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+subset, admin, map[string]any{"action": "maybe"}), 422)
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+subset, admin, map[string]any{"reason": "no action"}), 422)
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+subset, admin, map[string]any{"action": "deny", "reason": strings.Repeat("x", 1025)}), 422)
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+"999999", admin, map[string]any{"action": "approve"}), 404)
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+subset, member, map[string]any{"action": "approve"}), 403)
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+subset, admin, map[string]any{"action": "approve"}), 204)
		wantSpec(d, t, "POST", opRequest, a.api("POST", path+all, admin, map[string]any{"action": "deny", "reason": "Too broad."}), 204)
		if g := a.token("mona", "openapi-subset").Grant; g.Status != policy.GrantApproved {
			t.Errorf("approved request is %s", g.Status)
		}
	})

	t.Run("review requests", func(t *testing.T) {
		path := "/orgs/octo-org/personal-access-token-requests"
		wantSpec(d, t, "POST", opRequests, a.api("POST", path, admin, map[string]any{"action": "approve"}), 422)
		wantSpec(d, t, "POST", opRequests, a.api("POST", path, admin, map[string]any{"action": "approve", "pat_request_ids": []int64{}}), 422)
		wantSpec(d, t, "POST", opRequests, a.api("POST", path, admin, map[string]any{"action": "approve", "pat_request_ids": []string{"x"}}), 422)
		wantSpec(d, t, "POST", opRequests, a.api("POST", "/orgs/no-such-org/personal-access-token-requests", admin, map[string]any{"action": "approve", "pat_request_ids": []int64{bulk1}}), 404)
		wantSpec(d, t, "POST", opRequests, a.api("POST", path, member, map[string]any{"action": "approve", "pat_request_ids": []int64{bulk1}}), 403)
		wantSpec(d, t, "POST", opRequests, a.api("POST", path, admin, map[string]any{"action": "approve", "pat_request_ids": []int64{bulk1, bulk2}, "reason": "Fine."}), 202)
		for _, name := range []string{"openapi-bulk-1", "openapi-bulk-2"} {
			if g := a.token("mona", name).Grant; g.Status != policy.GrantApproved {
				t.Errorf("%s after bulk approval: %s", name, g.Status)
			}
		}
	})

	subsetToken := a.grantID("mona", "openapi-subset")
	t.Run("list tokens", func(t *testing.T) {
		res := a.api("GET", "/orgs/octo-org/personal-access-tokens", admin, nil)
		wantSpec(d, t, "GET", opTokens, res, 200)
		var list []map[string]any
		res.decode(&list)
		if len(list) < 4 {
			t.Errorf("%d tokens, want at least the four approved here", len(list))
		}
		wantSpec(d, t, "GET", opTokens, a.api("GET", "/orgs/octo-org/personal-access-tokens?owner[]=mona&repository=octo-api&permission=contents_read&per_page=1", admin, nil), 200)
		wantSpec(d, t, "GET", opTokens, a.api("GET", "/orgs/octo-org/personal-access-tokens?last_used_before=2020-01-01T00:00:00Z&token_id[]=1", admin, nil), 200)
		wantSpec(d, t, "GET", opTokens, a.api("GET", "/orgs/octo-org/personal-access-tokens?last_used_before=yesterday", admin, nil), 422)
		wantSpec(d, t, "GET", opTokens, a.api("GET", "/orgs/octo-org/personal-access-tokens?repository=no-such-repo", admin, nil), 422)
		wantSpec(d, t, "GET", opTokens, a.api("GET", "/orgs/no-such-org/personal-access-tokens", admin, nil), 404)
		wantSpec(d, t, "GET", opTokens, a.api("GET", "/orgs/octo-org/personal-access-tokens", member, nil), 403)
	})

	t.Run("token repositories", func(t *testing.T) {
		wantSpec(d, t, "GET", opTokenRepos, a.api("GET", "/orgs/octo-org/personal-access-tokens/"+subsetToken+"/repositories", admin, nil), 200)
		wantSpec(d, t, "GET", opTokenRepos, a.api("GET", "/orgs/octo-org/personal-access-tokens/"+a.grantID("octo-owner", adminTokenName)+"/repositories", admin, nil), 200)
		wantSpec(d, t, "GET", opTokenRepos, a.api("GET", "/orgs/octo-org/personal-access-tokens/999999/repositories", admin, nil), 404)
		wantSpec(d, t, "GET", opTokenRepos, a.api("GET", "/orgs/octo-org/personal-access-tokens/"+subsetToken+"/repositories", member, nil), 403)
	})

	t.Run("revoke a token", func(t *testing.T) {
		path := "/orgs/octo-org/personal-access-tokens/"
		wantSpec(d, t, "POST", opToken, a.api("POST", path+subsetToken, admin, map[string]any{"action": "delete"}), 422)
		wantSpec(d, t, "POST", opToken, a.api("POST", path+subsetToken, admin, map[string]any{}), 422)
		wantSpec(d, t, "POST", opToken, a.api("POST", path+"999999", admin, map[string]any{"action": "revoke"}), 404)
		wantSpec(d, t, "POST", opToken, a.api("POST", path+subsetToken, member, map[string]any{"action": "revoke"}), 403)
		wantSpec(d, t, "POST", opToken, a.api("POST", path+subsetToken, admin, map[string]any{"action": "revoke"}), 204)
		if g := a.token("mona", "openapi-subset").Grant; g.Status != policy.GrantRevoked {
			t.Errorf("revoked token is %s", g.Status)
		}
	})

	t.Run("revoke tokens", func(t *testing.T) {
		path := "/orgs/octo-org/personal-access-tokens"
		wantSpec(d, t, "POST", opTokens, a.api("POST", path, admin, map[string]any{"action": "revoke"}), 422)
		wantSpec(d, t, "POST", opTokens, a.api("POST", path, admin, map[string]any{"action": "revoke", "pat_ids": make([]int64, 101)}), 422)
		wantSpec(d, t, "POST", opTokens, a.api("POST", "/orgs/no-such-org/personal-access-tokens", admin, map[string]any{"action": "revoke", "pat_ids": []int64{bulk1}}), 404)
		wantSpec(d, t, "POST", opTokens, a.api("POST", path, member, map[string]any{"action": "revoke", "pat_ids": []int64{bulk1}}), 403)
		wantSpec(d, t, "POST", opTokens, a.api("POST", path, admin, map[string]any{"action": "revoke", "pat_ids": []int64{bulk1, bulk2}}), 202)
		for _, name := range []string{"openapi-bulk-1", "openapi-bulk-2"} {
			if g := a.token("mona", name).Grant; g.Status != policy.GrantRevoked {
				t.Errorf("%s after bulk revocation: %s", name, g.Status)
			}
		}
	})

	// Decisions on grants that have moved on: the answer's status must be
	// one GitHub lists for the operation.
	t.Run("review a decided request", func(t *testing.T) {
		res := a.api("POST", "/orgs/octo-org/personal-access-token-requests/"+all, admin, map[string]any{"action": "approve"})
		if ps := specCheck(d, t, "POST", opRequest, res); len(ps) > 0 {
			t.Fatal("reviewing a request that is no longer pending: " + strings.Join(ps, "; "))
		}
	})
	t.Run("review decided requests in bulk", func(t *testing.T) {
		res := a.api("POST", "/orgs/octo-org/personal-access-token-requests", admin, map[string]any{"action": "deny", "pat_request_ids": []int64{bulk1}})
		if ps := specCheck(d, t, "POST", opRequests, res); len(ps) > 0 {
			t.Fatal("bulk review of requests none of which is pending: " + strings.Join(ps, "; "))
		}
	})
	t.Run("revoke a revoked token", func(t *testing.T) {
		res := a.api("POST", "/orgs/octo-org/personal-access-tokens/"+subsetToken, admin, map[string]any{"action": "revoke"})
		if ps := specCheck(d, t, "POST", opToken, res); len(ps) > 0 {
			t.Fatal("revoking a token that is no longer active: " + strings.Join(ps, "; "))
		}
	})
	t.Run("revoke revoked tokens in bulk", func(t *testing.T) {
		res := a.api("POST", "/orgs/octo-org/personal-access-tokens", admin, map[string]any{"action": "revoke", "pat_ids": []int64{bulk1, bulk2}})
		if ps := specCheck(d, t, "POST", opTokens, res); len(ps) > 0 {
			t.Fatal("bulk revocation of tokens none of which is active: " + strings.Join(ps, "; "))
		}
	})
}

func TestOpenAPIResources(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "openapi-resources", fgSpec{Org: "octo-org", Days: 30})

	t.Run("repository is a minimal-repository", func(t *testing.T) {
		wantSchema(d, t, a.api("GET", "/repos/octo-org/octo-web", "", nil), "minimal-repository")
		wantSchema(d, t, a.api("GET", "/repos/octo-org/octo-api", owner, nil), "minimal-repository")
	})
	t.Run("user is a simple-user", func(t *testing.T) {
		wantSchema(d, t, a.api("GET", "/user", owner, nil), "simple-user")
	})

	// The other resource endpoints against their operations.
	reader := a.newFineGrained("octo-owner", "openapi-reader", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "members": policy.LevelRead, "issues": policy.LevelWrite}})
	mine := a.newFineGrained("mona", "openapi-keys", fgSpec{Days: 30, Permissions: map[string]policy.Level{policy.GitSSHKeys: policy.LevelWrite}})
	t.Run("lists and keys", func(t *testing.T) {
		wantSpec(d, t, "GET", "/orgs/{org}/repos", a.api("GET", "/orgs/octo-org/repos?per_page=2", reader, nil), 200)
		wantSpec(d, t, "GET", "/orgs/{org}/members", a.api("GET", "/orgs/octo-org/members", reader, nil), 200)
		wantSpec(d, t, "GET", "/repos/{owner}/{repo}", a.api("GET", "/repos/octo-org/no-such-repo", reader, nil), 404)
		wantSpec(d, t, "POST", "/user/keys", a.api("POST", "/user/keys", mine, map[string]any{"title": "laptop", "key": sshKeyLine(t)}), 201)
		wantSpec(d, t, "POST", "/user/keys", a.api("POST", "/user/keys", mine, map[string]any{"title": "laptop", "key": "ssh-rsa bm90IGEga2V5"}), 422)
		wantSpec(d, t, "GET", "/user/keys", a.api("GET", "/user/keys", mine, nil), 200)
		wantSpec(d, t, "GET", "/users/{username}/keys", a.api("GET", "/users/mona/keys", "", nil), 200)
		wantSpec(d, t, "POST", "/repos/{owner}/{repo}/issues", a.api("POST", "/repos/octo-org/octo-api/issues", reader, map[string]any{"body": "no title"}), 422)
	})
	// Beyond what the tests above require: shapes that fall short of
	// GitHub's schema. go-github decodes them; generated clients that
	// check required fields would not.
	t.Run("new issue is an issue", func(t *testing.T) {
		res := a.api("POST", "/repos/octo-org/octo-api/issues", reader, map[string]any{"title": "Schema", "body": "check"})
		res.want(http.StatusCreated)
		if ps := specCheck(d, t, "POST", "/repos/{owner}/{repo}/issues", res); len(ps) > 0 {
			t.Fatal("POST /repos/{owner}/{repo}/issues answers a 201 that is not GitHub's issue: " + strings.Join(ps, "; "))
		}
	})
	t.Run("organization is an organization-simple", func(t *testing.T) {
		res := a.api("GET", "/orgs/octo-org", reader, nil)
		res.want(http.StatusOK)
		if ps := (schemaValidator{resolve: d.resolve}).validateJSON(d.schema(t, "organization-simple"), res.Body); len(ps) > 0 {
			t.Fatal("GET /orgs/{org} answers less than GitHub's organization-simple (and its operation's organization-full): " + strings.Join(ps, "; "))
		}
	})
}

// The resources answer every field GitHub's schema for their operation
// requires, as generated clients that check them need.
func TestOpenAPIResourcesAnswerEveryRequiredField(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "openapi-required", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "members": policy.LevelRead}})
	classic := a.newClassic("mona", "openapi-classic", 30, "repo", "read:org")
	for _, tc := range []struct{ op, path, token string }{
		{"/user", "/user", owner},
		{"/user", "/user", classic},
		{"/repos/{owner}/{repo}", "/repos/octo-org/octo-web", ""},
		{"/repos/{owner}/{repo}", "/repos/octo-org/octo-api", owner},
		{"/orgs/{org}", "/orgs/octo-org", ""},
		{"/orgs/{org}", "/orgs/octo-org", owner},
		{"/orgs/{org}/repos", "/orgs/octo-org/repos", owner},
		{"/orgs/{org}/repos", "/orgs/octo-org/repos?type=public&sort=full_name", ""},
		{"/orgs/{org}/members", "/orgs/octo-org/members", owner},
	} {
		t.Run(tc.path, func(t *testing.T) {
			wantSpec(d, t, "GET", tc.op, a.api("GET", tc.path, tc.token, nil), http.StatusOK)
		})
	}
	var u struct {
		CreatedAt string `json:"created_at"`
		Email     string `json:"email"`
	}
	a.api("GET", "/user", owner, nil).decode(&u)
	if u.CreatedAt == "" || u.Email != "octo-owner@example.com" {
		t.Errorf("GET /user: created_at %q email %q, want the account's", u.CreatedAt, u.Email)
	}
	var r struct {
		DefaultBranch string `json:"default_branch"`
		CloneURL      string `json:"clone_url"`
		CreatedAt     string `json:"created_at"`
	}
	a.api("GET", "/repos/octo-org/octo-web", "", nil).decode(&r)
	if r.DefaultBranch != "main" || r.CloneURL != a.srv.URL+"/octo-org/octo-web.git" || r.CreatedAt == "" {
		t.Errorf("GET /repos/octo-org/octo-web: %+v", r)
	}
}

// exampleOf builds a value of every property of a request schema (the first
// branch of a oneOf, one item of an array), so that a body names every
// field the schema has.
func (d *openAPIDoc) exampleOf(t *testing.T, s map[string]any) any {
	t.Helper()
	s, err := d.deref(s)
	if err != nil {
		t.Fatal(err)
	}
	if branches, ok := s["oneOf"].([]any); ok && len(branches) > 0 {
		return d.exampleOf(t, branches[0].(map[string]any))
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	switch types := schemaTypes(s); {
	case slices.Contains(types, "object"):
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			out[name] = d.exampleOf(t, p.(map[string]any))
		}
		return out
	case slices.Contains(types, "array"):
		items, _ := s["items"].(map[string]any)
		return []any{d.exampleOf(t, items)}
	case slices.Contains(types, "integer"), slices.Contains(types, "number"):
		return 1
	case slices.Contains(types, "boolean"):
		return false
	}
	return "example"
}

// requestSchema is the JSON schema of an operation's request body.
func (d *openAPIDoc) requestSchema(t *testing.T, method, path string) map[string]any {
	t.Helper()
	var op struct {
		RequestBody struct {
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	}
	if err := json.Unmarshal(d.Paths[path][strings.ToLower(method)], &op); err != nil {
		t.Fatal(err)
	}
	s := op.RequestBody.Content["application/json"].Schema
	if s == nil {
		t.Fatalf("%s %s has no JSON request body in the description", method, path)
	}
	return s
}

// Every endpoint that takes a body takes every field GitHub's request
// schema names: none is refused as unknown (values may still be refused).
func TestOpenAPIRequestBodiesTakeEveryField(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "openapi-bodies", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite, "organization_administration": policy.LevelWrite}})
	mine := a.newFineGrained("octo-owner", "openapi-bodies-keys", fgSpec{Days: 30})
	for _, tc := range []struct{ op, path, token string }{
		{"/repos/{owner}/{repo}/issues", "/repos/octo-org/octo-api/issues", owner},
		{"/user/keys", "/user/keys", mine},
		{opRequests, "/orgs/octo-org/personal-access-token-requests", owner},
		{opRequest, "/orgs/octo-org/personal-access-token-requests/1", owner},
		{opTokens, "/orgs/octo-org/personal-access-tokens", owner},
		{opToken, "/orgs/octo-org/personal-access-tokens/1", owner},
	} {
		t.Run(tc.op, func(t *testing.T) {
			body := d.exampleOf(t, d.requestSchema(t, "POST", tc.op)).(map[string]any)
			res := a.api("POST", tc.path, tc.token, body)
			if res.Status >= 500 || strings.Contains(string(res.Body), "is not a field of this request") {
				t.Errorf("POST %s with every field of its schema (%v): %d %s", tc.path, slices.Sorted(maps.Keys(body)), res.Status, res.Body)
			}
		})
	}
}
