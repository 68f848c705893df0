#!/usr/bin/env bash
# Fuzzes the live control socket against docs/control-api.yaml with schemathesis: starts roomrecd on a
# development config under OUT, bridges a loopback TCP port to its Unix socket with socat, and runs every
# check (no 5xx, responses as documented) with a bounded number of examples per operation.
#   usage: scripts/fuzz.sh BIN_DIR OUT [MAX_EXAMPLES]
set -euo pipefail
bin=$1
out=$2
examples=${3:-25}
here=$(cd "$(dirname "$0")/.." && pwd)
venv=$out/venv
port=$((20000 + RANDOM % 20000))

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi

"$bin/roomrecd" --config "$out/roomrec.toml" > "$out/roomrecd.log" 2>&1 &
daemon=$!
socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$out/control.sock" &
bridge=$!
trap 'kill $bridge 2>/dev/null; kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$out/control.sock" ] && break; sleep 0.1; done

# /v1/events streams until the client leaves; the end-to-end tests cover it.
status=0
"$venv/bin/schemathesis" --config-file "$here/scripts/schemathesis.toml" run "$here/docs/control-api.yaml" --url "http://127.0.0.1:$port" \
    --checks all --max-examples "$examples" --seed 20261123 --request-timeout 20 \
    --exclude-path /v1/events --report junit --report-dir "$out/report" || status=$?
if grep -E "Fatal|panic|Segmentation" "$out/roomrecd.log"; then status=1; fi
kill -0 $daemon 2>/dev/null || { echo "roomrecd died during the fuzzing run; see $out/roomrecd.log"; status=1; }
exit $status
