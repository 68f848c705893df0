#!/usr/bin/env bash
# The quick-start demo: starts roomrecd on the embedded defaults (SQLite catalog, local media-library folder,
# synthetic stage) under OUT, records 15 seconds through the control socket, waits for the upload, and shows
# where the file landed and what ffprobe says of it.
#   usage: scripts/demo.sh BIN_DIR OUT
set -euo pipefail
bin=$1
out=$2
config=$out/roomrec.toml
socket=$out/control.sock
export ROOMREC_SOCKET=$socket
ctl() { "$bin/roomrecctl" "$@"; }

"$bin/roomrecd" --config "$config" > "$out/roomrecd.log" 2>&1 &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
ctl status

echo; echo "== Recording 15 seconds of the synthetic stage"
ctl start --title "RoomRecorder demo"
sleep 15
ctl stop

echo; echo "== Waiting for the upload"
recording=$(ctl recordings --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["recordings"][0]["recordingId"])')
for _ in $(seq 600); do
    state=$(ctl queue --json | python3 -c 'import json,sys
jobs=[j for j in json.load(sys.stdin)["uploads"] if j["recordingId"]==sys.argv[1]]
print(jobs[0]["state"] if jobs else "none")' "$recording")
    [ "$state" = done ] || [ "$state" = failed ] && break
    sleep 0.1
done
ctl queue
[ "$state" = done ] || { echo "the upload did not finish (state: $state); see $out/roomrecd.log"; exit 1; }

file=$(ctl queue --json | python3 -c 'import json,sys
print([j for j in json.load(sys.stdin)["uploads"] if j["recordingId"]==sys.argv[1]][0]["remoteId"])' "$recording")
echo; echo "== Delivered: $file"
ffprobe -v error -show_entries format=duration,size:stream=codec_name,profile,width,height,r_frame_rate,sample_rate,channels \
    -of default=noprint_wrappers=1 "$file"
echo "sha256: $(sha256sum "$file" | cut -d' ' -f1)"
echo; echo "Daemon log: $out/roomrecd.log"
