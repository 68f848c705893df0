#!/usr/bin/env python3
"""Session benchmark: roomrecd on stage in a Janus VideoRoom with two remote publishers sending what a real
participant's browser sends, a moving camera-like 1280x720 30 fps H.264 picture (Constrained Baseline) at about
1 Mbit/s and Opus, publishing the room's camera and microphone and recording the stage (room plus both participants)
for SECONDS; then on stage for as long without recording (the session's own cost); then recording the room while
publishing it through WHIP (Debian's simple-whip-server in front of the same Janus); then the same daemon recording
the room alone for as long, as the reference. Prints CPU seconds per recorded minute of the first and the last and
their ratio, the cost of being on stage, the real-time factor and dropped frames, and what was published and
received.

The publishers (Tests/Peers/janus_peer.py --video-file) loop clips that bench/camera_clip.py makes once into
out/bench-clips (about 40 s of one core each, the first time), one tint each so their tiles are told apart; they
send them without encoding, each taking a few % of one core, so that the benchmark measures the daemon, not them.

usage: session_bench.py BIN_DIR OUT_DIR SECONDS PRESET CALIBRATION
(PRESET: the reference run's, alone; CALIBRATION: this machine's encoder-calibration.json, from which a daemon in a
session chooses its own)
"""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from camera_clip import camera_clip  # noqa: E402
from daemon_bench import cpu_seconds, kib, start_daemon, stop_and_finish  # noqa: E402

bin_dir, out, seconds, preset, calibration = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
peers = os.path.join(root, "Tests", "Peers")
venv_python = os.path.join(os.environ.get("ROOMREC_TEST_VENV", os.path.join(root, "out", "test-venv")), "bin", "python")


def accepts(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_janus(folder):
    """Janus as the tests run it (Tests/Support/JanusServer.swift): the HTTP and WebSocket APIs (the latter for
    simple-whip-server) and VideoRoom only, ICE on loopback. Returns the process, the HTTP API's URL and the
    WebSocket API's."""
    port = random.randrange(30000, 40000)
    ws_port = port + 1
    rtp = random.randrange(0, 100) * 100 + 50000
    os.makedirs(folder)
    for name in ["janus.jcfg", "janus.transport.http.jcfg", "janus.transport.websockets.jcfg", "janus.plugin.videoroom.jcfg"]:
        with open(os.path.join(peers, "janus", name)) as f:
            text = (f.read().replace("@FOLDER@", folder).replace("@PORT@", str(port)).replace("@WS_PORT@", str(ws_port))
                    .replace("@RTP_PORTS@", f"{rtp}-{rtp + 99}"))
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    libraries = "/usr/lib/x86_64-linux-gnu/janus"
    for directory, names in [("plugins", ["libjanus_videoroom.so"]), ("transports", ["libjanus_http.so", "libjanus_websockets.so"]), ("empty", [])]:
        os.makedirs(os.path.join(folder, directory))
        for library in names:
            os.symlink(os.path.join(libraries, directory, library), os.path.join(folder, directory, library))
    shim = os.path.join(folder, "janus_lo_shim.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", shim, os.path.join(peers, "janus", "janus_lo_shim.c"), "-ldl"], check=True)
    log = open(os.path.join(folder, "janus.log"), "w")
    process = subprocess.Popen(["janus", "-F", folder, "-C", os.path.join(folder, "janus.jcfg")], stdout=log, stderr=log,
                               env={**os.environ, "LD_PRELOAD": shim})
    for _ in range(300):
        if accepts(port) and accepts(ws_port):
            return process, f"http://127.0.0.1:{port}/janus", f"ws://127.0.0.1:{ws_port}"
        time.sleep(0.05)
    raise SystemExit("janus did not start; see " + os.path.join(folder, "janus.log"))


def start_whip_server(folder, janus_ws):
    """Debian's simple-whip-server as the tests run it (Tests/Support/WHIPServer.swift, prepared by `make whip-server`)
    in front of the Janus at JANUS_WS, with endpoint `bench` publishing into room 1234 as "Room 101". Returns the process,
    the endpoint's URL and the token file."""
    home = os.environ.get("ROOMREC_WHIP_SERVER", os.path.join(root, "out", "simple-whip-server"))
    if not os.path.exists(os.path.join(home, "server.js")):
        raise SystemExit("simple-whip-server is not prepared: make whip-server")
    os.makedirs(folder)
    for name in ["server.js", "whip-janus.js"]:
        shutil.copy(os.path.join(home, name), folder)
    port = random.randrange(40000, 45000)
    with open(os.path.join(folder, "config.js"), "w") as f:
        f.write(f"module.exports = {{ janus: {{ address: '{janus_ws}' }}, port: {port}, rest: '/whip', strictETags: false }};\n")
    extracted = os.path.join(home, "root")
    node_path = ":".join(os.path.join(extracted, p) for p in ["usr/share/nodejs", "usr/lib/nodejs", "usr/lib/x86_64-linux-gnu/nodejs"])
    log = open(os.path.join(folder, "whip-server.log"), "w")
    process = subprocess.Popen(["node", "server.js"], cwd=folder, stdout=log, stderr=log, env={**os.environ, "NODE_PATH": node_path})
    base = f"http://127.0.0.1:{port}/whip"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthcheck", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise SystemExit("simple-whip-server did not start; see " + os.path.join(folder, "whip-server.log"))
    request = urllib.request.Request(base + "/create", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"id": "bench", "room": 1234, "token": "bench-token", "label": "Room 101"}).encode())
    urllib.request.urlopen(request, timeout=5).read()
    token_file = os.path.join(folder, "whip.token")
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("bench-token\n")
    return process, f"{base}/endpoint/bench", token_file


def whip_session(url, token_file):
    """The daemon's [session] section publishing to the WHIP endpoint at URL."""
    return f"""[session]
connector = "whip"
url = "{url}"
token_file = "{token_file}"
ice_addresses = ["127.0.0.1"]
"""


def janus_session(url):
    """The daemon's [session] section for the Janus VideoRoom at URL (the room the publishers are in)."""
    return f"""[session]
connector = "janus"
url = "{url}"
room = 1234
display = "Room 101"
ice_addresses = ["127.0.0.1"]
"""


def run_daemon(name, session_toml, with_peers, record=True):
    """Runs roomrecd under OUT/NAME with SESSION_TOML as its [session] section ("" for none: the room alone), waits
    until the session is joined with WITH_PEERS participants on stage, then records for SECONDS (or, without
    `record`, only stays on stage as long) and measures. Another connector is another SESSION_TOML: a WHIP one
    (connector = "whip", url = "http://127.0.0.1:PORT/whip/endpoint/ID", token_file = "PATH", no room) publishes
    the room and hears of nobody, so its WITH_PEERS is 0 (its session reads "joined" once publishing)."""
    folder = os.path.join(out, name)
    os.makedirs(folder)
    run_preset = preset
    if session_toml:
        # In a session the daemon chooses its own preset from this machine's calibration, leaving the session its
        # cores (X264Calibration.requiredSpeed): given the measurement, it takes no new one.
        os.makedirs(os.path.join(folder, "state"))
        shutil.copy(calibration, os.path.join(folder, "state"))
        run_preset = "auto"
    daemon, api, started_status = start_daemon(bin_dir, folder, run_preset, recording='layout = "grid"', sections=session_toml)
    encoder = started_status["encoder"].get("video")
    try:
        if session_toml:
            for _ in range(300):
                s = api("/v1/status")[1].get("session") or {}
                if s.get("state") == "joined" and len(s.get("participants", [])) == with_peers:
                    break
                time.sleep(0.1)
            else:
                raise SystemExit(f"the daemon did not see {with_peers} participants on stage; see {folder}/roomrecd.log")
        cpu_before = cpu_seconds(daemon.pid)
        started = time.time()
        if not record:
            # On stage only: publishing the room and receiving the others, nothing recorded.
            time.sleep(seconds)
            report = api("/v1/status")[1]
            return {"cpu_per_minute": (cpu_seconds(daemon.pid) - cpu_before) / (time.time() - started) * 60, "session": report.get("session"),
                    "encoder": encoder}
        status, _ = api("/v1/recordings", "POST", b'{"title": "Session bench"}')
        assert status == 201, status
        factors, rss = [], []
        report = {}
        while time.time() - started < seconds:
            time.sleep(min(5, seconds / 6))
            report = api("/v1/status")[1]
            factors.append((report.get("pipeline") or {}).get("realTimeFactor", 0))
            rss.append(kib(daemon.pid, "VmRSS") // 1024)
        dropped = (report.get("pipeline") or {}).get("framesDropped", {})
        recorded = stop_and_finish(api)
        cpu = cpu_seconds(daemon.pid) - cpu_before
        peak = kib(daemon.pid, "VmHWM") // 1024
    finally:
        daemon.terminate()
        daemon.wait()
    minutes = recorded["duration"] / 60
    return {"cpu_per_minute": cpu / minutes, "seconds": recorded["duration"], "lowest_factor": min(factors), "dropped": dropped,
            "session": report.get("session"), "frames": (report.get("pipeline") or {}).get("framesEncoded", 0), "rss": rss, "peak": peak,
            "encoder": encoder}


shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
clips = os.path.join(root, "out", "bench-clips")
cast = [("Dr. Ada", camera_clip(clips, "d07020"), "620"), ("Student", camera_clip(clips, "2090a0"), "780")]
janus, url, janus_ws = start_janus(os.path.join(out, "janus"))
whip_server = None
publishers = []
started = time.time()
try:
    for display, clip, tone in cast:
        publishers.append(subprocess.Popen(
            [venv_python, os.path.join(peers, "janus_peer.py"), "--url", url, "--display", display, "--video-file", clip, "--freq", tone,
             "--fps", "30", "--duration", "0"],
            stdout=open(os.path.join(out, f"peer-{display.split()[-1]}.log"), "w"), stderr=subprocess.STDOUT))
    session = run_daemon("session", janus_session(url), 2)
    on_stage = run_daemon("on-stage", janus_session(url), 2, record=False)
    # Their CPU over their whole run (both daemon runs), in % of one core: what they took from the daemon's cores.
    helpers = [cpu_seconds(p.pid) / (time.time() - started) * 100 for p in publishers + [janus]]
    # WHIP: the room published through simple-whip-server into the same room, recording its own sources.
    whip_server, whip_url, token_file = start_whip_server(os.path.join(out, "whip-server"), janus_ws)
    whip = run_daemon("whip", whip_session(whip_url, token_file), 0)
finally:
    if whip_server:
        whip_server.terminate()
        whip_server.wait()
    for peer in publishers:
        peer.terminate()
    for peer in publishers:
        peer.wait()
    janus.kill()
    janus.wait()
alone = run_daemon("alone", "", 0)

cores = os.cpu_count()
print(f"encoders: in the session {session['encoder']}, through WHIP {whip['encoder']}, alone {alone['encoder']} "
      f"(in a session the daemon leaves the session its cores: a faster preset than alone on few cores)")
print(f"recorded: in the session {session['seconds']:.1f} s ({session['frames']} frames), alone {alone['seconds']:.1f} s")
print(f"CPU seconds per recorded minute: in the session {session['cpu_per_minute']:.1f}, alone {alone['cpu_per_minute']:.1f}, "
      f"ratio {session['cpu_per_minute'] / alone['cpu_per_minute']:.2f} (the session's cost, two 720p decodes, a 720p encode, Opus and WebRTC, "
      f"less what its faster preset saves: {session['encoder']} against {alone['encoder']})")
print(f"CPU seconds per recorded minute publishing through WHIP (the room's own sources recorded, the room published): "
      f"{whip['cpu_per_minute']:.1f}, beside {session['cpu_per_minute']:.1f} in the Janus session and {alone['cpu_per_minute']:.1f} alone; "
      f"WHIP over alone {whip['cpu_per_minute'] / alone['cpu_per_minute']:.2f}; frames dropped {whip['dropped'] or 'none'}")
w = (whip["session"] or {}).get("publishing") or {}
print(f"published through WHIP: {w.get('resolution')} video {w.get('videoKbps')} kbps, audio {w.get('audioKbps')} kbps, "
      f"{w.get('videoFrames')} pictures, {w.get('framesSkipped')} skipped")
print(f"on stage without recording (publishing and receiving only): {on_stage['cpu_per_minute']:.1f} CPU seconds per minute")
print(f"real-time factor in the session: CPU available over CPU used {cores * 60 / session['cpu_per_minute']:.2f} on {cores} cores "
      f"(the peers and Janus share them); the output loop's own, lowest: {session['lowest_factor']:.2f} (alone {alone['lowest_factor']:.2f})")
print(f"CPU of the others on the same cores, in % of one core over both runs in the session: the publishers "
      f"{' and '.join(f'{c:.1f} %' for c in helpers[:-1])}, Janus {helpers[-1]:.1f} %")
print(f"frames dropped: in the session {session['dropped'] or 'none'}, alone {alone['dropped'] or 'none'}")
print(f"RSS MiB while recording in the session: first {session['rss'][0]}, last {session['rss'][-1]}, lowest {min(session['rss'])}, "
      f"highest {max(session['rss'])} over {len(session['rss'])} samples, peak {session['peak']}; alone: peak {alone['peak']}")
s = session["session"] or {}
p = s.get("publishing") or {}
print(f"published: {p.get('resolution')} video {p.get('videoKbps')} kbps (target {p.get('videoTargetKbps')}, estimate {p.get('estimateKbps')}), "
      f"audio {p.get('audioKbps')} kbps, {p.get('videoFrames')} pictures, {p.get('framesSkipped')} skipped, {p.get('keyframeRequests')} keyframes asked")
for track in s.get("receiving", []):
    print(f"received: {track['participantId']} {track['kind']} {track['codec']} {track['kbps']:.0f} kbps, {track['frames']} frames, "
          f"{track.get('lossPercent', 0)} % lost")
