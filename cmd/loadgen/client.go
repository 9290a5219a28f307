package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// browser is one signed-in user's cookies over the shared transport. It
// never follows redirects: a 303 is the answer being measured.
type browser struct {
	base   string
	login  string
	client *http.Client
	csrf   string
}

func newTransport(clients int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        clients * 2,
		MaxIdleConnsPerHost: clients * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

func newBrowser(base string, rt http.RoundTripper, timeout time.Duration) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, client: &http.Client{
		Transport: rt, Jar: jar, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// answer is a response read to its end.
type answer struct {
	status   int
	location string
	body     []byte
}

func (a answer) page() string { return string(a.body) }

// do sends a request and reads the whole answer (as a browser must before
// the page is shown); the error is a transport error only.
func (b *browser) do(ctx context.Context, method, path string, form url.Values, header http.Header) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return answer{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return readAnswer(b.client.Do(req))
}

// readAnswer reads a response to its end: latency counts the last byte.
func readAnswer(resp *http.Response, err error) (answer, error) {
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return answer{}, err
	}
	return answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: buf.Bytes()}, nil
}

func (b *browser) get(ctx context.Context, path string) (answer, error) {
	return b.do(ctx, http.MethodGet, path, nil, nil)
}

// post submits a form with the session's CSRF token.
func (b *browser) post(ctx context.Context, path string, form url.Values) (answer, error) {
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	return b.do(ctx, http.MethodPost, path, form, nil)
}

// signIn signs in through the form: GET /login for the session cookie and
// the CSRF token, POST /login, expecting the 303 home.
func (b *browser) signIn(ctx context.Context, login, password string) error {
	a, err := b.get(ctx, "/login")
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("GET /login: %d", a.status)
	}
	if b.csrf, err = csrfToken(a.page()); err != nil {
		return fmt.Errorf("GET /login: %w", err)
	}
	a, err = b.post(ctx, "/login", url.Values{"login": {login}, "password": {password}, "return_to": {"/settings/organizations"}})
	if err != nil {
		return err
	}
	if a.status != http.StatusSeeOther {
		return fmt.Errorf("POST /login as %s: %d, want 303", login, a.status)
	}
	b.login = login
	// Signing in changes the CSRF token: the next page gives the new one
	// and confirms that the session works.
	a, err = b.get(ctx, "/settings/organizations")
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("GET /settings/organizations as %s: %d", login, a.status)
	}
	b.csrf, err = csrfToken(a.page())
	return err
}

// newFineGrained creates a fine-grained token through the form and
// returns its secret (read from the "New token" textbox of the page the
// form redirects to) and whether it waits for approval.
func (b *browser) newFineGrained(ctx context.Context, form url.Values) (secret string, pending bool, err error) {
	a, err := b.get(ctx, "/settings/personal-access-tokens/new")
	if err != nil {
		return "", false, err
	}
	if a.status != http.StatusOK {
		return "", false, fmt.Errorf("GET new token form: %d", a.status)
	}
	if b.csrf, err = csrfToken(a.page()); err != nil {
		return "", false, err
	}
	a, err = b.post(ctx, "/settings/personal-access-tokens", form)
	if err != nil {
		return "", false, err
	}
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/settings/personal-access-tokens/") {
		return "", false, fmt.Errorf("POST new token as %s: %d (location %q): %s", b.login, a.status, a.location, pageProblem(a.page()))
	}
	a, err = b.get(ctx, a.location)
	if err != nil {
		return "", false, err
	}
	secret, ok := inputValue(a.page(), "id", "new-token")
	if a.status != http.StatusOK || !ok || secret == "" {
		return "", false, fmt.Errorf("token page after creating: %d, no New token textbox", a.status)
	}
	return secret, strings.Contains(a.page(), "pending approval"), nil
}

// pageProblem pulls the error messages out of a page, for setup errors.
func pageProblem(page string) string {
	var msgs []string
	for _, marker := range []string{`class="field-error"`, `role="alert"`} {
		rest := page
		for {
			i := strings.Index(rest, marker)
			if i < 0 {
				break
			}
			rest = rest[i:]
			j := strings.IndexByte(rest, '>')
			k := strings.Index(rest, "</")
			if j < 0 || k < j {
				break
			}
			msgs = append(msgs, strings.TrimSpace(rest[j+1:k]))
			rest = rest[k:]
		}
	}
	if len(msgs) == 0 {
		return "(no message on the page)"
	}
	return strings.Join(msgs, "; ")
}

// apiGet calls the API with a token, reading the whole answer.
func apiGet(ctx context.Context, c *http.Client, base, path, token string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v3"+path, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	return readAnswer(c.Do(req))
}
