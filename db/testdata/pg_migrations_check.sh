#!/usr/bin/env bash
# Checks the PostgreSQL migrations (db/migrations/postgres) with psql alone:
#
#   scripts/with-postgres db/testdata/pg_migrations_check.sh
#
# In a database of its own on the server PATPOLICY_TEST_POSTGRES names, it
#   1. applies each file's Up statements in order, split as goose splits
#      them (so a function body missing its StatementBegin/End fails here),
#      keeping the schema after each one;
#   2. compares the tables' columns (names and order), the indexes and the
#      triggers with SQLite's (sqlite_schema.txt beside this script);
#   3. runs pg_migrations_check.sql, which writes to every counted table and
#      checks the counts and the change counters after each statement;
#   4. applies each file's Down statements in reverse order, checking after
#      each that the schema is what it was before that file's Up, and at
#      the end that nothing is left; then everything Up again.
# The database is dropped at the end, whatever way the check ends.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
migrations="$here/../migrations/postgres"
: "${PATPOLICY_TEST_POSTGRES:?run this under scripts/with-postgres}"

db="migrations_check_$$"
# The server's URL with our database instead of its 'postgres' one.
url="$(printf '%s' "$PATPOLICY_TEST_POSTGRES" | sed -E "s#/[^/?]*(\?|\$)#/$db\1#")"
admin=(psql -X -q -v ON_ERROR_STOP=1 -d "$PATPOLICY_TEST_POSTGRES")
run=(psql -X -q -v ON_ERROR_STOP=1 -d "$url")

work="$(mktemp -d)"
cleanup() {
	status=$?
	"${admin[@]}" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
"${admin[@]}" -c "CREATE DATABASE $db"

# statements FILE up|down prints the file's statements of that direction,
# each ended by a NUL byte, split as goose splits them: a statement ends
# at a line whose last word (before any '--' comment) ends with ';', except
# between StatementBegin and StatementEnd, which make one statement; comment
# and empty lines before a statement are left out.
statements() {
	awk -v want="$2" '
		function ends_statement(line,   n, i, w, prev) {
			n = split(line, w, /[ \t]+/)
			prev = ""
			for (i = 1; i <= n; i++) {
				if (w[i] ~ /^--/) break
				if (w[i] != "") prev = w[i]
			}
			return prev ~ /;$/
		}
		function emit() { if (dir == want) printf "%s%c", buf, 0; buf = "" }
		{
			line = $0; t = line; sub(/^[ \t]+/, "", t)
			if (t ~ /^--/ && line ~ /\+goose/) {
				if (t ~ /\+goose Up/) dir = "up"
				else if (t ~ /\+goose Down/) { if (buf != "") { print "statement without ;" > "/dev/stderr"; exit 1 }; dir = "down" }
				else if (t ~ /StatementBegin/) block = 1
				else if (t ~ /StatementEnd/) { block = 0; emit() }
				else { print "unknown annotation: " line > "/dev/stderr"; exit 1 }
				next
			}
			if (dir == "" || (buf == "" && (t ~ /^--/ || line == ""))) next
			buf = buf line "\n"
			if (!block && ends_statement(line)) emit()
		}
		END { if (buf != "" || block) { print FILENAME ": unfinished statement" > "/dev/stderr"; exit 1 } }
	' "$1"
}

# apply FILE up|down runs each statement on its own, so that one cut in the
# wrong place fails.
apply() {
	local stmt n=0
	while IFS= read -r -d '' stmt; do
		"${run[@]}" -c "$stmt" || { echo "in $(basename "$1") ($2), statement $n:" >&2; printf '%s\n' "$stmt" >&2; return 1; }
		n=$((n + 1))
	done < <(statements "$1" "$2")
	[ "$n" -gt 0 ] || { echo "$(basename "$1"): no $2 statements" >&2; return 1; }
}

# schema prints the database's schema, without pg_dump's settings and the
# random key of its \restrict lines. (grep finds nothing in an empty one.)
schema() {
	pg_dump --schema-only --no-owner --no-privileges "$url" |
		{ grep -v -e '^--' -e '^$' -e '^SET ' -e '^SELECT pg_catalog.set_config' -e '^\\restrict ' -e '^\\unrestrict ' || true; }
}

mapfile -t files < <(ls "$migrations"/*.sql | sort)
[ "${#files[@]}" -gt 0 ] || { echo "no migrations in $migrations" >&2; exit 1; }

echo "Up, one file at a time"
schema >"$work/schema.0"
for i in "${!files[@]}"; do
	apply "${files[$i]}" up
	schema >"$work/schema.$((i + 1))"
done

echo "Tables, columns, indexes and triggers against SQLite's"
"${run[@]}" -A -t -F ' ' >"$work/pg_schema.txt" <<'SQL'
SELECT 'column', c.relname, a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY c.relname COLLATE "C", a.attnum;
SELECT 'index', t.relname, i.relname
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
 WHERE t.relnamespace = current_schema()::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
 ORDER BY t.relname COLLATE "C", i.relname COLLATE "C";
SELECT 'trigger', c.relname, g.tgname
  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal
 ORDER BY c.relname COLLATE "C", g.tgname COLLATE "C";
SQL
# SQLite's tokens_changes_replace counts what its INSERT OR REPLACE does,
# which PostgreSQL has no statement for: see 00007_change_counters.sql.
grep -v -e '^#' -e ' tokens_changes_replace$' "$here/sqlite_schema.txt" | LC_ALL=C sort >"$work/want"
# PostgreSQL's TRUNCATE fires no delete trigger, so each counted table has
# one trigger more for it, which SQLite has no use for. And SQLite's
# tokens_by_org holds the rowid, so it lists an organization's tokens in id
# order; PostgreSQL needs tokens_by_org_id for that (00013_token_inventory.sql).
grep -v -e '_truncate$' -e ' tokens_by_org_id$' "$work/pg_schema.txt" | LC_ALL=C sort >"$work/got"
if ! diff -u "$work/want" "$work/got"; then
	echo "the PostgreSQL schema differs from SQLite's (- SQLite, + PostgreSQL)" >&2
	exit 1
fi
# Column order, which the sort above hid.
if ! diff -u <(grep '^column' "$here/sqlite_schema.txt") <(grep '^column' "$work/pg_schema.txt"); then
	echo "columns in another order than SQLite's" >&2
	exit 1
fi

echo "Triggers, counts and change counters"
"${run[@]}" -o /dev/null -f "$here/pg_migrations_check.sql"

echo "Down, one file at a time"
for ((i = ${#files[@]} - 1; i >= 0; i--)); do
	apply "${files[$i]}" down
	schema >"$work/after"
	if ! diff -u "$work/schema.$i" "$work/after"; then
		echo "$(basename "${files[$i]}") Down does not undo its Up" >&2
		exit 1
	fi
done
left="$("${run[@]}" -A -t <<'SQL'
SELECT 'relation ' || relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace
UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = current_schema()::regnamespace
UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql';
SQL
)"
if [ -n "$left" ]; then
	printf 'left after every Down:\n%s\n' "$left" >&2
	exit 1
fi

echo "Up again after Down"
for f in "${files[@]}"; do
	apply "$f" up
done
schema >"$work/again"
diff -u "$work/schema.${#files[@]}" "$work/again" || { echo "Up after Down makes another schema" >&2; exit 1; }

echo "pg_migrations_check: ok"
