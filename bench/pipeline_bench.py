#!/usr/bin/env python3
"""Pipeline benchmark: SECONDS of the synthetic stage recorded through roomrecd (compose, encode, mux, fsync), and
the `ffmpeg` command line doing the same work in the same run (the same generated pictures and tone, the same
scale and placement on the canvas, the same libx264 preset and bitrate, the same fragmented MP4); prints CPU
seconds per recorded minute for both and their ratio, roomrecd's real-time factor, and its RSS (sampled, peak).

usage: pipeline_bench.py BIN_DIR OUT_DIR SECONDS PRESET ("auto": only let the daemon calibrate libx264, then stop)
"""
import os
import socket as socketlib
import threading
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from daemon_bench import cpu_seconds, kib, request, start_daemon, stop_and_finish  # noqa: E402

bin_dir, out, seconds, preset = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
# libx264's lookahead per preset; roomrecd bounds it at 10 frames, and so does the reference.
LOOKAHEAD = {"ultrafast": 0, "superfast": 0, "veryfast": 10, "faster": 20, "fast": 30, "medium": 40}


def watch_while_recording(folder, seconds):
    """A second recording of the same length by a fresh roomrecd, watched as the room panel watches it: one preview
    of the stage a second (640 px wide) and a subscriber to the levels events. Returns its CPU seconds per
    recorded minute, the previews fetched and the levels events read."""
    subprocess.run(["rm", "-rf", folder], check=True)
    os.makedirs(folder)
    watched, call, _ = start_daemon(bin_dir, folder, preset)
    counts = {"previews": 0, "levels": 0}
    stop = threading.Event()

    def levels():
        sock = socketlib.socket(socketlib.AF_UNIX)
        sock.connect(os.path.join(folder, "control.sock"))
        sock.sendall(b"GET /v1/events?types=levels HTTP/1.1\r\nHost: roomrecd\r\n\r\n")
        sock.settimeout(1)
        while not stop.is_set():
            try:
                counts["levels"] += sock.recv(65536).count(b"event: levels")
            except socketlib.timeout:
                pass
        sock.close()

    def previews():
        while not stop.is_set():
            status, _ = request("/v1/preview.jpg?source=stage&width=640", "GET", os.path.join(folder, "control.sock"), b"")
            counts["previews"] += status == 200
            time.sleep(1)

    try:
        before = cpu_seconds(watched.pid)
        status, _ = call("/v1/recordings", "POST", b'{"title": "Pipeline bench, watched"}')
        assert status == 201, status
        threads = [threading.Thread(target=levels), threading.Thread(target=previews)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        made = stop_and_finish(call)
        return (cpu_seconds(watched.pid) - before) / (made["duration"] / 60), counts["previews"], counts["levels"]
    finally:
        watched.terminate()
        watched.wait()


# roomrecd
subprocess.run(["rm", "-rf", out], check=True)
os.makedirs(out)
daemon, api, body = start_daemon(bin_dir, out, preset)
try:
    encoder = body["encoder"]["video"]
    if preset == "auto":
        # Only the daemon's calibration was wanted (kept in its state directory).
        print(encoder)
        sys.exit(0)
    idle_rss = kib(daemon.pid, "VmRSS")
    cpu_before = cpu_seconds(daemon.pid)
    status, _ = api("/v1/recordings", "POST", b'{"title": "Pipeline bench"}')
    assert status == 201, status
    started = time.time()
    samples, factors = [], []
    while time.time() - started < seconds:
        time.sleep(min(10, seconds / 6))
        samples.append(kib(daemon.pid, "VmRSS") // 1024)
        pipeline = api("/v1/status")[1].get("pipeline") or {}
        factors.append(pipeline.get("realTimeFactor", 0))
    dropped = pipeline.get("framesDropped", {})
    recorded = stop_and_finish(api)
    daemon_cpu = cpu_seconds(daemon.pid) - cpu_before
    peak_rss = kib(daemon.pid, "VmHWM") // 1024
    daemon_minutes = recorded["duration"] / 60
finally:
    daemon.terminate()
    daemon.wait()

# The same work by the ffmpeg command line (for at most two minutes: CPU per recorded minute compares at any
# length, and a 30-minute memory run need not take an hour): the synthetic stage's filter graph, one tile in the 1080p grid
# (1892x1064 at 14,8 on the dark background), the same encoder settings and muxer flags, paced in real time.
font = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
fontfile = f"fontfile={font}:" if os.path.exists(font) else ""
video = (f"testsrc2=size=1920x1080:rate=30,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n,30),0)',"
         f"drawtext={fontfile}text='%{{localtime}}  frame %{{frame_num}}':fontsize=56:fontcolor=white"
         f":box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h-th-60,format=yuv420p,"
         f"scale=1892:1064,pad=1920:1080:14:8:color=0x131313")
audio = "aevalsrc='0.1*sin(2*PI*440*t)+0.5*sin(2*PI*1000*t)*lt(mod(t,1),0.05)':s=48000:c=stereo"
reference = os.path.join(out, "reference.mp4")
before = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-re", "-f", "lavfi", "-i", video, "-re", "-f", "lavfi", "-i", audio,
                "-t", str(min(seconds, 120)), "-c:v", "libx264", "-preset", preset.split()[0], "-profile:v", "high", "-b:v", "6000k",
                "-maxrate", "8000k", "-bufsize", "12000k", "-g", "30", "-bf", "0",
                "-x264-params", f"scenecut=0:open-gop=0:8x8dct=1:rc-lookahead={min(10, LOOKAHEAD.get(preset, 40))}", "-c:a", "aac", "-b:a", "160k",
                "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-flush_packets", "1", reference], check=True)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
ffmpeg_peak = after.ru_maxrss // 1024
ffmpeg_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
ffmpeg_minutes = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", reference],
                                      capture_output=True, text=True, check=True).stdout) / 60

ours = daemon_cpu / daemon_minutes
theirs = ffmpeg_cpu / ffmpeg_minutes
print(f"encoder: {encoder}")
print(f"recorded: roomrecd {daemon_minutes * 60:.1f} s, ffmpeg {ffmpeg_minutes * 60:.1f} s")
print(f"CPU seconds per recorded minute: roomrecd {ours:.1f}, ffmpeg {theirs:.1f}, ratio {ours / theirs:.2f} (goal: at most 1.10)")
cores = os.cpu_count()
print(f"real-time factor: CPU available over CPU used {cores * 60 / ours:.2f} on {cores} cores (goal: at least 1.5); "
      f"the output loop's own, frame interval over time per frame: {min(factors):.2f} lowest")
print(f"frames dropped: {dropped or 'none'}")
print(f"RSS MiB: idle {idle_rss // 1024}, while recording {samples}, peak {peak_rss} (goal: under 300, flat); ffmpeg's peak {ffmpeg_peak}")

# The same recording watched by the panel: a preview a second and the levels subscribed.
watched_cpu, previews, level_events = watch_while_recording(os.path.join(out, "watched"), seconds)
added = watched_cpu - ours
print(f"watched (a preview a second, levels subscribed): {watched_cpu:.1f} CPU seconds per recorded minute against {ours:.1f}; "
      f"added {added:.2f} s a minute = {added / 60 * 100:.1f} % of one core (goal: at most 2 %); "
      f"{previews} previews, {level_events} levels events")
