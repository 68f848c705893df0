#!/usr/bin/env bash
# Control socket benchmark: starts a release roomrecd on a development config under out/bench, starts a 1080p
# recording of the synthetic stage, then measures GET /v1/status latency (p50, p99) and how fast 100 Server-Sent
# Events subscribers hear a recording's state change (bench/control_bench.py).
#   usage: bench/control.sh [REQUESTS] [SUBSCRIBERS]
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory release >/dev/null
make --no-print-directory out/bench/roomrec.toml >/dev/null
bin=$(swift build -c release --show-bin-path)
out=$PWD/out/bench
socket=$out/control.sock
"$bin/roomrecd" --config "$out/roomrec.toml" > "$out/roomrecd.log" 2>&1 &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
ROOMREC_SOCKET=$socket "$bin/roomrecctl" start --title "Benchmark" >/dev/null
sleep 3
python3 bench/control_bench.py "$socket" "${1:-2000}" "${2:-100}"
