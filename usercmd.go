package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"patpolicy/db"
)

// userIO is what the user command reads and writes, and where it finds its
// environment: the process's own in main, buffers in tests.
type userIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// cost is the bcrypt cost of new hashes; 0 is bcrypt.DefaultCost, which
	// sign-in's dummy hash has too.
	cost int
}

// Exit codes of the user command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const userUsage = `Usage:
  patpolicy user add <login> --email <address> [--name <name>] [--db <file or postgres:// URL>]
  patpolicy user passwd <login> [--db <file or postgres:// URL>]

The password is read from standard input: one line, at least 8 characters.
On a terminal it is asked for without echo, twice. --db defaults to
PATPOLICY_DB, else data/patpolicy.db. Changing a password signs the user out
everywhere.
`

// Password length limits: bcrypt reads no further than 72 bytes.
const (
	minPasswordChars = 8
	maxPasswordBytes = 72
)

// userCommand runs "patpolicy user …", args being what follows "user",
// and returns the process's exit code: 0 done, 2 a usage error, 1 any other
// failure, each with a message on stderr.
func userCommand(ctx context.Context, args []string, env userIO) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, userUsage)
		return exitUsage
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], env)
	case "passwd":
		return userPasswd(ctx, args[1:], env)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.stdout, userUsage)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "patpolicy user: unknown command %q\n\n%s", args[0], userUsage)
	return exitUsage
}

func userAdd(ctx context.Context, args []string, env userIO) int {
	fs, dbPath := userFlags("add", env)
	email := fs.String("email", "", "the user's email address (required)")
	name := fs.String("name", "", "the user's display name")
	pos, code := parseUserArgs(fs, args, env)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageFailure(env, "user add takes one login, got %d", len(pos))
	}
	login, address, displayName := pos[0], strings.TrimSpace(*email), strings.TrimSpace(*name)
	if err := checkLogin(login); err != nil {
		return usageFailure(env, "%v", err)
	}
	if address == "" {
		return usageFailure(env, "user add needs --email")
	}
	if err := checkEmail(address); err != nil {
		return usageFailure(env, "%v", err)
	}
	if len(displayName) > 255 || !utf8.ValidString(displayName) || strings.ContainsAny(displayName, "\r\n\x00") {
		return usageFailure(env, "--name must be one line of at most 255 bytes of text")
	}

	store, err := db.Open(ctx, *dbPath)
	if err != nil {
		return failure(env, "open database %s: %v", db.Redacted(*dbPath), err)
	}
	defer store.Close()
	// Checked before asking for the password, and again when storing.
	if _, err := store.CredentialsFor(ctx, login); err == nil {
		return failure(env, "a user with login %q already exists", login)
	}
	if _, err := store.CredentialsFor(ctx, address); err == nil {
		return failure(env, "the email address %s is already in use", address)
	}
	hash, code := newPasswordHash(env)
	if code >= 0 {
		return code
	}
	id, err := store.CreateUser(ctx, login, address, displayName, hash)
	switch {
	case errors.Is(err, db.ErrLoginTaken):
		return failure(env, "a user with login %q already exists", login)
	case errors.Is(err, db.ErrEmailTaken):
		return failure(env, "the email address %s is already in use", address)
	case err != nil:
		return failure(env, "create user: %v", err)
	}
	fmt.Fprintf(env.stdout, "Created user %s (id %d).\n", login, id)
	return exitOK
}

func userPasswd(ctx context.Context, args []string, env userIO) int {
	fs, dbPath := userFlags("passwd", env)
	pos, code := parseUserArgs(fs, args, env)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageFailure(env, "user passwd takes one login, got %d", len(pos))
	}
	login := pos[0]
	// A mistyped --db must not leave an empty database file behind.
	if !db.IsPostgres(*dbPath) {
		if _, err := os.Stat(*dbPath); err != nil {
			return failure(env, "database %s: %v", *dbPath, err)
		}
	}
	store, err := db.Open(ctx, *dbPath)
	if err != nil {
		return failure(env, "open database %s: %v", db.Redacted(*dbPath), err)
	}
	defer store.Close()
	if _, err := store.CredentialsFor(ctx, login); errors.Is(err, db.ErrNotFound) {
		return failure(env, "no user with login %q", login)
	}
	hash, code := newPasswordHash(env)
	if code >= 0 {
		return code
	}
	// SetPassword takes a login only (not an email address).
	switch err := store.SetPassword(ctx, login, hash); {
	case errors.Is(err, db.ErrNotFound):
		return failure(env, "no user with login %q", login)
	case err != nil:
		return failure(env, "set password: %v", err)
	}
	fmt.Fprintf(env.stdout, "Changed the password of %s; their sessions have ended.\n", login)
	return exitOK
}

// userFlags makes a subcommand's flag set with --db.
func userFlags(name string, env userIO) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("patpolicy user "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() { fmt.Fprint(env.stderr, userUsage) }
	def := "data/patpolicy.db"
	if v := env.getenv("PATPOLICY_DB"); v != "" {
		def = v
	}
	return fs, fs.String("db", def, dbFlagUsage)
}

// parseUserArgs parses flags given before or after the positional
// arguments, which it returns; code is -1 to go on, else the exit code.
func parseUserArgs(fs *flag.FlagSet, args []string, env userIO) (pos []string, code int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage // the flag package has said what is wrong
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, -1
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// checkLogin accepts logins as GitHub does: 1 to 39 letters, digits and
// single hyphens, not starting or ending with one.
func checkLogin(login string) error {
	bad := login == "" || len(login) > 39 || login[0] == '-' || login[len(login)-1] == '-' || strings.Contains(login, "--")
	for _, r := range login {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("login %q is not valid: use 1 to 39 letters, digits and single hyphens, not at the start or end", login)
	}
	return nil
}

// checkEmail accepts a bare address (no display name, no angle brackets).
func checkEmail(address string) error {
	a, err := mail.ParseAddress(address)
	if err != nil || a.Address != address || a.Name != "" || len(address) > 254 {
		return fmt.Errorf("email address %q is not valid", address)
	}
	return nil
}

// newPasswordHash reads a new password and hashes it; code is -1 to go on,
// else the exit code.
func newPasswordHash(env userIO) (string, int) {
	password, err := readPassword(env)
	if err != nil {
		return "", failure(env, "%v", err)
	}
	switch {
	case password == "":
		return "", failure(env, "the password is empty")
	case utf8.RuneCountInString(password) < minPasswordChars:
		return "", failure(env, "the password is too short: use at least %d characters", minPasswordChars)
	case len(password) > maxPasswordBytes:
		return "", failure(env, "the password is too long: bcrypt reads at most %d bytes", maxPasswordBytes)
	}
	cost := env.cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", failure(env, "hash the password: %v", err)
	}
	return string(hash), -1
}

// readPassword reads the password: from a terminal without echo, asking
// twice; from anything else, its first line.
func readPassword(env userIO) (string, error) {
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(prompt string) (string, error) {
			fmt.Fprint(env.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(env.stderr)
			return string(b), err
		}
		p, err := ask("New password: ")
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		again, err := ask("Retype the new password: ")
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if p != again {
			return "", errors.New("the passwords do not match")
		}
		return p, nil
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

func usageFailure(env userIO, format string, args ...any) int {
	fmt.Fprintf(env.stderr, "patpolicy user: "+format+"\n\n%s", append(args, userUsage)...)
	return exitUsage
}

func failure(env userIO, format string, args ...any) int {
	fmt.Fprintf(env.stderr, "patpolicy user: "+format+"\n", args...)
	return exitFailure
}
