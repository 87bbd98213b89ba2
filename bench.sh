#!/usr/bin/env bash
# Benchmarks on this machine, against its own local emulator and PostgreSQL (started here, stopped at the end).
#
#   ./bench.sh                      pipelines over a 50,000-message backlog, then steady-state lag at 1,000 msg/s for 60 s
#   ./bench.sh --messages 100000    a larger backlog (the peak-RSS target is stated for 100,000)
#   ./bench.sh --rate 1000 --seconds 60 --warmup 10   (warm-up: sent at the same rate, not counted)
#   ./bench.sh --skip-lag | --skip-pipelines
#   ./bench.sh --consumer-receivers 2,8   Sqs:Receivers values tried besides the default 4 ('' for none), cold and running; the best counts
#   ./bench.sh --warm-up-messages 10000   what the running consumer stores before the backlog appears
#   ./bench.sh --naive-seconds 20   each of the naive pipeline's two windows (the faster counts)
#   ./bench.sh --profile            one drain under dotnet-counters (CPU, JIT time and methods by tier, allocations, GC, thread pool),
#                                   then one under perf record: CPU samples by owner (JIT, SDK, MassTransit, …), whole drain and second half
#   ./bench.sh --insert             also the batched INSERT alone into a growing user_logins (3,000,000 rows in steps of
#                                   500,000; --insert-rows N): rows/s, PostgreSQL CPU and message_id index size per step
#   ./bench.sh --compare EXE [--pairs 4]
#                                   cold drains of --messages in alternating pairs: EXE (another build's published
#                                   LoginConsumer, e.g. main's) and this tree's, the order swapped every pair; prints each
#                                   drain and, per pair, this tree's CPU per message over EXE's
#   ./bench.sh --micro              BenchmarkDotNet: parse + validate + mask of one message, MassTransit's dispatch of one,
#                                   the AWS SDK's receive + delete of ten against an in-process answer (ns/op, bytes)
#
# Prints messages/s, CPU seconds per 1,000 messages for the consumer, the emulator and PostgreSQL, the
# consumer's peak RSS and the ratios, and writes them to bench-results.json. Absolute figures are noisy on
# a shared 2-core machine: compare the ratios, which are measured in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

compare='' pairs=4 messages=50000 consumer_receivers=2,8 warm_up_messages=10000 naive_seconds=20 rate=1000 seconds=60 warmup=10 lag=true pipelines=true micro=false profile=false insert=false insert_rows=3000000
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages=$2; shift 2 ;;
    --consumer-receivers) consumer_receivers=$2; shift 2 ;;
    --warm-up-messages) warm_up_messages=$2; shift 2 ;;
    --naive-seconds) naive_seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --skip-lag) lag=false; shift ;;
    --skip-pipelines) pipelines=false; shift ;;
    --micro) micro=true; shift ;;
    --insert) insert=true; shift ;;
    --insert-rows) insert=true; insert_rows=$2; shift 2 ;;
    --profile) profile=true; shift ;;
    --compare) compare=$(readlink -f "$2"); shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ "$micro" = true ]; then
  exec dotnet run -c Release --project bench/LoginConsumer.Bench -- micro --filter '*'
fi

state=.local/bench
scripts/services.sh stop --state "$state" 2>/dev/null || true
env_file=$(scripts/services.sh start --state "$state")
trap 'scripts/services.sh stop --state "$state"' EXIT

# The shipped build is one native executable. The profile counts JIT work and samples JIT-compiled code by
# owner, so it runs the ReadyToRun build on the shared runtime instead; both have the same running rate
# (docs/performance.md, "Native AOT").
consumer=.local/bench-publish
rm -rf "$consumer"
if [ "$profile" = true ]; then
  echo "== publishing the consumer (Release, ReadyToRun on the shared runtime, for the profile) and building the bench"
  dotnet publish src/LoginConsumer -c Release -p:PublishAot=false -o "$consumer" --nologo -v quiet
else
  echo "== publishing the consumer (Release, Native AOT: 4-8 minutes on 2 cores) and building the bench"
  # The packages' own trim/AOT warnings go to the log; a failed publish prints it.
  dotnet publish src/LoginConsumer -c Release -o "$consumer" --nologo -v quiet > .local/bench-publish.log 2>&1 \
    || { cat .local/bench-publish.log >&2; exit 1; }
fi
dotnet build bench/LoginConsumer.Bench -c Release --nologo -v quiet
# shellcheck disable=SC1090
source "$env_file"
# The shipped defaults; Development only supplies the local masking key and creates nothing here.
export DOTNET_ENVIRONMENT=Development
"$consumer/LoginConsumer" migrate >/dev/null

bench=(dotnet bench/LoginConsumer.Bench/bin/Release/net10.0/LoginConsumer.Bench.dll)
if [ -n "$compare" ]; then
  drain() { "${bench[@]}" consumer --messages "$messages" --consumer "$2" --state "$state" | sed "s/^/$1 /"; }
  cpu() { sed -E 's/.*consumer ([0-9.]+),.*/\1/'; }
  for pair in $(seq 1 "$pairs"); do
    if [ $((pair % 2)) -eq 1 ]; then
      other=$(drain "other" "$compare"); this=$(drain "this " "$consumer/LoginConsumer")
    else
      this=$(drain "this " "$consumer/LoginConsumer"); other=$(drain "other" "$compare")
    fi
    printf '%s\n%s\n' "$other" "$this"
    awk -v p="$pair" -v a="$(cpu <<<"$other")" -v b="$(cpu <<<"$this")" 'BEGIN { printf "pair %d: CPU per message this/other = %.3f\n", p, b / a }'
  done
  exit 0
fi
rm -f bench-results.json
if [ "$profile" = true ]; then
  dotnet tool restore >/dev/null
  "${bench[@]}" profile --messages "$messages" --consumer "$consumer/LoginConsumer" --state "$state"
  pipelines=false lag=false
fi
if [ "$pipelines" = true ]; then
  "${bench[@]}" pipelines --messages "$messages" --consumer-receivers "$consumer_receivers" --warm-up-messages "$warm_up_messages" --naive-seconds "$naive_seconds" --consumer "$consumer/LoginConsumer" --state "$state"
fi
if [ "$lag" = true ]; then
  "${bench[@]}" lag --rate "$rate" --seconds "$seconds" --warmup "$warmup" --consumer "$consumer/LoginConsumer" --state "$state"
fi
if [ "$insert" = true ]; then
  "${bench[@]}" insert --rows "$insert_rows" --state "$state"
fi
echo "== bench-results.json"
cat bench-results.json
