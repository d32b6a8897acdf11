# bench-secrets (included by the top Makefile): ward's secret scanner on
# the Go distribution's src tree and on a generated history of 20,000
# commits with merges and FAKE secrets, as Go benchmarks (MB/s) and as the
# real binary under GNU time (wall time and peak RSS). Peers' figures are
# in shared/research/peer-baselines.md: gitleaks 3.9 MB/s on src, 4.5 MB/s
# of added lines on a 20,000-commit history, on the same 2-core machine.
BENCH_SECRETS_REPO ?= /tmp/ward-bench-secrets-repo
GOSRC := $(shell $(GO) env GOROOT)/src

.PHONY: bench-secrets bench-secrets-repo
bench-secrets-repo:
	@[ -d $(BENCH_SECRETS_REPO) ] || $(GO) run ./tools/gensecretsrepo -dir $(BENCH_SECRETS_REPO) -commits 20000

bench-secrets: bench-tools bench-secrets-repo build
	WARD_BENCH_REPO=$(BENCH_SECRETS_REPO) $(GO) test -run=NONE -bench='ScanGoSrc|History|Matcher' \
	  -benchtime=3x ./internal/secrets
	@echo "== ward secrets scan $(GOSRC)"
	@/usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KiB' \
	  bin/ward secrets scan --fail-on never --format json -o /dev/null $(GOSRC)
	@echo "== ward secrets scan --git $(BENCH_SECRETS_REPO)"
	@/usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KiB' \
	  bin/ward secrets scan --git --fail-on never --format json -o /dev/null $(BENCH_SECRETS_REPO)
