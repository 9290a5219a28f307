package main

import (
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// procInfo is what loadgen reads of one process to find a PostgreSQL
// server and add up its CPU.
type procInfo struct {
	pid, ppid int
	args      []string      // the command line
	own       time.Duration // user+system CPU
	reaped    time.Duration // user+system CPU of its children that ended
}

// pgLocalPort is the port of a PostgreSQL URL whose server is on this
// machine (a loopback host), or "" when it is elsewhere.
func pgLocalPort(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return ""
		}
	}
	if p := u.Port(); p != "" {
		return p
	}
	return "5432"
}

// findPostmaster picks, among procs, the PostgreSQL server started with
// port on its command line (as scripts/with-postgres starts it:
// "postgres -D dir -c port=N"); 0 when there is none.
func findPostmaster(procs []procInfo, port string) int {
	for _, p := range procs {
		if len(p.args) == 0 || filepath.Base(p.args[0]) != "postgres" {
			continue
		}
		for i, a := range p.args {
			if a == "port="+port || a == "--port="+port || a == "-p"+port || (a == "-p" && i+1 < len(p.args) && p.args[i+1] == port) {
				return p.pid
			}
		}
	}
	return 0
}

// pgServerCPU is the CPU time of the postmaster and every process it
// started: those alive now, and those that ended (a connection closed),
// which the kernel adds to the postmaster's reaped children.
func pgServerCPU(procs []procInfo, postmaster int) time.Duration {
	var d time.Duration
	for _, p := range procs {
		switch {
		case p.pid == postmaster:
			d += p.own + p.reaped
		case p.ppid == postmaster:
			d += p.own
		}
	}
	return d
}

// listProcs reads every process's command line and CPU from /proc; a
// process that ends meanwhile is left out.
func listProcs() []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		p, err := parseStat(string(stat))
		if err != nil {
			continue
		}
		p.pid = pid
		if cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil {
			p.args = strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		}
		out = append(out, p)
	}
	return out
}

// pgCPU measures a local PostgreSQL server's CPU over the run.
type pgCPU struct {
	port       string
	postmaster int
	before     time.Duration
}

// startPgCPU finds the server of location and reads its CPU; nil when
// the location is no PostgreSQL URL.
func startPgCPU(location string) *pgCPU {
	if !isPostgres(location) {
		return nil
	}
	port := pgLocalPort(location)
	if port == "" {
		return &pgCPU{}
	}
	procs := listProcs()
	pm := findPostmaster(procs, port)
	if pm == 0 {
		return &pgCPU{port: port}
	}
	return &pgCPU{port: port, postmaster: pm, before: pgServerCPU(procs, pm)}
}

// used is the CPU the server used since startPgCPU.
func (c *pgCPU) used() (time.Duration, error) {
	switch {
	case c.port == "":
		return 0, errors.New("the server is not on this machine")
	case c.postmaster == 0:
		return 0, errors.New("no PostgreSQL server with port=" + c.port + " on its command line")
	}
	procs := listProcs()
	if !slices.ContainsFunc(procs, func(p procInfo) bool { return p.pid == c.postmaster }) {
		return 0, errors.New("the PostgreSQL server ended")
	}
	return pgServerCPU(procs, c.postmaster) - c.before, nil
}
