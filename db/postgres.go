package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL, the second backend. The store's queries are written once,
// with SQLite's ? placeholders; the connections below hand PostgreSQL the
// same text with $1, $2, ... instead. What else differs is chosen by the
// store's dialect, in as few places as possible.

// dialect is which database a store talks to.
type dialect uint8

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// IsPostgres reports whether location names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// writeLockKey is the transaction-level advisory lock every write
// transaction takes first on PostgreSQL (an arbitrary number: "patpolicy"
// in ASCII, folded to 63 bits). Holding it, a write transaction is the only
// one under way on the database, whichever instance runs it, as it is on
// SQLite: reads it makes inside see nothing change under them, and the
// checks it makes before writing (a policy's version, a grant's status)
// still hold when it writes.
const writeLockKey int64 = 0x7061_7470_6f6c_6963 & (1<<63 - 1)

// openPostgres opens the pools of a store on the PostgreSQL database at
// url, and plain, a pool of pgx's own connections that take PostgreSQL's
// SQL as it is, for the migrations (goose writes booleans and $1
// placeholders of its own).
func openPostgres(url string) (write, read, changes, plain *sql.DB, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("postgres: %w", err)
	}
	// The readers cannot write, as SQLite's query_only readers cannot.
	readOnly := cfg.Copy()
	readOnly.RuntimeParams["default_transaction_read_only"] = "on"
	reader := rebindConnector{stdlib.GetConnector(*readOnly)}
	return sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)}), sql.OpenDB(reader), sql.OpenDB(reader),
		stdlib.OpenDB(*cfg), nil
}

// rebindConnector makes connections that take SQLite's placeholders.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("postgres: unexpected connection type %T", conn)
	}
	return rebindConn{pc}, nil
}

// rebindConn is a pgx connection whose statements are written for SQLite
// (see translate), and whose boolean arguments are stored as 0 or 1 (the
// schema keeps flags in integer columns, as SQLite does). Every other
// method is pgx's own.
type rebindConn struct{ *stdlib.Conn }

func (c rebindConn) Prepare(query string) (driver.Stmt, error) {
	st, err := c.Conn.Prepare(translate(query))
	return st, ended(err)
}

func (c rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, translate(query))
	return st, ended(err)
}

func (c rebindConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	return tx, ended(err)
}

func (c rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.Conn.ExecContext(ctx, translate(query), flags(args))
	return res, ended(err)
}

func (c rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.QueryContext(ctx, translate(query), flags(args))
	return rows, ended(err)
}

// ended turns the server's word that it ended this connection (shut down,
// crashed, or an administrator ended it) into driver.ErrBadConn, so that
// database/sql tries the statement again on a new connection. An idle
// connection learns of its end only when it is next used; without this,
// that first use after PostgreSQL came back would fail. A session ended so
// committed nothing of the statement: trying it again is safe. (In a
// transaction, database/sql does not try again: the error reaches the
// caller, still one that Unavailable recognizes.)
func ended(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Severity == "FATAL" &&
		(pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03") {
		return driver.ErrBadConn
	}
	return err
}

// flags stores booleans as integers.
func flags(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		if b, ok := a.Value.(bool); ok {
			if b {
				args[i].Value = int64(1)
			} else {
				args[i].Value = int64(0)
			}
		}
	}
	return args
}

// translate turns a query written for SQLite into PostgreSQL's: ? and ?NNN
// placeholders become $1, $2, ... (?NNN is parameter NNN, as in SQLite; a
// bare ? the one after the highest so far), and SQLite's planner hints,
// which PostgreSQL has no use for, go: "INDEXED BY name", and the unary +
// that keeps a column (+g.org_id) off an index. Quoted strings and
// identifiers and comments are left as they are.
func translate(query string) string {
	if !strings.ContainsAny(query, "?+I") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; ch {
		case '?':
			j := i + 1
			for j < len(query) && '0' <= query[j] && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				k, _ := strconv.Atoi(query[i+1 : j])
				n = max(n, k)
				b.WriteString("$" + query[i+1:j])
				i = j - 1
				continue
			}
			n++
			b.WriteString("$" + strconv.Itoa(n))
		case '\'', '"':
			end := strings.IndexByte(query[i+1:], ch)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				end := strings.IndexByte(query[i:], '\n')
				if end < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+end+1])
				i += end
				continue
			}
			b.WriteByte(ch)
		case '+':
			// A unary + stands after a space, a comma or a parenthesis,
			// right before a qualified column.
			if i > 0 && strings.IndexByte(" \t\n(,", query[i-1]) >= 0 && qualifiedColumnAt(query[i+1:]) {
				continue
			}
			b.WriteByte(ch)
		case 'I':
			if i > 0 && isWordByte(query[i-1]) {
				b.WriteByte(ch)
				continue
			}
			if rest, ok := strings.CutPrefix(query[i:], "INDEXED BY "); ok {
				j := 0
				for j < len(rest) && isWordByte(rest[j]) {
					j++
				}
				for j < len(rest) && rest[j] == ' ' {
					j++
				}
				i += len("INDEXED BY ") + j - 1
				continue
			}
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// qualifiedColumnAt reports whether s starts with table.column.
func qualifiedColumnAt(s string) bool {
	dot := strings.IndexByte(s, '.')
	if dot <= 0 {
		return false
	}
	for i := 0; i < dot; i++ {
		if !isWordByte(s[i]) || '0' <= s[0] && s[0] <= '9' {
			return false
		}
	}
	return dot+1 < len(s) && isWordByte(s[dot+1]) && !('0' <= s[dot+1] && s[dot+1] <= '9')
}

// beginWrite begins a write transaction on the writer pool: on SQLite the
// DSN makes it BEGIN IMMEDIATE; on PostgreSQL it takes the write lock
// first (see writeLockKey).
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	return s.beginWriteOn(ctx, s.write)
}

// beginWriteOn is beginWrite on a writer connection the caller holds.
func (s *Store) beginWriteOn(ctx context.Context, on interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}) (*sql.Tx, error) {
	tx, err := on.BeginTx(ctx, nil)
	if err != nil || s.dialect != postgresDialect {
		return tx, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLockKey); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// readOptions are a read transaction's: one snapshot for all its
// statements. SQLite's read transactions are snapshots already.
func (s *Store) readOptions() *sql.TxOptions {
	if s.dialect != postgresDialect {
		return nil
	}
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

// postgresUnavailable reports whether err says PostgreSQL cannot be reached
// or cannot serve right now: the connection failed, broke or was closed,
// the server is shutting down or starting, or it ran out of connections or
// resources. A later try may succeed; the request was not at fault.
func postgresUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true // whatever the server said while refusing
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || // connection exception
			strings.HasPrefix(c, "53") || // insufficient resources
			c == "57P01" || c == "57P02" || c == "57P03" // shut down, crashed, not yet accepting
	}
	var netErr net.Error
	return errors.As(err, &netErr) || pgconn.SafeToRetry(err)
}

// OpenRaw opens a plain pool on the database at location (a SQLite path or
// a PostgreSQL URL, as Open takes), whose statements use the store's ?
// placeholders on either backend. It neither creates nor migrates
// anything: it is for tools and tests that read, or deliberately damage,
// what a store wrote.
func OpenRaw(location string) (*sql.DB, error) {
	if IsPostgres(location) {
		cfg, err := pgx.ParseConfig(location)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		return sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)}), nil
	}
	return sql.Open("sqlite", dsn(location, DefaultBusyTimeout, ""))
}

// Redacted is location fit for a log or an error message: a PostgreSQL
// URL's password is replaced by "xxxxx".
func Redacted(location string) string {
	if !IsPostgres(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return "(a PostgreSQL URL that does not parse)"
	}
	return u.Redacted()
}
