"""What the benchmarks that run roomrecd share: writing its configuration, starting it and waiting until its
encoder is chosen, and reading a process's CPU time and memory from /proc."""
import json
import os
import subprocess
import time

from control_bench import request

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User and system CPU seconds the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def kib(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def stop_and_finish(call):
    """Stops the recording in progress and returns it once its file is finished (its duration known); `call` is
    the control API function start_daemon returns."""
    call("/v1/recordings/current/stop", "POST")
    while call("/v1/status")[1]["state"] != "idle":
        time.sleep(0.05)
    recorded = call("/v1/recordings?maxItems=1")[1]["recordings"][0]
    while recorded.get("duration") is None:
        time.sleep(0.05)
        recorded = call("/v1/recordings?maxItems=1")[1]["recordings"][0]
    return recorded


def start_daemon(bin_dir, folder, preset, recording="", sections=""):
    """Starts roomrecd with everything under FOLDER (libx264 at PRESET; `recording` adds lines to [recording],
    `sections` adds whole sections) and waits until its encoder is chosen. Returns the process, a function that
    calls its control API (path, method, body) -> (status, JSON), and the status it last answered."""
    sock = os.path.join(folder, "control.sock")
    config = os.path.join(folder, "roomrec.toml")
    with open(config, "w") as f:
        f.write(f"""[room]
id = "bench"
title = "Bench"
[recording]
output_dir = "{folder}/recordings"
video_preset = "{preset}"
encoder = "software"
{recording}
[library]
path = "{folder}/library"
[control]
socket = "{sock}"
[daemon]
state_dir = "{folder}/state"
log_level = "notice"
{sections}""")

    def api(path, method="GET", body=b""):
        status, data = request(path, method, sock, body)
        return status, json.loads(data) if data else None

    log = open(os.path.join(folder, "roomrecd.log"), "w")
    daemon = subprocess.Popen([os.path.join(bin_dir, "roomrecd"), "--config", config], stdout=log, stderr=log)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(1)
        for _ in range(600):  # the encoder probe (and a calibration for "auto") runs after READY
            status, body = api("/v1/status")
            if "still being tried" not in (body["encoder"].get("reason") or ""):
                break
            time.sleep(0.1)
    except BaseException:
        daemon.terminate()
        daemon.wait()
        raise
    return daemon, api, body
