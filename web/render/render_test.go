package render

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

func text(s string, err error) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if _, werr := io.WriteString(w, s); werr != nil {
			return werr
		}
		return err
	})
}

func serve(comp templ.Component) (*httptest.ResponseRecorder, error) {
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	return rec, Page(c, http.StatusOK, comp)
}

// A component that fails halfway sends nothing: the error is the caller's
// to answer, with a whole page of its own.
func TestPageSendsNothingOfAFailedComponent(t *testing.T) {
	rec, err := serve(text("<p>half a page", errors.New("boom")))
	if err == nil {
		t.Fatal("the component's error was not returned")
	}
	if rec.Body.Len() != 0 || rec.Code != http.StatusOK && rec.Code != 0 {
		t.Errorf("sent %d %q", rec.Code, rec.Body.String())
	}
}

// Buffers are reused: a page never carries anything of the one before.
func TestPageSendsExactlyItsOwnBytes(t *testing.T) {
	if _, err := serve(text(strings.Repeat("x", 50_000), nil)); err != nil {
		t.Fatal(err)
	}
	serve(text("secret of another page", errors.New("failed")))
	for range 3 {
		rec, err := serve(text("<p>small</p>", nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != "<p>small</p>" {
			t.Fatalf("sent %d bytes beginning %.40q", len(got), got)
		}
	}
}
