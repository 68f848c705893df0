#!/usr/bin/env bash
# Upload benchmark: delivers a SIZE_MIB file to a local S3-compatible server (moto_server) through a release
# roomrecd and through `aws s3 cp` in the same run, and prints the throughput ratio and roomrecd's idle and peak
# RSS; then measures how close a capped upload stays to its cap; then ingests a SIZE_MIB file into the Opencast test
# server (Tests/Peers/opencast_server.py) through roomrecd and through curl posting it the same way, and prints the
# throughput ratio and roomrecd's idle and peak RSS (bench/upload_bench.py).
#   usage: bench/upload.sh [SIZE_MIB (1024)] [CAP_BYTES_PER_SECOND (2000000; 0 to skip)]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "curl is needed (the Opencast reference): apt-get install curl"; exit 1; }
make --no-print-directory release test-peers >/dev/null
aws_venv=$PWD/out/bench-venv
if [ ! -x "$aws_venv/bin/aws" ]; then
    python3 -m venv "$aws_venv"
    "$aws_venv/bin/pip" install --quiet --disable-pip-version-check "awscli==1.42.*"
fi
bin=$(swift build -c release --show-bin-path)
python3 bench/upload_bench.py "$bin" "$PWD/out/test-venv" "$aws_venv" "$PWD/out/bench-upload" "${1:-1024}" "${2:-2000000}"
