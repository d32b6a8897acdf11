# ward: the two commands that do everything are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
export PATH := $(PATH):/usr/local/go/bin
WARD_CORPUS ?= $(abspath ../shared/corpus)
export WARD_CORPUS

# The official SARIF 2.1.0 schema, which the SARIF tests validate against.
# It is published inside an npm package; npm pack fetches it from the npm
# registry (npm comes with Debian's nodejs, installed when missing).
SARIF_SCHEMA := $(CURDIR)/.cache/sarif-2.1.0-rtm.5.json
export WARD_SARIF_SCHEMA := $(SARIF_SCHEMA)
$(SARIF_SCHEMA):
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }; }; } || \
	  { echo "install npm (apt-get install npm): it fetches the SARIF schema"; exit 1; }
	@mkdir -p $(CURDIR)/.cache/npm && cd $(CURDIR)/.cache/npm && \
	  npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && \
	  tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json && \
	  mv package/lib/schemas/sarif-2.1.0-rtm.5.json $@ && rm -rf package *.tgz

.PHONY: all build test test-deps vet unit bench bench-tools fuzz clean

all: build

build:
	$(GO) build -o bin/ward ./cmd/ward

# test installs what the tests need (PostgreSQL and pgaudit from the OS
# packages, when missing), vets, then runs every test, the real-server
# ones included.
test: test-deps vet unit

test-deps: $(SARIF_SCHEMA)
	@bash demo/deps.sh --test


vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

# bench runs the Go benchmarks; set BENCH to pick some (make bench BENCH=Grants).
# bench-estate (internal/pgsource/bench.mk) scans the generated 2,000-role
# estate with the real binary and reports wall time and peak RSS.
# The log parser benchmarks run on a generated 1 GiB csvlog (WARD_BENCH_BYTES).
BENCH ?= .
WARD_BENCH_BYTES ?= 1073741824
bench: test-deps bench-tools
	WARD_BENCH_BYTES=$(WARD_BENCH_BYTES) $(GO) test -run=NONE -bench='$(BENCH)' -benchmem ./...
	$(MAKE) bench-estate bench-ingest bench-watch bench-secrets

# bench-tools installs GNU time, which measures peak RSS.
bench-tools:
	@command -v /usr/bin/time >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }; }; } || \
	  { echo "install GNU time (apt-get install time) to measure peak memory"; exit 1; }

# fuzz runs each fuzz target for FUZZTIME (default 30s). New corpus entries go
# to the Go build cache, never to the read-only shared corpus.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run=NONE -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; done

clean:
	rm -rf bin

include demo/Makefile.inc
include internal/pgsource/bench.mk
include internal/ingest/bench.mk
include internal/watch/bench.mk
include internal/secrets/bench.mk
