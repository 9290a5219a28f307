package main

import (
	"testing"
	"time"
)

func TestPgLocalPort(t *testing.T) {
	for _, c := range []struct{ loc, want string }{
		{"postgres://u@127.0.0.1:41234/d?sslmode=disable", "41234"},
		{"postgres://u@localhost/d", "5432"},
		{"postgresql://u:p@[::1]:6000/d", "6000"},
		{"postgres://u@db.example.internal:5432/d", ""},
		{"postgres://u@10.1.2.3:5432/d", ""},
	} {
		if got := pgLocalPort(c.loc); got != c.want {
			t.Errorf("pgLocalPort(%q) = %q, want %q", c.loc, got, c.want)
		}
	}
}

func TestPostgresServerCPU(t *testing.T) {
	const tick = 10 * time.Millisecond
	procs := []procInfo{
		{pid: 100, ppid: 1, args: []string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/tmp/a", "-c", "port=5433"}, own: 5 * tick, reaped: 7 * tick},
		{pid: 101, ppid: 100, args: []string{"postgres: checkpointer "}, own: 2 * tick},
		{pid: 102, ppid: 100, args: []string{"postgres: u loadgen 127.0.0.1(4000) idle"}, own: 30 * tick},
		// Another cluster, on another port, and its backend.
		{pid: 200, ppid: 1, args: []string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/tmp/b", "-c", "port=41234"}, own: 50 * tick, reaped: 50 * tick},
		{pid: 201, ppid: 200, args: []string{"postgres: u other 127.0.0.1(4001) idle"}, own: 90 * tick},
		// A client that names the port is no server.
		{pid: 300, ppid: 1, args: []string{"psql", "-p", "5433"}, own: 99 * tick},
	}
	if got := findPostmaster(procs, "5433"); got != 100 {
		t.Errorf("findPostmaster(5433) = %d, want 100", got)
	}
	if got := findPostmaster(procs, "41234"); got != 200 {
		t.Errorf("findPostmaster(41234) = %d, want 200", got)
	}
	if got := findPostmaster([]procInfo{{pid: 7, args: []string{"postgres", "-p", "6000"}}}, "6000"); got != 7 {
		t.Errorf("findPostmaster(-p 6000) = %d, want 7", got)
	}
	if got := findPostmaster(procs, "9999"); got != 0 {
		t.Errorf("findPostmaster(9999) = %d, want 0", got)
	}
	if got := pgServerCPU(procs, 100); got != (5+7+2+30)*tick {
		t.Errorf("pgServerCPU = %v", got)
	}
}

func TestParseStat(t *testing.T) {
	p, err := parseStat("4242 (postgres: u d 127.0.0.1(1) idle) S 77 4242 4242 0 -1 4194304 2000 0 0 0 1234 567 89 10 20 0 8 0 100 0 0")
	if err != nil || p.ppid != 77 || p.own != (1234+567)*10*time.Millisecond || p.reaped != (89+10)*10*time.Millisecond {
		t.Errorf("parseStat = %+v, %v", p, err)
	}
	if _, err := parseStat("1 (x) S 1 2 3"); err == nil {
		t.Error("short stat accepted")
	}
}
