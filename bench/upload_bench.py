#!/usr/bin/env python3
"""Upload benchmark: a SIZE file delivered to a local S3-compatible server (moto) through roomrecd, and the same
file through `aws s3 cp` in the same run; prints the throughput ratio and roomrecd's RSS (idle, peak). Then a
smaller file through roomrecd with a bandwidth cap, and how close the measured rate is to the cap.

usage: upload_bench.py BIN_DIR TEST_VENV AWS_VENV OUT_DIR SIZE_MIB CAP_BYTES_PER_SECOND
"""
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from control_bench import request  # noqa: E402

bin_dir, test_venv, aws_venv, out, size_mib, cap = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
BUCKET = "bench"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


class Daemon:
    def __init__(self, name, endpoint, max_bytes_per_second=0):
        self.root = os.path.join(out, name)
        subprocess.run(["rm", "-rf", self.root], check=True)
        os.makedirs(self.root)
        self.socket = os.path.join(self.root, "control.sock")
        credentials = os.path.join(self.root, "s3-credentials")
        with open(credentials, "w") as f:
            f.write("[default]\naws_access_key_id = AKIDBENCH\naws_secret_access_key = SECRETBENCH\n")
        os.chmod(credentials, 0o600)
        self.config = os.path.join(self.root, "roomrec.toml")
        with open(self.config, "w") as f:
            f.write(f"""[room]
id = "bench-room"
[recording]
output_dir = "{self.root}/recordings"
video_preset = "ultrafast"
[library]
target = "s3"
path = "{self.root}/library"
[library.s3]
endpoint = "{endpoint}"
bucket = "{BUCKET}"
addressing = "path"
credentials_file = "{credentials}"
[uploads]
max_bytes_per_second = {max_bytes_per_second}
[control]
socket = "{self.socket}"
[daemon]
state_dir = "{self.root}/state"
""")
        self.process = None

    def start(self):
        if os.path.exists(self.socket):
            os.remove(self.socket)
        log = open(os.path.join(self.root, "roomrecd.log"), "a")
        self.process = subprocess.Popen([f"{bin_dir}/roomrecd", "--config", self.config], stdout=log, stderr=log)
        wait_for(lambda: os.path.exists(self.socket), 30, "the control socket")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def call(self, method, path, body=b""):
        status, answer = request(path, method, self.socket, body)
        if status >= 300:
            raise SystemExit(f"{method} {path}: {status} {answer[:200]}")
        return json.loads(answer) if answer.strip() else None

    def job(self):
        uploads = self.call("GET", "/v1/uploads")["uploads"]
        return uploads[0] if uploads else None

    def queue_file(self, size):
        """A short recording made with the queue paused, whose file is then replaced by `size` random bytes (a
        recording that long would take minutes to make); the catalog is told the new size and digest."""
        self.start()
        self.call("POST", "/v1/uploads/pause")
        recording = self.call("POST", "/v1/recordings", b'{"title": "Upload benchmark"}')
        time.sleep(1)
        self.call("POST", "/v1/recordings/current/stop")
        wait_for(lambda: (self.job() or {}).get("state") == "queued", 60, "the upload job")
        self.stop()
        database = sqlite3.connect(os.path.join(self.root, "state", "roomrec.sqlite"))
        path = database.execute("SELECT path FROM recording WHERE recordingId = ?", (recording["recordingId"],)).fetchone()[0]
        digest = hashlib.sha256()
        with open("/dev/urandom", "rb") as source, open(path, "wb") as target:
            left = size
            while left:
                block = source.read(min(left, 8 << 20))
                digest.update(block)
                target.write(block)
                left -= len(block)
            # On disk before anything is timed: writeback must not compete with the uploads.
            target.flush()
            os.fsync(target.fileno())
        database.execute("UPDATE recording SET size = ?, sha256 = ? WHERE recordingId = ?", (size, digest.hexdigest(), recording["recordingId"]))
        database.execute("UPDATE uploadJob SET totalBytes = ?", (size,))
        database.commit()
        database.close()
        return path

    def timed_upload(self):
        """Starts the daemon (still paused), resumes the queue, and times the upload; returns seconds, idle and
        peak RSS in KiB."""
        self.start()
        time.sleep(2)
        idle = rss_kib(self.process.pid)
        peak = idle
        started = time.monotonic()
        self.call("POST", "/v1/uploads/resume")
        while True:
            job = self.job()
            peak = max(peak, rss_kib(self.process.pid))
            if job["state"] == "done":
                break
            if job["state"] == "failed":
                raise SystemExit(f"the upload failed: {job.get('lastError')}")
            time.sleep(0.05)
        seconds = time.monotonic() - started
        self.stop()
        return seconds, idle, peak


def main():
    os.makedirs(out, exist_ok=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([f"{test_venv}/bin/moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "SECRETBENCH", "AWS_DEFAULT_REGION": "us-east-1"}
    aws = [f"{aws_venv}/bin/aws", "--endpoint-url", endpoint, "s3"]
    try:
        wait_for(lambda: subprocess.run(aws + ["ls"], env=env, capture_output=True).returncode == 0, 30, "moto")
        subprocess.run(aws + ["mb", f"s3://{BUCKET}"], env=env, check=True, capture_output=True)
        size = size_mib << 20

        # Two roomrecd runs interleaved with two reference runs (aws, roomrecd, aws, roomrecd): the server's
        # speed drifts as it fills, so each side gets an early and a late turn, and means are compared.
        daemons = [Daemon(f"full-{turn}", endpoint) for turn in range(2)]
        paths = [daemon.queue_file(size) for daemon in daemons]
        reference, runs = [], []
        for turn in range(2):
            started = time.monotonic()
            subprocess.run(aws + ["cp", "--only-show-errors", paths[turn], f"s3://{BUCKET}/reference/aws-cli-{turn}.mp4"], env=env, check=True)
            reference.append(time.monotonic() - started)
            runs.append(daemons[turn].timed_upload())
        theirs = sum(reference) / len(reference)
        ours = sum(run[0] for run in runs) / len(runs)
        idle = max(run[1] for run in runs)
        peak = max(run[2] for run in runs)
        mib = size / (1 << 20)
        print(f"{size_mib} MiB to moto_server on 127.0.0.1")
        print(f"  roomrecd (1 worker, 16 MiB parts):  {ours:6.2f} s  {mib / ours:7.1f} MiB/s  (mean of {runs[0][0]:.2f} s and {runs[1][0]:.2f} s)")
        print(f"  aws s3 cp (its defaults):           {theirs:6.2f} s  {mib / theirs:7.1f} MiB/s  (mean of {reference[0]:.2f} s and {reference[1]:.2f} s)")
        print(f"  throughput ratio roomrecd / aws:    {theirs / ours:.2f}  (goal >= 0.8)")
        growth = max(run[2] - run[1] for run in runs)
        print(f"  roomrecd RSS: idle {idle / 1024:.1f} MiB, peak while uploading {peak / 1024:.1f} MiB, "
              f"at most +{growth / 1024:.1f} MiB  (goal < 64 MiB)")

        if cap > 0:
            capped = Daemon("capped", endpoint, max_bytes_per_second=cap)
            capped_size = max(16 << 20, cap * 20)
            capped.queue_file(capped_size)
            seconds, _, _ = capped.timed_upload()
            rate = capped_size / seconds
            print(f"{capped_size / (1 << 20):.0f} MiB with max_bytes_per_second = {cap}")
            print(f"  measured {rate:,.0f} B/s over {seconds:.1f} s: {100 * (rate - cap) / cap:+.1f}% of the cap  (goal within 10%)")
    finally:
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    main()
