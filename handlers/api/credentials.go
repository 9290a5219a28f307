package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/web/render"
)

// CredentialsBodyLimit caps the body of a call to revoke by value: a
// thousand fine-grained secrets, quoted, with room for spacing (the site's
// forms are held to less).
const CredentialsBodyLimit = 128 << 10

// RevokePath is where tokens are revoked by their value.
const RevokePath = Prefix + "/credentials/revoke"

// CredentialRevoker is the use case behind revoking by value.
type CredentialRevoker interface {
	Count(ctx context.Context, address string) (db.CallWindow, bool, error)
	Revoke(ctx context.Context, values []string) ([]db.RevokedCredential, error)
}

// Credentials serves revoking tokens by their value.
type Credentials struct {
	Revoker CredentialRevoker
	Now     func() time.Time
}

// revokeRequest is the body of POST /credentials/revoke.
type revokeRequest struct {
	Credentials *[]string `json:"credentials"`
}

// Revoke is POST /api/v3/credentials/revoke, as GitHub's: anyone may name
// up to a thousand secrets, and every token among them is deleted. The
// answer is 202 with {} whatever was found, so that it tells nothing of
// which values were tokens. Calls are limited per client address (the
// address the server believes, behind its trusted proxies), counted in the
// database so that the limit holds across instances.
func (h Credentials) Revoke(c echo.Context) error {
	ctx := c.Request().Context()
	address := c.RealIP()
	w, ok, err := h.Revoker.Count(ctx, address)
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("X-RateLimit-Limit", strconv.Itoa(w.Limit))
	hd.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, w.Limit-w.Used)))
	hd.Set("X-RateLimit-Reset", strconv.FormatInt(w.Reset.Unix(), 10))
	hd.Set("X-RateLimit-Used", strconv.Itoa(w.Used))
	hd.Set("X-RateLimit-Resource", "credentials_revoke")
	if !ok {
		wait := max(int(w.Reset.Sub(h.Now()).Round(time.Second)/time.Second), 1)
		hd.Set("Retry-After", strconv.Itoa(wait))
		return apiErr(http.StatusTooManyRequests, "API rate limit exceeded for %s.", address)
	}
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, CredentialsBodyLimit)
	var body revokeRequest
	if err := decodeJSON(c, "Credentials", &body); err != nil {
		return simply(err)
	}
	switch {
	case body.Credentials == nil:
		return simply(invalid("Credentials", FieldProblem{Field: "credentials", Code: "missing_field", Message: "credentials is required"}))
	case len(*body.Credentials) == 0 || len(*body.Credentials) > policy.MaxCredentials:
		return simply(invalid("Credentials", FieldProblem{Field: "credentials", Code: "invalid",
			Message: fmt.Sprintf("credentials must list from 1 to %d values", policy.MaxCredentials)}))
	}
	if _, err := h.Revoker.Revoke(ctx, *body.Credentials); err != nil {
		return err
	}
	return render.JSON(c, http.StatusAccepted, struct{}{})
}

// simply words a 422's details as plain sentences, as GitHub answers this
// endpoint's; any other error is left as it is.
func simply(err error) error {
	var ae *Error
	if !errors.As(err, &ae) || len(ae.Errors) == 0 {
		return err
	}
	out := *ae
	for _, p := range ae.Errors {
		msg := p.Message
		if msg == "" {
			msg = p.Field + " is " + p.Code
		}
		out.Simple = append(out.Simple, msg)
	}
	out.Errors = nil
	return &out
}
