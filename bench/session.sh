#!/usr/bin/env bash
# Session benchmark: a release roomrecd in a Janus VideoRoom (a real Janus on 127.0.0.1) with two remote publishers
# (aiortc peers) sending what a real participant's browser sends: a moving camera-like 1280x720 30 fps H.264 picture
# at about 1 Mbit/s (a clip bench/camera_clip.py makes once into out/bench-clips, sent without encoding, so the peers
# take a few % of a core each) and Opus; publishing the room and recording the stage for SECONDS (default 60); then on
# stage as long without recording; then publishing through WHIP (Debian's simple-whip-server in front of the same
# Janus, `make whip-server`) while recording the room's own sources; then, in the same run, the same daemon recording
# the room alone for as long (the reference). Prints the real-time factor, dropped frames and CPU seconds per recorded
# minute in the session, through WHIP and alone, their ratios, the CPU of being on stage without recording, and what
# was published and received.
# Needs `make deps test-peers whip-server` (janus, GStreamer, the test venv, simple-whip-server).
#   usage: bench/session.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory release >/dev/null
bin=$(swift build -c release --show-bin-path)
# The daemon calibrates libx264 here once: the reference run uses the preset it chooses alone, and the session runs
# let the daemon choose from the same measurement, as a room computer in a session does.
python3 bench/pipeline_bench.py "$bin" "$PWD/out/bench-pipeline-calibrate" 6 auto >/dev/null
calibration=$PWD/out/bench-pipeline-calibrate/state/encoder-calibration.json
preset=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["preset"])' "$calibration")
echo "libx264 preset alone: $preset"
python3 bench/session_bench.py "$bin" "$PWD/out/bench-session" "${1:-60}" "$preset" "$calibration"
