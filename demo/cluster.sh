# shellcheck shell=bash
# cluster.sh: create, start, stop and remove the demo's throwaway PostgreSQL
# cluster. Sourced by demo.sh after lib.sh; defines functions only.

MARKER=.ward-demo
SQL_DIR="$DEMO_SRC/sql"

# random_hex N prints N random bytes as hex.
random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# cluster_stop stops the demo server if one is running. It only ever signals
# the postmaster recorded in the cluster's own postmaster.pid (via pg_ctl).
cluster_stop() {
	load_cluster_env || return 0
	[ -f "$PGDATA_DIR/postmaster.pid" ] || return 0
	say "stopping PostgreSQL on 127.0.0.1:$DEMO_PORT"
	if ! as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null; then
		warn "fast shutdown failed; trying immediate shutdown"
		as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null ||
			warn "could not stop the server of $PGDATA_DIR"
	fi
}

# cluster_start starts the server of an existing demo cluster again.
cluster_start() {
	load_cluster_env || die "no demo cluster in $DEMO_DIR; run make demo"
	if [ -f "$PGDATA_DIR/postmaster.pid" ] && port_busy "$DEMO_PORT"; then
		say "already running on 127.0.0.1:$DEMO_PORT"
		return 0
	fi
	port_busy "$DEMO_PORT" && die "port $DEMO_PORT on 127.0.0.1 is taken by another program"
	say "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$DEMO_PORT"
	as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_ROOT/server.log" -w -t 60 \
		start >/dev/null || die "PostgreSQL did not start; see $PG_ROOT/server.log"
}

# cluster_wipe removes the demo directory (and the cluster directory under
# /tmp, if one was needed). It refuses to remove a directory that it did not
# create.
cluster_wipe() {
	if [ -f "$CLUSTER_ENV" ] && load_cluster_env; then
		case "$PG_ROOT" in
		"$DEMO_DIR"/*) ;;
		/tmp/ward-demo.*) rm -rf -- "$PG_ROOT" ;;
		esac
	fi
	[ -e "$DEMO_DIR" ] || return 0
	if [ ! -f "$DEMO_DIR/$MARKER" ] && [ -n "$(ls -A "$DEMO_DIR" 2>/dev/null)" ]; then
		die "$DEMO_DIR exists and was not made by the demo; remove it or set DEMO_DIR"
	fi
	rm -rf -- "$DEMO_DIR"
}

# make_secrets gives every login role a fresh FAKE password, one file each,
# plus a psql script that sets them as variables for 01_roles.sql.
make_secrets() {
	local role
	mkdir -m 0700 "$SECRETS"
	(
		umask 077
		: >"$SECRETS/passwords.psql"
		for role in "$SUPERUSER" ehr_api etl_loader bi_reporting backup_svc repl_svc \
			hl7_integration legacy_interface fax_gateway contractor_jsmith dba_maria \
			dba_omar ward_scanner; do
			printf 'FAKE-demo-%s-%s\n' "$(printf '%s' "$role" | tr _ -)" "$(random_hex 8)" \
				>"$SECRETS/$role.pw"
			printf "\\\\set pw_%s '%s'\n" "$role" "$(pw "$role")" >>"$SECRETS/passwords.psql"
		done
	)
}

# pick_pg_root decides where the cluster's files go: $DEMO_DIR/pg when the
# server's OS user can reach it, else a private directory under /tmp (when
# the repository sits in a home directory that user cannot enter). The
# repository's parent directories are never opened up.
pick_pg_root() {
	PG_ROOT="$DEMO_DIR/pg"
	mkdir -m 0700 "$PG_ROOT"
	is_root || return 0
	chown "$PG_OS_USER:" "$PG_ROOT"
	if as_server test -w "$PG_ROOT" 2>/dev/null; then
		return 0
	fi
	rmdir "$PG_ROOT"
	PG_ROOT=$(mktemp -d /tmp/ward-demo.XXXXXX)
	chown "$PG_OS_USER:" "$PG_ROOT"
	ln -s "$PG_ROOT" "$DEMO_DIR/pg"
	say "user $PG_OS_USER cannot reach $DEMO_DIR; the cluster lives in $PG_ROOT"
}

# pick_port uses $DEMO_PORT when set (and fails when it is taken), else the
# first free port from 54329 on.
pick_port() {
	if [ -n "$DEMO_PORT_WANTED" ]; then
		case "$DEMO_PORT_WANTED" in
		*[!0-9]*) die "DEMO_PORT=$DEMO_PORT_WANTED is not a port number" ;;
		esac
		if port_busy "$DEMO_PORT_WANTED"; then
			die "port $DEMO_PORT_WANTED on 127.0.0.1 is in use; choose another with DEMO_PORT=..."
		fi
		DEMO_PORT=$DEMO_PORT_WANTED
		return 0
	fi
	local p=$DEMO_DEFAULT_PORT last=$((DEMO_DEFAULT_PORT + 20))
	while port_busy "$p"; do
		p=$((p + 1))
		[ "$p" -le "$last" ] || die "no free port on 127.0.0.1 in $DEMO_DEFAULT_PORT..$last; set DEMO_PORT"
	done
	[ "$p" -eq "$DEMO_DEFAULT_PORT" ] || say "port $DEMO_DEFAULT_PORT is in use; using $p"
	DEMO_PORT=$p
}

write_cluster_env() {
	{
		printf '# written by demo/cluster.sh; read by the demo scripts\n'
		printf 'DEMO_PORT=%q\nPG_BIN=%q\nPG_MAJOR=%q\nPG_OS_USER=%q\nPG_ROOT=%q\nPGDATA_DIR=%q\n' \
			"$DEMO_PORT" "$PG_BIN" "$PG_MAJOR" "$PG_OS_USER" "$PG_ROOT" "$PGDATA_DIR"
	} >"$CLUSTER_ENV"
}

# write_server_config sets up postgresql.conf and pg_hba.conf. The server
# listens on 127.0.0.1 only and has no Unix socket. The 192.0.2.0/24 lines
# (a documentation range no real client has) are the misconfigurations the
# scan should report; only the 127.0.0.1 lines can ever match.
write_server_config() {
	cat >>"$PGDATA_DIR/postgresql.conf" <<-CONF

		# ward demo settings
		listen_addresses = '127.0.0.1'
		port = $DEMO_PORT
		unix_socket_directories = ''
		password_encryption = 'scram-sha-256'
		fsync = off                       # throwaway cluster: speed over durability
		logging_collector = on
		log_destination = 'csvlog'
		log_directory = 'log'
		log_connections = on
		log_disconnections = on
		shared_preload_libraries = 'pgaudit'
		pgaudit.log = 'read,write,role,ddl,misc_set'
		pgaudit.log_relation = on         # one audit row per table touched, with its name
	CONF
	cat >"$PGDATA_DIR/pg_hba.conf" <<-'HBA'
		# pg_hba.conf of the ward demo cluster (Springfield General, "ehr-prod")
		# TYPE  DATABASE     USER              ADDRESS          METHOD

		# Unix-socket access for the postgres OS user (the demo has no socket).
		local   all          postgres                           peer

		# LabLink lab interface box; "temporary" since 2016.
		host    ehr          legacy_interface  192.0.2.10/32    md5
		# Reporting subnet: the BI tool could not do SCRAM.
		host    analytics    all               192.0.2.64/26    password
		# Added during the 2023 network migration, never removed.
		host    all          all               192.0.2.0/24     trust

		# Standby at the DR site (here: local).
		host    replication  repl_svc          127.0.0.1/32     scram-sha-256
		# Applications and people, with SCRAM.
		host    all          all               127.0.0.1/32     scram-sha-256
	HBA
}

# load_sql runs one file of demo/sql as the bootstrap superuser. Its session
# audits DDL and role changes only: the row-by-row data load (and the foreign
# key checks under it) would otherwise bury the workload in audit rows.
load_sql() {
	local db=$1 file=$2
	shift 2
	PGPASSWORD="$(pw "$SUPERUSER")" PGAPPNAME=ward-demo-setup \
		PGOPTIONS='-c pgaudit.log=ddl,role' \
		"$PG_BIN/psql" -X -w -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DEMO_PORT" \
		-U "$SUPERUSER" -d "$db" "$@" -f "$SQL_DIR/$file" >/dev/null
}

# cluster_up builds a fresh cluster, starts it and loads the estate. The
# caller owns the trap that stops the server if this fails halfway.
cluster_up() {
	PG_BIN=$(find_pg_bin) || die "no PostgreSQL server programs found (run demo/deps.sh)"
	PG_MAJOR=$(pg_major "$PG_BIN")
	PG_OS_USER=$(server_user)

	cluster_stop
	cluster_wipe
	mkdir -p "$DEMO_DIR"
	chmod 0755 "$DEMO_DIR"
	: >"$DEMO_DIR/$MARKER"
	make_secrets
	pick_pg_root
	PGDATA_DIR="$PG_ROOT/data"
	pick_port
	write_cluster_env

	say "creating a PostgreSQL $PG_MAJOR cluster in $PGDATA_DIR (run by OS user $PG_OS_USER)"
	local pwfile="$PG_ROOT/initdb.pw"
	(umask 077 && pw "$SUPERUSER" >"$pwfile")
	if is_root; then chown "$PG_OS_USER:" "$pwfile"; fi
	if ! as_server "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$SUPERUSER" --pwfile="$pwfile" \
		--auth=scram-sha-256 -E UTF8 --no-locale --no-sync >"$DEMO_DIR/initdb.log" 2>&1; then
		rm -f -- "$pwfile"
		cat "$DEMO_DIR/initdb.log" >&2
		die "initdb failed"
	fi
	rm -f -- "$pwfile"
	write_server_config

	say "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$DEMO_PORT"
	if ! as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_ROOT/server.log" -w -t 60 \
		start >/dev/null; then
		tail -n 20 "$PG_ROOT/server.log" >&2 || true
		die "PostgreSQL did not start; see $PG_ROOT/server.log and $PGDATA_DIR/log"
	fi

	say "loading roles, schemas, grants and fake patient data"
	# psql runs its -f files in order: the password variables come first.
	load_sql postgres 01_roles.sql -f "$SECRETS/passwords.psql"
	local f
	for f in 02_schema.sql 03_security.sql 04_grants.sql 05_data.sql; do
		load_sql ehr "$f" --single-transaction
	done
	load_sql analytics 06_analytics.sql --single-transaction
}
