#!/usr/bin/env bash
# Run by `npm test` before anything else: what the tests need that no npm package ships (psql and
# pgbench as peers, Debian's PostgreSQL 15 server as the second version) is installed from Debian's
# packages when it is missing, so `npm install && npm test` is the whole set-up on a fresh machine.
# Where that cannot be done, one line says so and the tests do not run: nothing is skipped silently.
set -euo pipefail

PG15_BIN=/usr/lib/postgresql/15/bin

missing() {
  local need=()
  # /usr/bin/psql and pgbench are wrappers (postgresql-client-common) that stay behind when the
  # version's own package is removed: look for the real binaries.
  [ -x "$PG15_BIN/psql" ] || need+=(postgresql-client-15)
  { [ -x "$PG15_BIN/postgres" ] && [ -x "$PG15_BIN/pgbench" ]; } || need+=(postgresql-15)
  echo "${need[@]}"
}

need=$(missing)
[ -z "$need" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test: the tests need Debian's $need (psql, pgbench, the PostgreSQL 15 server in $PG15_BIN) and cannot install them here ($( [ "$(id -u)" != 0 ] && echo 'not root' || echo 'no apt-get')): install them, then run npm test again" >&2
  exit 1
fi

# Two test runs starting at once install once: the second waits, then finds nothing missing.
exec 9>/tmp/chatbench-prerequisites.lock
flock 9
need=$(missing)
[ -z "$need" ] && exit 0
echo "npm test: installing $need from Debian's packages (apt-get) for psql, pgbench and the PostgreSQL 15 tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
# shellcheck disable=SC2086 # one word per package
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $need >/dev/null
