package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
)

// isPostgres reports whether a --db location is a PostgreSQL URL rather
// than a SQLite file, by the same rule as the server's own --db.
func isPostgres(location string) bool {
	l := strings.ToLower(location)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// redacted is a --db location fit to print: a URL's password is hidden
// (also one given as a password= query parameter).
func redacted(location string) string {
	if !isPostgres(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// checkOptions validates the flags and settles --keep-db, the older name
// of --db: given alone it is --db; given with --db it must say the same.
func checkOptions(o *options) error {
	if o.clients < 1 || o.duration <= 0 || o.scale < 1 || o.apiTokens < 1 {
		return errors.New("--clients, --duration, --scale and --api-tokens must be positive")
	}
	if o.instances < 1 {
		return errors.New("--instances must be 1 or more")
	}
	if o.keepDB != "" {
		if o.db != "" && o.db != o.keepDB {
			return errors.New("--keep-db is the older name of --db: give one of them")
		}
		o.db = o.keepDB
	}
	if isPostgres(o.db) {
		if _, err := url.Parse(o.db); err != nil {
			return fmt.Errorf("--db: not a URL: %s", redacted(o.db))
		}
	}
	if o.profile != "" && o.bin != "" {
		return errors.New("--profile builds its own server; leave out --bin")
	}
	return nil
}

// instances is "1 instance", "2 instances", ...
func instances(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("%d instances", n)
}

// instanceLogName is where instance i (from 0) of n writes its log when
// --server-log names path: the path itself for one instance, and with
// the instance's number before the extension for several
// (server.log -> server-1.log, server-2.log).
func instanceLogName(path string, i, n int) string {
	if n == 1 {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), i+1, ext)
}

// roundRobin sends each request to the next server in turn, whichever
// client sends it: the clients address one site (their cookie jars hold
// its cookies), and the requests are spread over every instance as a
// load balancer without sticky sessions would spread them. Sessions live
// in the database, so any instance serves any signed-in client.
type roundRobin struct {
	hosts []string // host:port of each instance
	next  atomic.Uint64
	rt    http.RoundTripper
}

func newRoundRobin(rt http.RoundTripper, hosts []string) *roundRobin {
	return &roundRobin{hosts: hosts, rt: rt}
}

// pick returns the host of the next request.
func (r *roundRobin) pick() string {
	n := r.next.Add(1) - 1
	return r.hosts[n%uint64(len(r.hosts))]
}

func (r *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(r.hosts) == 1 {
		return r.rt.RoundTrip(req)
	}
	host := r.pick()
	out := req.Clone(req.Context())
	out.URL.Host = host
	out.Host = host
	return r.rt.RoundTrip(out)
}

// conflictRe finds, in a server's log, a PostgreSQL serialization failure
// (SQLSTATE 40001) or deadlock (40P01), by code or by PostgreSQL's own
// words: either means concurrent writes were not kept apart by the
// store's locking and one of them reached the client as an error.
var conflictRe = regexp.MustCompile(`(?i)sqlstate[ =:"]*(40001|40P01)\b|could not serialize access|deadlock detected`)

// busyLine is SQLite's counterpart: the writer lock not had in time.
func busyLine(line string) bool {
	return strings.Contains(line, "SQLITE_BUSY") || strings.Contains(line, "database is locked")
}
