#!/usr/bin/env python3
"""Synthetic Janus VideoRoom publisher (aiortc) for local tests.

Joins a VideoRoom over the Janus HTTP (REST + long-poll) API as a publisher and
publishes a solid-colour video track (with --screen, described to Janus as a
shared screen) and a sine-tone audio track.

    janus_peer.py --display "Room 101" --color red --freq 440 --duration 20

With --video-file the picture is instead a pre-encoded H.264 clip (Annex B .h264,
or .mp4), sent as it is, without decoding or re-encoding, looped forever at the
clip's frame rate: what a real participant's camera sends, at almost no CPU cost
to this process (bench/camera_clip.py makes such clips). H.264 is then the only
video codec offered, and the tone too is encoded once and looped (without the
audio level header extension, so Janus raises no talking events for this peer).

    janus_peer.py --display "Dr. Ada" --video-file out/bench-clips/camera-d07020.h264

Output: one JSON object per line on stdout ("peer" log lines and every Janus
event received), so a test harness can parse it. Exit code 0 on a clean run,
1 on any Janus error / ICE failure, 2 if media did not come up in --media-timeout.

ICE is restricted to 127.0.0.1 (aioice normally skips loopback, see
patch below) and no STUN server is used (aiortc defaults to Google STUN).
"""
import argparse
import asyncio
import fractions
import json
import math
import os
import random
import signal
import string
import struct
import sys
import time
import urllib.error
import urllib.request

import aioice.ice
import av
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender,
                    RTCSessionDescription, VideoStreamTrack)
from aiortc.codecs.opus import SAMPLE_RATE as OPUS_RATE
from aiortc.codecs.opus import OpusEncoder

T0 = time.monotonic()


def log(event, **kw):
    kw = {"t": round(time.monotonic() - T0, 3), "peer": event, **kw}
    print(json.dumps(kw), flush=True)


# --- ICE host candidates -----------------------------------------------------
# aioice.ice.get_host_addresses() enumerates all interfaces but drops 127.0.0.1.
# --ice-addr replaces it with a fixed list (default 127.0.0.1); "auto" keeps aioice's.
def restrict_host_addresses(spec):
    if spec == "auto":
        return
    addrs = [a.strip() for a in spec.split(",") if a.strip()]
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(addrs)

# --- synthetic tracks ------------------------------------------------------
COLOURS = {
    "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
    "white": (255, 255, 255), "black": (0, 0, 0), "yellow": (255, 255, 0),
    "magenta": (255, 0, 255), "cyan": (0, 255, 255), "grey": (128, 128, 128),
}


def parse_colour(s):
    s = s.strip().lower()
    if s in COLOURS:
        return COLOURS[s]
    s = s.lstrip("#")
    if len(s) == 6:
        return tuple(int(s[i:i + 2], 16) for i in (0, 2, 4))
    raise argparse.ArgumentTypeError(f"bad colour {s!r} (name or RRGGBB)")


def rgb_to_yuv(r, g, b):  # BT.601 limited range
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    u = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    v = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return tuple(max(0, min(255, round(c))) for c in (y, u, v))


class Pacer:
    """Hands out frame numbers 0, 1, 2, … at `rate` a second on the monotonic clock, from the first call on."""

    def __init__(self, rate):
        self.rate = rate
        self.n = -1
        self.start = None

    async def next(self):
        self.n += 1
        if self.start is None:
            self.start = time.monotonic()
        else:
            wait = self.start + self.n / self.rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        return self.n


class SolidColourTrack(VideoStreamTrack):
    """yuv420p frames of a single colour, paced at `fps`."""

    def __init__(self, rgb, width, height, fps):
        super().__init__()
        self.yuv = rgb_to_yuv(*rgb)
        self.width, self.height, self.fps = width, height, fps
        self.clock = 90000
        self.pacer = Pacer(fps)

    async def recv(self):
        n = await self.pacer.next()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        for plane, value in zip(frame.planes, self.yuv):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = int(n * self.clock / self.fps)
        frame.time_base = fractions.Fraction(1, self.clock)
        return frame


class PacketLoop(MediaStreamTrack):
    """Pre-encoded frames (bytes) sent as av.Packets, `rate` a second, looped forever with timestamps that keep
    counting. aiortc's sender packetizes an av.Packet as it is (its encoder's pack) instead of encoding a frame, so
    sending costs next to no CPU. Not aiortc's MediaPlayer(decode=False): it cannot loop a raw .h264 (not seekable),
    and when it loops an .mp4 the timestamps start again at 0 and it stops pacing, sending the file as fast as it
    can read it."""

    def __init__(self, kind, frames, rate, clock):
        super().__init__()
        self.kind, self.frames, self.rate, self.clock = kind, frames, rate, clock
        self.pacer = Pacer(rate)

    async def recv(self):
        n = await self.pacer.next()
        packet = av.Packet(self.frames[n % len(self.frames)])
        packet.pts = round(n * self.clock / self.rate)
        packet.time_base = fractions.Fraction(1, self.clock)
        return packet


def h264_clip(path, fallback_fps):
    """The H.264 clip's pictures in Annex B (aiortc's H264Encoder.pack splits a packet at its start codes, so an
    .mp4's length-prefixed pictures are turned into Annex B), as a PacketLoop at the clip's frame rate (or
    fallback_fps if it has none), and the clip's size. It must start with a keyframe; keyframe requests are not
    answered (there is no encoder): the clip's own keyframes, each with its SPS and PPS, come every few seconds."""
    from av.bitstream import BitStreamFilterContext  # only here: the colour picture does without it
    with av.open(path) as container:
        stream = container.streams.video[0]
        if stream.codec_context.name != "h264":
            raise SystemExit(f"{path}: {stream.codec_context.name} video, not H.264")
        annexb = BitStreamFilterContext("h264_mp4toannexb", stream)
        packets = []
        for packet in container.demux(stream):
            packets += annexb.filter(packet if packet.size else None)
        fps = float(stream.guessed_rate or fallback_fps)
        size = (stream.codec_context.width, stream.codec_context.height)
    if not packets or not packets[0].is_keyframe:
        raise SystemExit(f"{path}: no H.264 pictures, or the first is not a keyframe")
    return PacketLoop("video", [bytes(p) for p in packets], fps, 90000), size


def opus_loop(tone):
    """The tone (a ToneTrack) encoded once as aiortc encodes it (its OpusEncoder), as a PacketLoop: one second, or
    the whole on/off cycle in whole seconds, so that the loop is seamless for a tone of whole Hz. Encoding it live
    costs an aiortc peer more than sending a pre-encoded clip. The second of two cycles is kept, encoded from the
    state the end of a cycle leaves. Opus carries no audio level this way (aiortc adds that RTP header extension
    only to what it encodes), so Janus reports no talking for this peer."""
    per_second = tone.rate // tone.samples
    frames = per_second * max(1, math.ceil(tone.on_s + tone.off_s)) if tone.off_s > 0 else per_second
    encoder = OpusEncoder()
    payloads = []
    for _ in range(2 * frames):
        payloads += encoder.encode(tone.next_frame())[0]
    return PacketLoop("audio", payloads[-frames:], per_second, OPUS_RATE)


def prefer_h264(transceiver):
    """Offers H.264 only (and its retransmission) on the transceiver: a pre-encoded clip can only go out as H.264,
    and Janus answers with the first of the room's codecs that the offer has."""
    codecs = RTCRtpSender.getCapabilities("video").codecs
    h264 = [c for c in codecs if c.mimeType.lower() == "video/h264"]
    # Constrained Baseline (42e0..) first: what browsers send and what bench/camera_clip.py makes.
    h264.sort(key=lambda c: not c.parameters.get("profile-level-id", "").startswith("42e0"))
    transceiver.setCodecPreferences(h264 + [c for c in codecs if c.mimeType.lower() == "video/rtx"])


class ToneTrack(MediaStreamTrack):
    """48 kHz mono s16 sine in 20 ms frames; optional on/off gating
    (to provoke VideoRoom talking / stopped-talking events)."""

    kind = "audio"

    def __init__(self, freq, amplitude=0.5, on_s=0.0, off_s=0.0, rate=48000):
        super().__init__()
        self.freq, self.amp, self.rate = freq, amplitude, rate
        self.on_s, self.off_s = on_s, off_s
        self.samples = rate // 50
        self.phase = 0.0
        self.n = 0
        self.pacer = Pacer(rate / self.samples)

    def _audible(self, t):
        if self.off_s <= 0:
            return True
        return (t % (self.on_s + self.off_s)) < self.on_s

    async def recv(self):
        await self.pacer.next()
        return self.next_frame()

    def next_frame(self):
        t = self.n * self.samples / self.rate
        step = 2 * math.pi * self.freq / self.rate
        if self.freq > 0 and self._audible(t):
            a = 32767 * self.amp
            pcm = struct.pack(f"<{self.samples}h", *(
                int(a * math.sin(self.phase + i * step)) for i in range(self.samples)))
        else:
            pcm = bytes(2 * self.samples)
        self.phase = (self.phase + self.samples * step) % (2 * math.pi)
        frame = av.AudioFrame(format="s16", layout="mono", samples=self.samples)
        frame.planes[0].update(pcm)
        frame.sample_rate = self.rate
        frame.pts = self.n * self.samples
        frame.time_base = fractions.Fraction(1, self.rate)
        self.n += 1
        return frame


# --- minimal Janus HTTP client ------------------------------------------------
class JanusError(Exception):
    pass


def _tx():
    return "".join(random.choices(string.ascii_letters + string.digits, k=12))


class JanusHTTP:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.session = None
        self.handle = None
        self.pending = {}          # transaction -> Future (async plugin replies)
        self.events = asyncio.Queue()
        self.closed = False

    def _http(self, method, path, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    async def post(self, path, body):
        body.setdefault("transaction", _tx())
        resp = await asyncio.to_thread(self._http, "POST", path, body)
        if resp.get("janus") == "error":
            raise JanusError(resp["error"])
        return resp

    async def create(self):
        self.session = (await self.post("", {"janus": "create"}))["data"]["id"]
        log("session", session_id=self.session)

    async def attach(self, plugin="janus.plugin.videoroom"):
        r = await self.post(f"/{self.session}", {"janus": "attach", "plugin": plugin})
        self.handle = r["data"]["id"]
        log("attached", handle_id=self.handle)

    async def message(self, body, jsep=None, timeout=15):
        """Send a plugin message; return the async event (plugindata.data, jsep)."""
        tx = _tx()
        fut = asyncio.get_running_loop().create_future()
        self.pending[tx] = fut
        msg = {"janus": "message", "transaction": tx, "body": body}
        if jsep:
            msg["jsep"] = jsep
        r = await self.post(f"/{self.session}/{self.handle}", msg)
        if r.get("janus") == "success":  # synchronous request (list, listparticipants…)
            self.pending.pop(tx, None)
            return r["plugindata"]["data"], None
        ev = await asyncio.wait_for(fut, timeout)
        data = ev["plugindata"]["data"]
        if "error_code" in data:
            raise JanusError(data)
        return data, ev.get("jsep")

    async def poll_loop(self):
        """Long-poll GET /janus/<session>?maxev=N (returns an array with maxev)."""
        rid = 0
        while not self.closed:
            rid += 1
            try:
                evs = await asyncio.to_thread(
                    self._http, "GET", f"/{self.session}?maxev=10&rid={rid}", None, 40)
            except Exception as e:  # noqa: BLE001
                if self.closed:
                    return
                log("poll-error", error=str(e))
                await asyncio.sleep(0.5)
                continue
            for ev in evs if isinstance(evs, list) else [evs]:
                if ev.get("janus") == "keepalive":
                    continue
                tx = ev.get("transaction")
                if ev.get("janus") == "event" and tx in self.pending:
                    fut = self.pending.pop(tx)
                    if not fut.done():
                        fut.set_result(ev)
                print(json.dumps({"t": round(time.monotonic() - T0, 3), "janus_event": ev}),
                      flush=True)
                await self.events.put(ev)

    async def keepalive_loop(self, every=25):
        while not self.closed:
            await asyncio.sleep(every)
            try:
                await self.post(f"/{self.session}", {"janus": "keepalive"})
            except Exception as e:  # noqa: BLE001
                log("keepalive-error", error=str(e))

    async def destroy(self):
        if self.session is None:
            return
        try:
            if self.handle is not None:
                await self.post(f"/{self.session}/{self.handle}", {"janus": "detach"})
            self.closed = True
            await self.post(f"/{self.session}", {"janus": "destroy"})
        except Exception as e:  # noqa: BLE001
            log("destroy-error", error=str(e))
        self.closed = True


# --- main --------------------------------------------------------------------
async def run(args):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    j = JanusHTTP(args.url)
    await j.create()
    tasks = [asyncio.create_task(j.poll_loop()), asyncio.create_task(j.keepalive_loop())]
    pc = None
    rc = 0
    try:
        await j.attach()
        join = {"request": "join", "ptype": "publisher", "room": args.room,
                "display": args.display}
        if args.pin:
            join["pin"] = args.pin
        if args.id:
            join["id"] = args.id
        joined, _ = await j.message(join)
        log("joined", id=joined["id"], private_id=joined.get("private_id"),
            publishers=joined.get("publishers"))

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN
        media_up = asyncio.Event()
        ice_failed = asyncio.Event()

        @pc.on("connectionstatechange")
        async def _on_state():
            log("pc-state", state=pc.connectionState, ice=pc.iceConnectionState)
            if pc.connectionState == "connected":
                media_up.set()
            elif pc.connectionState == "failed":
                ice_failed.set()

        tone = ToneTrack(args.freq, args.amplitude, args.tone_on, args.tone_off)
        if args.video_file:
            pc.addTrack(opus_loop(tone))
            clip, (width, height) = h264_clip(args.video_file, args.fps)
            log("clip", path=args.video_file, pictures=len(clip.frames), fps=clip.rate, width=width, height=height,
                kbps=round(sum(map(len, clip.frames)) * 8 * clip.rate / len(clip.frames) / 1000))
            picture = pc.addTrack(clip)
            prefer_h264(next(t for t in pc.getTransceivers() if t.sender is picture))
        else:
            pc.addTrack(tone)
            picture = pc.addTrack(SolidColourTrack(args.color, args.width, args.height, args.fps))
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)  # aiortc gathers all candidates here (no trickle)
        t_offer = time.monotonic()
        pub = {"request": "publish", "audio": True, "video": True}
        if args.screen:
            # Janus 1.x: what each stream is, as a screen-sharing client says it.
            mid = next(t.mid for t in pc.getTransceivers() if t.sender is picture)
            pub["descriptions"] = [{"mid": mid, "description": "screen"}]
        if args.bitrate:
            pub["bitrate"] = args.bitrate
        data, jsep = await j.message(pub, jsep={"type": pc.localDescription.type,
                                                "sdp": pc.localDescription.sdp})
        log("configured", data=data, answer_sdp_lines=len(jsep["sdp"].splitlines()))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))

        done = asyncio.create_task(media_up.wait())
        failed = asyncio.create_task(ice_failed.wait())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({done, failed, stopped}, timeout=args.media_timeout,
                           return_when=asyncio.FIRST_COMPLETED)
        for t in (done, failed, stopped):
            t.cancel()
        if media_up.is_set():
            log("media-up", seconds_since_offer=round(time.monotonic() - t_offer, 3),
                seconds_since_start=round(time.monotonic() - T0, 3))
        elif not stop.is_set():
            log("media-timeout" if not ice_failed.is_set() else "ice-failed")
            rc = 2 if not ice_failed.is_set() else 1
            return rc

        try:
            await asyncio.wait_for(stop.wait(), args.duration if args.duration > 0 else None)
            log("stop-signal")
        except asyncio.TimeoutError:
            log("duration-elapsed", seconds=args.duration)
        try:
            await j.message({"request": "leave"}, timeout=5)
        except Exception as e:  # noqa: BLE001
            log("leave-error", error=str(e))
    except JanusError as e:
        log("janus-error", error=e.args[0])
        rc = 1
    finally:
        await finish(j, pc, tasks, rc)
    return rc


async def finish(j, pc, tasks, rc):
    """Ends a peer's connection and Janus session and its background tasks, and says so."""
    if pc is not None:
        await pc.close()
    await j.destroy()
    for t in tasks:
        t.cancel()
    log("exit", rc=rc)


def peer_arguments(description):
    """The arguments every test peer takes first: the server and the room."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:18088/janus")
    p.add_argument("--room", type=int, default=1234)
    return p


def run_peer(p, run):
    """Adds the arguments every test peer takes last (ICE addresses, debug), parses them and runs `run(args)`;
    exits with its code."""
    p.add_argument("--ice-addr", default="127.0.0.1",
                   help="comma list of local host-candidate IPs, or 'auto' (aioice default)")
    p.add_argument("--debug", action="store_true", help="aioice/aiortc debug logging to stderr")
    # The Swift test runner blocks SIGTERM and children inherit the mask: unblock it so the peer can leave cleanly.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    args = p.parse_args()
    restrict_host_addresses(args.ice_addr)
    if args.debug:
        import logging
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    # Not asyncio.run: at its end it joins the executor's threads, one of which may sit in a 30 s long poll.
    rc = asyncio.new_event_loop().run_until_complete(run(args))
    sys.stdout.flush()
    os._exit(rc)


def main():
    p = peer_arguments(__doc__)
    p.add_argument("--display", default="Room 101")
    p.add_argument("--pin")
    p.add_argument("--id", type=int, help="publisher id to request (default: Janus picks)")
    p.add_argument("--color", type=parse_colour, default=parse_colour("red"))
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=float, default=15)
    p.add_argument("--video-file", metavar="PATH",
                   help="send this H.264 clip (.h264 or .mp4) as it is, looped, instead of the solid colour "
                        "(--color, --width and --height then unused; --fps only if the clip has no frame rate)")
    p.add_argument("--screen", action="store_true", help="describe the picture to Janus as a shared screen")
    p.add_argument("--freq", type=float, default=440.0, help="tone Hz (0 = silence)")
    p.add_argument("--amplitude", type=float, default=0.5)
    p.add_argument("--tone-on", type=float, default=0.0, help="seconds on (with --tone-off)")
    p.add_argument("--tone-off", type=float, default=0.0, help="seconds off (0 = continuous)")
    p.add_argument("--bitrate", type=int, default=0)
    p.add_argument("--duration", type=float, default=30, help="seconds to publish (0 = until SIGTERM)")
    p.add_argument("--media-timeout", type=float, default=15)
    run_peer(p, run)


if __name__ == "__main__":
    main()
