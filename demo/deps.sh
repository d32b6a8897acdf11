#!/usr/bin/env bash
# deps.sh: make sure PostgreSQL >= 15 and pgaudit are installed. As root on
# a Debian-like system it installs them from the OS packages; otherwise it
# says exactly what to install and fails.
#
# deps.sh --test (make test) also makes sure of what only the tests need:
# Python's jsonschema package, which validates ward's SARIF against the
# official schema (python3-jsonschema). Without it the SARIF validation
# tests skip, or fail when $CI is set.
. "$(dirname "$0")/lib.sh"

MIN_MAJOR=15

# apt_install PKG... installs Debian packages. The package lists are
# refreshed first when one of the packages is unknown, or once after a
# failed attempt (stale lists point at files the mirror no longer has).
apt_install() {
	local p stale=0
	for p in "$@"; do
		apt-cache show "$p" >/dev/null 2>&1 || stale=1
	done
	if [ "$stale" = 1 ]; then
		say "refreshing the package lists (apt-get update)"
		apt-get update -qq
	fi
	say "installing $*"
	if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
		return 0
	fi
	[ "$stale" = 0 ] || die "apt-get install $* failed"
	say "install failed; refreshing the package lists and trying again"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
		die "apt-get install $* failed"
}

can_install() {
	is_root && command -v apt-get >/dev/null 2>&1
}

# Which pgaudit package matches server major N on Debian and Ubuntu.
pgaudit_pkg() { printf 'postgresql-%s-pgaudit\n' "$1"; }

bin=$(find_pg_bin || true)
if [ -z "$bin" ]; then
	if ! can_install; then
		die "PostgreSQL >= $MIN_MAJOR with pgaudit is needed. Install it, e.g.
  sudo apt-get install -y postgresql postgresql-$MIN_MAJOR-pgaudit
(the pgaudit package must match the server's major version), or set
WARD_PG_BIN to the bin directory of such a server."
	fi
	apt_install postgresql
	installed_pg=1
	bin=$(find_pg_bin) || die "postgresql installed but no server programs found"
fi

major=$(pg_major "$bin")
[ -n "$major" ] || die "cannot tell the version of $bin/postgres"
if [ "$major" -lt "$MIN_MAJOR" ]; then
	die "PostgreSQL $major in $bin is too old: the demo needs $MIN_MAJOR or newer
(set WARD_PG_BIN to the bin directory of a newer server)"
fi

if ! pgaudit_lib "$bin" >/dev/null; then
	pkg=$(pgaudit_pkg "$major")
	if ! can_install; then
		die "pgaudit for PostgreSQL $major is not installed. Install it, e.g.
  sudo apt-get install -y $pkg"
	fi
	apt_install "$pkg"
	pgaudit_lib "$bin" >/dev/null || die "$pkg installed but pgaudit.so not found for $bin"
fi

if [ "${installed_pg:-0}" = 1 ]; then
	say "note: Debian's postgresql package may also have created and started its own"
	say "      cluster (pg_lsclusters shows it); the demo does not use it."
fi
say "using PostgreSQL $major from $bin with $(pgaudit_lib "$bin")"

# has_jsonschema: the python3 on the PATH, or Debian's (where the package
# installs when another python3, such as pyenv's, comes first) can use it.
has_jsonschema() {
	python3 -c 'import jsonschema' >/dev/null 2>&1 ||
		/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1
}

if [ "${1:-}" = --test ] && ! has_jsonschema; then
	if can_install; then
		apt_install python3-jsonschema
		has_jsonschema || die "python3-jsonschema installed but python3 cannot import jsonschema"
	elif [ -n "${CI:-}" ]; then
		die "python3 with the jsonschema package validates the SARIF in CI. Install it, e.g.
  sudo apt-get install -y python3-jsonschema"
	else
		say "note: python3-jsonschema is not installed; the SARIF schema tests will skip"
		say "      (sudo apt-get install -y python3-jsonschema)"
	fi
fi
