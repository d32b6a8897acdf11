#!/usr/bin/env bash
# demo.sh: the ward demo. Builds a throwaway PostgreSQL cluster with a
# hospital-like estate of roles, runs a short workload through it, writes a
# ward.yaml for it, reads the server's logs into ward's store and scans it
# with ward.
#
# Usage: demo/demo.sh [run|up|scan|workload|start|stop|clean|status]
#   run       (default) up, then scan; the cluster keeps running
#   up        install what is missing, build and start the cluster, load the
#             estate, run the workload, write ward.yaml; no scan
#   scan      ingest the cluster's logs, scan it again and write the report
#   workload  run the workload again (more log activity)
#   start     start the server of an existing demo cluster again
#   stop      stop the server, keep its files
#   clean     stop the server and remove the demo directory and the report
#   status    say whether the demo cluster is running
#
# Environment: DEMO_DIR (default ./.demo), DEMO_PORT (default 54329, or the
# next free port), DEMO_REPORT (default ./report.html), DEMO_WARD (a ward
# binary to use instead of building ./cmd/ward), WARD_PG_BIN (the
# PostgreSQL bin directory to use).
. "$(dirname "$0")/lib.sh"
. "$DEMO_SRC/cluster.sh"

REPO=$(cd "$DEMO_SRC/.." && pwd)
DEMO_REPORT=${DEMO_REPORT:-$(pwd)/report.html}
case "$DEMO_REPORT" in /*) ;; *) DEMO_REPORT=$(pwd)/$DEMO_REPORT ;; esac
SOURCE_NAME=ehr-demo

# write_config writes the ward.yaml of the demo. The scanner's password is
# not in it: it refers to secrets/ward_scanner.pw (mode 0600), which ward
# resolves relative to the configuration file.
write_config() {
	local cfg="$DEMO_DIR/ward.yaml"
	{
		cat <<-YAML
			# ward configuration for the demo cluster, written by demo/demo.sh.
			# Scan again with:  make demo-scan
			#             or:   go run ./cmd/ward scan -c $DEMO_DIR/ward.yaml
			# The scanner's password is read from secrets/ward_scanner.pw, next to
			# this file; it is never written here.
			# The cluster's csv logs (pgaudit on) are in $PGDATA_DIR/log

			store: $DEMO_DIR/ward.db

			phi:
			  tables:
			    - "clinical.*"
			    - "billing.claim"
			    - "billing.invoice"
			    - "integration.hl7_message_log"
			    - "analytics.reporting.readmission_cohort"
			  columns:
			    - "*.*.ssn"
			    - "*.*.mrn"
			    - "*.*.dob"
			    - "*.*.member_id"

			sources:
			  - name: $SOURCE_NAME
			    type: postgres
			    dsn: postgres://ward_scanner@127.0.0.1:$DEMO_PORT/ehr?sslmode=disable
		YAML
		# Quoted on its own so that the shell leaves the reference alone.
		# shellcheck disable=SC2016
		printf '    password: %s\n' '${file:secrets/ward_scanner.pw}'
		# The server's csv logs (pgaudit on), read by ward ingest.
		printf "    logs:\n      - '%s'\n" "${PGDATA_DIR//\'/\'\'}/log"
		cat <<-YAML
			  # The EHR team's deployment code, searched for hard-coded
			  # credentials (written by demo/demo.sh with FAKE ones).
			  - name: ehr-code
			    type: code
			    path: code

			# Who answers for which service account. bi_reporting, hl7_integration,
			# legacy_interface and fax_gateway have no owner on purpose.
			owners:
			  - account: $SOURCE_NAME/ehr_api
			    owner: ehr-platform-team@example.org
			    purpose: EHR REST API (ehr-api 2.x)
			  - account: $SOURCE_NAME/etl_loader
			    owner: data-engineering@example.org
			    purpose: nightly lab and analytics loads
			  - account: $SOURCE_NAME/backup_svc
			    owner: dba-team@example.org
			    purpose: nightly pg_dump to the backup vault
			    needs: [pg_read_all_data, bypassrls]
			  - account: $SOURCE_NAME/repl_svc
			    owner: dba-team@example.org
			    purpose: streaming replication to the DR site
			    needs: [replication]
			  - account: $SOURCE_NAME/ward_scanner
			    owner: security-engineering@example.org
			    purpose: ward security scans
			    needs: [pg_read_all_settings]
		YAML
	} >"$cfg"
	say "wrote $cfg"
}

# write_code_tree writes a small deployment tree with credentials a
# careless team might commit: all FAKE, but naming real demo logins on the
# demo server, so that ward ties each one to its account.
write_code_tree() {
	local code="$DEMO_DIR/code"
	rm -rf "$code"
	mkdir -p "$code/deploy/etl" "$code/k8s" "$code/hl7/conf"
	cat >"$code/deploy/etl/.env" <<-ENV
		# nightly loads
		DATABASE_URL=postgres://etl_loader:FAKE-demo-etl-Summer2024@127.0.0.1:$DEMO_PORT/ehr
		LOAD_BATCH=5000
	ENV
	cat >"$code/k8s/ehr-api-configmap.yaml" <<-YAML
		apiVersion: v1
		kind: ConfigMap
		metadata:
		  name: ehr-api
		  namespace: ehr
		data:
		  PGHOST: 127.0.0.1
		  PGPORT: "$DEMO_PORT"
		  PGUSER: ehr_api
		  PGPASSWORD: FAKE-demo-ehr-api-k8s-7731
	YAML
	cat >"$code/hl7/conf/application.properties" <<-PROPS
		spring.datasource.url=jdbc:postgresql://127.0.0.1:$DEMO_PORT/ehr
		spring.datasource.username=hl7_integration
		spring.datasource.password=FAKE-demo-hl7-Mirth!
		# a placeholder, which is not a finding
		archive.password=\${ARCHIVE_PASSWORD}
	PROPS
	say "wrote a deployment tree with planted FAKE credentials in $code"
}

# check_ward fails early, before any cluster is built, when ward cannot be
# run: no $DEMO_WARD and no ./cmd/ward or no go to build it with.
check_ward() {
	if [ -n "${DEMO_WARD:-}" ]; then
		command -v "$DEMO_WARD" >/dev/null 2>&1 || die "DEMO_WARD=$DEMO_WARD is not a program"
		return 0
	fi
	[ -d "$REPO/cmd/ward" ] || die "$REPO/cmd/ward not found (or set DEMO_WARD to a ward binary)"
	command -v go >/dev/null 2>&1 || die "go is not on the PATH (needed to build ./cmd/ward)"
}

# ward_binary prints the ward program to run: $DEMO_WARD, or ./cmd/ward
# built into the demo directory. Building first (rather than go run) keeps
# a compile error apart from ward's exit status 1. Like go run, the build
# does not stamp git information, which fails when root builds a checkout
# owned by someone else.
ward_binary() {
	check_ward
	if [ -n "${DEMO_WARD:-}" ]; then
		printf '%s\n' "$DEMO_WARD"
		return 0
	fi
	say "building ./cmd/ward" >&2
	mkdir -p "$DEMO_DIR/bin"
	(cd "$REPO" && go build -buildvcs=false -o "$DEMO_DIR/bin/ward" ./cmd/ward) >&2 ||
		die "go build ./cmd/ward failed"
	printf '%s\n' "$DEMO_DIR/bin/ward"
}

# do_scan runs ward against the demo cluster. ward's status 1 (findings at
# or above --fail-on) is the expected outcome for this estate.
do_scan() {
	load_cluster_env || die "no demo cluster in $DEMO_DIR; run make demo first"
	port_busy "$DEMO_PORT" || die "the demo cluster is not running; run make demo"
	local ward rc
	ward=$(ward_binary)
	rm -f -- "$DEMO_REPORT"
	# The usage rules (unused grants, interactive use of service accounts)
	# read the events that ingest stores from the server's logs.
	say "reading the server's logs: ward ingest -c $DEMO_DIR/ward.yaml"
	"$ward" ingest -c "$DEMO_DIR/ward.yaml" || die "ward ingest failed"
	say "scanning with: ward scan -c $DEMO_DIR/ward.yaml --format html -o $DEMO_REPORT"
	set +e
	"$ward" scan -c "$DEMO_DIR/ward.yaml" --format html -o "$DEMO_REPORT"
	rc=$?
	set -e
	case "$rc" in
	0) say "ward found nothing at or above its --fail-on level" ;;
	1) say "ward found problems at or above its --fail-on level (expected: the estate is bad on purpose)" ;;
	*) die "ward failed with exit status $rc (configuration or connection error)" ;;
	esac
	[ -f "$DEMO_REPORT" ] || die "ward did not write $DEMO_REPORT"
	say "report: $DEMO_REPORT"
}

# on_setup_exit is the EXIT trap while the cluster is being set up: a
# server left half set up is stopped.
on_setup_exit() {
	local st=$?
	if [ "$st" -ne 0 ]; then
		warn "setup failed; stopping the demo server"
		cluster_stop || true
	fi
}

# do_up builds the cluster and runs the workload. If anything fails on the
# way the server is stopped again.
do_up() {
	bash "$DEMO_SRC/deps.sh"
	trap on_setup_exit EXIT
	cluster_up
	bash "$DEMO_SRC/workload.sh"
	write_code_tree
	write_config
	trap - EXIT
	say "the cluster keeps running on 127.0.0.1:$DEMO_PORT (csv logs in $PGDATA_DIR/log)"
}

do_status() {
	if load_cluster_env && [ -f "$PGDATA_DIR/postmaster.pid" ] && port_busy "$DEMO_PORT"; then
		say "running on 127.0.0.1:$DEMO_PORT, data in $PGDATA_DIR"
	else
		say "not running"
		return 1
	fi
}

cmd=${1:-run}
case "$cmd" in
run)
	check_ward
	do_up
	do_scan
	say "scan again with: make demo-scan; stop and remove everything with: make demo-clean"
	;;
up) do_up ;;
scan) do_scan ;;
workload) bash "$DEMO_SRC/workload.sh" ;;
start) cluster_start ;;
stop) cluster_stop ;;
clean)
	cluster_stop
	cluster_wipe
	rm -f -- "$DEMO_REPORT"
	say "removed $DEMO_DIR and $DEMO_REPORT"
	;;
status) do_status ;;
*) die "unknown command $cmd (run, up, scan, workload, start, stop, clean, status)" ;;
esac
