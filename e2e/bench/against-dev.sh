#!/usr/bin/env bash
# Runs the standard and FIFO workloads against a fresh `sluice dev` (durable
# local store), each after the same workload against the null server, then
# the two standard throughput workloads against the null server run as a
# process of its own (`--serve-null`): the floor a server process that does
# nothing reaches on this machine, and its CPU per message.
#   e2e/bench/against-dev.sh [path/to/sluice] [extra sluice-bench flags]
# SLUICE_DEV_FLAGS adds flags to the `sluice dev` command line, e.g.
#   SLUICE_DEV_FLAGS=--metering=false  (to measure the metering overhead)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/bin/sluice}"
shift || true
data="$(mktemp -d)"
out="$data/banner"
(cd "$root/e2e" && go build -o "$data/sluice-bench" ./bench/cmd/sluice-bench)
# shellcheck disable=SC2086 # SLUICE_DEV_FLAGS is split into flags on purpose
"$bin" dev --data "$data/store" --listen 127.0.0.1:0 ${SLUICE_DEV_FLAGS:-} >"$out" 2>"$data/log" &
pid=$!
null_pid=""
trap 'kill $pid $null_pid 2>/dev/null || true; wait $pid $null_pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q Ctrl-C "$out" 2>/dev/null && break; sleep 0.1; done
field() { sed -n "s/^ *$1: *//p" "$out" | head -1 | cut -d' ' -f1; }
export SLUICE_BENCH_ACCESS_KEY="$(field 'access key')" SLUICE_BENCH_SECRET_KEY="$(field 'secret key')"
b=(--queue w1 --producers 8 --consumers 8 --batch 10 --size 256 --messages 50000)
a=(--queue w2 --producers 1 --consumers 1 --batch 1 --size 256 --messages 5000)
bench() { "$data/sluice-bench" --null --server-pid "$pid" --endpoint "$(field endpoint)" --region "$(field region)" "$@"; }
bench "${b[@]}" "$@"
bench "${a[@]}" "$@"
bench --queue w3 --latency --duration 10s "$@"
# FIFO: order is checked per group by the sequence numbers received.
bench --queue f4 --groups 4 --producers 4 --consumers 8 --batch 10 --size 256 --messages 20000 "$@"
bench --queue f64 --groups 64 --producers 4 --consumers 8 --batch 10 --size 256 --messages 20000 "$@"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""

# The floor: each standard workload against a null server process (a fresh
# one per run, as its message accounting is per run id).
floor() {
	local run_id=$((RANDOM + 1)) endpoint=""
	"$data/sluice-bench" --serve-null --run-id "$run_id" >"$data/null" 2>"$data/null.err" &
	null_pid=$!
	for _ in $(seq 100); do
		endpoint="$(grep -o 'http://[^ ]*' "$data/null" 2>/dev/null | head -1 || true)"
		if [ -n "$endpoint" ] || ! kill -0 "$null_pid" 2>/dev/null; then break; fi
		sleep 0.1
	done
	if [ -z "$endpoint" ]; then
		echo "the null server (--serve-null) printed no endpoint:" >&2
		cat "$data/null" "$data/null.err" >&2
		exit 1
	fi
	echo "== null server as its own process: $*"
	"$data/sluice-bench" --server-pid "$null_pid" --endpoint "$endpoint" --run-id "$run_id" "$@"
	kill "$null_pid"
	wait "$null_pid" 2>/dev/null || true
	null_pid=""
}
floor "${b[@]}" "$@"
floor "${a[@]}" "$@"
