#!/usr/bin/env bash
# Runs every test on a fresh machine. Installs what is missing (the SQS emulator's npm packages,
# PostgreSQL 15 binaries via apt-get), builds, and runs the unit and the integration test projects;
# the integration tests start the emulator and a throwaway PostgreSQL cluster themselves, on free
# ports, and stop them at the end. Ends with one line "N passed, N failed"; exits non-zero on any failure.
#
# The integration tests that run the executable run the published one, as it ships: one native executable
# (the publish takes 4-8 minutes on 2 cores; the publish test in ContainerTests makes its own, from the
# Dockerfile's command line).
#
# The compose test (ComposeTests) runs `docker compose up --build` on the real docker-compose.yml and Dockerfile:
# this script installs the engine and the Compose plugin where missing (scripts/engine.sh), starts dockerd for the
# run and stops it after, and builds the local stand-ins for the official images where missing (tests/containers).
#
#   ./test.sh                   everything
#   ./test.sh --unit            only the unit tests (no services needed)
#   ./test.sh --jit             the integration tests run the build output under the JIT instead (no publish)
#   ./test.sh --filter EXPR     passed to dotnet test (e.g. --filter FullyQualifiedName~Masking)
#   ./test.sh --no-compose      skip the compose test (no engine, no stand-ins): for quick local runs
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

projects=(tests/LoginConsumer.Tests tests/LoginConsumer.IntegrationTests)
filter=()
published=true
compose=true
while [ $# -gt 0 ]; do
  case "$1" in
    --unit) projects=(tests/LoginConsumer.Tests); published=false; compose=false; shift ;;
    --no-compose) compose=false; shift ;;
    --jit) published=false; shift ;;
    --filter) filter=(--filter "$2"); shift 2 ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

# Services left behind by an interrupted earlier run.
for stale in /tmp/loginconsumer-it-*; do
  [ -d "$stale" ] && { scripts/services.sh stop --state "$stale" >/dev/null 2>&1; rm -rf "$stale"; }
done

scripts/services.sh install || { echo "0 passed, 1 failed"; exit 1; }
if [ "$compose" = true ] && [ ${#filter[@]} -gt 0 ] && ! grep -q 'Compose' <<<"${filter[1]}"; then
  compose=false   # a filter that cannot select the compose test needs no engine
fi
if [ "$compose" = true ]; then
  echo "== a container engine and the stand-in images for the compose test"
  { scripts/engine.sh install && scripts/engine.sh start && tests/containers/build.sh; } \
    || { scripts/engine.sh stop; echo "0 passed, 1 failed"; exit 1; }
  trap 'scripts/engine.sh stop' EXIT
  export LC_COMPOSE_TEST=1
else
  unset LC_COMPOSE_TEST
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build LoginConsumer.sln -c Release -warnaserror || { echo "0 passed, 1 failed"; exit 1; }
if [ "$published" = true ]; then
  echo "== publishing the consumer as it ships (Native AOT) for the integration tests"
  rm -rf .local/test-publish
  dotnet publish src/LoginConsumer -c Release -o .local/test-publish --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }
  LC_TEST_CONSUMER=$PWD/.local/test-publish/LoginConsumer
  export LC_TEST_CONSUMER
else
  unset LC_TEST_CONSUMER
fi

results=$(mktemp -d)
passed=0
failed=0
for project in "${projects[@]}"; do
  name=$(basename "$project")
  dotnet test "$project" -c Release --no-build "${filter[@]}" --blame-hang-timeout 15m \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=detailed" --results-directory "$results"
  trx="$results/$name.trx"
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
    f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
    # Tests that never finished (a crashed or hung test host) are failures too.
    t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
    nf=$(sed -E 's/.* notExecuted="([0-9]+)".*/\1/' <<<"$counters")
    passed=$((passed + p))
    failed=$((failed + f + (t - p - f - nf > 0 ? t - p - f - nf : 0)))
  else
    echo "test.sh: $name produced no results" >&2
    failed=$((failed + 1))
  fi
done
rm -rf "$results"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
