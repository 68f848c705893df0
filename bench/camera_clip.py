#!/usr/bin/env python3
"""A camera-like H.264 clip for the benchmarks' remote publishers (Tests/Peers/janus_peer.py --video-file), made
once with ffmpeg (libx264) and kept: 1280x720 at 30 fps, 24 s, about 1 Mbit/s, as a browser sends it (Constrained
Baseline, no B-frames, a keyframe every 2 s with its SPS and PPS, one slice a picture). The picture moves and has
texture and grain everywhere, so that decoding it and encoding the stage it lands on costs what a real participant
does: a zooming Mandelbrot background, a blurred Game of Life patch, a moving test card, the whole panned like a
hand-held camera, sensor noise on every frame, and a colour tint per publisher so their tiles are told apart.

usage: camera_clip.py OUT_DIR [TINT]   (prints the clip's path; TINT is RRGGBB)
"""
import hashlib
import os
import subprocess
import sys

SECONDS = 24  # a whole number of 2 s keyframe intervals: the loop starts again on a keyframe
FPS = 30


def command(tint, path):
    """The ffmpeg command that writes the clip tinted with TINT (RRGGBB) to PATH."""
    seed = int(tint, 16) % 1000003  # the Game of Life's start, so each tint's clip is its own
    scene = ";".join([
        f"mandelbrot=s=1600x900:r={FPS}:start_scale=2.5:end_scale=0.6:end_pts={SECONDS * FPS}:maxiter=256:inner=mincol,"
        "format=yuv420p[background]",
        f"life=s=320x180:r={FPS}:seed={seed}:mold=10:ratio=0.1:death_color=#202020:life_color=#e0e0c0:mold_color=#604030,"
        "scale=640:360:flags=neighbor,gblur=sigma=1.5,format=yuv420p[life]",
        f"testsrc2=s=480x360:r={FPS}[subject]",
        f"color=c=0x{tint}@0.35:s=1280x720:r={FPS},format=yuva420p[tint]",
        "[background][life]overlay=x=900:y=500[scene]",
        "[scene][subject]overlay=x='560+300*sin(2*PI*t/8)':y='270+120*sin(2*PI*t/6)'[moving]",
        f"[moving]crop=1280:720:x='160+150*sin(2*PI*t/{SECONDS})':y='90+80*sin(4*PI*t/{SECONDS})'[camera]",
        "[camera][tint]overlay,noise=alls=8:allf=t+u,format=yuv420p",
    ])
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-filter_complex", scene, "-t", str(SECONDS),
            "-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-preset", "medium", "-tune", "zerolatency",
            "-threads", "1",  # one slice a picture, and the same clip on any machine
            "-b:v", "1M", "-maxrate", "1M", "-bufsize", "1M", "-g", str(2 * FPS), "-keyint_min", str(2 * FPS),
            "-sc_threshold", "0", "-an", "-f", "h264", path]


def camera_clip(folder, tint):
    """The clip's path under FOLDER, made first if it is not there (its name has a hash of the ffmpeg command, so a
    changed recipe makes a new clip). Takes about 40 s of one core."""
    key = hashlib.sha256(" ".join(command(tint, "")).encode()).hexdigest()[:10]
    path = os.path.join(folder, f"camera-{tint}-{key}.h264")
    if not os.path.exists(path):
        print(f"making {path} (once)", file=sys.stderr, flush=True)
        os.makedirs(folder, exist_ok=True)
        partial = path + ".partial"
        subprocess.run(command(tint, partial), check=True)
        os.rename(partial, path)
    return path


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    print(camera_clip(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "d07020"))
