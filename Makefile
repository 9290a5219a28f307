# patpolicy's commands. `make test` runs every test on a fresh Debian machine
# with Go, installing what the browser tests need first.

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-go test-e2e deps generate

run:
	go run . --demo

generate:
	go tool templ generate

# The Go tests check API answers against GitHub's OpenAPI description,
# which deps installs from npm; here its absence fails the run.
test: deps
	PATPOLICY_REQUIRE_OPENAPI=1 $(MAKE) test-go
	cd e2e && npx playwright test

test-go:
	go vet ./...
	go test -race -count=1 ./...

deps:
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || \
		{ echo "Playwright needs Node.js 20 or newer; this machine has $$(node --version)." >&2; exit 1; }
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	cd e2e && npm ci --no-audit --no-fund

test-e2e: deps
	cd e2e && npx playwright test
