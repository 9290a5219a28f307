# patpolicy's commands. `make test` runs every test on a fresh Debian machine
# with Go, installing what the browser tests need first.

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-go test-postgres test-e2e-both fuzz-short test-e2e deps generate

run:
	go run . --demo

generate:
	go tool templ generate

# The Go tests check API answers against GitHub's OpenAPI description,
# which deps installs from npm; here its absence fails the run. They run
# beside a throwaway PostgreSQL server (scripts/with-postgres), stopped when
# they end.
test: deps
	PATPOLICY_REQUIRE_OPENAPI=1 scripts/with-postgres $(MAKE) test-go test-e2e-both

# The browser tests, once on each backend.
test-e2e-both:
	cd e2e && npx playwright test
	cd e2e && PATPOLICY_E2E_BACKEND=postgres npx playwright test

test-go:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; [ -z "$$unformatted" ] || { echo "gofmt wants: $$unformatted" >&2; exit 1; }
	go vet ./...
	go test -race -count=1 ./...
	$(MAKE) test-postgres
	$(MAKE) fuzz-short

# The packages whose tests open a store, again with every store on
# PostgreSQL, and the PostgreSQL migrations' own check (each Up and Down,
# every trigger against counting by hand). PATPOLICY_TEST_POSTGRES must name
# a server: run it through scripts/with-postgres.
STORE_PACKAGES := . ./db/... ./service/... ./server/...
test-postgres:
	PATPOLICY_TEST_BACKEND=postgres go test -race -count=1 $(STORE_PACKAGES)
	db/testdata/pg_migrations_check.sh

# A few seconds of each fuzz target (go test fuzzes one target per run);
# their seed corpora are in each package's testdata/fuzz/. Budgets are
# counts of executions, sized to 2-4 s each on 2 cores: a -fuzztime in
# seconds can fail with a bare "context deadline exceeded" on a busy machine
# (golang.org/issue/75804, fixed in Go 1.27).
FUZZ_TARGETS := \
	policy:FuzzParseToken:60000 policy:FuzzApplyOrgChange:60000 policy:FuzzApplyEnterpriseChange:60000 \
	policy:FuzzCheckTokenRequest:30000 policy:FuzzCheckClassicRequest:60000 policy:FuzzCheckReason:60000 \
	policy:FuzzParseSSHKey:60000 \
	handlers:FuzzOrgSettingsForm:8000 handlers:FuzzEnterpriseSettingsForm:8000 handlers/api:FuzzDecodeJSON:6000

fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; execs=$${rest#*:}; \
		echo "go test -run '^$$' -fuzz '^$$name\$$' -fuzztime $${execs}x ./$$pkg"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $${execs}x ./$$pkg; \
	done

deps:
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || \
		{ echo "Playwright needs Node.js 20 or newer; this machine has $$(node --version)." >&2; exit 1; }
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql; }
	cd e2e && npm ci --no-audit --no-fund

test-e2e: deps
	cd e2e && npx playwright test
