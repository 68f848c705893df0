#!/usr/bin/env bash
# Calendar benchmark: a 2,000-event timetable export (a quarter recurring) expanded over a year by the daemon's
# engine (libical) and by an independent implementation (Python's recurring-ical-events), in the same run: each
# one's median time and peak RSS, and their ratio (bench/schedule_bench.py).
#   usage: bench/schedule.sh [RUNS (5)]
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory release test-peers >/dev/null
bin=$(swift build -c release --show-bin-path)
python3 bench/schedule_bench.py "$bin/roomrecctl" "$PWD/out/test-venv" "$PWD/out/bench-schedule" "${1:-5}"
