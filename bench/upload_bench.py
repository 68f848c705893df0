#!/usr/bin/env python3
"""Upload benchmark: a SIZE file delivered to a local S3-compatible server (moto) through roomrecd, and the same
file through `aws s3 cp` in the same run; prints the throughput ratio and roomrecd's RSS (idle, peak). Then a
smaller file through roomrecd with a bandwidth cap, and how close the measured rate is to the cap. Then a SIZE file
ingested into the Opencast test server (Tests/Peers/opencast_server.py) through roomrecd as an unscheduled media
package, and the same file posted the same way with curl (createMediaPackage, addTrack with `curl -F`, addDCCatalog,
ingest); both arrivals are checked against the server's record of the stored bytes (sha256), and the throughput
ratio and roomrecd's RSS are printed.

usage: upload_bench.py BIN_DIR TEST_VENV AWS_VENV OUT_DIR SIZE_MIB CAP_BYTES_PER_SECOND
"""
import hashlib
import json
import mimetypes
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from control_bench import request  # noqa: E402

bin_dir, test_venv, aws_venv, out, size_mib, cap = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
BUCKET = "bench"
OPENCAST_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Peers", "opencast_server.py")
OPENCAST_USER, OPENCAST_PASSWORD = "capture_agent", "CHANGE_ME"
OPENCAST_WORKFLOW = "schedule-and-upload"


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
    def __init__(self, name, endpoint, max_bytes_per_second=0, target="s3"):
        """target "s3": [library.s3] at the S3 endpoint; "opencast": [opencast] at the Opencast server's URL, a
        recording without an Opencast event ingested afterwards as an unscheduled media package."""
        self.root = os.path.join(out, name)
        subprocess.run(["rm", "-rf", self.root], check=True)
        os.makedirs(self.root)
        self.socket = os.path.join(self.root, "control.sock")
        self.sha256 = None
        if target == "s3":
            credentials = os.path.join(self.root, "s3-credentials")
            with open(credentials, "w") as f:
                f.write("[default]\naws_access_key_id = AKIDBENCH\naws_secret_access_key = SECRETBENCH\n")
            os.chmod(credentials, 0o600)
            library = f"""[library]
target = "s3"
path = "{self.root}/library"
[library.s3]
endpoint = "{endpoint}"
bucket = "{BUCKET}"
addressing = "path"
credentials_file = "{credentials}"
"""
        else:
            password = os.path.join(self.root, "opencast-password")
            with open(password, "w") as f:
                f.write(OPENCAST_PASSWORD)
            os.chmod(password, 0o600)
            library = f"""[library]
target = "opencast"
path = "{self.root}/library"
[opencast]
url = "{endpoint}"
user = "{OPENCAST_USER}"
password_file = "{password}"
auth = "basic"
agent_name = "bench-room"
ad_hoc = "unscheduled"
workflow = "{OPENCAST_WORKFLOW}"
"""
        self.config = os.path.join(self.root, "roomrec.toml")
        with open(self.config, "w") as f:
            f.write(f"""[room]
id = "bench-room"
[recording]
output_dir = "{self.root}/recordings"
video_preset = "ultrafast"
{library}[uploads]
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
        wait_for(lambda: os.path.exists(self.socket) or self.process.poll() is not None, 30, "the control socket")
        if self.process.poll() is not None:
            raise SystemExit(f"roomrecd exited with status {self.process.returncode} at start; see {log.name}")

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
        self.sha256 = digest.hexdigest()
        database.execute("UPDATE recording SET size = ?, sha256 = ? WHERE recordingId = ?", (size, self.sha256, recording["recordingId"]))
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


class OpencastServer:
    """Tests/Peers/opencast_server.py on a free port, its STATE_DIR (where the uploaded bytes are stored) in OUT_DIR,
    on the disk the rest of the benchmark uses."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_dir = os.path.join(out, "opencast-server")
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.log = open(os.path.join(out, "opencast-server.log"), "w")
        self.process = subprocess.Popen([sys.executable, OPENCAST_SERVER, str(self.port), self.state_dir,
                                         "--user", OPENCAST_USER, "--password", OPENCAST_PASSWORD],
                                        stdout=subprocess.PIPE, stderr=self.log)
        if self.process.stdout.readline().strip() != b"listening":
            raise SystemExit(f"the Opencast test server did not start (see {self.log.name})")

    def close(self):
        self.process.kill()
        self.process.wait()
        self.log.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def state(self):
        with urllib.request.urlopen(f"{self.url}/_test/state", timeout=60) as answer:
            return json.load(answer)

    def mark(self):
        """Where the server's records stand before a run: (ingests, calls)."""
        state = self.state()
        return len(state["ingests"]), len(state["calls"])

    def check_arrival(self, mark, size, sha256, who):
        """The one ingest since mark: a single presenter/source track whose stored bytes have the file's size and
        sha256. Returns the server's own time for the addTrack request that carried it, and how many addTrack
        uploads the package had (1 unless the sender retried). The stored bytes are removed afterwards so that their
        writeback does not compete with the next run and four copies do not pile up."""
        state = self.state()
        ingests = state["ingests"][mark[0]:]
        if len(ingests) != 1:
            raise SystemExit(f"{who}: expected 1 ingest on the Opencast server, found {len(ingests)}")
        ingest = ingests[0]
        tracks = ingest["tracks"]
        if len(tracks) != 1 or not tracks[0]["stored"] or tracks[0]["flavor"] != "presenter/source" \
                or tracks[0]["bytes"] != size or tracks[0]["sha256"] != sha256:
            raise SystemExit(f"{who}: the ingested media package {ingest['mediaPackageId']} does not hold the file "
                             f"complete: {json.dumps(tracks)}")
        package = ingest["requestedMediaPackageId"]
        uploads = [u for u in state["uploads"] if u["mediaPackageId"] == package and u["endpoint"] == "/addTrack"]
        stored = [u for u in uploads if u["complete"] and u["sha256"] == sha256 and u["bytes"] == size]
        if not stored:
            raise SystemExit(f"{who}: no complete addTrack upload of the file for media package {package}")
        calls = [c for c in state["calls"][mark[1]:] if c["path"].endswith("/addTrack") and c["status"] == 200]
        server_seconds = calls[-1]["seconds"] if calls else float("nan")
        folder = os.path.realpath(os.path.dirname(os.path.dirname(stored[-1]["path"])))
        if folder.startswith(os.path.realpath(self.state_dir) + os.sep):
            shutil.rmtree(folder, ignore_errors=True)
        return server_seconds, len(uploads)


def curl_ingest(server, path):
    """The file posted as roomrecd posts it: the ingest service from the registry, createMediaPackage, addTrack
    (multipart: mediaPackage and flavor, then the file), addDCCatalog (episode), ingest with the workflow. Basic
    auth, each answer's media package sent with the next call. Returns the seconds the whole sequence took."""
    curl = ["curl", "--silent", "--show-error", "--fail", "--user", f"{OPENCAST_USER}:{OPENCAST_PASSWORD}"]

    def call(*arguments):
        return subprocess.run(curl + list(arguments), check=True, capture_output=True, text=True).stdout

    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    catalog = ('<?xml version="1.0" encoding="UTF-8"?><dublincore xmlns="http://www.opencastproject.org/xsd/1.0/'
               'dublincore/" xmlns:dcterms="http://purl.org/dc/terms/"><dcterms:title>Upload benchmark</dcterms:title>'
               '<dcterms:spatial>bench-room</dcterms:spatial></dublincore>')
    started = time.monotonic()
    services = json.loads(call(f"{server.url}/services/available.json?serviceType=org.opencastproject.ingest"))["services"]
    service = services["service"]
    service = service[0] if isinstance(service, list) else service
    ingest = service["host"] + service["path"]
    package = call(f"{ingest}/createMediaPackage")
    # --form-string: the value is sent as it is (with -F, a value starting with "<" names a file to read).
    package = call("--form-string", f"mediaPackage={package}", "--form-string", "flavor=presenter/source",
                   "--form", f"BODY=@\"{path}\";type={mimetype}", f"{ingest}/addTrack")
    package = call("--data-urlencode", f"mediaPackage={package}", "--data-urlencode", "flavor=dublincore/episode",
                   "--data-urlencode", f"dublinCore={catalog}", f"{ingest}/addDCCatalog")
    call("--data-urlencode", f"mediaPackage={package}", "--data-urlencode", f"workflowDefinitionId={OPENCAST_WORKFLOW}",
         f"{ingest}/ingest")
    return time.monotonic() - started


def opencast_bench(size):
    """roomrecd's ingest into the Opencast test server against curl posting the same file the same way."""
    server = OpencastServer()
    try:
        # As for S3: curl, roomrecd, curl, roomrecd, each posting the same file in its turn.
        daemons = [Daemon(f"opencast-{turn}", server.url, target="opencast") for turn in range(2)]
        paths = [daemon.queue_file(size) for daemon in daemons]
        reference, runs, server_times, retries = [], [], {"roomrecd": [], "curl": []}, []
        for turn in range(2):
            mark = server.mark()
            reference.append(curl_ingest(server, paths[turn]))
            seconds, _ = server.check_arrival(mark, size, daemons[turn].sha256, f"curl, turn {turn + 1}")
            server_times["curl"].append(seconds)
            mark = server.mark()
            runs.append(daemons[turn].timed_upload())
            seconds, uploads = server.check_arrival(mark, size, daemons[turn].sha256, f"roomrecd, turn {turn + 1}")
            server_times["roomrecd"].append(seconds)
            retries.append(uploads - 1)
    finally:
        server.close()
    theirs = sum(reference) / len(reference)
    ours = sum(run[0] for run in runs) / len(runs)
    idle = max(run[1] for run in runs)
    peak = max(run[2] for run in runs)
    growth = max(run[2] - run[1] for run in runs)
    ratio = theirs / ours
    mib = size / (1 << 20)

    def met(ok):
        return "met" if ok else "NOT met"

    print(f"{mib:.0f} MiB ingested into opencast_server.py on 127.0.0.1 (createMediaPackage, addTrack, addDCCatalog, "
          f"ingest; both arrivals checked by sha256)")
    print(f"  roomrecd (unscheduled package):     {ours:6.2f} s  {mib / ours:7.1f} MiB/s  (mean of {runs[0][0]:.2f} s and {runs[1][0]:.2f} s)")
    print(f"  curl -F (the same requests):        {theirs:6.2f} s  {mib / theirs:7.1f} MiB/s  (mean of {reference[0]:.2f} s and {reference[1]:.2f} s)")
    print(f"  throughput ratio roomrecd / curl:   {ratio:.2f}  (goal >= 0.8: {met(ratio >= 0.8)})")
    print(f"  addTrack alone, as the server timed it: roomrecd {sum(server_times['roomrecd']) / len(runs):.2f} s, "
          f"curl {sum(server_times['curl']) / len(reference):.2f} s (means)"
          + (f"; roomrecd repeated the track upload {sum(retries)} time(s)" if any(retries) else ""))
    print(f"  roomrecd RSS: idle {idle / 1024:.1f} MiB, peak while ingesting {peak / 1024:.1f} MiB, "
          f"at most +{growth / 1024:.1f} MiB  (goal < 64 MiB: {met(growth < 64 * 1024)})")


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

    opencast_bench(size_mib << 20)


if __name__ == "__main__":
    main()
