#!/usr/bin/env python3
"""Synthetic Janus VideoRoom viewer (aiortc) for local tests: a remote student watching the room.

Subscribes to the publisher whose display name starts with --display, receives its video and audio for
--duration seconds, and prints one JSON line {"peer": "report", ...} with what arrived:
  video_frames, width, height, luma_mean, luma_std (over the frames), bright_frames (mean luma > 180),
  audio_seconds, tone power at each --tones frequency relative to --reference-hz, and the distinct text
  messages that came on the publisher's data channel.
Exit code 0 when media arrived, 2 when none did, 1 on a Janus error.

    janus_watcher.py --display "Room 101" --duration 6 --tones 440,1000 --reference-hz 2500
"""
import asyncio
import math
import os
import struct
import sys
import time

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_peer import JanusError, JanusHTTP, finish, log, peer_arguments, run_peer  # noqa: E402


def goertzel(samples, hz, rate=48000):
    coefficient = 2 * math.cos(2 * math.pi * hz / rate)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    return previous * previous + before * before - coefficient * previous * before


async def find_feed(j, room, display, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data, _ = await j.message({"request": "listparticipants", "room": room})
        for p in data.get("participants", []):
            if p.get("publisher") and p.get("display", "").startswith(display):
                return p["id"], p.get("display")
        await asyncio.sleep(0.3)
    raise JanusError(f"no publisher named {display!r} within {timeout} s")


async def run(args):
    j = JanusHTTP(args.url)
    await j.create()
    tasks = [asyncio.create_task(j.poll_loop()), asyncio.create_task(j.keepalive_loop())]
    pc = None
    video = {"frames": 0, "sizes": set(), "means": [], "bright": 0}
    audio = []
    messages = []
    rc = 0
    try:
        await j.attach()
        feed, shown = await find_feed(j, args.room, args.display, args.find_timeout)
        log("found", feed=feed, display=shown)
        join = {"request": "join", "ptype": "subscriber", "room": args.room, "streams": [{"feed": feed}]}
        _, offer = await j.message(join)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        consumers = []

        async def counted(track):
            """The track's frames that arrive while counting, until it ends."""
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                if frame_counting.is_set():
                    yield frame

        async def consume_video(track):
            async for frame in counted(track):
                plane = frame.reformat(format="yuv420p").planes[0]
                data = bytes(plane)
                width, height, stride = frame.width, frame.height, plane.line_size
                points = [data[y * stride + x] for y in range(0, height, 16) for x in range(0, width, 16)]
                mean = sum(points) / len(points)
                std = math.sqrt(sum((p - mean) ** 2 for p in points) / len(points))
                video["frames"] += 1
                video["sizes"].add((width, height))
                video["means"].append((mean, std))
                if mean > 180:
                    video["bright"] += 1

        async def consume_audio(track):
            async for frame in counted(track):
                raw = bytes(frame.planes[0])
                channels = len(frame.layout.channels)
                values = struct.unpack(f"<{len(raw) // 2}h", raw)
                audio.extend(v / 32768 for v in values[:frame.samples * channels:channels])

        frame_counting = asyncio.Event()

        def listen(channel):
            log("datachannel", label=channel.label)

            @channel.on("message")
            def _on_message(message):
                if frame_counting.is_set() and isinstance(message, str) and message not in messages:
                    messages.append(message)

        pc.on("datachannel", listen)

        @pc.on("track")
        def _on_track(track):
            log("track", kind=track.kind)
            consumers.append(asyncio.create_task(consume_video(track) if track.kind == "video" else consume_audio(track)))

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type=offer["type"]))
        # Janus relays the publisher's data only once the subscriber has a data channel open (as janus.js opens one).
        listen(pc.createDataChannel("JanusDataChannel"))
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        await j.message({"request": "start", "room": args.room},
                        jsep={"type": pc.localDescription.type, "sdp": pc.localDescription.sdp})
        # The first second is the jitter buffer filling and the first keyframe: measure after it.
        await asyncio.sleep(1)
        frame_counting.set()
        await asyncio.sleep(args.duration)
        frame_counting.clear()
        means = video["means"]
        tones = {}
        if audio:
            reference = goertzel(audio, args.reference_hz) or 1e-12
            tones = {str(hz): round(goertzel(audio, hz) / reference, 1) for hz in args.tones}
        report = {
            "video_frames": video["frames"],
            "width": max((s[0] for s in video["sizes"]), default=0),
            "height": max((s[1] for s in video["sizes"]), default=0),
            "luma_mean": round(sum(m for m, _ in means) / len(means), 1) if means else 0,
            "luma_std": round(sum(s for _, s in means) / len(means), 1) if means else 0,
            "bright_frames": video["bright"],
            "audio_seconds": round(len(audio) / 48000, 2),
            "tones": tones,
            "messages": messages,
        }
        log("report", **report)
        rc = 0 if video["frames"] and audio else 2
        for task in consumers:
            task.cancel()
    except JanusError as e:
        log("janus-error", error=str(e.args[0]))
        rc = 1
    finally:
        await finish(j, pc, tasks, rc)
    return rc


def main():
    p = peer_arguments(__doc__)
    p.add_argument("--display", required=True, help="the publisher to watch: its display name's beginning")
    p.add_argument("--duration", type=float, default=6)
    p.add_argument("--find-timeout", type=float, default=20)
    p.add_argument("--tones", type=lambda s: [int(x) for x in s.split(",")], default=[440])
    p.add_argument("--reference-hz", type=float, default=2500.0, help="a frequency nobody sends")
    run_peer(p, run)


if __name__ == "__main__":
    main()
