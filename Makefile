# kiosc: one binary with the SPA, the migrations and everything else embedded.
# `make run` and `make test` work on a fresh Debian machine as root: they start (and if needed install) a Docker
# engine, and `make test` also installs Debian's chromium for the browser tests.

SHELL        := /bin/bash
.SHELLFLAGS  := -euo pipefail -c
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE         ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG          := github.com/bihealth/kiosc/app/version
LDFLAGS      := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
GOTEST_FLAGS ?= -race -count=1 -timeout 20m
TOOLS        := $(CURDIR)/.tools
GOLANGCI     := $(TOOLS)/golangci-lint
GOLANGCI_VERSION := v2.15.0

.PHONY: help build run test test-go test-go-main test-swarm test-web test-e2e lint dev bench soak clean prerequisites docker-engine chromium nginx frontend

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

prerequisites: ## check Go and Node.js
	@scripts/check-prerequisites.sh

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

frontend: prerequisites node_modules/.package-lock.json ## build the SPA into frontend/dist
	npm run build

build: frontend ## build the SPA and bin/kiosc (static, CGO_ENABLED=0)
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/kiosc .
	@echo "built bin/kiosc ($(VERSION))"

docker-engine:
	@scripts/ensure-docker.sh

chromium:
	@scripts/ensure-chromium.sh

nginx:
	@scripts/ensure-nginx.sh

run: docker-engine build ## build and start `bin/kiosc serve` with zero configuration
	bin/kiosc serve

# The Swarm runtime's tests mostly wait on their private engine, so they run alongside vitest and the browser tests.
test: docker-engine chromium build test-go-main ## run every test (Go with -race against real Docker, vitest, browser)
	@scripts/alongside.sh "$(MAKE) --no-print-directory test-swarm" $(MAKE) --no-print-directory test-web test-e2e
	@echo "all tests passed"

# The lifecycle's real-engine tests that run a second time on the Swarm runtime (a single-node swarm on a private
# engine the tests start; the shared engine stays as it is), besides the Swarm runtime's own tests (TestSwarm*: reach
# and isolation, pending for lack of resources, crash exit codes and OOM kills, nodes in the overview).
SWARM_TESTS  := ^(TestSwarm.*|TestStartProbeLimitsLabelsSecretsStopDelete|TestSlowStartAndStartupTimeout|TestConcurrentStartsGiveOneContainer|TestAdoptionAfterKioscRestart)$$

test-go: test-go-main test-swarm ## the Go tests only: every package, then the Swarm runtime's

test-go-main:
	KIOSC_REQUIRE_DOCKER=1 go test $(GOTEST_FLAGS) . ./app/...

test-swarm:
	KIOSC_REQUIRE_DOCKER=1 KIOSC_TEST_RUNTIME=swarm go test $(GOTEST_FLAGS) -run '$(SWARM_TESTS)' ./app/lifecycle/

test-web: node_modules/.package-lock.json
	npm test

test-e2e: node_modules/.package-lock.json
	KIOSC_BIN=$(CURDIR)/bin/kiosc npm run test:e2e

$(GOLANGCI):
	GOBIN=$(TOOLS) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

lint: $(GOLANGCI) node_modules/.package-lock.json ## go mod tidy check, golangci-lint, eslint, prettier, vue-tsc
	@go mod tidy -diff || { echo 'go.mod/go.sum are not tidy: run go mod tidy'; exit 1; }
	$(GOLANGCI) run . ./app/...
	npm run lint
	npm run typecheck

dev: node_modules/.package-lock.json ## Vite dev server with hot reload on :5173, proxying the API to bin/kiosc on :8080
	@echo "start the API server in another terminal: make build && bin/kiosc serve"
	npm run dev

bench: docker-engine nginx build ## print the benchmark table (BENCH=proxy runs only the sections whose title matches)
	KIOSC_REQUIRE_DOCKER=1 go run ./app/bench $(BENCH)

soak: docker-engine ## the full soak: 500 proxied HTTP clients and 200 websockets for 60 s against 20 apps being stopped and started
	KIOSC_REQUIRE_DOCKER=1 KIOSC_SOAK=full go test -count=1 -timeout 15m -run 'TestSoak$$' -v ./app/endurance/

clean: ## remove build output
	rm -rf bin frontend/dist/assets frontend/dist/index.html test-artifacts
