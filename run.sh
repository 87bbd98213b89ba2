#!/usr/bin/env bash
# The main job on a bare machine: starts the local SQS emulator and a throwaway PostgreSQL, publishes
# the service, migrates, sends the sample, runs the consumer until the queue is empty, and prints a
# summary (rows stored, error-queue messages with reasons, a few masked rows, duplicate masked values).
#
#   ./run.sh                 the fixed 100-message sample
#   ./run.sh --count 50000   N generated events instead
#   ./run.sh --keep          leave the services running afterwards (to look with psql / the AWS CLI)
#   ./run.sh --native        run the native executable that ships (4-8 minutes to publish on 2 cores) instead of the
#                            ReadyToRun build (about a minute); both are published again only when the source changed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

count=()
keep=false
native=false
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=(--count "$2"); shift 2 ;;
    --keep) keep=true; shift ;;
    --native) native=true; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

state=.local/run
scripts/services.sh stop --state "$state" 2>/dev/null || true
env_file=$(scripts/services.sh start --state "$state" --pg-port "${LC_PG_PORT:-0}" --sqs-port "${LC_SQS_PORT:-0}")
if [ "$keep" = false ]; then
  trap 'scripts/services.sh stop --state "$state"' EXIT
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Published again only when the source or the build settings changed since the last publish of the same kind.
source_hash=$(find src Directory.Build.props Directory.Packages.props global.json -type f \
    -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-32)-native-$native
if [ "$(cat .local/publish/.source-hash 2>/dev/null)" = "$source_hash" ]; then
  echo "== publish: up to date"
else
  rm -rf .local/publish
  if [ "$native" = true ]; then
    echo "== publishing (one native executable, as shipped: 4-8 minutes on 2 cores)"
    aot=()
  else
    echo "== publishing (ReadyToRun, about a minute; ./run.sh --native for the native executable that ships)"
    aot=(-p:PublishAot=false)
  fi
  # The packages' own trim/AOT warnings go to the log with the rest; a failed publish prints it.
  dotnet publish src/LoginConsumer -c Release "${aot[@]}" -o .local/publish --nologo -v quiet > .local/publish.log 2>&1 \
    || { cat .local/publish.log >&2; exit 1; }
  echo "$source_hash" > .local/publish/.source-hash
fi
# shellcheck disable=SC1090
source "$env_file"
# Development: the built-in development masking key, and queues created where missing.
export DOTNET_ENVIRONMENT=Development
# The health and metrics port: any free one for the demo (a long-running `run` defaults to 8080).
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://127.0.0.1:0}
app=.local/publish/LoginConsumer

echo "== migrate"
"$app" migrate
echo "== send-sample ${count[*]}"
"$app" send-sample "${count[@]}"
echo "== run --until-empty"
start=$(date +%s.%N)
"$app" run --until-empty
echo "   drained in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
echo "== summary"
"$app" summary

if [ "$keep" = true ]; then
  # Everything a command needs beside the services' own settings: the environment this run used.
  printf 'export DOTNET_ENVIRONMENT=%s\n' "$DOTNET_ENVIRONMENT" >> "$env_file"
  echo
  echo "Services left running. To use them:  source $env_file"
  echo "  The executable:  $PWD/$app   (e.g. $PWD/$app dlq peek)"
  echo "  psql \"host=127.0.0.1 port=\$LC_PG_PORT dbname=logins user=postgres\" -c 'SELECT * FROM user_logins LIMIT 5'"
  echo "  Stop them with:  scripts/services.sh stop --state $state"
fi
