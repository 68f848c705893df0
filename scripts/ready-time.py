#!/usr/bin/env python3
"""The daemon's start-to-ready time: from exec to the READY=1 it sends systemd, read on a notify socket of our own,
as systemd would. A figure, not a limit (make deb prints it).

    scripts/ready-time.py /path/to/roomrecd [runs]

Each run starts the binary on a fresh state folder (a new catalog, the synthetic stage, a folder library) and
stops it with SIGTERM once ready.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CONFIG = """[room]
id = "room-101"
[recording]
output_dir = "{d}/recordings"
video_preset = "veryfast"
[library]
target = "folder"
path = "{d}/library"
[control]
socket = "{d}/control.sock"
[daemon]
state_dir = "{d}/state"
log_level = "warning"
"""


def one_run(binary):
    with tempfile.TemporaryDirectory(prefix="roomrec-ready-") as d:
        config = os.path.join(d, "roomrec.toml")
        with open(config, "w") as f:
            f.write(CONFIG.format(d=d))
        notify = os.path.join(d, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify)
        sock.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=notify)
        started = time.monotonic()
        daemon = subprocess.Popen([binary, "--config", config], env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "roomrecd.log"), "wb"))
        try:
            while True:
                message = sock.recv(4096).decode(errors="replace")
                if "READY=1" in message.split("\n"):
                    return time.monotonic() - started
        except socket.timeout:
            with open(os.path.join(d, "roomrecd.log"), errors="replace") as log:
                raise SystemExit("roomrecd sent no READY=1 within 30 s: " + log.read()[-2000:])
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
            sock.close()


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times = [one_run(binary) for _ in range(runs)]
    print("  start to ready (exec to READY=1, a new catalog each run, %d runs): median %.0f ms, fastest %.0f ms, slowest %.0f ms"
          % (runs, statistics.median(times) * 1000, min(times) * 1000, max(times) * 1000))


if __name__ == "__main__":
    main()
