#!/usr/bin/env python3
"""A test server for the subset of the Kaltura API v3 that RoomRecorder's Kaltura target uses, with the real
request and response formats: POST /api_v3/service/<service>/action/<action>, parameters as form fields
(application/x-www-form-urlencoded or multipart/form-data, nested objects as `entry:name`), `format=1` JSON
answers, and errors as HTTP 200 with a `KalturaAPIException` object.

usage: kaltura_server.py PORT STATE_DIR [--ks-expiry SECONDS] [--hash-type SHA1|SHA256|SHA512|MD5]

The partner is 1234, its app token is id `0_apptoken` with token `a3f1c0de` (hash type from --hash-type), its
categories are 77 ("Recordings") and 78. Uploaded bytes go to STATE_DIR/tokens/<id>; an entry's content to
STATE_DIR/entries/<id>.

Implemented: session.startWidgetSession; appToken.startSession; media.add, media.get, media.list (filter
referenceIdEqual, statusIn), media.delete, media.addContent (KalturaUploadedFileTokenResource); uploadToken.add,
uploadToken.get, uploadToken.upload (resume, resumeAt, finalChunk), uploadToken.delete; categoryEntry.add,
categoryEntry.list.

For the tests only (not Kaltura): GET /_test/state answers every entry, token and category entry as JSON, and
POST /_test/fail?code=CODE&count=N makes the next N API calls answer that KalturaAPIException (or, for an
HTTP status such as 503, that status).
"""
import email.parser
import email.policy
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARTNER_ID = 1234
APP_TOKEN_ID = "0_apptoken"
APP_TOKEN = "a3f1c0de"
CATEGORIES = {77: "Recordings", 78: "Lectures"}

# Entry statuses (KalturaEntryStatus) and upload token statuses (KalturaUploadTokenStatus).
ENTRY_READY, ENTRY_NO_CONTENT, ENTRY_DELETED = 2, 7, 3
TOKEN_PENDING, TOKEN_PARTIAL, TOKEN_FULL, TOKEN_CLOSED, TOKEN_DELETED = 0, 1, 2, 3, 5


class APIError(Exception):
    def __init__(self, code, message, **args):
        super().__init__(message)
        self.code, self.message, self.args_ = code, message, args

    def json(self):
        return {"code": self.code, "message": self.message, "objectType": "KalturaAPIException",
                "args": [{"objectType": "KalturaApiExceptionArg", "name": k, "value": str(v)} for k, v in self.args_.items()]}


class State:
    def __init__(self, directory, ks_expiry, hash_type):
        self.directory, self.ks_expiry, self.hash_type = directory, ks_expiry, hash_type
        os.makedirs(os.path.join(directory, "tokens"), exist_ok=True)
        os.makedirs(os.path.join(directory, "entries"), exist_ok=True)
        self.lock = threading.Lock()
        self.sessions = {}  # ks -> {"type": "widget"|"user", "expiry": t, "userId": ...}
        self.entries = {}
        self.tokens = {}
        self.category_entries = []
        self.fail = []  # codes to answer next, one per call
        self.calls = []

    # --- sessions ---
    def new_ks(self, kind, user_id, expiry):
        ks = "djJ8" + secrets.token_hex(24)
        self.sessions[ks] = {"type": kind, "expiry": int(time.time()) + expiry, "userId": user_id}
        return ks

    def require_ks(self, params, user=True):
        ks = params.get("ks", "")
        if not ks:
            raise APIError("MISSING_KS", "Missing KS. Session not established")
        session = self.sessions.get(ks)
        if session is None:
            raise APIError("INVALID_KS", f'Invalid KS "{ks}". Error "-1,INVALID_STR"', KSID=ks, ERR_CODE=-1, ERR_DESC="INVALID_STR")
        if session["expiry"] < time.time():
            raise APIError("INVALID_KS", f'Invalid KS "{ks}". Error "-1,EXPIRED"', KSID=ks, ERR_CODE=-1, ERR_DESC="EXPIRED")
        if user and session["type"] != "user":
            raise APIError("SERVICE_FORBIDDEN", "The access to service [media->add] is forbidden")
        return session

    # --- objects ---
    def entry(self, entry_id):
        entry = self.entries.get(entry_id)
        if entry is None or entry["status"] == ENTRY_DELETED:
            raise APIError("ENTRY_ID_NOT_FOUND", f'Entry id "{entry_id}" not found', ENTRY_ID=entry_id)
        return entry

    def token(self, token_id):
        token = self.tokens.get(token_id)
        if token is None or token["status"] == TOKEN_DELETED:
            raise APIError("UPLOAD_TOKEN_NOT_FOUND", "Upload token not found")
        return token

    def token_path(self, token_id):
        return os.path.join(self.directory, "tokens", token_id)


def boolean(value, default=False):
    if value is None or value == "":
        return default
    return value.lower() in ("1", "true")


def call(state, service, action, params, files):
    s = state
    if service == "session" and action == "startwidgetsession":
        if params.get("widgetId") != f"_{PARTNER_ID}":
            raise APIError("INVALID_WIDGET_ID", f'Invalid widget id "{params.get("widgetId")}"', widgetId=params.get("widgetId"))
        ks = s.new_ks("widget", 0, int(params.get("expiry", 86400)))
        return {"partnerId": PARTNER_ID, "ks": ks, "userId": 0, "objectType": "KalturaStartWidgetSessionResponse"}

    if service == "apptoken" and action == "startsession":
        s.require_ks(params, user=False)
        if params.get("id") != APP_TOKEN_ID:
            raise APIError("APP_TOKEN_ID_NOT_FOUND", f'Application token id [{params.get("id")}] not found', id=params.get("id"))
        expected = hashlib.new(s.hash_type.lower(), (params["ks"] + APP_TOKEN).encode()).hexdigest()
        if params.get("tokenHash") != expected:
            raise APIError("INVALID_APP_TOKEN_HASH", "Invalid application token hash")
        expiry = min(int(params.get("expiry") or s.ks_expiry), s.ks_expiry)
        user_id = params.get("userId") or "roomrec-agent"
        ks = s.new_ks("user", user_id, expiry)
        return {"ks": ks, "sessionType": 0, "partnerId": PARTNER_ID, "userId": user_id,
                "expiry": s.sessions[ks]["expiry"], "privileges": "", "objectType": "KalturaSessionInfo"}

    if service == "media":
        s.require_ks(params)
        if action == "add":
            if params.get("entry:objectType") != "KalturaMediaEntry":
                raise APIError("PROPERTY_VALIDATION_CANNOT_BE_NULL", 'The property "KalturaMediaEntry::objectType" cannot be null', PROP_NAME="objectType")
            if params.get("entry:mediaType") not in ("1",):
                raise APIError("PROPERTY_VALIDATION_CANNOT_BE_NULL", 'The property "KalturaMediaEntry::mediaType" cannot be null', PROP_NAME="mediaType")
            entry_id = "0_" + secrets.token_hex(4)
            now = int(time.time())
            entry = {"id": entry_id, "name": params.get("entry:name", ""), "description": params.get("entry:description", ""),
                     "referenceId": params.get("entry:referenceId"), "userId": params.get("entry:userId") or "roomrec-agent",
                     "tags": params.get("entry:tags", ""), "mediaType": 1, "status": ENTRY_NO_CONTENT, "partnerId": PARTNER_ID,
                     "createdAt": now, "updatedAt": now, "objectType": "KalturaMediaEntry"}
            s.entries[entry_id] = entry
            return entry
        if action == "get":
            return s.entry(params.get("entryId", ""))
        if action == "list":
            reference = params.get("filter:referenceIdEqual")
            status_in = params.get("filter:statusIn")
            allowed = [int(x) for x in status_in.split(",")] if status_in else [ENTRY_READY]
            found = [e for e in s.entries.values()
                     if e["status"] in allowed and (reference is None or e["referenceId"] == reference)]
            return {"objects": found, "totalCount": len(found), "objectType": "KalturaMediaListResponse"}
        if action == "delete":
            entry = s.entry(params.get("entryId", ""))
            entry["status"] = ENTRY_DELETED
            return None
        if action == "addcontent":
            entry = s.entry(params.get("entryId", ""))
            if params.get("resource:objectType") != "KalturaUploadedFileTokenResource":
                raise APIError("RESOURCE_TYPE_NOT_SUPPORTED", f'Resource type [{params.get("resource:objectType")}] not supported')
            if entry["status"] != ENTRY_NO_CONTENT:
                raise APIError("ENTRY_ALREADY_WITH_CONTENT", "Entry already associated with content")
            token = s.token(params.get("resource:token", ""))
            if token["status"] != TOKEN_FULL:
                raise APIError("UPLOAD_TOKEN_NOT_FOUND", "Upload token not found")  # Kaltura answers this for an unfinished token
            os.replace(s.token_path(token["id"]), os.path.join(s.directory, "entries", entry["id"]))
            token["status"] = TOKEN_CLOSED
            entry["status"] = ENTRY_READY
            entry["updatedAt"] = int(time.time())
            return entry

    if service == "uploadtoken":
        s.require_ks(params)
        if action == "add":
            token_id = "0_" + secrets.token_hex(16)
            now = int(time.time())
            size = params.get("uploadToken:fileSize")
            token = {"id": token_id, "partnerId": PARTNER_ID, "status": TOKEN_PENDING, "fileName": params.get("uploadToken:fileName"),
                     "fileSize": float(size) if size else None, "uploadedFileSize": 0.0, "createdAt": now, "updatedAt": now,
                     "objectType": "KalturaUploadToken"}
            open(s.token_path(token_id), "wb").close()
            s.tokens[token_id] = token
            return token
        if action == "get":
            return s.token(params.get("uploadTokenId", ""))
        if action == "delete":
            token = s.token(params.get("uploadTokenId", ""))
            token["status"] = TOKEN_DELETED
            if os.path.exists(s.token_path(token["id"])):
                os.remove(s.token_path(token["id"]))
            return None
        if action == "upload":
            token = s.token(params.get("uploadTokenId", ""))
            if token["status"] not in (TOKEN_PENDING, TOKEN_PARTIAL):
                raise APIError("UPLOAD_TOKEN_INVALID_STATUS_FOR_UPLOAD", "Upload token is in an invalid status for upload")
            data = files.get("fileData")
            if data is None:
                raise APIError("MISSING_MANDATORY_PARAMETER", 'Missing parameter "fileData"', PARAM_NAME="fileData")
            path = s.token_path(token["id"])
            current = os.path.getsize(path)
            resume = boolean(params.get("resume"))
            resume_at = float(params.get("resumeAt", "-1") or "-1")
            if not resume:
                offset = 0
            else:
                offset = current if resume_at < 0 else int(resume_at)
                if offset > current:
                    raise APIError("UPLOAD_TOKEN_RESUMING_INVALID_POSITION", "Resuming point is invalid")
            with open(path, "r+b") as f:
                f.seek(offset)
                f.write(data)
                f.truncate()
                f.flush()
                os.fsync(f.fileno())
            uploaded = os.path.getsize(path)
            token["uploadedFileSize"] = float(uploaded)
            token["updatedAt"] = int(time.time())
            final = boolean(params.get("finalChunk"), default=True)
            if final and token["fileSize"] is not None and uploaded != int(token["fileSize"]):
                raise APIError("UPLOAD_TOKEN_FILE_SIZE_MISMATCH", "The uploaded file size does not match the file size of the upload token")
            token["status"] = TOKEN_FULL if final else TOKEN_PARTIAL
            return token

    if service == "categoryentry":
        s.require_ks(params)
        if action == "add":
            entry_id = params.get("categoryEntry:entryId", "")
            s.entry(entry_id)
            category = int(params.get("categoryEntry:categoryId") or 0)
            if category not in CATEGORIES:
                raise APIError("CATEGORY_NOT_FOUND", f'Category id "{category}" not found', CATEGORY_ID=category)
            if any(c["entryId"] == entry_id and c["categoryId"] == category for c in s.category_entries):
                raise APIError("CATEGORY_ENTRY_ALREADY_EXISTS", "Entry already assigned to this category")
            item = {"categoryId": category, "entryId": entry_id, "createdAt": int(time.time()), "status": 2,
                    "objectType": "KalturaCategoryEntry"}
            s.category_entries.append(item)
            return item
        if action == "list":
            entry_id = params.get("filter:entryIdEqual")
            found = [c for c in s.category_entries if entry_id is None or c["entryId"] == entry_id]
            return {"objects": found, "totalCount": len(found), "objectType": "KalturaCategoryEntryListResponse"}

    raise APIError("SERVICE_DOES_NOT_EXISTS" if service not in ("session", "apptoken", "media", "uploadtoken", "categoryentry")
                   else "ACTION_DOES_NOT_EXISTS", f"Action [{action}] does not exists for service [{service}]")


def parse_form(content_type, body):
    """Fields and files of a request body (urlencoded or multipart)."""
    params, files = {}, {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = payload
            else:
                params[name] = payload.decode()
    elif body:
        for name, value in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True):
            params[name] = value
    return params, files


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/_test/state"):
            with self.state.lock:
                self.answer(200, {"entries": list(self.state.entries.values()), "tokens": list(self.state.tokens.values()),
                                  "categoryEntries": self.state.category_entries, "calls": self.state.calls})
        else:
            self.answer(404, {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/_test/fail":
            with self.state.lock:
                self.state.fail += [query["code"]] * int(query.get("count", "1"))
            return self.answer(200, {})
        parts = url.path.strip("/").split("/")
        if len(parts) != 5 or parts[0] != "api_v3" or parts[1] != "service" or parts[3] != "action":
            return self.answer(404, {"code": "SERVICE_DOES_NOT_EXISTS", "message": "no such path", "objectType": "KalturaAPIException"})
        params, files = parse_form(self.headers.get("Content-Type", ""), body)
        params = {**query, **params}
        service, action = parts[2].lower(), parts[4].lower()
        with self.state.lock:
            self.state.calls.append(f"{service}.{action}")
            if self.state.fail:
                code = self.state.fail.pop(0)
                if code.isdigit():
                    return self.answer(int(code), {"code": "HTTP", "message": f"HTTP {code}", "objectType": "KalturaAPIException"})
                return self.answer(200, APIError(code, f"injected {code}").json())
            try:
                result = call(self.state, service, action, params, files)
            except APIError as error:
                return self.answer(200, error.json())
        self.answer(200, result)


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    options = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    Handler.state = State(directory, int(options.get("--ks-expiry", "86400")), options.get("--hash-type", "SHA1"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
