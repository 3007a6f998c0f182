# GoFlow developer tasks. Only Go is needed: Postgres tests start a throwaway cluster when
# GOFLOW_TEST_DATABASE_URL is unset, from the Postgres server binaries, which `make test` installs
# (Debian's postgresql package) when they are missing. Where it cannot, those tests skip, except in
# CI (CI=1 or GOFLOW_REQUIRE_POSTGRES=1), where they fail.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test build test-deps ui ui-deps ui-test ui-e2e

## run: build the editor UI, then run GoFlow on the embedded SQLite store (./data) at http://localhost:8080
run: ui
	$(GO) run ./cmd/goflow serve

## test: vet and run every test: Go, the UI's type check and unit tests, the UI's end-to-end tests
test: test-deps ui
	$(GO) vet ./... && $(GO) test -count=1 -timeout 15m ./...
	$(MAKE) ui-test
	$(MAKE) ui-e2e

## ui: build the editor UI into web/ui/dist, which the goflow binary embeds
ui: ui-deps
	cd web/ui && npm run build

## ui-test: type-check the UI and run its unit tests (Vitest)
ui-test: ui-deps
	cd web/ui && npm run typecheck && npm test

## ui-e2e: end-to-end tests of the editor UI in headless Chromium (installs Debian's chromium when missing)
ui-e2e: ui
	@if ! command -v chromium >/dev/null 2>&1; then \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing Chromium (apt-get install chromium)" >&2; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	cd web/ui && npm run e2e

## ui-deps: install Node.js and npm when missing, then the UI's packages (package-lock.json)
ui-deps:
	@if ! command -v npm >/dev/null 2>&1; then \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing Node.js and npm (apt-get install nodejs npm)" >&2; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@cd web/ui && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund --loglevel=error; \
	fi

## test-deps: install what the tests need and Go does not fetch (the Postgres server binaries)
test-deps:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
			echo "installing the Postgres server binaries (apt-get install postgresql)" >&2; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
		else \
			echo "Postgres server binaries not found and no apt-get: the Postgres tests will skip (install postgresql)" >&2; \
		fi; \
	fi

## build: build bin/goflow with the version stamped in
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/goflow ./cmd/goflow
