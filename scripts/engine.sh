#!/usr/bin/env bash
# A container engine for the compose test: Debian's docker.io (dockerd) with the Compose v2 plugin.
#
#   scripts/engine.sh install   docker.io and debootstrap (apt-get), and the Compose v2 plugin where `docker compose`
#                               is missing: Debian 12's own docker-compose is v1, which rejects the compose file's
#                               top-level name; the v2 plugin is the static binary in the docker-compose package of
#                               Debian's next release (trixie), fetched with a source list kept apart from the system's
#   scripts/engine.sh start     start dockerd in the background unless an engine already answers
#   scripts/engine.sh stop      stop the dockerd that start started (an engine it found running is left alone)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state="${LC_ENGINE_STATE:-$here/../.local/engine}"
plugins=/usr/local/lib/docker/cli-plugins

log() { echo "engine: $*" >&2; }

install_engine() {
  local packages=()
  command -v dockerd >/dev/null || packages+=(docker.io)
  command -v debootstrap >/dev/null || packages+=(debootstrap)
  if [ ${#packages[@]} -gt 0 ]; then
    log "installing ${packages[*]} (apt-get)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
  fi
  if ! docker compose version >/dev/null 2>&1; then
    log "installing the Compose v2 plugin from Debian trixie's docker-compose package"
    local apt_dir
    apt_dir=$(mktemp -d)
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null
      -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update -q >/dev/null
    (cd "$apt_dir" && apt-get "${opts[@]}" download docker-compose >/dev/null 2>&1)
    dpkg-deb -x "$apt_dir"/docker-compose_*.deb "$apt_dir/x"
    mkdir -p "$plugins"
    install -m 755 "$apt_dir/x/usr/libexec/docker/cli-plugins/docker-compose" "$plugins/docker-compose"
    rm -rf "$apt_dir"
    docker compose version >/dev/null
  fi
}

start_engine() {
  if docker info >/dev/null 2>&1; then
    log "an engine already runs"
    return 0
  fi
  mkdir -p "$state"
  log "starting dockerd"
  dockerd --pidfile "$state/dockerd.pid" >"$state/dockerd.log" 2>&1 &
  echo $! > "$state/started.pid"
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "dockerd did not answer within 60 s:"; tail -20 "$state/dockerd.log" >&2; return 1; fi
    sleep 0.5
  done
}

stop_engine() {
  [ -f "$state/started.pid" ] || return 0
  local pid
  pid=$(cat "$state/started.pid")
  log "stopping dockerd ($pid)"
  kill "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$state/started.pid"
}

case "${1:-}" in
  install) install_engine ;;
  start) start_engine ;;
  stop) stop_engine ;;
  *) echo "usage: scripts/engine.sh install|start|stop" >&2; exit 2 ;;
esac
