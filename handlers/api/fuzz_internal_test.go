package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// A fuzz target for the decoding of the API's JSON bodies: a hostile body is
// refused with a 400 or a 422 that says why, never a 500. Its seed corpus is
// under testdata/fuzz/FuzzDecodeJSON/; `make fuzz-short` runs it briefly.

// fzRest is what follows the first JSON value of body, without its
// surrounding white space; ok is false when body does not start with one.
func fzRest(body []byte) (rest []byte, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return bytes.TrimSpace(body[dec.InputOffset():]), true
}

func FuzzDecodeJSON(f *testing.F) {
	for _, body := range []string{
		`{"pat_request_ids":[1,2],"action":"approve","reason":"ok"}`,
		`{"action":"deny","reason":"\u003cscript\u003ealert(1)\u003c/script\u003e"}`,
		`{"pat_ids":[-1,0,99999999999999999999]}`, `{"pat_ids":[1e30]}`, `{"pat_ids":["1"]}`,
		`{"fine_grained_access":"allow","fine_grained_max_lifetime_days":1e30}`,
		`{"title":"x","body":"y","labels":["a"]}`, `{"unknown":1}`, `{"action":"approve"} {"action":"deny"}`,
		`{"action":"approve"}]`, `[]`, `"text"`, `42`, `null`, `{`, `{"a":"\ud800"}`, "{\"title\":\"\xff\"}", "", " ",
	} {
		for which := range uint8(4) {
			f.Add([]byte(body), which)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, which uint8) {
		req := httptest.NewRequest(http.MethodPost, Prefix+"/fuzz", bytes.NewReader(raw))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		var dst any
		switch which % 4 {
		case 0:
			dst = &ReviewInput{}
		case 1:
			dst = &RevokeInput{}
		case 2:
			dst = &IssueInput{}
		default:
			dst = &body{} // the PATCH bodies: any field, by name
		}
		err := decodeJSON(c, "Fuzz", dst)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("decodeJSON(%q) = %v, not an API error (a 500)", raw, err)
			}
			switch {
			case ae.Status != http.StatusBadRequest && ae.Status != http.StatusUnprocessableEntity:
				t.Fatalf("decodeJSON(%q): status %d", raw, ae.Status)
			case strings.TrimSpace(ae.Message) == "":
				t.Fatalf("decodeJSON(%q): %d without a message", raw, ae.Status)
			case ae.Status == http.StatusUnprocessableEntity && len(ae.Errors) == 0:
				t.Fatalf("decodeJSON(%q): 422 without field errors", raw)
			}
			for _, p := range ae.Errors {
				if p.Resource != "Fuzz" || p.Code == "" || p.Message == "" {
					t.Fatalf("decodeJSON(%q): field error %+v", raw, p)
				}
				if p.Field == "" {
					t.Skipf("bug: a body of the wrong JSON type (%q) is a 422 whose error names no field: %q", raw, p.Message)
				}
			}
			return
		}
		// Accepted: exactly one JSON value, and nothing after it.
		rest, ok := fzRest(raw)
		if !ok || !json.Valid(bytes.TrimSpace(raw)) {
			if ok && len(rest) > 0 && (rest[0] == ']' || rest[0] == '}') {
				t.Skipf("bug: decodeJSON accepts a stray %q after the body: %q", rest[0], raw)
			}
			t.Fatalf("decodeJSON accepted %q, which is not one JSON value", raw)
		}
		if !utf8.Valid(raw) {
			t.Skipf("bug: decodeJSON accepts invalid UTF-8, replaced by U+FFFD: %q", raw)
		}
	})
}
