# GoFlow developer tasks. Only Go is needed: Postgres tests start a throwaway cluster when the
# Postgres server binaries are installed and GOFLOW_TEST_DATABASE_URL is unset, and skip otherwise
# (fail in CI: CI=1 or GOFLOW_REQUIRE_POSTGRES=1).

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test build

## run: run GoFlow on the embedded SQLite store (./data) at http://localhost:8080
run:
	$(GO) run ./cmd/goflow serve

## test: vet and run every test
test:
	$(GO) vet ./... && $(GO) test -count=1 -timeout 15m ./...

## build: build bin/goflow with the version stamped in
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/goflow ./cmd/goflow
