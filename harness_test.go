package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"patpolicy/db"
)

// The harness of the tests that run the server as a process: build it,
// start it on a free address, read its log, kill it, and look at its
// database: a SQLite file, or, on a run for PostgreSQL, a database of its
// own on the test server (dbtest.Location gives either).

// buildServer builds the server's binary into dir.
func buildServer(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "patpolicy")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build the server with: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr is a local address no one listens on, for a server to take.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// lockedBuffer keeps a server's output, which the test reads while the
// server writes it: in failure messages (tail) or in checks (String).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the last n lines written.
func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(strings.TrimRight(l.b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// serverProcess is a server running as a process of its own.
type serverProcess struct {
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
	err  error // set before done closes
}

// startServer runs bin on addr and the database at location, a file path
// or a postgres:// URL (with the demo dataset when demo), and returns once
// it answers /healthz; the test's end kills it.
func startServer(t *testing.T, bin, addr, location string, demo bool) *serverProcess {
	t.Helper()
	args := []string{"--addr", addr, "--db", location}
	if demo {
		args = append(args, "--demo")
	}
	s := &serverProcess{cmd: exec.Command(bin, args...), log: &lockedBuffer{}, done: make(chan struct{})}
	// Nothing from this process's environment may change the server: no
	// scale dataset, the session key from the database.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATPOLICY_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-s.done:
			t.Fatalf("server exited before answering /healthz: %v\n%s", s.err, s.log.tail(40))
		default:
		}
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && string(body) == "ok" {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz within 20s (last error %v)\n%s", err, s.log.tail(40))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after SIGKILL")
	}
	var ee *exec.ExitError
	if !errors.As(s.err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("server did not die of SIGKILL: %v", s.err)
	}
}

// openReadOnly opens the database at location read-only, beside the
// servers that write it, to check what they stored. Its SQL is SQLite's,
// with ? placeholders, on either backend.
func openReadOnly(t *testing.T, location string) *sql.DB {
	t.Helper()
	if !db.IsPostgres(location) {
		conn, err := sql.Open("sqlite", "file:"+location+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
		if err != nil {
			t.Fatal(err)
		}
		conn.SetMaxOpenConns(1)
		return conn
	}
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("default_transaction_read_only", "on")
	u.RawQuery = q.Encode()
	conn, err := db.OpenRaw(u.String())
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	return conn
}

// openWriter opens the database at location for plain SQL that writes,
// as the sqlite3 shell, psql or a restore would, past the servers; it is
// closed when the test ends.
func openWriter(t *testing.T, location string) *sql.DB {
	t.Helper()
	conn, err := db.OpenRaw(location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// querier is what the checks read with: a connection pool or one
// transaction.
type querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
	QueryRow(query string, args ...any) *sql.Row
}

// inSnapshot runs check in one read transaction on conn, so that all it
// reads is the database at one moment, whatever a server still commits
// meanwhile (a request the client gave up on may yet finish).
func inSnapshot(t *testing.T, conn *sql.DB, check func(q querier)) {
	t.Helper()
	tx, err := conn.BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	check(tx)
}
