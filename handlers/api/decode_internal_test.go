package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A body's first problem, in the body's order, is the one answered: a field
// of the wrong type or a field the request does not have, at any depth,
// and a name in another letter case only when nothing else is wrong.
func TestDecodeJSONAnswersTheFirstProblem(t *testing.T) {
	for _, c := range []struct {
		body, field, message string
	}{
		{`{"title":"t","colour":1}`, "colour", "colour is not a field of this request"},
		{`{"colour":1,"body":2}`, "colour", "colour is not a field of this request"},
		{`{"body":2,"colour":1}`, "body", "body has the wrong type"},
		{`{"issue_field_values":[{"field_id":1,"shade":2}]}`, "shade", "shade is not a field of this request"},
		{`{"TITLE":"t"}`, "TITLE", "TITLE is not a field of this request"},
		{`{"TITLE":"t","body":3}`, "body", "body has the wrong type"},
		{`{"TITLE":"t","colour":3}`, "colour", "colour is not a field of this request"},
		{`[1]`, "body", "the body must be a JSON object"},
		{`{"":"0"}`, "", " is not a field of this request"},
		{`{"":1,"colour":1}`, "", " is not a field of this request"},
		{`{"colour":1} {}`, "colour", "colour is not a field of this request"},
		{`{"body":1} x`, "body", "body has the wrong type"},
	} {
		req := httptest.NewRequest(http.MethodPost, Prefix+"/x", strings.NewReader(c.body))
		ctx := echo.New().NewContext(req, httptest.NewRecorder())
		var in IssueInput
		err := decodeJSON(ctx, "Issue", &in)
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || len(ae.Errors) != 1 {
			t.Errorf("%s: %v, want one 422 problem", c.body, err)
			continue
		}
		if p := ae.Errors[0]; p.Field != c.field || p.Message != c.message {
			t.Errorf("%s: %q %q, want %q %q", c.body, p.Field, p.Message, c.field, c.message)
		}
	}
	req := httptest.NewRequest(http.MethodPost, Prefix+"/x", strings.NewReader(`{"title":"t","body":"b"}`))
	var in IssueInput
	if err := decodeJSON(echo.New().NewContext(req, httptest.NewRecorder()), "Issue", &in); err != nil || in.Body == nil || *in.Body != "b" {
		t.Fatalf("a good body: %v %+v", err, in)
	}
}
