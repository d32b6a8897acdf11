# Latency benchmark of `ward watch` (issue 4, part 6: from a line written
# to its alert, p99 under 1 s at 5,000 events/s). Include from the
# top-level Makefile:
#
#	include internal/watch/bench.mk
#
# bench-watch runs tools/watchbench twice: with the watcher in process
# (watch.Run as `ward watch` wires it), then with bin/ward run as a child
# `ward watch` whose stdout alerts are read. A generator appends csvlog
# lines to a file at WATCH_RATE lines a second for WATCH_SECONDS; one line
# in 50 is a session of a service account from an interactive tool, which
# raises an alert of its own. Each prints the lines written, the alerts
# measured and the p50, p90, p99 and maximum latency (and, for the child,
# its CPU time). Everything happens in a temporary directory.
#
#	make bench-watch                                   # 5,000 lines/s, 10 s
#	make bench-watch WATCH_RATE=20000 WATCH_SECONDS=30
#
# The detectors alone: go test -run=NONE -bench=Handle ./internal/watch/

WATCH_RATE ?= 5000
WATCH_SECONDS ?= 10

.PHONY: bench-watch

bench-watch: build
	$(GO) run ./tools/watchbench -rate $(WATCH_RATE) -duration $(WATCH_SECONDS)s
	$(GO) run ./tools/watchbench -rate $(WATCH_RATE) -duration $(WATCH_SECONDS)s -ward bin/ward
