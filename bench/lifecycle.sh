#!/usr/bin/env bash
# Recording lifecycle benchmark: how long a start takes to put its first frame in the file, and how long a stop
# takes to have the finished file in the upload queue, for a short and a longer recording (the goal: under 1 s and
# under 2 s, whatever the length). The reference, timed on the same files in the same run, is the classic finalize
# this design does without: `ffmpeg -c copy -movflags +faststart` (a remux) plus `sha256sum` (a hash pass).
#   usage: bench/lifecycle.sh [SHORT_SECONDS] [LONG_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory release >/dev/null
out=$PWD/out/bench-lifecycle
rm -rf "$out"
make --no-print-directory "out/bench-lifecycle/roomrec.toml" >/dev/null
bin=$(swift build -c release --show-bin-path)
socket=$out/control.sock
"$bin/roomrecd" --config "$out/roomrec.toml" > "$out/roomrecd.log" 2>&1 &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
api() { curl -sf --unix-socket "$socket" "http://roomrecd$1"; }
metric() { api /metrics | awk -v name="$1" '$1 == name { print $2 }'; }

printf '%-10s %8s %14s %14s %22s %8s\n' recording size "start→frame" "stop→queued" "reference: remux+hash" ratio
for seconds in "${1:-10}" "${2:-120}"; do
    ROOMREC_SOCKET=$socket "$bin/roomrecctl" start --title "Lifecycle ${seconds}s" >/dev/null
    sleep "$seconds"
    ROOMREC_SOCKET=$socket "$bin/roomrecctl" stop >/dev/null
    for _ in $(seq 600); do
        api "/v1/recordings?maxItems=1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["recordings"][0]; sys.exit(0 if r.get("uploadStatus") else 1)' && break
        sleep 0.1
    done
    file=$(api "/v1/recordings?maxItems=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["recordings"][0]["path"])')
    start=$(metric roomrec_recording_start_latency_seconds)
    stop=$(metric roomrec_recording_stop_latency_seconds)
    t0=$(date +%s.%N)
    ffmpeg -nostdin -v error -y -i "$file" -c copy -movflags +faststart "$out/reference.mp4"
    sha256sum "$out/reference.mp4" >/dev/null
    t1=$(date +%s.%N)
    reference=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    size=$(du -h "$file" | cut -f1)
    printf '%-10s %8s %12.3f s %12.3f s %20.3f s %8.2f\n' "${seconds} s" "$size" "$start" "$stop" "$reference" "$(awk -v s="$stop" -v r="$reference" 'BEGIN { print s / r }')"
done
echo "stop→queued stays flat with the length (a rename, the hash taken while writing); the reference grows with the file."
