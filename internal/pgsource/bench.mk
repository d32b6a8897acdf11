# Scale benchmark of the PostgreSQL connector and of the whole `ward scan`
# (issue 3, part 5). Include from the top-level Makefile:
#
#	include internal/pgsource/bench.mk
#
# bench-estate starts a throwaway PostgreSQL server on 127.0.0.1, builds the
# benchmark estate (internal/pgsource/estategen: at scale 1, 2,000 roles with
# memberships three deep, 20,000 tables in 50 schemas across 4 databases,
# about 200,000 ACL entries with column grants; about 0.8 GB of disk, checked
# first), then runs bin/ward scan on it ESTATE_RUNS times under
# /usr/bin/time -v and prints each run's wall time and peak RSS, followed by
# the time and memory of each phase (connector, phi, classify, rules, store,
# report) measured in-process. The server is removed at the end.
#
#	make bench-estate                   # scale 1, 3 runs
#	make bench-estate ESTATE_SCALE=0.1  # a quick look
#
# bench-estate-go runs the Go benchmark of the connector alone on the same
# estate (BenchmarkScanEstate, skipped by plain `go test` unless
# WARD_BENCH_ESTATE=1).

ESTATE_SCALE ?= 1
ESTATE_RUNS ?= 3

.PHONY: bench-estate bench-estate-go

bench-estate: test-deps build
	$(GO) run ./tools/estatebench -ward bin/ward -scale $(ESTATE_SCALE) -runs $(ESTATE_RUNS)

bench-estate-go: test-deps
	WARD_BENCH_ESTATE=1 WARD_BENCH_SCALE=$(ESTATE_SCALE) \
	  $(GO) test -run=NONE -bench=ScanEstate -benchtime=3x -benchmem \
	  ./internal/pgsource/estategen/
