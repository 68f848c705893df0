#!/usr/bin/env python3
"""A WHIP-aware reverse proxy for the WHIP tests: it sits on 127.0.0.1 in front of simple-whip-server, which never
answers the way RFC 9725 lets an endpoint answer and other platforms do, and injects those answers on request: 307
and 308 redirects (to another host name, or with a relative Location), 503 with Retry-After (seconds or an
HTTP-date), a refusal with an RFC 9457 problem object (application/problem+json), Link headers naming ICE servers
(one field per server, or one comma-joined field), and a 301. Beside it, a tiny STUN server on UDP, so that a Link
can name a STUN server that really answers. Python 3 standard library only.

usage: whip_fault_proxy.py --upstream http://127.0.0.1:PORT [--port PORT] [--log FILE]
Listens on 127.0.0.1:PORT (0: a free port) and UDP 127.0.0.1 on a free port for STUN, then prints one JSON line
{"port": N, "stun_port": M} on stdout. Then it logs one JSON line per event, on stdout or in FILE. The same socket
is reached as http://localhost:N, which is another host name for a client (the redirect target).

Requests outside /_proxy/ are WHIP requests. Each POST among them is an offer: the faults set below apply to it, in
this order (the first that still has a count answers): moved_permanently, redirect, busy, problem. Otherwise, and
for every DELETE, PATCH, OPTIONS or GET, the request is forwarded to the upstream verbatim (request line, headers
with Host and Authorization, body; `Expect: 100-continue` is answered here and not forwarded) and the upstream's
answer relayed verbatim (its Location is relative, /whip/resource/<id>: it resolves against this proxy). A path
under /moved/ (where redirects point) is forwarded without that prefix, and is never redirected again. The upstream
not answering is 502.
Each fault is a JSON object with a `count`: how many offers it answers (default 1; negative: every one until
it is cleared). POST /_proxy/faults with a JSON object sets the faults it names (null clears one) and keeps the
others:
  "redirect": {"status": 307|308, "to": LOCATION, "count": N}   LOCATION is sent as is (absolute or relative);
      default http://localhost:<port>/moved<the offer's path>
  "busy": {"status": 503|429, "retry_after": "2" | "<HTTP-date>" | null, "retry_after_date_in": SECONDS, "count": N}
      retry_after_date_in makes Retry-After the HTTP-date that many seconds (rounded up) from the answer
  "problem": {"status": 422, "title": TEXT, "detail": TEXT, "type": URI, "count": N}   an application/problem+json
      body {"type", "title", "status", "detail"} (type "about:blank" unless given)
  "moved_permanently": true | {"status": 301|302|303, "to": LOCATION, "count": N}   true is a 301 to the default
      LOCATION above on every offer until cleared (false or null)
  "links": "separate" | "joined" | null   every 201 from the upstream also gets, as three Link fields or as one
      field joining them with ", ": <stun:127.0.0.1:STUN>; rel="ice-server", a TURN server on the same port with a
      username and a credential that need percent-encoding in a URI (TURN_USERNAME and TURN_CREDENTIAL below,
      credential-type "password"), and an extension link (a rel other than ice-server, which a client ignores)
  "turn": "challenge" | "error" | "unanswered"   what the STUN server does with a TURN Allocate (default challenge)
GET /_proxy/faults answers the faults with the counts left. GET /_proxy/requests answers every WHIP request in
arrival order: {"method", "path" (as received), "host", "has_authorization", "authorization" (the value or null),
"content_type", "status" (answered to the client), "fault" (the fault that answered, or null when the upstream
did)}; DELETE /_proxy/requests forgets them. GET /_proxy/stun answers {"bindings": N, "addresses": ["ip:port", …]
(of each Binding Request answered, in order), "rfc3489": N (how many of them had no magic cookie), "allocations":
[{"from", "username", "integrity"}, …] (TURN Allocates that carried credentials)}.

The STUN server (RFC 5389) answers a Binding Request (magic cookie 0x2112A442) with a Binding Success Response:
the same transaction id, XOR-MAPPED-ADDRESS (IPv4: the request's source), SOFTWARE and FINGERPRINT. A Binding
Request without the cookie is an RFC 3489 client's, answered as RFC 5389 §12.2 says (the same 16 bytes of
transaction id, MAPPED-ADDRESS): libnice (webrtcbin) asks a STUN server that way, and gives up on a server that
ignores it after 2 s. A TURN Allocate (RFC 5766), by the "turn" fault: "challenge" (default) answers one without
credentials 401 with a REALM and NONCE, then one with them 508 Insufficient Capacity (signed) after recording its
USERNAME and whether its MESSAGE-INTEGRITY holds with TURN_CREDENTIAL (401 again when it does not): that checks the
credentials survived the Link header and the client's turn:// URI, makes no relay, and lets the client's ICE
agent finish at once; "error" answers 400 Bad Request at once; "unanswered" drops it, as a TURN server behind a
firewall would. Anything else is dropped.
Measured with webrtcbin 1.22 / libnice 0.1.21 on 127.0.0.1 (offer set -> ice-gathering-state complete): 0.2 s with
no servers, the STUN link alone, or the TURN link alone ("challenge" or "error"); 2.0 s with the TURN link
"unanswered", and 2.0 s with the STUN and the TURN link together whatever "turn" says (libnice, once it has a TURN
server, drops the RFC 3489 answer as "Incorrectly multiplexed" and times the STUN server out).
"""
import argparse
import asyncio
import base64
import binascii
import email.utils
import hashlib
import hmac
import http
import json
import math
import os
import socket
import struct
import sys
import time
import urllib.parse

TURN_USERNAME = "1735689600:room 101"
TURN_CREDENTIAL = "aB3+/cD=,x;y@z%"
TURN_REALM = "whip-fault-proxy"
EXTENSION_REL = "urn:ietf:params:whip:ext:example:simulcast"
MAGIC_COOKIE = 0x2112A442

arguments = argparse.ArgumentParser(description="A WHIP-aware fault-injecting reverse proxy with a STUN server")
arguments.add_argument("--upstream", required=True, help="the WHIP server, http://127.0.0.1:PORT")
arguments.add_argument("--port", type=int, default=0, help="the port to listen on (0: a free one)")
arguments.add_argument("--log", help="log JSON lines to this file instead of stdout")
options = arguments.parse_args()
upstream = urllib.parse.urlsplit(options.upstream)
upstream_host, upstream_port = upstream.hostname or "127.0.0.1", upstream.port or 80
log_file = open(options.log, "a", buffering=1) if options.log else sys.stdout

faults = {"turn": "challenge"}
requests = []
stun = {"bindings": 0, "addresses": [], "rfc3489": 0, "allocations": []}
listening = {"port": 0, "stun_port": 0}


def log(event, **fields):
    print(json.dumps({"t": round(time.time(), 3), "event": event, **fields}), file=log_file, flush=True)


# HTTP/1.1 messages, read whole (Content-Length, chunked, or for an answer with neither, until the connection ends).

def header(head, name):
    """The value of the first header field `name` in a message's head (bytes), as text, or None."""
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.encode():
            return value.strip().decode("latin-1")
    return None


async def read_body(reader, head, is_response=False, method=None):
    """The body as it came on the wire (chunk framing kept, for relaying verbatim)."""
    status = head.split(b" ", 2)[1] if is_response else b""
    if is_response and (method == "HEAD" or status in (b"204", b"304") or status.startswith(b"1")):
        return b""
    if (header(head, "transfer-encoding") or "").lower().endswith("chunked"):
        raw = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            raw += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailer fields, then the empty line
                    line = await reader.readuntil(b"\r\n")
                    raw += line
                    if line == b"\r\n":
                        return raw
            raw += await reader.readexactly(size + 2)
    length = header(head, "content-length")
    if length is not None:
        return await reader.readexactly(int(length)) if int(length) else b""
    return await reader.read() if is_response else b""


def decoded(head, body):
    """The body without chunk framing."""
    if not (header(head, "transfer-encoding") or "").lower().endswith("chunked"):
        return body
    out, rest = b"", body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            return out
        out, rest = out + rest[:size], rest[size + 2:]


def without_header(head, name):
    lines = head.split(b"\r\n")
    return b"\r\n".join(line for line in lines if line.partition(b":")[0].strip().lower() != name.encode())


def with_headers(head, fields):
    """`head` (ending in the empty line) with more header fields before its end."""
    extra = b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in fields)
    return head[:-2] + extra + b"\r\n"


def answer(status, fields=(), body=b""):
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Injected"
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in fields), f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# Faults.

def default_location(path):
    return f"http://localhost:{listening['port']}/moved{path}"


def take(name):
    """The fault `name` if it still answers an offer (its count is then used up by one: at 0 it is gone), else None."""
    fault = faults.get(name)
    if not fault:
        return None
    count = fault.get("count", 1)
    if count == 0:
        return None
    if count == 1:
        del faults[name]
    elif count > 0:
        fault["count"] = count - 1
    return fault


def injected(path):
    """The answer to an offer to `path` from the first fault that has a count left, and that fault's name."""
    fault = take("moved_permanently")
    if fault:
        return "moved_permanently", answer(fault.get("status", 301), [("Location", fault.get("to") or default_location(path))])
    # Where a redirect points is the endpoint itself: it is not sent on again.
    fault = None if path.startswith("/moved/") else take("redirect")
    if fault:
        return "redirect", answer(fault.get("status", 307), [("Location", fault.get("to") or default_location(path))])
    fault = take("busy")
    if fault:
        fields = [("Content-Type", "text/plain")]
        if fault.get("retry_after_date_in") is not None:
            fields.append(("Retry-After", email.utils.formatdate(math.ceil(time.time() + fault["retry_after_date_in"]), usegmt=True)))
        elif fault.get("retry_after") is not None:
            fields.append(("Retry-After", str(fault["retry_after"])))
        return "busy", answer(fault.get("status", 503), fields, b"Too busy for another publisher, try again later")
    fault = take("problem")
    if fault:
        status = fault.get("status", 422)
        problem = {"type": fault.get("type", "about:blank"), "title": fault.get("title", http.HTTPStatus(status).phrase),
                   "status": status}
        if fault.get("detail") is not None:
            problem["detail"] = fault["detail"]
        return "problem", answer(status, [("Content-Type", "application/problem+json")], json.dumps(problem).encode())
    return None, None


def quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ice_links():
    port = listening["stun_port"]
    return [
        f'<stun:127.0.0.1:{port}>; rel="ice-server"',
        f'<turn:127.0.0.1:{port}?transport=udp>; rel="ice-server"; username={quoted(TURN_USERNAME)}; '
        f'credential={quoted(TURN_CREDENTIAL)}; credential-type="password"',
        f'<http://localhost:{listening["port"]}/_proxy/extension>; rel="{EXTENSION_REL}"',
    ]


def set_faults(changes):
    if not isinstance(changes, dict):
        raise ValueError("the body must be a JSON object")
    known = {"redirect", "busy", "problem", "moved_permanently", "links", "turn"}
    unknown = set(changes) - known
    if unknown:
        raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(known)}")
    for name, value in changes.items():
        if value is None or value is False:
            faults.pop(name, None)
            if name == "turn":
                faults["turn"] = "challenge"
        elif name == "links":
            if value not in ("separate", "joined"):
                raise ValueError('links is "separate", "joined" or null')
            faults[name] = value
        elif name == "turn":
            if value not in ("challenge", "error", "unanswered"):
                raise ValueError('turn is "challenge", "error" or "unanswered"')
            faults[name] = value
        elif name == "moved_permanently" and value is True:
            faults[name] = {"status": 301, "count": -1}
        elif isinstance(value, dict):
            if not isinstance(value.get("count", 1), int):
                raise ValueError(f"{name}.count must be an integer")
            faults[name] = dict(value)
        else:
            raise ValueError(f"{name} must be an object or null")


# The proxy.

async def control(method, path, body):
    """An answer of the control API (/_proxy/…)."""
    def reply(status, value):
        return answer(status, [("Content-Type", "application/json")], json.dumps(value).encode())
    if path == "/_proxy/faults" and method == "POST":
        try:
            set_faults(json.loads(body or b"{}"))
        except ValueError as error:
            return reply(400, {"error": str(error)})
        log("faults", faults=faults)
        return reply(200, faults)
    if path == "/_proxy/faults" and method == "GET":
        return reply(200, faults)
    if path == "/_proxy/requests" and method == "GET":
        return reply(200, requests)
    if path == "/_proxy/requests" and method == "DELETE":
        requests.clear()
        return reply(200, requests)
    if path == "/_proxy/stun" and method == "GET":
        return reply(200, stun)
    return reply(404, {"error": f"no {method} {path} here"})


async def forward(head, body, method):
    """The upstream's answer to the request, read whole, and whether the connection must close after it."""
    up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
    try:
        up_writer.write(head + body)
        await up_writer.drain()
        while True:
            answer_head = await up_reader.readuntil(b"\r\n\r\n")
            answer_body = await read_body(up_reader, answer_head, is_response=True, method=method)
            if not answer_head.split(b" ", 2)[1].startswith(b"1"):
                break
        framed = header(answer_head, "content-length") is not None or header(answer_head, "transfer-encoding") is not None
        return answer_head, answer_body, not framed
    finally:
        up_writer.close()


async def handle(reader, writer):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                break
            request_line = head.split(b"\r\n")[0].decode("latin-1")
            method, target, version = request_line.split(" ", 2)
            if (header(head, "expect") or "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await writer.drain()
                head = without_header(head, "expect")
            body = await read_body(reader, head)
            path = target.split("?")[0]
            closing = (header(head, "connection") or "").lower() == "close"
            if path.startswith("/_proxy/"):
                writer.write(await control(method, path, decoded(head, body)))
                await writer.drain()
                if closing:
                    break
                continue

            entry = {"method": method, "path": target, "host": header(head, "host"),
                     "has_authorization": header(head, "authorization") is not None,
                     "authorization": header(head, "authorization"), "content_type": header(head, "content-type"),
                     "status": None, "fault": None}
            requests.append(entry)
            fault, response = injected(path) if method == "POST" else (None, None)
            if response is None:
                if path.startswith("/moved/"):
                    target = target[len("/moved"):]
                    head = f"{method} {target} {version}".encode("latin-1") + head[len(request_line):]
                try:
                    answer_head, answer_body, closing_upstream = await forward(head, body, method)
                except (OSError, asyncio.IncompleteReadError) as error:
                    answer_head, answer_body, closing_upstream = None, None, False
                    response = answer(502, [("Content-Type", "text/plain")], f"the WHIP server does not answer: {error}".encode())
                if answer_head is not None:
                    closing = closing or closing_upstream
                    if answer_head.split(b" ", 2)[1] == b"201" and faults.get("links"):
                        links = ice_links()
                        fields = [("Link", link) for link in links] if faults["links"] == "separate" else [("Link", ", ".join(links))]
                        answer_head = with_headers(answer_head, fields)
                    response = answer_head + answer_body
            entry["status"] = int(response.split(b" ", 2)[1])
            entry["fault"] = fault
            log("request", **entry, location=header(response.split(b"\r\n\r\n")[0] + b"\r\n\r\n", "location"))
            writer.write(response)
            await writer.drain()
            if closing:
                break
    except ConnectionError:
        pass
    finally:
        writer.close()


# STUN (RFC 5389) and the little of TURN (RFC 5766) that a client's Allocate needs.

BINDING, ALLOCATE = 0x001, 0x003
REQUEST, SUCCESS, ERROR = 0x000, 0x100, 0x110
MAPPED_ADDRESS, USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0001, 0x0006, 0x0008, 0x0009
REALM_ATTRIBUTE, NONCE, XOR_MAPPED_ADDRESS, SOFTWARE, FINGERPRINT = 0x0014, 0x0015, 0x0020, 0x8022, 0x8028


def attributes(message):
    """The attributes of a STUN message as (type, value, offset of the attribute) in order."""
    found, offset = [], 20
    while offset + 4 <= len(message):
        kind, length = struct.unpack("!HH", message[offset:offset + 4])
        found.append((kind, message[offset + 4:offset + 4 + length], offset))
        offset += 4 + length + (-length % 4)
    return found


def attribute(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def stun_message(kind, transaction, attrs, key=None):
    """A STUN message with `attrs` (encoded), MESSAGE-INTEGRITY if `key`, then FINGERPRINT."""
    body = b"".join(attrs)
    if key is not None:
        signed = struct.pack("!HHI", kind, len(body) + 24, MAGIC_COOKIE) + transaction + body
        body += attribute(MESSAGE_INTEGRITY, hmac.new(key, signed, hashlib.sha1).digest())
    signed = struct.pack("!HHI", kind, len(body) + 8, MAGIC_COOKIE) + transaction + body
    body += attribute(FINGERPRINT, struct.pack("!I", (binascii.crc32(signed) ^ 0x5354554E) & 0xFFFFFFFF))
    return struct.pack("!HHI", kind, len(body), MAGIC_COOKIE) + transaction + body


def error_code(code, reason):
    return attribute(ERROR_CODE, struct.pack("!HBB", 0, code // 100, code % 100) + reason.encode())


class STUNServer(asyncio.DatagramProtocol):
    def __init__(self):
        self.nonce = base64.b16encode(os.urandom(8)).decode().lower()

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, address):
        kind, length, cookie = struct.unpack("!HHI", data[:8]) if len(data) >= 20 else (0, 0, 0)
        transaction = data[8:20]
        method, klass = kind & 0x3EEF, kind & 0x0110
        if len(data) < 20 or data[0] & 0xC0 or length + 20 != len(data) or klass != REQUEST:
            log("stun ignored", source=f"{address[0]}:{address[1]}", head=data[:20].hex())
            return
        host, port = address[0], address[1]
        if method == BINDING and cookie != MAGIC_COOKIE:
            # An RFC 3489 client (libnice asks STUN servers that way): RFC 5389 §12.2 answers it with the same 16
            # bytes of transaction id and a MAPPED-ADDRESS in place of the XOR-MAPPED-ADDRESS.
            mapped = attribute(MAPPED_ADDRESS, struct.pack("!BBH", 0, 1, port) + socket.inet_aton(host))
            self.transport.sendto(struct.pack("!HH", BINDING | SUCCESS, len(mapped)) + data[4:20] + mapped, address)
            stun["rfc3489"] += 1
        elif cookie != MAGIC_COOKIE:
            log("stun ignored", source=f"{host}:{port}", head=data[:20].hex())
            return
        software = attribute(SOFTWARE, b"whip_fault_proxy.py")
        if method == BINDING:
            if cookie == MAGIC_COOKIE:
                xored = struct.pack("!BBH", 0, 1, port ^ (MAGIC_COOKIE >> 16)) + struct.pack("!I", struct.unpack("!I", socket.inet_aton(host))[0] ^ MAGIC_COOKIE)
                self.transport.sendto(stun_message(BINDING | SUCCESS, transaction, [attribute(XOR_MAPPED_ADDRESS, xored), software]), address)
            stun["bindings"] += 1
            stun["addresses"].append(f"{host}:{port}")
            log("stun binding", source=f"{host}:{port}", rfc3489=cookie != MAGIC_COOKIE)
        elif method == ALLOCATE:
            self.allocate(data, transaction, address, software)
        else:
            log("stun ignored", source=f"{address[0]}:{address[1]}", head=data[:20].hex())

    def allocate(self, data, transaction, address, software):
        mode = faults.get("turn", "challenge")
        source = f"{address[0]}:{address[1]}"
        found = attributes(data)
        values = {kind: value for kind, value, _ in found}
        if mode == "unanswered":
            log("turn allocate dropped", source=source)
            return
        if mode == "error":
            self.transport.sendto(stun_message(ALLOCATE | ERROR, transaction, [error_code(400, "Bad Request"), software]), address)
            log("turn allocate refused", source=source)
            return
        if USERNAME not in values or MESSAGE_INTEGRITY not in values:
            challenge = [error_code(401, "Unauthorized"), attribute(REALM_ATTRIBUTE, TURN_REALM.encode()),
                         attribute(NONCE, self.nonce.encode()), software]
            self.transport.sendto(stun_message(ALLOCATE | ERROR, transaction, challenge), address)
            log("turn allocate challenged", source=source)
            return
        username = values[USERNAME].decode("utf-8", "replace")
        realm = values.get(REALM_ATTRIBUTE, b"").decode("utf-8", "replace")
        key = hashlib.md5(f"{username}:{realm}:{TURN_CREDENTIAL}".encode()).digest()
        offset = next(offset for kind, _, offset in found if kind == MESSAGE_INTEGRITY)
        signed = data[:2] + struct.pack("!H", offset + 24 - 20) + data[4:offset]
        integrity = hmac.compare_digest(hmac.new(key, signed, hashlib.sha1).digest(), values[MESSAGE_INTEGRITY])
        stun["allocations"].append({"from": source, "username": username, "integrity": integrity})
        log("turn allocate", source=source, username=username, integrity=integrity)
        if integrity:
            self.transport.sendto(stun_message(ALLOCATE | ERROR, transaction, [error_code(508, "Insufficient Capacity"), software], key), address)
        else:
            challenge = [error_code(401, "Unauthorized"), attribute(REALM_ATTRIBUTE, TURN_REALM.encode()),
                         attribute(NONCE, self.nonce.encode()), software]
            self.transport.sendto(stun_message(ALLOCATE | ERROR, transaction, challenge), address)


async def main():
    loop = asyncio.get_running_loop()
    stun_transport, _ = await loop.create_datagram_endpoint(STUNServer, local_addr=("127.0.0.1", 0))
    server = await asyncio.start_server(handle, "127.0.0.1", options.port)
    listening["port"] = server.sockets[0].getsockname()[1]
    listening["stun_port"] = stun_transport.get_extra_info("sockname")[1]
    print(json.dumps(listening), flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
