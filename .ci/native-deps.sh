#!/usr/bin/env bash
# better-sqlite3 is the only dependency with an install script. With no prebuilt binary to
# download (no route to GitHub here) it compiles SQLite from source: 2–8 minutes on 2 vCPUs.
# `.ci/run` installs with --ignore-scripts and runs this in the background while the static
# checks (which never load it) run. A binary built once is kept outside the clone, keyed by
# package version, Node ABI and platform, so later runs on the same machine copy it instead
# of compiling; a fresh machine compiles (and fills the cache).
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=node_modules/better-sqlite3
ver=$(node -p "require('./$pkg/package.json').version")
key="$ver-node$(node -p process.versions.modules)-$(node -p 'process.platform + "-" + process.arch')"
cache="${DSD_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dsd-ci}/better-sqlite3/$key"
bin="$pkg/build/Release/better_sqlite3.node"
works() { node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" >/dev/null 2>&1; }

if [ -f "$cache/better_sqlite3.node" ]; then
  mkdir -p "$(dirname "$bin")"
  cp "$cache/better_sqlite3.node" "$bin"
  if works; then
    echo "better-sqlite3 $key: cached build from $cache"
    exit 0
  fi
  echo "better-sqlite3 $key: the cached build does not load; compiling"
fi
start=$SECONDS
# two translation units (the SQLite amalgamation and the binding): let make run both at once
JOBS=max npm rebuild better-sqlite3 --loglevel=error >/dev/null
works || { echo "better-sqlite3 $key: built but does not load" >&2; exit 1; }
echo "better-sqlite3 $key: compiled in $((SECONDS - start)) s"
if mkdir -p "$cache" 2>/dev/null && cp "$bin" "$cache/better_sqlite3.node.tmp" 2>/dev/null; then
  mv "$cache/better_sqlite3.node.tmp" "$cache/better_sqlite3.node"
fi
