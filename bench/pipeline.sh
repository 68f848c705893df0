#!/usr/bin/env bash
# Pipeline benchmark: SECONDS (default 60) of the synthetic stage recorded through a release roomrecd and through
# the ffmpeg command line doing the same work, in the same run; prints CPU seconds per recorded minute for both
# and their ratio, the real-time factor, dropped frames and RSS; then the same recording watched as the room panel
# watches it (a preview of the stage every second, the levels subscribed) and the CPU that adds. PRESET is the
# libx264 preset for both (default:
# the one the daemon calibrates on this machine). For the flat-memory check run it for 30 minutes: 1800.
#   usage: bench/pipeline.sh [SECONDS] [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory release >/dev/null
bin=$(swift build -c release --show-bin-path)
preset=${2:-}
if [ -z "$preset" ]; then
    # The daemon's own calibration on this machine, kept in its state directory.
    python3 bench/pipeline_bench.py "$bin" "$PWD/out/bench-pipeline-calibrate" 6 auto >/dev/null
    preset=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["preset"])' out/bench-pipeline-calibrate/state/encoder-calibration.json)
fi
echo "libx264 preset: $preset"
python3 bench/pipeline_bench.py "$bin" "$PWD/out/bench-pipeline" "${1:-60}" "$preset"
