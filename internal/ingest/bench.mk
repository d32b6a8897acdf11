# Benchmark of `ward ingest` (issue 4): end-to-end events per second into
# the store, peak memory, and the parser alone on the same log for
# comparison. Include from the top-level Makefile:
#
#	include internal/ingest/bench.mk
#
# bench-ingest generates a csvlog of INGEST_SIZE (default 1GiB) from the
# corpus logs (free disk checked first: the log and its store need about
# three times that), then runs bin/ward ingest on it under /usr/bin/time -v
# twice (the second run must add nothing) and prints events/s and peak RSS.
#
#	make bench-ingest                      # 1 GiB
#	make bench-ingest INGEST_SIZE=256MiB   # a quick look
#	make bench-ingest INGEST_FORMAT=stderr
#
# The Go benchmarks (BenchmarkParseOnly, BenchmarkTailParse,
# BenchmarkIngest in internal/ingest, on 64 MiB or WARD_BENCH_BYTES) split
# the cost between parsing, reading in segments and storing.

INGEST_SIZE ?= 1GiB
INGEST_FORMAT ?= csvlog

.PHONY: bench-ingest

bench-ingest: bench-tools build
	$(GO) run ./tools/ingestbench -ward bin/ward -size $(INGEST_SIZE) -format $(INGEST_FORMAT)
