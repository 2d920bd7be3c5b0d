#!/usr/bin/env bash
# Installs the database servers the DB tests start themselves (test/db/helpers.ts):
# PostgreSQL (initdb/pg_ctl under /usr/lib/postgresql/*/bin) and MariaDB (mariadbd,
# mariadb-install-db), from Debian, only when missing. Nothing is started here: each test
# file runs a throwaway server in a temp dir on a loopback port and stops it.
# Optional: kamailio's DB modules, for test/fixtures/db/capture.ts (recapturing fixtures).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
pkgs=()
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then pkgs+=(postgresql); fi
if ! command -v mariadbd >/dev/null 2>&1 && ! [ -x /usr/sbin/mariadbd ]; then pkgs+=(mariadb-server); fi
if [ "${1:-}" = "--with-kamailio" ] && command -v kamailio >/dev/null 2>&1; then
  for m in sqlite postgres mysql; do
    [ -f "/usr/share/kamailio/$( [ $m = sqlite ] && echo db_sqlite || echo $m )/dispatcher-create.sql" ] || pkgs+=("kamailio-$m-modules")
  done
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "installing ${pkgs[*]} (for the DB tests)"
  $SUDO apt-get update -qq >/dev/null
  # policy-rc.d may refuse to start the packaged services; the tests never use them.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
# The packages start a system-wide server where they can; the tests do not need it.
exit 0
