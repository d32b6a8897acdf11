# shellcheck shell=bash
# Variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034
# lib.sh: helpers shared by the demo scripts. Source it; do not run it.
#
# Layout of the demo directory ($DEMO_DIR, ./.demo by default):
#   cluster.env   where the cluster lives (port, data dir, programs, OS user)
#   secrets/      one FAKE password per login role, mode 0600, dir 0700
#   pg/           the cluster: data/ (PGDATA, csv logs in data/log) and
#                 server.log; owned by the OS user the server runs as.
#                 When that user cannot reach the repository, pg is a
#                 symlink to a directory under /tmp (see pick_pg_root).
#   ward.yaml     the configuration the demo hands to ward
#   ward.db       ward's store, created by ward

set -eu
if [ -n "${BASH_VERSION:-}" ]; then set -o pipefail; fi

# Client and server settings from the caller's shell must not leak into the
# demo: every connection below names its host, port, user and database.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE \
	PGSERVICE PGSERVICEFILE PGOPTIONS PGAPPNAME PGSSLMODE PGDATA PGTZ 2>/dev/null || true
export PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=10 LC_ALL=C

DEMO_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEMO_DIR=${DEMO_DIR:-$(pwd)/.demo}
case "$DEMO_DIR" in /*) ;; *) DEMO_DIR=$(pwd)/$DEMO_DIR ;; esac
SECRETS="$DEMO_DIR/secrets"
CLUSTER_ENV="$DEMO_DIR/cluster.env"
DEMO_DEFAULT_PORT=54329
# The port the caller asked for; cluster.env (read later) holds the one in use.
DEMO_PORT_WANTED=${DEMO_PORT:-}
SUPERUSER=postgres

say() { printf 'demo: %s\n' "$*"; }
warn() { printf 'demo: warning: %s\n' "$*" >&2; }
die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# pg_major BINDIR prints the major version of the server programs in BINDIR.
pg_major() {
	"$1/postgres" --version 2>/dev/null |
		sed -n 's/^postgres (PostgreSQL) \([0-9][0-9]*\).*/\1/p'
}

# find_pg_bin prints the directory of the newest PostgreSQL server programs:
# $WARD_PG_BIN, then Debian's /usr/lib/postgresql/N/bin, then the PATH.
find_pg_bin() {
	if [ -n "${WARD_PG_BIN:-}" ]; then
		[ -x "$WARD_PG_BIN/initdb" ] || die "WARD_PG_BIN=$WARD_PG_BIN holds no initdb"
		printf '%s\n' "$WARD_PG_BIN"
		return 0
	fi
	local d best="" bestv=0 v
	for d in /usr/lib/postgresql/*/bin; do
		if [ ! -x "$d/initdb" ] || [ ! -x "$d/postgres" ]; then continue; fi
		v=$(basename "$(dirname "$d")")
		case "$v" in *[!0-9]*) continue ;; esac
		if [ "$v" -gt "$bestv" ]; then best=$d bestv=$v; fi
	done
	if [ -n "$best" ]; then
		printf '%s\n' "$best"
		return 0
	fi
	local initdb
	initdb=$(command -v initdb 2>/dev/null) || return 1
	# Follow a symlink such as /usr/local/bin/initdb to its real directory.
	initdb=$(readlink -f "$initdb")
	[ -x "$(dirname "$initdb")/postgres" ] || return 1
	dirname "$initdb"
}

# pgaudit_lib BINDIR prints the path of pgaudit's shared library for the
# server in BINDIR, or fails when it is not installed.
pgaudit_lib() {
	local bin=$1 dir
	for dir in "$("$bin/pg_config" --pkglibdir 2>/dev/null || true)" \
		"$(dirname "$bin")/lib" "$(dirname "$bin")/lib/postgresql"; do
		[ -n "$dir" ] || continue
		if [ -f "$dir/pgaudit.so" ]; then
			printf '%s\n' "$dir/pgaudit.so"
			return 0
		fi
	done
	return 1
}

# server_user prints the OS user the server runs as: the caller, or for
# root (whom PostgreSQL refuses) Debian's "postgres" user, else "nobody".
server_user() {
	if ! is_root; then
		id -un
		return 0
	fi
	local u
	for u in postgres nobody; do
		if id "$u" >/dev/null 2>&1; then
			printf '%s\n' "$u"
			return 0
		fi
	done
	die "running as root and there is no unprivileged user (postgres or nobody) to run the server as"
}

# as_server CMD... runs a command as the server's OS user, from a
# directory that user can enter.
as_server() {
	# (A bare "return" would report the wrong status inside an EXIT trap.)
	if ! is_root; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$PG_OS_USER" -- "$@")
	else
		(cd / && setpriv --reuid="$PG_OS_USER" --regid="$(id -g "$PG_OS_USER")" \
			--init-groups -- "$@")
	fi
}

# port_busy PORT succeeds when something accepts connections on
# 127.0.0.1:PORT.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# load_cluster_env reads where the current demo cluster lives; it fails
# when there is none.
load_cluster_env() {
	[ -f "$CLUSTER_ENV" ] || return 1
	# shellcheck disable=SC1090
	. "$CLUSTER_ENV"
}

# pw ROLE prints the FAKE password the demo gave ROLE.
pw() {
	cat "$SECRETS/$1.pw"
}

# sql_as ROLE DB APPNAME [psql args...] runs psql as ROLE on DB over
# 127.0.0.1; the password is in the environment of that one command only.
sql_as() {
	local role=$1 db=$2 app=$3
	shift 3
	PGPASSWORD="$(pw "$role")" PGAPPNAME="$app" PGOPTIONS='-c client_min_messages=warning' \
		"$PG_BIN/psql" -X -w -q -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$DEMO_PORT" -U "$role" -d "$db" "$@"
}
