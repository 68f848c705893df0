#!/usr/bin/env python3
"""Measures roomrecd's control socket: GET /v1/status latency (a new connection per request, as roomrecctl and
scripts do) and how fast 100 Server-Sent-Events subscribers hear of a recording state change.

usage: control_bench.py SOCKET [REQUESTS] [SUBSCRIBERS]
"""
import asyncio
import json
import socket
import statistics
import sys
import time


def request(path, method="GET", sock_path=None, body=b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    head = f"{method} {path} HTTP/1.1\r\nHost: roomrecd\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    s.sendall(head.encode() + body)
    chunks = []
    while True:
        data = s.recv(65536)
        if not data:
            break
        chunks.append(data)
    s.close()
    raw = b"".join(chunks)
    status = int(raw.split(b" ", 2)[1])
    return status, raw.split(b"\r\n\r\n", 1)[1]


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


async def subscriber(sock_path, ready, heard):
    reader, writer = await asyncio.open_unix_connection(sock_path)
    writer.write(b"GET /v1/events HTTP/1.1\r\nHost: roomrecd\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    buffer = b""
    while b": subscribed" not in buffer:
        buffer += await reader.read(4096)
    ready.release()
    while b"event: recording" not in buffer:
        data = await reader.read(4096)
        if not data:
            return
        buffer += data
    heard.append(time.perf_counter())
    writer.close()


async def fan_out(sock_path, count):
    ready = asyncio.Semaphore(0)
    heard = []
    tasks = [asyncio.create_task(subscriber(sock_path, ready, heard)) for _ in range(count)]
    for _ in range(count):
        await asyncio.wait_for(ready.acquire(), 30)
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    status, _ = await asyncio.to_thread(request, "/v1/recordings/current/stop", "POST", sock_path)
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    return status, [(t - started) * 1000 for t in heard]


def main():
    sock_path = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    subscribers = int(sys.argv[3]) if len(sys.argv) > 3 else 100

    status, body = request("/v1/status", sock_path=sock_path)
    state = json.loads(body)["state"]
    assert state == "recording", f"a recording must run during the benchmark (state: {state})"

    latencies = []
    for _ in range(100):  # warm-up
        request("/v1/status", sock_path=sock_path)
    for _ in range(requests):
        t = time.perf_counter()
        status, _ = request("/v1/status", sock_path=sock_path)
        latencies.append((time.perf_counter() - t) * 1000)
        assert status == 200
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"GET /v1/status while recording 1080p30: {requests} requests, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {max(latencies):.2f} ms  (goal p99 < 5 ms: {'met' if p99 < 5 else 'MISSED'})")

    status, delays = asyncio.run(fan_out(sock_path, subscribers))
    assert status == 202, status
    print(f"{len(delays)} of {subscribers} SSE subscribers heard the stop: median {statistics.median(delays):.1f} ms, "
          f"last {max(delays):.1f} ms  (goal all < 100 ms: {'met' if len(delays) == subscribers and max(delays) < 100 else 'MISSED'})")


if __name__ == "__main__":
    main()
