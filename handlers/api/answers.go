package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/web/paths"
	"patpolicy/web/render"
)

// Answers keeps encoded JSON answers that depend only on what their key
// names, so that a repository asked for again and again is encoded once:
// GitHub's repository object is some fifty URLs, and building and encoding
// them was a third of an API call's work. The key must name every input of
// the answer. A full cache starts again empty; nil caches nothing. Only
// allowed answers are kept (JSON answers 200): a handler decides the call
// first, on every call, so a refusal, its message and its rule are never
// kept nor served from here.
type Answers struct {
	mu    sync.Mutex
	limit int
	m     map[string][]byte
}

// NewAnswers makes a cache of at most limit answers.
func NewAnswers(limit int) *Answers {
	return &Answers{limit: limit, m: make(map[string][]byte)}
}

// JSON answers 200 with the answer kept under key, or with build()'s
// encoding, kept for next time.
func (a *Answers) JSON(c echo.Context, key string, build func() any) error {
	if a != nil {
		a.mu.Lock()
		b, ok := a.m[key]
		a.mu.Unlock()
		if ok {
			return c.Blob(http.StatusOK, render.JSONType, b)
		}
	}
	b, err := json.Marshal(build())
	if err != nil {
		return err
	}
	if a != nil {
		a.mu.Lock()
		if len(a.m) >= a.limit {
			clear(a.m)
		}
		a.m[key] = b
		a.mu.Unlock()
	}
	return c.Blob(http.StatusOK, render.JSONType, b)
}

// repositoryKey names every input of a repository's answer: where the site
// is (its URLs), the organization, the repository and its issue count.
func repositoryKey(c echo.Context, org db.Org, r db.Repo, openIssues int) string {
	b := make([]byte, 0, 128)
	b = append(b, "repo\x00"...)
	b = append(b, paths.Base(c)...)
	b = append(b, 0)
	b = strconv.AppendInt(b, org.ID, 10)
	b = append(b, 0)
	b = append(b, org.Login...)
	b = append(b, 0)
	b = strconv.AppendInt(b, r.ID, 10)
	b = append(b, 0)
	b = append(b, r.Name...)
	b = append(b, 0)
	b = strconv.AppendBool(b, r.Private)
	b = append(b, 0)
	b = strconv.AppendInt(b, r.CreatedAt.Unix(), 10)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(openIssues), 10)
	return string(b)
}
