#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 proxy for the upload tests: it sits between roomrecd and the S3 server on
127.0.0.1 and, request by request, follows a plan of faults.

usage: fault_proxy.py LISTEN_PORT UPSTREAM_PORT PLAN
PLAN is a comma-separated list, one entry per request in arrival order (requests past its end pass):
  pass      forward the request and relay the answer
  reset     read the request, then reset the connection (the server never sees it)
  lost      forward the request, then reset the connection before the answer (the server did see it)
  delay     forward the request and hold the answer for 30 s (past the client's timeout)
  500, 503  answer that status with an S3 error document (InternalError, SlowDown)
Each request's fate is printed to stdout as "N MODE METHOD PATH".
"""
import asyncio
import itertools
import socket
import struct
import sys

listen_port, upstream_port, plan = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
counter = itertools.count()


async def read_message(reader, is_response=False, method=None):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if is_response and (method == "HEAD" or head.split(b" ")[1] in (b"204", b"304")):
        length = 0
    body = await reader.readexactly(length) if length else b""
    return head, body


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def handle(reader, writer):
    try:
        while True:
            try:
                head, body = await read_message(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            n = next(counter)
            mode = plan[n] if n < len(plan) and plan[n] else "pass"
            request_line = head.split(b"\r\n")[0].decode(errors="replace")
            method, path = request_line.split(" ")[0], request_line.split(" ")[1]
            print(n, mode, method, path.split("?")[0], flush=True)
            if mode == "reset":
                reset(writer)
                return
            if mode in ("500", "503"):
                code = "InternalError" if mode == "500" else "SlowDown"
                doc = f"<Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error>".encode()
                writer.write(f"HTTP/1.1 {mode} Injected\r\nContent-Type: application/xml\r\nContent-Length: {len(doc)}\r\n\r\n".encode() + doc)
                await writer.drain()
                continue
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
            up_writer.write(head + body)
            await up_writer.drain()
            answer_head, answer_body = await read_message(up_reader, is_response=True, method=method)
            up_writer.close()
            if mode == "lost":
                reset(writer)
                return
            if mode == "delay":
                await asyncio.sleep(30)
            writer.write(answer_head + answer_body)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
