#!/usr/bin/env python3
"""A test server for the part of Opencast's REST API that a capture agent uses, answering as Opencast (develop,
Oct 2024, the 16/17 line) does: the same paths, form fields, status codes, bodies and headers, read from Opencast's
own source (the files are named in docs/opencast-agent.md). Written for the tests of RoomRecorder's Opencast client;
it follows Opencast, not any client.

usage: opencast_server.py PORT STATE_DIR [--user U --password P] [--roles ROLE_A,ROLE_B] [--host 127.0.0.1]

Users: the one on the command line (default capture_agent / CHANGE_ME, roles ROLE_CAPTURE_AGENT unless --roles
says otherwise) and Opencast's digest system account opencast_system_account / CHANGE_ME (ROLE_ADMIN). Every user
also holds ROLE_ANONYMOUS, as in Opencast. Access follows etc/security/mh_default_org.xml: /capture-admin/** and
/ingest/** for ROLE_ADMIN or ROLE_CAPTURE_AGENT, /recordings/** GET likewise, /services/available.* GET likewise,
/info/** GET anonymous, everything else (/workflow/**, /files/**, ...) ROLE_ADMIN; an authenticated user without
the role gets 403.

Authentication (Spring Security as Opencast configures it): `Authorization: Basic` (any case of "basic"), checked
whatever X-Requested-Auth says; a wrong one answers 401 `WWW-Authenticate: Basic realm="Opencast"`.
`Authorization: Digest` (RFC 2617, MD5, qop=auth or none) with the nonce Spring's DigestAuthenticationEntryPoint
makes (base64 of "expiry-ms:md5(expiry-ms:key)", valid 300 s): a wrong or malformed one answers 401 with a fresh
`WWW-Authenticate: Digest realm="Opencast", qop="auth", nonce="..."`, an expired nonce the same with
`stale="true"`. Without credentials a protected path answers 401 Digest only when the request carries
`X-Requested-Auth: Digest`, 401 Basic when it carries `X-Requested-Auth: Basic`, and otherwise 302 to /login.html
(Opencast's browser entry point). A successful login sets a JSESSIONID cookie that later requests may use instead.
A user seeded with "digest": false (a database user, whose password Opencast stores hashed) cannot use Digest.

Implemented:
  GET  /services/available.json|.xml?serviceType=T   the registry: {"services":{"service":{...}}} for one service,
       an array for several, {"services":""} for none; only online, not-in-maintenance, not-ERROR services on
       active hosts are listed (as ServiceRegistryJpaImpl.getServiceRegistrationsByLoad filters), ordered by load;
       no serviceType: 400. JSON as Opencast's Jettison provider writes it (numbers and booleans typed, "/" escaped).
  <capture-admin> = /capture-admin:
  POST agents/{name}          form state (AgentState list, else 400), address (default: the client's address);
                              200 "{name} set to {state}", or 200 with an empty body when neither changed.
  GET  agents/{name}.json|.xml, agents.json|.xml, agents/{name}/configuration.json|.xml, .../capabilities.json|.xml
  DELETE agents/{name}
  POST agents/{name}/configuration   form configuration: Java properties XML (Properties.loadFromXML) or, when it
                              starts with "{", a JSON object of strings; answers the properties back (XML or JSON);
                              blank or unreadable: 400; a JSON value that is not a string: 500 (Opencast fails so).
  POST recordings/{id}        form state (RecordingState list, else 400); an id never scheduled: 404.
  GET  recordings/{id}.json|.xml
  Agents silent longer than the timeout (default 120 min, seed "agentTimeoutSeconds") turn "offline".
  <scheduler> = /recordings:
  GET  calendars?agentid=A&cutoff=MS   text/calendar as CalendarGenerator writes it with ical4j (CRLF lines, not
                              folded unless the seed asks "calendarFolding": true), events that start before cutoff
                              and ended less than an hour ago; ETag "mod<ms of the agent's last schedule change>"
                              ("mod0" when the agent never had one) sent unquoted; If-None-Match equal to it
                              (compared exactly) answers 304 with the ETag quoted, as CXF writes
                              Response.notModified(tag). A non-numeric cutoff: 404 (JAX-RS).
  <ingest> = /ingest:
  GET  createMediaPackage, PUT createMediaPackageWithID/{id}
  POST addTrack, addPartialTrack (startTime), addCatalog, addAttachment  multipart, read in order as Opencast's
                              streaming parser does: fields flavor, tags, mediaPackage (and startTime) are taken as
                              they come, the first part with a filename is the file and ends the reading; a file
                              before any flavor: 400; no mediaPackage before the file: 400; a bad flavor: 400
                              "Could not parse flavor '...'". Bytes go to STATE_DIR/files/mediapackage/<mp>/<el>/<name>
                              with their SHA-256; the answer is the media package XML with the new element.
                              Not multipart (Opencast's url= variants): 500, this server does not download.
  POST addDCCatalog           form mediaPackage, dublinCore, flavor (default dublincore/episode)
  POST ingest, ingest/{wd}    form mediaPackage, workflowDefinitionId, workflowInstanceId, any other field is
                              workflow configuration; answers the workflow instance XML (state INSTANTIATED). A media
                              package whose earlier workflow is still active: 500 (WorkflowServiceImpl refuses); one
                              whose workflows all ended: a new workflow. Scheduled events are merged as Opencast does
                              (the event's agent properties under the form's fields, prefix
                              org.opencastproject.workflow.config. removed; the event's catalogs replace ingested ones
                              of the same flavor; title, series, creators... from the event), a non-numeric
                              workflowInstanceId naming a scheduled event renames the package to it; partial tracks
                              get a smil/source catalog. Unknown workflow definitions fall back to
                              schedule-and-upload.
  POST schedule, schedule/{wd}  ad-hoc scheduling from the package's episode catalog (dcterms:temporal, spatial,
                              created), 201; conflicts and existing ids 409, bad catalogs 400.
  POST discardMediaPackage
  GET  /workflow/instance/{id}.xml|.json, /workflow/mediaPackage/{id}/instances.json,
       /workflow/mediaPackage/{id}/hasActiveWorkflows, /workflow/mediaPackage/{id}/currentInstance.json  (ROLE_ADMIN)
  GET  /info/me.json, GET /files/mediapackage/{mp}/{el}/{name} (ROLE_ADMIN)
Service paths can be moved (seed "services"); the canonical ones keep working.

For the tests only (not Opencast):
  POST /_test/seed    JSON {"reset": bool, "users": [{"username","password","roles":[...],"digest":bool}],
                      "removeUsers": [...], "services": [{"type","host","path","online","active","maintenance",
                      "service_state","load","jobproducer"}] ("host" "{self}" = the address the request came to;
                      replaces the layout; "registryUnfiltered": true lists offline and maintenance entries too, which
                      Opencast never does), "series": [{"id","title","description","creator",...}],
                      "events": [{"uid","agent","title","start","end" (epoch s, ISO 8601, or seconds from now when
                      under 10 years), "presenters":[...], "contributors", "description", "series", "language",
                      "workflowDefinition", "workflowConfig":{k:v}, "inputs" (capture.device.names),
                      "agentProperties":{k:v}, "episodeXml" (raw, replaces the generated catalog)}] (an existing uid is
                      replaced), "deleteEvents": [uid], "workflowDefinitions": {id: title}, "workflowSeconds": N
                      (workflows end N s after ingest; default: they run until /_test/workflow),
                      "workflowOutcome": "SUCCEEDED", "agentTimeoutSeconds", "calendarFolding", "sessions": bool,
                      "ingestSkipCatalogs", "ingestSkipAttachments", "ingestAddOnlyNew"}; answers what it stored.
  GET  /_test/state   agents (state history with times), recording state histories by event uid, events with their
                      calendar ETag, created media packages, uploads (bytes, sha256, path), ingests (workflow id,
                      package, definition, configuration, tracks with sha256), scheduled (ad-hoc) events, workflows,
                      and every call in order (method, path, status, user, auth, host, body bytes read).
  POST /_test/fail?path=P&status=503&count=N[&method=M][&action=status|drop|drop-after|delay][&seconds=S][&body=B]
                      the next N requests whose path starts with P: answer that status without doing anything
                      (status), close the connection unanswered (drop), do the work and then close unanswered
                      (drop-after: a lost answer), or wait S seconds and then do the work (delay). count=0 takes back
                      the faults on path P (Opencast reachable again).
  POST /_test/upload-fault?path=/ingest/add&count=N[&reset_after=BYTES][&rate=BYTES_PER_S][&stall_after=BYTES
                      &stall_seconds=S]   for the next N uploads: reset the connection (TCP RST) once BYTES of the
                      body were read, read at most BYTES_PER_S, or stop reading for S seconds after BYTES.
  POST /_test/workflow?id=WF|mediaPackage=MP&state=SUCCEEDED   set a workflow's state.
  POST /_test/reset   forget everything (users and layout back to the command line's).
"""
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --- Opencast's constants --------------------------------------------------------------------------------------------
# AgentState.KNOWN_STATES and RecordingState.KNOWN_STATES, in their order.
AGENT_STATES = ["idle", "shutting_down", "capturing", "uploading", "error", "unknown", "offline"]
RECORDING_STATES = ["unknown", "capturing", "capture_finished", "capture_error", "manifest", "manifest_error",
                    "manifest_finished", "compressing", "compressing_error", "uploading", "upload_finished",
                    "upload_error"]
WORKFLOW_STATES = ["INSTANTIATED", "RUNNING", "STOPPED", "PAUSED", "SUCCEEDED", "FAILED", "FAILING"]
ACTIVE_WORKFLOW_STATES = {"INSTANTIATED", "PAUSED", "RUNNING", "FAILING"}  # Workflow.countActiveByMediaPackage
DEFAULT_WORKFLOW = "schedule-and-upload"
WORKFLOW_CONFIG_PREFIX = "org.opencastproject.workflow.config."
WORKFLOW_DEFINITION_KEY = "org.opencastproject.workflow.definition"
CAPTURE_DEVICE_NAMES = "capture.device.names"
ORGANIZATION = "mh_default_org"
REALM = "Opencast"
DIGEST_KEY = "opencast"
NONCE_VALIDITY_SECONDS = 300
AGENT_TIMEOUT_SECONDS = 120 * 60
NOT_FOUND_TEXT = "The resource you requested does not exist."

# Shipped workflow definitions (etc/workflows): id -> (title, operation templates).
WORKFLOW_DEFINITIONS = {
    "schedule-and-upload": ("Process upon upload and schedule",
                            ["defaults", "include", "snapshot", "include", "snapshot", "comment", "include", "snapshot",
                             "cleanup"]),
    "fast": ("Fast Testing Workflow",
             ["defaults", "series", "inspect", "encode", "image", "image", "segment-video", "segmentpreviews",
              "publish-configure", "publish-engage", "snapshot", "cleanup"]),
    "noop": ("Do nothing (mostly for debugging and maintenance purposes)", ["defaults"]),
}

MP_NS = "http://mediapackage.opencastproject.org"
WF_NS = "http://workflow.opencastproject.org"
SEC_NS = "http://org.opencastproject.security"
SR_NS = "http://serviceregistry.opencastproject.org"
CA_NS = "http://capture.admin.opencastproject.org"
COMMON_NS = "http://common.opencastproject.org"
DC_NS = "http://www.opencastproject.org/xsd/1.0/dublincore/"
DCTERMS_NS = "http://purl.org/dc/terms/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# The service registry: type -> (canonical path, jobproducer).
SERVICE_TYPES = {
    "org.opencastproject.capture.admin": ("/capture-admin", False),
    "org.opencastproject.scheduler": ("/recordings", False),
    "org.opencastproject.ingest": ("/ingest", True),
    "org.opencastproject.workflow": ("/workflow", True),
}

# etc/security/mh_default_org.xml, the rules that concern these paths, first match wins.
ACCESS_RULES = [
    (r"^/info(/.*)?$", {"GET"}, {"ROLE_ANONYMOUS"}),
    (r"^/series(/.*)?$", {"GET"}, {"ROLE_ANONYMOUS", "ROLE_CAPTURE_AGENT"}),
    (r"^/services/available\.[^/]*$", {"GET"}, {"ROLE_ADMIN", "ROLE_CAPTURE_AGENT"}),
    (r"^/services(/.*)?$", None, {"ROLE_ADMIN"}),
    (r"^/capture-admin(/.*)?$", None, {"ROLE_ADMIN", "ROLE_CAPTURE_AGENT"}),
    (r"^/recordings(/.*)?$", {"GET"}, {"ROLE_ADMIN", "ROLE_CAPTURE_AGENT"}),
    (r"^/ingest(/.*)?$", None, {"ROLE_ADMIN", "ROLE_CAPTURE_AGENT", "ROLE_STUDIO"}),
    (r"^/workflow/definitions\.xml$", {"GET"}, {"ROLE_ADMIN", "ROLE_CAPTURE_AGENT"}),
    (r"", None, {"ROLE_ADMIN"}),
]

# MimeTypes.xml, the first type Opencast finds for an extension.
MIME_TYPES = {
    "mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska",
    "webm": "video/webm", "ts": "video/mp2t", "mts": "video/mp2t", "avi": "video/avi", "mpg": "video/mpeg",
    "mpeg": "video/mpeg", "ogv": "video/ogg", "mp3": "audio/mpeg", "m4a": "audio/m4a", "aac": "audio/aac",
    "wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "opus": "audio/ogg", "xml": "text/xml",
    "smil": "application/smil+xml", "json": "application/json", "txt": "text/plain", "vtt": "text/vtt",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
}

MAX_FORM_BYTES = 64 * 1024 * 1024
DRAIN_LIMIT = 16 * 1024 * 1024


# --- small helpers ----------------------------------------------------------------------------------------------------
def now_ms():
    return int(time.time() * 1000)


def utc_seconds(ms):
    """DateTimeSupport.toUTC: 2024-10-25T10:00:00Z."""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def xsd_datetime(ms):
    """JAXB's java.util.Date: 2024-10-25T10:00:00.123Z."""
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def ical_time(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def parse_w3c(text):
    """A W3C-DTF date (as Opencast's EncodingSchemeUtils reads them) to epoch ms, or None."""
    text = text.strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            d = datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)
        else:
            d = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if d.tzinfo is None:
                d = d.replace(tzinfo=datetime.timezone.utc)
        return int(d.timestamp() * 1000)
    except ValueError:
        return None


def seed_time(value, now):
    """Seed times: epoch seconds, ISO 8601, or (under 10 years) seconds from now. Answers epoch ms."""
    if isinstance(value, str):
        ms = parse_w3c(value)
        if ms is None:
            raise ValueError(f"bad time {value!r}")
        return ms
    value = float(value)
    if abs(value) < 315360000:
        return int(now + value * 1000)
    return int(value * 1000)


def java_hash(text):
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h


def hashmap_order(keys):
    """The iteration order of a java.util.HashMap holding these String keys (how Opencast orders the capture agent
    properties it writes into the calendar)."""
    keys = list(dict.fromkeys(keys))
    capacity = 16
    while len(keys) > capacity * 0.75:
        capacity *= 2

    def bucket(key):
        h = java_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(keys, key=lambda k: (bucket(k), keys.index(k)))


def jettison_value(text):
    """Jettison's DefaultConverter: a number or boolean when the text is exactly what Java would print for it."""
    if text is None:
        return ""
    if re.fullmatch(r"-?[1-9]\d{0,18}|0", text) and -2 ** 63 <= int(text) < 2 ** 63:
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        try:
            value = float(text)
            if repr(value) == text:
                return value
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    return text


def local(tag):
    return tag.rsplit("}", 1)[-1]


def jettison(elem):
    """An element as Opencast's JSON provider (Jettison, mapped convention, namespaces dropped, no '@') writes it:
    attributes and child elements become keys, a repeated child an array, an empty element "", text beside
    attributes "$"."""
    children = list(elem)
    if not children and not elem.attrib:
        return jettison_value(elem.text) if elem.text else ""
    obj = {}
    for name, value in elem.attrib.items():
        obj[local(name)] = jettison_value(value)
    groups = {}
    for child in children:
        groups.setdefault(local(child.tag), []).append(jettison(child))
    for key, values in groups.items():
        obj[key] = values[0] if len(values) == 1 else values
    if not children and elem.text and elem.text.strip():
        obj["$"] = jettison_value(elem.text)
    return obj


def json_text(value):
    """Compact JSON with '/' escaped, as Jettison writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


def gson_text(value):
    """JSON as Gson writes it by default: compact, null map values left out, HTML characters escaped."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    text = json.dumps(strip(value), separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("=", "\\u003d"), ("'", "\\u0027")):
        text = text.replace(ch, esc)
    return text


def xml_escape(text, quote=False):
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return text


NAMESPACE_PREFIXES = {MP_NS: "mp", WF_NS: "wf", SEC_NS: "sec", SR_NS: "sr", CA_NS: "ns2", COMMON_NS: "ns2",
                      DCTERMS_NS: "dcterms", XSI_NS: "xsi"}


def xml_text(elem, default_namespace=None):
    """The element as JAXB writes it: XML declaration with standalone="yes", every namespace declared on the root
    (default_namespace without a prefix), no indentation."""
    used = []

    def collect(e):
        for name in [e.tag] + list(e.attrib):
            if name.startswith("{"):
                uri = name[1:].split("}", 1)[0]
                if uri not in used:
                    used.append(uri)
        for child in e:
            collect(child)

    collect(elem)
    prefixes = {}
    for uri in used:
        if uri == default_namespace:
            prefixes[uri] = ""
        else:
            prefix = NAMESPACE_PREFIXES.get(uri, "ns%d" % (len(prefixes) + 2))
            while prefix in prefixes.values():
                prefix += "x"
            prefixes[uri] = prefix

    def qname(name):
        if not name.startswith("{"):
            return name
        uri, tag = name[1:].split("}", 1)
        return f"{prefixes[uri]}:{tag}" if prefixes[uri] else tag

    out = []

    def write(e, root):
        out.append("<" + qname(e.tag))
        if root:
            for uri, prefix in prefixes.items():
                out.append(f' xmlns{":" + prefix if prefix else ""}="{xml_escape(uri, True)}"')
        for name, value in e.attrib.items():
            out.append(f' {qname(name)}="{xml_escape(value, True)}"')
        children = list(e)
        if not children and not e.text:
            out.append("/>")
        else:
            out.append(">")
            if e.text:
                out.append(xml_escape(e.text))
            for child in children:
                write(child, False)
                if child.tail:
                    out.append(xml_escape(child.tail))
            out.append(f"</{qname(e.tag)}>")

    write(elem, True)
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + "".join(out)


def sub(parent, tag, text=None, **attrs):
    child = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = str(text)
    return child


def parse_flavor(text):
    """MediaPackageElementFlavor.parseFlavor: exactly one '/', both parts non-blank, trimmed and lower-cased."""
    if text is None:
        raise ValueError("Unable to create element flavor from 'null'")
    parts = text.split("/")
    while len(parts) > 1 and parts[-1] == "":  # String.split drops trailing empty strings
        parts.pop()
    if len(parts) != 2:
        raise ValueError(f'Unable to create element flavor from "{text}"')
    out = []
    for part in parts:
        if not part.strip():
            raise ValueError(f'Invalid flavor part "{part}". Flavor parts may not be blank or empty!')
        out.append(part.strip().lower())
    return "/".join(out)


def mime_type(filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return MIME_TYPES.get(ext)


def safe_filename(name):
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f]", "_", name)
    return name if name not in ("", ".", "..") else "file"


# --- media packages ---------------------------------------------------------------------------------------------------
class BadMediaPackage(Exception):
    pass


def strip_unqualified(elem):
    for child in list(elem):
        if not child.tag.startswith("{"):
            elem.remove(child)
        else:
            strip_unqualified(child)


def parse_mediapackage(text):
    """The media package XML a client sent (as JAXB reads it: the root must be {mediapackage namespace}mediapackage;
    unknown elements are ignored)."""
    if text is None or not text.strip():
        raise BadMediaPackage("no media package")
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as error:
        raise BadMediaPackage(str(error))
    if root.tag != f"{{{MP_NS}}}mediapackage":
        raise BadMediaPackage(f"unexpected element {root.tag}")
    mp = {"id": root.get("id"), "start": root.get("start"), "duration": root.get("duration"),
          "title": None, "series": None, "seriestitle": None, "license": None, "language": None,
          "creators": [], "contributors": [], "subjects": [], "elements": []}
    for child in root:
        name = child.tag
        if not name.startswith(f"{{{MP_NS}}}"):
            continue
        name = local(name)
        if name in ("title", "series", "seriestitle", "license", "language"):
            mp[name] = child.text or ""
        elif name in ("creators", "contributors", "subjects"):
            mp[name] = [c.text or "" for c in child]
        elif name in ("media", "metadata", "attachments", "publications"):
            for item in child:
                kind = local(item.tag)
                if kind not in ("track", "catalog", "attachment", "publication"):
                    continue
                strip_unqualified(item)
                mp["elements"].append(element_from_xml(kind, item))
    return mp


def element_from_xml(kind, item):
    url = item.find(f"{{{MP_NS}}}url")
    mimetype = item.find(f"{{{MP_NS}}}mimetype")
    return {"kind": kind, "id": item.get("id"), "flavor": item.get("type"),
            "url": url.text if url is not None else None,
            "mimetype": mimetype.text if mimetype is not None else None, "tags": [t.text or "" for t in
                                                                                 item.findall(f"{{{MP_NS}}}tags/{{{MP_NS}}}tag")],
            "raw": item}


def new_element(kind, element_id, flavor, url, filename, tags=None):
    """An element as IngestServiceImpl adds it: id, flavor, mime type from the file name, tags, url; tracks say
    live=false; no size or checksum (Opencast's inspection adds them later)."""
    item = ET.Element(f"{{{MP_NS}}}{kind}", {"id": element_id, "type": flavor})
    mimetype = mime_type(filename)
    if mimetype:
        sub(item, f"{{{MP_NS}}}mimetype", mimetype)
    tags_el = sub(item, f"{{{MP_NS}}}tags")
    for tag in sorted(set(tags or [])):
        sub(tags_el, f"{{{MP_NS}}}tag", tag)
    sub(item, f"{{{MP_NS}}}url", url)
    if kind == "track":
        sub(item, f"{{{MP_NS}}}live", "false")
    return {"kind": kind, "id": element_id, "flavor": flavor, "url": url, "mimetype": mimetype,
            "tags": sorted(set(tags or [])), "raw": item}


def mediapackage_element(mp, tag=None):
    """MediaPackageImpl as JAXB writes it: id, start, duration; title, series, seriestitle, creators, contributors,
    subjects, license, language, media, metadata, attachments, publications."""
    root = ET.Element(tag or f"{{{MP_NS}}}mediapackage")
    for attr in ("id", "duration", "start"):
        if mp.get(attr):
            root.set(attr, mp[attr])
    q = lambda name: f"{{{MP_NS}}}{name}"
    for name in ("title", "series", "seriestitle"):
        if mp.get(name):
            sub(root, q(name), mp[name])
    for name, single in (("creators", "creator"), ("contributors", "contributor"), ("subjects", "subject")):
        if mp.get(name):
            wrapper = sub(root, q(name))
            for value in mp[name]:
                sub(wrapper, q(single), value)
    for name in ("license", "language"):
        if mp.get(name):
            sub(root, q(name), mp[name])
    wrappers = {"track": sub(root, q("media")), "catalog": sub(root, q("metadata")),
                "attachment": sub(root, q("attachments")), "publication": sub(root, q("publications"))}
    for element in mp["elements"]:
        wrappers[element["kind"]].append(element["raw"])
    return root


def mediapackage_xml(mp):
    return xml_text(mediapackage_element(mp), default_namespace=MP_NS)


def copy_mp(mp):
    out = dict(mp)
    for key in ("creators", "contributors", "subjects"):
        out[key] = list(mp.get(key) or [])
    out["elements"] = [dict(e) for e in mp["elements"]]
    return out


# --- Dublin Core ------------------------------------------------------------------------------------------------------
def dublincore_xml(fields):
    """A Dublin Core catalog as DublinCoreCatalog.toXmlString writes it: entries sorted by name, pretty printed.
    fields: [(name, value, xsi_type or None)]."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?><dublincore xmlns="http://www.opencastproject.org/xsd/1.0/'
             'dublincore/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
             'XMLSchema-instance">']
    for name, value, xsi_type in sorted(fields, key=lambda f: f[0]):
        attr = f' xsi:type="{xsi_type}"' if xsi_type else ""
        lines.append(f"    <dcterms:{name}{attr}>{xml_escape(value)}</dcterms:{name}>")
    lines.append("</dublincore>")
    return "\n".join(lines) + "\n"


def dc_period(start_ms, end_ms):
    return f"start={utc_seconds(start_ms)}; end={utc_seconds(end_ms)}; scheme=W3C-DTF;"


def read_dublincore(text):
    """{local name: [values]} of the dcterms elements of a catalog; raises ValueError when it is not XML."""
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as error:
        raise ValueError(str(error))
    values = {}
    for child in root:
        if child.tag.startswith(f"{{{DCTERMS_NS}}}"):
            values.setdefault(local(child.tag), []).append((child.text or "").strip())
    return values


def parse_period(text):
    """DCMI period 'start=...; end=...; scheme=W3C-DTF;' -> (start ms or None, end ms or None)."""
    parts = {}
    for item in text.split(";"):
        if "=" in item:
            key, value = item.split("=", 1)
            parts[key.strip()] = value.strip()
    if not parts:
        raise ValueError(f"not a period: {text!r}")
    start = parse_w3c(parts["start"]) if parts.get("start") else None
    end = parse_w3c(parts["end"]) if parts.get("end") else None
    if (parts.get("start") and start is None) or (parts.get("end") and end is None):
        raise ValueError(f"bad period: {text!r}")
    return start, end


# --- iCalendar --------------------------------------------------------------------------------------------------------
def ical_text(value):
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
            .replace("\n", "\\n"))


def fold(line):
    """RFC 5545 folding at 75 octets (not Opencast's output; only when the seed asks for it)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    out, current, limit = [], b"", 75
    for ch in line:
        enc = ch.encode("utf-8")
        if len(current) + len(enc) > limit:
            out.append(current)
            current, limit = b"", 74
        current += enc
    out.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def attach_line(fmttype, filename, data):
    return (f"ATTACH;FMTTYPE={fmttype};VALUE=BINARY;ENCODING=BASE64;X-APPLE-FILENAME={filename}:"
            + base64.b64encode(data.encode("utf-8")).decode("ascii"))


# --- HTTP plumbing ----------------------------------------------------------------------------------------------------
class ResetNow(Exception):
    """The upload fault asks for a TCP reset."""


class ClientGone(Exception):
    """The client closed the connection before the body was read."""


class Body:
    """The request body, read as it arrives (Content-Length or chunked), with the upload faults applied."""

    def __init__(self, handler, fault=None):
        self.handler = handler
        self.rfile = handler.rfile
        headers = handler.headers
        self.chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        length = headers.get("Content-Length")
        self.length = None if self.chunked else int(length or 0)
        self.remaining = self.length
        self.eof = not self.chunked and self.length == 0
        self.chunk_left = 0
        self.read_bytes = 0
        self.fault = fault
        self.started = None
        self.stalled = False

    def _continue(self):
        if self.handler.expect_pending:
            self.handler.expect_pending = False
            self.handler.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.handler.wfile.flush()

    def read(self, n=65536):
        if self.eof:
            return b""
        self._continue()
        if self.started is None:
            self.started = time.monotonic()
        if self.fault and self.fault.get("rate"):
            n = min(n, 16384)
        if not self.chunked:
            data = self.rfile.read1(min(n, self.remaining))
            if not data:
                raise ClientGone()
            self.remaining -= len(data)
            if self.remaining == 0:
                self.eof = True
        else:
            if self.chunk_left == 0:
                line = self.rfile.readline(1024)
                if not line:
                    raise ClientGone()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline(8192)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    self.eof = True
                    return b""
                self.chunk_left = size
            data = self.rfile.read1(min(n, self.chunk_left))
            if not data:
                raise ClientGone()
            self.chunk_left -= len(data)
            if self.chunk_left == 0:
                self.rfile.readline(16)
        self.read_bytes += len(data)
        self._apply_fault()
        return data

    def _apply_fault(self):
        fault = self.fault
        if not fault:
            return
        if fault.get("reset_after") is not None and self.read_bytes >= fault["reset_after"]:
            raise ResetNow()
        if fault.get("stall_after") is not None and not self.stalled and self.read_bytes >= fault["stall_after"]:
            self.stalled = True
            time.sleep(float(fault.get("stall_seconds") or 0))
        if fault.get("rate"):
            due = self.started + self.read_bytes / float(fault["rate"])
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def read_all(self, limit=MAX_FORM_BYTES):
        chunks, total = [], 0
        while True:
            data = self.read()
            if not data:
                return b"".join(chunks)
            total += len(data)
            if total > limit:
                raise ValueError("body too large")
            chunks.append(data)

    def drain(self, limit=None):
        """Reads and drops the rest; False when more than limit was left."""
        self.fault = None
        total = 0
        while not self.eof:
            data = self.read()
            total += len(data)
            if limit is not None and total > limit:
                return False
        return True


class MultipartError(Exception):
    pass


class Part:
    def __init__(self, parser, headers):
        self.parser = parser
        self.headers = headers
        disposition = headers.get("content-disposition", "")
        params = header_params(disposition)
        self.name = params.get("name")
        self.filename = params.get("filename")  # None: a form field (commons-fileupload's isFormField)
        self.content_type = headers.get("content-type")

    def read(self, n=1 << 20):
        return self.parser.read_part(n)

    def read_text(self, limit=MAX_FORM_BYTES):
        chunks, total = [], 0
        while True:
            data = self.read()
            if not data:
                break
            total += len(data)
            if total > limit:
                raise MultipartError("field too large")
            chunks.append(data)
        return b"".join(chunks).decode("utf-8", errors="replace")


def header_params(value):
    """Parameters of a header like Content-Disposition: form-data; name="a"; filename="b.mp4"."""
    params = {}
    for match in re.finditer(r';\s*([^=;\s]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)', value):
        key = match.group(1).lower()
        if match.group(3) is not None:
            params[key] = re.sub(r"\\(.)", r"\1", match.group(3))
        else:
            params[key] = match.group(2).strip()
    if "filename*" in params and "filename" not in params:
        raw = params["filename*"]
        if "''" in raw:
            charset, _, encoded = raw.partition("''")
            params["filename"] = urllib.parse.unquote(encoded, encoding=charset or "utf-8")
    return params


class MultipartParser:
    """multipart/form-data read part by part from the stream, as commons-fileupload's FileItemIterator does."""

    def __init__(self, body, boundary):
        self.body = body
        self.sep = b"\r\n--" + boundary.encode("latin-1")
        self.buf = b"\r\n"  # lets the first delimiter match like the others
        self.part_done = True
        self.finished = False
        self.started = False

    def _more(self):
        data = self.body.read(65536)
        if not data:
            raise MultipartError("the stream ended inside the multipart body")
        self.buf += data

    def read_part(self, n):
        if self.part_done:
            return b""
        sep = self.sep
        while True:
            i = self.buf.find(sep)
            if i == 0:
                self.part_done = True
                self.buf = self.buf[len(sep):]
                return b""
            if i > 0:
                out = self.buf[:min(i, n)]
                self.buf = self.buf[len(out):]
                return out
            safe = len(self.buf) - (len(sep) - 1)
            if safe > 0:
                out = self.buf[:min(safe, n)]
                self.buf = self.buf[len(out):]
                return out
            self._more()

    def next_part(self):
        """The next part, or None after the closing delimiter."""
        if self.finished:
            return None
        if not self.started:
            self.started = True
            self.part_done = False
            # skip any preamble up to the first delimiter
            while self.read_part(1 << 16):
                pass
        else:
            while not self.part_done:
                self.read_part(1 << 20)
        while len(self.buf) < 2:
            self._more()
        if self.buf.startswith(b"--"):
            self.finished = True
            return None
        while b"\r\n" not in self.buf:
            self._more()
        line_end = self.buf.index(b"\r\n")
        self.buf = self.buf[line_end + 2:]  # transport padding and CRLF after the delimiter
        while b"\r\n\r\n" not in self.buf and not self.buf.startswith(b"\r\n"):
            if len(self.buf) > 65536:
                raise MultipartError("part headers too long")
            self._more()
        if self.buf.startswith(b"\r\n"):
            head, self.buf = b"", self.buf[2:]
        else:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        headers = {}
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        self.part_done = False
        return Part(self, headers)


def multipart_boundary(content_type):
    params = header_params(";" + content_type.split(";", 1)[1]) if ";" in content_type else {}
    return params.get("boundary")


# --- the server's state -----------------------------------------------------------------------------------------------
class State:
    def __init__(self, directory, user, password, roles):
        self.directory = directory
        self.cli_user = (user, password, roles)
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        user, password, roles = self.cli_user
        self.users = {
            user: {"username": user, "password": password, "roles": list(roles), "digest": True, "name": user},
            "opencast_system_account": {"username": "opencast_system_account", "password": "CHANGE_ME",
                                        "roles": ["ROLE_ADMIN", "ROLE_CAPTURE_AGENT"], "digest": True,
                                        "name": "System User"},
        }
        self.services = [{"type": t, "host": "{self}", "path": p, "jobproducer": jp}
                         for t, (p, jp) in SERVICE_TYPES.items()]
        self.registry_unfiltered = False
        self.sessions_enabled = True
        self.sessions = {}
        self.agents = {}
        self.agent_timeout = AGENT_TIMEOUT_SECONDS
        self.series = {}
        self.events = {}
        self.schedule_modified = {}  # agent -> ms of the last schedule change (SchedulerServiceDatabase)
        self.calendar_folding = False
        self.recordings = {}  # uid -> [{"state", "time"}]
        self.created = []  # media packages created
        self.start_cache = {}  # mp id -> ms (IngestRestService.startCache)
        self.uploads = []
        self.files = {}  # (mp id, element id) -> upload record
        self.partial = {}  # element id -> start time (IngestServiceImpl.partialTrackStartTimes)
        self.ingests = []
        self.workflows = {}  # id -> workflow
        self.next_job = 1000
        self.snapshots = set()  # mp ids with a snapshot in the asset manager (scheduled or ingested)
        self.adhoc = []
        self.workflow_definitions = {k: v for k, v in WORKFLOW_DEFINITIONS.items()}
        self.workflow_seconds = None
        self.workflow_outcome = "SUCCEEDED"
        self.skip_catalogs = False
        self.skip_attachments = False
        self.add_only_new = True
        self.calls = []
        self.faults = []
        self.upload_faults = []

    # agents
    def agent_expire(self, agent, now):
        if agent["state"] not in ("unknown", "offline") and now - agent["lastHeard"] > self.agent_timeout * 1000:
            agent["state"] = "offline"
            agent["history"].append({"state": "offline", "time": utc_seconds(agent["lastHeard"] + self.agent_timeout
                                                                          * 1000), "source": "timeout"})

    def expire_all(self):
        now = now_ms()
        for agent in self.agents.values():
            self.agent_expire(agent, now)
        for wf in self.workflows.values():
            self.workflow_progress(wf, now)

    # workflows
    def workflow_progress(self, wf, now):
        if wf["state"] == "INSTANTIATED" and now > wf["created"]:
            wf["state"] = "RUNNING"
            for op in wf["operations"]:
                op["state"] = "RUNNING"
                break
        if (wf["state"] == "RUNNING" and wf.get("endsAt") is not None and now >= wf["endsAt"]):
            self.set_workflow_state(wf, wf["outcome"], now)

    def set_workflow_state(self, wf, state, now=None):
        now = now or now_ms()
        wf["state"] = state
        if state in ("SUCCEEDED", "FAILED", "STOPPED") and wf.get("completed") is None:
            wf["completed"] = now
        for op in wf["operations"]:
            if state == "SUCCEEDED":
                op["state"] = "SUCCEEDED"
            elif state == "FAILED" and op["state"] in ("INSTANTIATED", "RUNNING"):
                op["state"] = "FAILED"
                break
        wf["history"].append({"state": state, "time": utc_seconds(now)})

    def active_workflows(self, mp_id):
        return [wf for wf in self.workflows.values() if wf["mediaPackageId"] == mp_id
                and wf["state"] in ACTIVE_WORKFLOW_STATES]

    # schedule
    def touch(self, agent):
        stamp = now_ms()
        if self.schedule_modified.get(agent, 0) >= stamp:
            stamp = self.schedule_modified[agent] + 1
        self.schedule_modified[agent] = stamp

    def etag(self, agent):
        return "mod" + str(self.schedule_modified.get(agent, 0))

    def calendar_events(self, agent, cutoff, now):
        out = []
        for event in sorted(self.events.values(), key=lambda e: e["start"]):
            if agent is not None and event["agent"] != agent:
                continue
            if cutoff is not None and not event["start"] < cutoff:
                continue
            if not event["end"] >= now - 3600 * 1000:  # persistence.search(endFrom = now - 1 hour)
                continue
            if event["end"] + 3600 * 1000 < now:  # CalendarGenerator: passed more than an hour
                continue
            # after the ingest's workflow took its snapshot the latest snapshot is no longer the scheduler's
            if any(wf["mediaPackageId"] == event["uid"] and wf["state"] == "SUCCEEDED"
                   for wf in self.workflows.values()):
                continue
            if event.get("series") and event["series"] not in self.series:
                continue  # SeriesService.getSeries throws NotFoundException: addEvent fails, the event is left out
            out.append(event)
        return out

    def save(self, relative, data):
        path = os.path.join(self.directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        return path


def event_catalog(state, event):
    if event.get("episodeXml"):
        return event["episodeXml"]
    fields = [("title", event["title"], None), ("identifier", event["uid"], None),
              ("spatial", event["agent"], None), ("temporal", dc_period(event["start"], event["end"]), "dcterms:Period"),
              ("created", utc_seconds(event["start"]), "dcterms:W3CDTF")]
    for presenter in event.get("presenters") or []:
        fields.append(("creator", presenter, None))
    for contributor in event.get("contributors") or []:
        fields.append(("contributor", contributor, None))
    for key in ("description", "language", "license", "publisher", "rightsHolder", "source"):
        if event.get(key):
            fields.append((key, event[key], None))
    for subject in event.get("subjects") or []:
        fields.append(("subject", subject, None))
    if event.get("series"):
        fields.append(("isPartOf", event["series"], None))
    return dublincore_xml(fields)


def series_catalog(series):
    fields = [("identifier", series["id"], None), ("title", series.get("title") or series["id"], None)]
    for key in ("description", "creator", "contributor", "publisher", "language", "license", "subject"):
        if series.get(key):
            values = series[key] if isinstance(series[key], list) else [series[key]]
            fields += [(key, v, None) for v in values]
    return dublincore_xml(fields)


def agent_properties(event):
    """getFinalAgentProperties: the event's agent properties without workflow configuration keys, each workflow
    configuration key with the prefix, event.title, event.series, event.location."""
    props = {}
    ca = {}
    if event.get("inputs") is not None:
        ca[CAPTURE_DEVICE_NAMES] = event["inputs"]
    if event.get("workflowDefinition"):
        ca[WORKFLOW_DEFINITION_KEY] = event["workflowDefinition"]
    ca.update(event.get("agentProperties") or {})
    for key, value in ca.items():
        if not key.startswith(WORKFLOW_CONFIG_PREFIX):
            props[key] = str(value)
    for key, value in (event.get("workflowConfig") or {}).items():
        props[WORKFLOW_CONFIG_PREFIX + key] = str(value)
    if "dcTitle" in event:  # the catalog's title; a HashMap keeps a null, written "null"
        props["event.title"] = "null" if event["dcTitle"] is None else event["dcTitle"]
    else:
        props["event.title"] = event.get("title")
    if event.get("mpSeries"):
        props["event.series"] = event["mpSeries"]
    props["event.location"] = event["agent"]
    return props


def agent_properties_text(props):
    return "".join(f"{k}={props[k]}\n" for k in hashmap_order(list(props)))


def calendar_text(state, events, now):
    lines = ["BEGIN:VCALENDAR", "PRODID:Opencast Calendar File 0.5", "VERSION:2.0", "CALSCALE:GREGORIAN"]
    for event in events:
        catalog = event_catalog(state, event)
        try:
            dc = read_dublincore(catalog)
        except ValueError:
            dc = {}
        title = (dc.get("title") or [""])[0]
        lines += ["BEGIN:VEVENT", "DTSTAMP:" + ical_time(now), "DTSTART:" + ical_time(event["start"]),
                  "DTEND:" + ical_time(event["end"]), "SUMMARY:" + ical_text(title), "UID:" + event["uid"],
                  "LAST-MODIFIED:" + ical_time(event["lastModified"])]
        description = (dc.get("description") or [""])[0]
        if description:
            lines.append("DESCRIPTION:" + ical_text(description))
        lines.append("LOCATION:" + ical_text(event["agent"]))
        series_id = (dc.get("isPartOf") or [""])[0]
        if series_id:
            lines.append("RELATED-TO:" + series_id)
        lines.append(attach_line("application/xml", "episode.xml", catalog))
        if series_id and series_id in state.series:
            lines.append(attach_line("application/xml", "series.xml", series_catalog(state.series[series_id])))
        lines.append(attach_line("application/text", "org.opencastproject.capture.agent.properties",
                                 agent_properties_text(agent_properties(event))))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    if state.calendar_folding:
        lines = [fold(line) for line in lines]
    return "".join(line + "\r\n" for line in lines)


def event_mediapackage(state, event, base):
    """The scheduled event's media package (what the scheduler keeps in the asset manager)."""
    if event.get("mp"):
        return copy_mp(event["mp"])
    mp = {"id": event["uid"], "start": utc_seconds(event["start"]), "duration": None, "title": event["title"],
          "series": event.get("series"), "seriestitle": None, "license": event.get("license"),
          "language": event.get("language"), "creators": list(event.get("presenters") or []),
          "contributors": list(event.get("contributors") or []), "subjects": list(event.get("subjects") or []),
          "elements": []}
    if event.get("series") and event["series"] in state.series:
        mp["seriestitle"] = state.series[event["series"]].get("title")
    el = event.setdefault("catalogIds", {"episode": str(uuid.uuid5(uuid.NAMESPACE_URL, event["uid"] + "/episode")),
                                         "series": str(uuid.uuid5(uuid.NAMESPACE_URL, event["uid"] + "/series"))})
    catalogs = [("episode", event_catalog(state, event))]
    if event.get("series") and event["series"] in state.series:
        catalogs.append(("series", series_catalog(state.series[event["series"]])))
    for name, text in catalogs:  # the catalogs behind the urls, for GET /files/...
        path = state.save(os.path.join("files", "mediapackage", safe_filename(event["uid"]), el[name],
                                       "dublincore.xml"), text)
        state.files[(event["uid"], el[name])] = {"path": path, "complete": True, "mimetype": "text/xml",
                                                  "filename": "dublincore.xml", "bytes": len(text.encode()),
                                                  "sha256": hashlib.sha256(text.encode()).hexdigest()}
    mp["elements"].append(new_element("catalog", el["episode"], "dublincore/episode",
                                      f"{base}/files/mediapackage/{event['uid']}/{el['episode']}/dublincore.xml",
                                      "dublincore.xml"))
    if event.get("series") and event["series"] in state.series:
        mp["elements"].append(new_element("catalog", el["series"], "dublincore/series",
                                          f"{base}/files/mediapackage/{event['uid']}/{el['series']}/dublincore.xml",
                                          "dublincore.xml"))
    return mp


def workflow_element(wf):
    """JaxbWorkflowInstance as XmlWorkflowParser.toXml writes it."""
    w = lambda name: f"{{{WF_NS}}}{name}"
    root = ET.Element(w("workflow"), {"id": str(wf["id"]), "state": wf["state"]})
    sub(root, w("template"), wf["template"])
    sub(root, w("title"), wf["title"])
    sub(root, f"{{{SEC_NS}}}creator-id", wf["creator"])
    sub(root, f"{{{SEC_NS}}}organization-id", ORGANIZATION)
    sub(root, w("dateCreated"), xsd_datetime(wf["created"]))
    if wf.get("completed"):
        sub(root, w("dateCompleted"), xsd_datetime(wf["completed"]))
    root.append(mediapackage_element(wf["mp"]))
    ops = sub(root, w("operations"))
    for op in wf["operations"]:
        sub(ops, w("operation"), id=op["id"], template=op["template"], job=op["job"], state=op["state"],
            **{"fail-on-error": "true", "max-attempts": "1", "failed-attempts": "0", "retry-strategy": "none"})
    configs = sub(root, w("configurations"))
    for key in sorted(wf["configuration"]):
        sub(configs, w("configuration"), wf["configuration"][key], key=key)
    sub(root, w("mediaPackageId"), wf["mediaPackageId"])
    if wf["mp"].get("series"):
        sub(root, w("seriesId"), wf["mp"]["series"])
    return root


def agent_update_element(agent, now, tag=None):
    """AgentStateUpdate: name, state, url, time-since-last-update, capabilities (key/value entries)."""
    a = lambda name: f"{{{CA_NS}}}{name}"
    root = ET.Element(tag or a("agent-state-update"))
    sub(root, a("name"), agent["name"])
    sub(root, a("state"), agent["state"])
    sub(root, a("url"), agent["url"])
    sub(root, a("time-since-last-update"), now - agent["lastHeard"])
    for key, value in agent_capabilities(agent).items():
        entry = sub(root, a("capabilities"), key=key)
        sub(entry, "value", value)
    return root


def agent_capabilities(agent):
    """AgentImpl.setConfiguration: capture.device.names and every key holding capture.device.<name>."""
    config = agent["configuration"]
    names = config.get(CAPTURE_DEVICE_NAMES)
    if names is None:
        return {}
    caps = {CAPTURE_DEVICE_NAMES: names}
    for key, value in config.items():
        for name in names.split(","):
            if ("capture.device." + name) in key:
                caps[key] = value
    return caps


def properties_element(props):
    """PropertiesResponse."""
    root = ET.Element(f"{{{COMMON_NS}}}properties-response")
    for key, value in props.items():
        entry = sub(root, "properties", key=key)
        sub(entry, "value", value)
    return root


def parse_properties_xml(text):
    """Properties.loadFromXML: root <properties>, an optional <comment>, <entry key="...">value</entry>."""
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as error:
        raise ValueError(str(error))
    if root.tag != "properties":
        raise ValueError("root element is not properties")
    props = {}
    for i, child in enumerate(root):
        if child.tag == "comment" and i == 0:
            continue
        if child.tag != "entry" or child.get("key") is None:
            raise ValueError(f"unexpected element {child.tag}")
        props[child.get("key")] = child.text or ""
    return props


# --- the handler ------------------------------------------------------------------------------------------------------
class HTTPError(Exception):
    def __init__(self, status, body="", content_type="text/plain;charset=UTF-8", headers=None):
        super().__init__(status)
        self.status, self.body, self.content_type, self.headers = status, body, content_type, headers or []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def version_string(self):
        return "Jetty(9.4.55.v20240627)"

    def parse_request(self):
        self.expect_pending = False
        return super().parse_request()

    def handle_expect_100(self):
        # Jetty sends 100 Continue only when the application starts reading the body.
        self.expect_pending = True
        return True

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    # --- answering ---------------------------------------------------------------------------------------------------
    def reply(self, status, body=b"", content_type=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        if getattr(self, "drop_after", False):
            # the work is done, the answer never leaves
            try:
                if getattr(self, "body", None) is not None and not self.expect_pending:
                    self.body.drain(DRAIN_LIMIT)
            except (ClientGone, OSError, ValueError):
                pass
            self.drop_connection()
            self.status_sent = f"dropped (answer was {status})"
            return
        close = False
        b = getattr(self, "body", None)
        if b is not None and not b.eof:
            if self.expect_pending:
                close = True
            else:
                try:
                    close = not b.drain(DRAIN_LIMIT)
                except (ClientGone, OSError, ValueError):
                    close = True
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers or []:
            self.send_header(name, value)
        for cookie in getattr(self, "set_cookies", []):
            self.send_header("Set-Cookie", cookie)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.status_sent = status

    def reply_xml(self, text, content_type="text/xml"):
        self.reply(200, text, content_type)

    def reply_json(self, value, status=200):
        self.reply(status, json_text(value), "application/json")

    def reset_connection(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True
        self.status_sent = "reset"

    def drop_connection(self):
        try:
            self.rfile.close()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True
        self.status_sent = self.status_sent or "dropped"

    # --- entry points ------------------------------------------------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def base_url(self):
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        return "http://" + host

    def dispatch(self):
        s = self.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        self.query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self.set_cookies = []
        self.status_sent = None
        self.user = None
        self.auth = "none"
        self.drop_after = False
        started = time.time()
        upload_fault = None
        if path.startswith("/_test/"):
            self.body = Body(self)
            try:
                self.test_hook(path)
            except HTTPError as error:
                self.reply(error.status, error.body, error.content_type, error.headers)
            return
        with s.lock:
            fault = next((f for f in s.faults if path.startswith(f["path"])
                          and (not f["method"] or f["method"] == self.command)), None)
            if fault:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    s.faults.remove(fault)
            upload_fault = next((f for f in s.upload_faults if path.startswith(f["path"])
                                 and self.command in ("POST", "PUT")), None)
            if upload_fault:
                upload_fault["count"] -= 1
                if upload_fault["count"] <= 0:
                    s.upload_faults.remove(upload_fault)
        self.body = Body(self, upload_fault)
        record = {"seq": None, "time": utc_seconds(now_ms()), "method": self.command, "path": path,
                  "query": url.query, "host": self.headers.get("Host"), "remote": self.client_address[0]}
        try:
            if fault and fault["action"] == "delay":
                time.sleep(fault["seconds"])
            if fault and fault["action"] == "drop":
                self.drop_connection()
                return
            if fault and fault["action"] == "status":
                self.reply(fault["status"], fault["body"], "text/plain;charset=UTF-8")
                return
            self.drop_after = bool(fault and fault["action"] == "drop-after")
            self.handle_request(path)
            if self.status_sent is None:
                self.reply(500, "the test server gave no answer", "text/plain")
        except HTTPError as error:
            self.reply(error.status, error.body, error.content_type, error.headers)
        except ResetNow:
            self.reset_connection()
        except (ClientGone, ConnectionError, BrokenPipeError):
            self.close_connection = True
            self.status_sent = self.status_sent or "client-gone"
        except MultipartError as error:
            self.reply(500, f"multipart: {error}", "text/plain;charset=UTF-8")
        except Exception:  # a bug in this server: say so, as a 500
            import traceback
            traceback.print_exc()
            if self.status_sent is None:
                try:
                    self.reply(500, "test server error: " + traceback.format_exc(limit=1), "text/plain")
                except OSError:
                    pass
        finally:
            record.update({"status": self.status_sent, "user": self.user and self.user["username"],
                           "auth": self.auth, "bodyBytes": self.body.read_bytes,
                           "seconds": round(time.time() - started, 3)})
            with s.lock:
                record["seq"] = len(s.calls) + 1
                s.calls.append(record)

    # --- authentication (Spring Security, as Opencast configures it) ------------------------------------------------
    def challenge(self, kind, stale=False):
        if kind == "digest":
            expiry = now_ms() + NONCE_VALIDITY_SECONDS * 1000
            signature = hashlib.md5(f"{expiry}:{DIGEST_KEY}".encode()).hexdigest()
            nonce = base64.b64encode(f"{expiry}:{signature}".encode()).decode()
            value = f'Digest realm="{REALM}", qop="auth", nonce="{nonce}"'
            if stale:
                value += ', stale="true"'
        else:
            value = f'Basic realm="{REALM}"'
        raise HTTPError(401, "<html><body><h2>HTTP ERROR 401 Unauthorized</h2></body></html>",
                        "text/html;charset=iso-8859-1", [("WWW-Authenticate", value)])

    def check_digest(self, header):
        params = {}
        for match in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', header[len("Digest "):]):
            params[match.group(1)] = (re.sub(r"\\(.)", r"\1", match.group(3)) if match.group(3) is not None
                                      else match.group(2))
        for key in ("username", "realm", "nonce", "uri", "response"):
            if params.get(key) is None:
                self.challenge("digest")
        qop = params.get("qop")
        if qop == "auth" and (params.get("nc") is None or params.get("cnonce") is None):
            self.challenge("digest")
        if params["realm"] != REALM:
            self.challenge("digest")
        try:
            plain = base64.b64decode(params["nonce"], validate=True).decode()
            expiry_text, signature = plain.split(":")
            expiry = int(expiry_text)
        except (ValueError, UnicodeDecodeError):
            self.challenge("digest")
        if hashlib.md5(f"{expiry}:{DIGEST_KEY}".encode()).hexdigest() != signature:
            self.challenge("digest")
        with self.state.lock:
            user = self.state.users.get(params["username"])
        if user is None or not user.get("digest", True):
            self.challenge("digest")
        md5 = lambda text: hashlib.md5(text.encode("utf-8")).hexdigest()
        ha1 = md5(f"{user['username']}:{REALM}:{user['password']}")
        ha2 = md5(f"{self.command}:{params['uri']}")
        if qop is None:
            expected = md5(f"{ha1}:{params['nonce']}:{ha2}")
        else:
            expected = md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{qop}:{ha2}")
        if expected != params["response"]:
            self.challenge("digest")
        if expiry < now_ms():
            self.challenge("digest", stale=True)
        return user

    def authenticate(self):
        """The user, or None for anonymous; answers 401 for bad credentials."""
        s = self.state
        header = self.headers.get("Authorization")
        user = None
        if header and header.startswith("Digest "):
            user = self.check_digest(header)
            self.auth = "digest"
        elif header and header[:6].lower() == "basic ":
            try:
                username, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                self.challenge("basic")
            with s.lock:
                user = s.users.get(username)
            if user is None or user["password"] != password:
                self.challenge("basic")
            self.auth = "basic"
        if user is not None:
            with s.lock:
                if s.sessions_enabled and not self.session_user():
                    sid = "node0" + secrets.token_hex(12) + "0"
                    s.sessions[sid] = user["username"]
                    self.set_cookies.append(f"JSESSIONID={sid}; Path=/; HttpOnly")
            return user
        session = self.session_user()
        if session:
            self.auth = "session"
            return session
        return None

    def session_user(self):
        s = self.state
        cookies = self.headers.get("Cookie") or ""
        match = re.search(r"(?:^|;\s*)JSESSIONID=([^;]+)", cookies)
        if not match or not s.sessions_enabled:
            return None
        name = s.sessions.get(match.group(1))
        return s.users.get(name) if name else None

    def authorize(self, canonical, user):
        roles = {"ROLE_ANONYMOUS"} | set(user["roles"] if user else [])
        for pattern, methods, allowed in ACCESS_RULES:
            if re.match(pattern, canonical) and (methods is None or self.command in methods):
                if roles & allowed:
                    return
                if user is None:
                    requested = self.headers.get("X-Requested-Auth")
                    if requested == "Digest":
                        self.challenge("digest")
                    if requested == "Basic":
                        self.challenge("basic")
                    raise HTTPError(302, "", None, [("Location", self.base_url() + "/login.html")])
                raise HTTPError(403, "<html><body><h2>HTTP ERROR 403 Forbidden</h2></body></html>",
                                "text/html;charset=iso-8859-1")

    # --- routing -----------------------------------------------------------------------------------------------------
    def service_route(self, path):
        """(service type, rest of the path) for a request path, by the registry's paths and the canonical ones."""
        s = self.state
        prefixes = []
        with s.lock:
            for entry in s.services:
                if entry["type"] in SERVICE_TYPES and entry.get("path"):
                    prefixes.append((entry["path"].rstrip("/"), entry["type"]))
        for service_type, (canonical, _) in SERVICE_TYPES.items():
            prefixes.append((canonical, service_type))
        for prefix, service_type in sorted(prefixes, key=lambda p: -len(p[0])):
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                return service_type, path[len(prefix):]
        return None, path

    def handle_request(self, path):
        service_type, rest = self.service_route(path)
        canonical = SERVICE_TYPES[service_type][0] + rest if service_type else path
        self.user = self.authenticate()
        self.authorize(canonical, self.user)
        if service_type == "org.opencastproject.capture.admin":
            return self.capture_admin(rest)
        if service_type == "org.opencastproject.scheduler":
            return self.scheduler(rest)
        if service_type == "org.opencastproject.ingest":
            return self.ingest_service(rest)
        if service_type == "org.opencastproject.workflow":
            return self.workflow_service(rest)
        if path in ("/services/available.json", "/services/available.xml"):
            return self.available(path.endswith(".json"))
        if path == "/info/me.json" and self.command == "GET":
            return self.me()
        match = re.fullmatch(r"/files/mediapackage/([^/]+)/([^/]+)/([^/]+)", path)
        if match and self.command == "GET":
            return self.serve_file(*[urllib.parse.unquote(g) for g in match.groups()])
        raise HTTPError(404, "Not Found")

    def not_allowed(self, allowed):
        raise HTTPError(405, "", None, [("Allow", ", ".join(allowed))])

    def read_form(self, multipart_last_wins=True):
        """Form fields of an urlencoded or multipart body: {name: value}; urlencoded repeats keep the first value
        (request.getParameterMap / getFirst), multipart ones the last (formData.putSingle). Other content types
        carry no fields."""
        content_type = (self.headers.get("Content-Type") or "").lower()
        fields = {}
        if content_type.startswith("multipart/"):
            boundary = multipart_boundary(self.headers.get("Content-Type"))
            if not boundary:
                raise HTTPError(500, "")
            parser = MultipartParser(self.body, boundary)
            while True:
                part = parser.next_part()
                if part is None:
                    break
                chunks, total = [], 0
                while True:
                    data = part.read()
                    if not data:
                        break
                    total += len(data)
                    if total <= MAX_FORM_BYTES:
                        chunks.append(data)
                if part.name is not None and total <= MAX_FORM_BYTES:
                    if multipart_last_wins or part.name not in fields:
                        fields[part.name] = b"".join(chunks).decode("utf-8", errors="replace")
            self.body.drain()
        elif content_type.startswith("application/x-www-form-urlencoded"):
            data = self.body.read_all()
            for name, value in urllib.parse.parse_qsl(data.decode("utf-8", errors="replace"),
                                                      keep_blank_values=True):
                if name not in fields:
                    fields[name] = value
        else:
            self.body.drain()
        return fields

    # --- service registry --------------------------------------------------------------------------------------------
    def available(self, as_json):
        service_type = (self.query.get("serviceType") or [""])[0]
        if not service_type.strip():
            raise HTTPError(400, "Service type must be specified")
        s = self.state
        base = self.base_url()
        with s.lock:
            entries = [dict(e) for e in s.services if e["type"] == service_type]
            unfiltered = s.registry_unfiltered
        listed = []
        for e in entries:
            e.setdefault("online", True)
            e.setdefault("active", True)
            e.setdefault("maintenance", False)
            e.setdefault("service_state", "NORMAL")
            if not unfiltered and (not e["active"] or e["service_state"] == "ERROR" or e["maintenance"]
                                   or not e["online"]):
                continue
            listed.append(e)
        listed.sort(key=lambda e: float(e.get("load") or 0))
        root = ET.Element(f"{{{SR_NS}}}services")
        q = lambda name: f"{{{SR_NS}}}{name}"
        for e in listed:
            item = sub(root, q("service"))
            host = e["host"].replace("{self}", base)
            since = xsd_datetime(e.get("since", SERVER_STARTED))
            for name, value in (("type", e["type"]), ("host", host), ("path", e["path"]),
                                ("active", e["active"]), ("online", e["online"]),
                                ("maintenance", e["maintenance"]),
                                ("jobproducer", e.get("jobproducer", SERVICE_TYPES.get(e["type"], ("", False))[1])),
                                ("onlinefrom", since), ("service_state", e["service_state"]),
                                ("state_changed", since), ("error_state_trigger", e.get("error_state_trigger", 0)),
                                ("warning_state_trigger", e.get("warning_state_trigger", 0))):
                sub(item, q(name), str(value).lower() if isinstance(value, bool) else value)
        if as_json:
            return self.reply_json({"services": jettison(root)})
        self.reply_xml(xml_text(root, default_namespace=SR_NS))

    def me(self):
        user = self.user
        if user is None:
            info = {"username": "anonymous", "name": "Anonymous", "email": None, "provider": None}
            roles = ["ROLE_ANONYMOUS"]
        else:
            info = {"username": user["username"], "name": user.get("name"), "email": user.get("email"),
                    "provider": "opencast"}
            roles = list(user["roles"]) + ["ROLE_ANONYMOUS"]
        body = {"user": info, "roles": roles,
                "org": {"id": ORGANIZATION, "name": "Opencast Project", "adminRole": "ROLE_ADMIN",
                        "anonymousRole": "ROLE_ANONYMOUS", "properties": {}}}
        if user is not None:
            body["userRole"] = "ROLE_USER_" + re.sub(r"[^A-Z0-9]", "_", user["username"].upper())
        self.reply(200, gson_text(body), "application/json")

    def serve_file(self, mp_id, element_id, name):
        with self.state.lock:
            record = self.state.files.get((mp_id, element_id))
        if not record or not record.get("complete") or not os.path.exists(record["path"]):
            raise HTTPError(404, NOT_FOUND_TEXT)
        with open(record["path"], "rb") as f:
            data = f.read()
        self.reply(200, data, record.get("mimetype") or "application/octet-stream")

    # --- capture admin -----------------------------------------------------------------------------------------------
    def capture_admin(self, rest):
        s = self.state
        method = self.command
        now = now_ms()
        m = re.fullmatch(r"/agents\.(xml|json)", rest)
        if m:
            if method != "GET":
                self.not_allowed(["GET"])
            with s.lock:
                s.expire_all()
                root = ET.Element(f"{{{CA_NS}}}agents")
                for agent in s.agents.values():
                    root.append(agent_update_element(agent, now, f"{{{CA_NS}}}agent"))
            if m.group(1) == "json":
                return self.reply_json({"agents": jettison(root)})
            return self.reply_xml(xml_text(root), "text/xml")
        m = re.fullmatch(r"/agents/([^/]+)/(configuration|capabilities)(?:\.(xml|json))?", rest)
        if m:
            name = urllib.parse.unquote(m.group(1))
            if m.group(3) is None:
                if m.group(2) == "configuration" and method == "POST":
                    return self.set_configuration(name)
                self.not_allowed(["POST"] if m.group(2) == "configuration" else [])
            if method != "GET":
                self.not_allowed(["GET"])
            with s.lock:
                agent = s.agents.get(name)
                if agent is None:
                    raise HTTPError(404, NOT_FOUND_TEXT)
                props = dict(agent["configuration"]) if m.group(2) == "configuration" else agent_capabilities(agent)
            root = properties_element(props)
            if m.group(3) == "json":
                return self.reply_json({"properties-response": jettison(root)})
            return self.reply_xml(xml_text(root))
        m = re.fullmatch(r"/agents/(.+)\.(xml|json)", rest)
        if m and method == "GET":
            name = urllib.parse.unquote(m.group(1))
            with s.lock:
                agent = s.agents.get(name)
                if agent is None:
                    raise HTTPError(404, NOT_FOUND_TEXT)
                s.agent_expire(agent, now)
                root = agent_update_element(agent, now)
            if m.group(2) == "json":
                return self.reply_json({"agent-state-update": jettison(root)})
            return self.reply_xml(xml_text(root), "application/xml")
        m = re.fullmatch(r"/agents/([^/]+)", rest)
        if m:
            name = urllib.parse.unquote(m.group(1))
            if method == "POST":
                return self.set_agent_state(name)
            if method == "DELETE":
                with s.lock:
                    if name not in s.agents:
                        raise HTTPError(404, NOT_FOUND_TEXT)
                    del s.agents[name]
                return self.reply(200, f"{name} removed", "text/html")
            self.not_allowed(["POST", "DELETE"])
        m = re.fullmatch(r"/recordings/([^/]+?)\.(xml|json)", rest)
        if m and method == "GET":
            uid = urllib.parse.unquote(m.group(1))
            with s.lock:
                history = s.recordings.get(uid)
                if uid not in s.events or not history:
                    raise HTTPError(404, NOT_FOUND_TEXT)
                last = history[-1]
            root = ET.Element(f"{{{CA_NS}}}recording-state-update")
            sub(root, f"{{{CA_NS}}}name", uid)
            sub(root, f"{{{CA_NS}}}state", last["state"])
            sub(root, f"{{{CA_NS}}}time-since-last-update", now - last["ms"])
            if m.group(2) == "json":
                return self.reply_json({"recording-state-update": jettison(root)})
            return self.reply_xml(xml_text(root))
        m = re.fullmatch(r"/recordings/([^/]+)", rest)
        if m:
            if method != "POST":
                self.not_allowed(["POST", "DELETE"])
            return self.set_recording_state(urllib.parse.unquote(m.group(1)))
        raise HTTPError(404, "Not Found")

    def set_agent_state(self, name):
        form = self.read_form()
        state, address = form.get("state"), form.get("address")
        s = self.state
        if state not in AGENT_STATES:
            raise HTTPError(400, "")
        if not address:
            address = self.client_address[0]  # request.getRemoteHost()
        now = now_ms()
        with s.lock:
            agent = s.agents.get(name)
            if agent is not None:
                s.agent_expire(agent, now)
            if agent is None:
                agent = s.agents[name] = {"name": name, "state": state, "url": "", "configuration": {},
                                          "lastHeard": now, "history": []}
                state_changed = True
            else:
                state_changed = agent["state"] != state
                agent["state"] = state
                if state != "unknown":
                    agent["lastHeard"] = now
            url_changed = agent["url"] != address
            agent["url"] = address
            agent["history"].append({"state": state, "address": address, "time": utc_seconds(now), "ms": now,
                                     "changed": state_changed, "user": self.user and self.user["username"]})
        if not state_changed and not url_changed:
            return self.reply(200, "", "text/html")
        self.reply(200, f"{name} set to {state}", "text/html")

    def set_configuration(self, name):
        form = self.read_form()
        configuration = form.get("configuration")
        if configuration is None or not configuration.strip():
            raise HTTPError(400, "")
        as_json = configuration.startswith("{")
        if as_json:
            try:
                props = json.loads(configuration)
            except ValueError:
                raise HTTPError(400, "")
            if not isinstance(props, dict):
                raise HTTPError(400, "")
            if any(not isinstance(v, str) for v in props.values()):
                # Gson reads such values as numbers or maps; Properties.store then throws ClassCastException
                raise HTTPError(500, "")
        else:
            try:
                props = parse_properties_xml(configuration)
            except ValueError:
                raise HTTPError(400, "")
        now = now_ms()
        with self.state.lock:
            agent = self.state.agents.get(name)
            if agent is None:
                agent = self.state.agents[name] = {"name": name, "state": "unknown", "url": "", "configuration": {},
                                                   "lastHeard": now, "history": []}
            agent["configuration"] = dict(props)
            agent.setdefault("configurationHistory", []).append({"time": utc_seconds(now), "format":
                                                                 "json" if as_json else "xml",
                                                                 "configuration": dict(props)})
        if as_json:
            return self.reply(200, gson_text(props), "application/json")
        self.reply_xml(xml_text(properties_element(props)))

    def set_recording_state(self, uid):
        form = self.read_form()
        state = form.get("state")
        if not uid or not state:
            raise HTTPError(400, "")
        s = self.state
        if state not in RECORDING_STATES:
            raise HTTPError(400, "")
        now = now_ms()
        with s.lock:
            if uid not in s.events:
                raise HTTPError(404, NOT_FOUND_TEXT)
            s.recordings.setdefault(uid, []).append({"state": state, "time": utc_seconds(now), "ms": now,
                                                     "user": self.user and self.user["username"]})
        self.reply(200, f"{uid} set to {state}", "text/plain")

    # --- scheduler ---------------------------------------------------------------------------------------------------
    def scheduler(self, rest):
        if rest != "/calendars":
            raise HTTPError(404, "Not Found")
        if self.command != "GET":
            self.not_allowed(["GET"])
        s = self.state
        agent = (self.query.get("agentid") or [None])[0]
        cutoff_text = (self.query.get("cutoff") or [None])[0]
        cutoff = None
        if cutoff_text is not None:
            if cutoff_text != "":
                if not re.fullmatch(r"[+-]?\d+", cutoff_text):
                    raise HTTPError(404, "")  # JAX-RS: a @QueryParam Long that does not convert is 404
                cutoff = int(cutoff_text)
        agent = agent if agent and agent.strip() else None
        now = now_ms()
        with s.lock:
            headers = []
            if agent is not None:
                etag = s.etag(agent)
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match and if_none_match.strip() and if_none_match == etag:
                    return self.reply(304, b"", None, [("ETag", f'"{etag}"')])
                headers.append(("ETag", etag))
            s.expire_all()
            text = calendar_text(s, s.calendar_events(agent.strip() if agent else None, cutoff, now), now)
        self.reply(200, text, "text/calendar; charset=UTF-8", headers)

    # --- ingest ------------------------------------------------------------------------------------------------------
    def ingest_service(self, rest):
        method = self.command
        if rest == "/createMediaPackage":
            if method != "GET":
                self.not_allowed(["GET"])
            return self.create_mediapackage(str(uuid.uuid4()))
        m = re.fullmatch(r"/createMediaPackageWithID/([^/]+)", rest)
        if m:
            if method != "PUT":
                self.not_allowed(["PUT"])
            return self.create_mediapackage(urllib.parse.unquote(m.group(1)))
        kinds = {"/addTrack": ("track", False), "/addPartialTrack": ("track", True), "/addCatalog": ("catalog", False),
                 "/addAttachment": ("attachment", False)}
        if rest in kinds:
            if method != "POST":
                self.not_allowed(["POST"])
            return self.add_element(rest, *kinds[rest])
        if rest == "/addDCCatalog":
            if method != "POST":
                self.not_allowed(["POST"])
            return self.add_dc_catalog()
        m = re.fullmatch(r"/ingest(?:/([^/]*))?", rest)
        if m:
            if method != "POST":
                self.not_allowed(["POST"])
            wd = urllib.parse.unquote(m.group(1)) if m.group(1) is not None else None
            if wd is not None and not wd.strip():
                raise HTTPError(400, "")
            return self.ingest(wd)
        m = re.fullmatch(r"/schedule(?:/([^/]*))?", rest)
        if m:
            if method != "POST":
                self.not_allowed(["POST"])
            wd = urllib.parse.unquote(m.group(1)) if m.group(1) is not None else DEFAULT_WORKFLOW
            return self.schedule(wd)
        if rest == "/discardMediaPackage":
            form = self.read_form()
            try:
                mp = parse_mediapackage(form.get("mediaPackage"))
            except BadMediaPackage:
                raise HTTPError(500, "")
            with self.state.lock:
                self.state.created.append({"id": mp["id"], "discarded": utc_seconds(now_ms())})
            return self.reply(200, "")
        if rest in ("/addMediaPackage", "/addZippedMediaPackage") or rest.startswith("/addMediaPackage/") \
                or rest.startswith("/addZippedMediaPackage/"):
            raise HTTPError(501, "not implemented by the test server (use createMediaPackage/addTrack/ingest)")
        raise HTTPError(404, "Not Found")

    def create_mediapackage(self, mp_id):
        now = now_ms()
        mp = {"id": mp_id, "start": utc_seconds(now), "duration": None, "title": None, "series": None,
              "seriestitle": None, "license": None, "language": None, "creators": [], "contributors": [],
              "subjects": [], "elements": []}
        with self.state.lock:
            self.state.start_cache[mp_id] = now
            self.state.created.append({"id": mp_id, "time": utc_seconds(now), "user": self.user["username"]})
        self.reply_xml(mediapackage_xml(mp))

    def load_mp(self, text):
        try:
            mp = parse_mediapackage(text)
        except BadMediaPackage:
            raise HTTPError(400, "")
        if not mp["id"] or not mp["id"].strip():
            raise HTTPError(400, "")  # MediaPackageSupport.sanityCheck
        return mp

    def add_element(self, endpoint, kind, partial):
        content_type = self.headers.get("Content-Type") or ""
        if not content_type.lower().startswith("multipart/"):
            # the url= variant: Opencast downloads the url; without one it fails with 500
            self.read_form()
            raise HTTPError(500, "")
        boundary = multipart_boundary(content_type)
        if not boundary:
            raise HTTPError(500, "")
        parser = MultipartParser(self.body, boundary)
        flavor = mp = tags = start_time = None
        part = None
        while True:
            item = parser.next_part()
            if item is None:
                break
            if item.filename is None:
                value = item.read_text()
                if item.name == "flavor":
                    try:
                        flavor = parse_flavor(value)
                    except ValueError:
                        raise HTTPError(400, f"Could not parse flavor '{value}'")
                elif item.name == "tags":
                    tags = value.split(",")
                elif item.name == "mediaPackage":
                    try:
                        mp = parse_mediapackage(value)
                    except BadMediaPackage:
                        raise HTTPError(400, "")
                elif item.name == "startTime" and endpoint == "/addPartialTrack":
                    try:
                        start_time = int(value)
                    except ValueError:
                        raise HTTPError(400, "")
            else:
                if flavor is None:
                    raise HTTPError(400, "")  # "A flavor has to be specified in the request prior to the content BODY"
                part = item
                break
        if part is None or mp is None or not (mp["id"] or "").strip():
            raise HTTPError(400, "")
        s = self.state
        element_id = str(uuid.uuid4())
        filename = safe_filename(part.filename)
        relative = os.path.join("files", "mediapackage", safe_filename(mp["id"]), element_id, filename)
        path = os.path.join(s.directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        record = {"endpoint": endpoint, "mediaPackageId": mp["id"], "elementId": element_id, "kind": kind,
                  "flavor": flavor, "tags": tags, "filename": part.filename, "path": path, "bytes": 0,
                  "sha256": None, "complete": False, "partial": partial and start_time is not None,
                  "startTime": start_time, "time": utc_seconds(now_ms()), "user": self.user["username"],
                  "mimetype": mime_type(filename)}
        with s.lock:
            s.uploads.append(record)
        try:
            with open(path, "wb") as f:
                while True:
                    data = part.read(1 << 20)
                    if not data:
                        break
                    f.write(data)
                    digest.update(data)
                    size += len(data)
                    record["bytes"] = size
        except (ResetNow, ClientGone, MultipartError, OSError):
            record["bytes"] = size
            raise
        record.update({"bytes": size, "sha256": digest.hexdigest(), "complete": True})
        if kind == "catalog":
            with open(path, "rb") as f:
                head = f.read(1)
            if head not in (b"[", b"{"):
                try:
                    ET.parse(path)
                except ET.ParseError:
                    os.remove(path)
                    record["complete"] = False
                    record["rejected"] = "Catalog XML is invalid"
                    raise HTTPError(400, "")
        url = f"{self.base_url()}/files/mediapackage/{urllib.parse.quote(mp['id'])}/{element_id}/" \
              f"{urllib.parse.quote(filename)}"
        element = new_element(kind, element_id, flavor, url, filename, tags)
        mp["elements"].append(element)
        with s.lock:
            s.files[(mp["id"], element_id)] = record
            if record["partial"]:
                s.partial[element_id] = start_time
        self.reply_xml(mediapackage_xml(mp))

    def add_dc_catalog(self):
        form = self.read_form()
        flavor = "dublincore/episode"
        if form.get("flavor") is not None:
            try:
                flavor = parse_flavor(form["flavor"])
            except ValueError as error:
                raise HTTPError(400, str(error))
        try:
            mp = parse_mediapackage(form.get("mediaPackage"))
        except BadMediaPackage:
            raise HTTPError(400, "")
        if not (mp["id"] or "").strip():
            raise HTTPError(400, "")
        catalog = form.get("dublinCore")
        try:
            if catalog is None:
                raise ValueError("no dublinCore")
            read_dublincore(catalog)
        except ValueError as error:
            raise HTTPError(400, str(error))
        s = self.state
        element_id = str(uuid.uuid4())
        relative = os.path.join("files", "mediapackage", safe_filename(mp["id"]), element_id, "dublincore.xml")
        path = s.save(relative, catalog)
        record = {"endpoint": "/addDCCatalog", "mediaPackageId": mp["id"], "elementId": element_id,
                  "kind": "catalog", "flavor": flavor, "tags": None, "filename": "dublincore.xml", "path": path,
                  "bytes": len(catalog.encode("utf-8")), "sha256": hashlib.sha256(catalog.encode("utf-8")).hexdigest(),
                  "complete": True, "partial": False, "startTime": None, "time": utc_seconds(now_ms()),
                  "user": self.user["username"], "mimetype": "text/xml"}
        url = f"{self.base_url()}/files/mediapackage/{urllib.parse.quote(mp['id'])}/{element_id}/dublincore.xml"
        mp["elements"].append(new_element("catalog", element_id, flavor, url, "dublincore.xml"))
        with s.lock:
            s.uploads.append(record)
            s.files[(mp["id"], element_id)] = record
        self.reply_xml(mediapackage_xml(mp))

    def ingest(self, wd_path):
        form = self.read_form()
        wf_config = {k: v for k, v in form.items() if k != "mediaPackage"}
        if wd_path is not None:
            wf_config["workflowDefinitionId"] = wd_path
        try:
            mp = parse_mediapackage(form.get("mediaPackage"))
        except BadMediaPackage:
            raise HTTPError(400, "")
        if not (mp["id"] or "").strip():
            raise HTTPError(400, "")
        s = self.state
        requested_id = mp["id"]
        instance = wf_config.get("workflowInstanceId")
        definition = (wf_config.get("workflowDefinitionId") or "").strip() or None
        now = now_ms()
        base = self.base_url()
        with s.lock:
            start = s.start_cache.get(mp["id"], now)
            wf_config["ingest_start_date"] = datetime.datetime.fromtimestamp(
                start / 1000, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            legacy = None
            if instance and instance.strip() and not re.fullmatch(r"[+-]?\d+", instance.strip()):
                legacy = instance
            # checkForLegacyMediaPackageId
            if legacy and mp["id"] not in s.events and legacy in s.events:
                mp["id"] = legacy
            event = s.events.get(mp["id"])
            # createSmil: partial tracks become a SMIL catalog; they must be presenter/* or presentation/*
            partials = [e for e in mp["elements"] if e["kind"] == "track" and e["id"] in s.partial]
            if partials:
                for e in partials:
                    if (e["flavor"] or "").split("/")[0] not in ("presenter", "presentation"):
                        raise HTTPError(500, "")
                if any(e["flavor"] == "smil/source" for e in mp["elements"]):
                    raise HTTPError(500, "")  # "SMIL already exists!"
                smil = ['<?xml version="1.0" encoding="UTF-8"?>',
                        '<smil xmlns="http://www.w3.org/ns/SMIL" version="3.0"><body><par>']
                for e in partials:
                    smil.append(f'<video src="{xml_escape(e["url"], True)}" begin="{s.partial[e["id"]]}ms" '
                                f'xml:id="{e["id"]}"/>')
                smil.append("</par></body></smil>")
                smil_id = str(uuid.uuid4())
                s.save(os.path.join("files", "mediapackage", safe_filename(mp["id"]), smil_id,
                                    "source_partial.smil"), "\n".join(smil))
                smil_el = new_element("catalog", smil_id, "smil/source",
                                      f"{base}/files/mediapackage/{mp['id']}/{smil_id}/source_partial.smil",
                                      "source_partial.smil")
                mp["elements"].append(smil_el)
            # the workflow definition
            if not definition:
                if event is not None:
                    definition = agent_properties(event).get(WORKFLOW_DEFINITION_KEY) or DEFAULT_WORKFLOW
                else:
                    definition = DEFAULT_WORKFLOW
            if definition not in s.workflow_definitions:
                definition = DEFAULT_WORKFLOW
            # mergeWorkflowConfiguration, removePrefixFromProperties
            merged = dict(agent_properties(event)) if event is not None else {}
            merged.update(wf_config)
            configuration = {}
            for key, value in merged.items():
                configuration[key.replace(WORKFLOW_CONFIG_PREFIX, "") if key.startswith(WORKFLOW_CONFIG_PREFIX)
                              else key] = value
            # mergeScheduledMediaPackage
            if event is not None:
                scheduled = event_mediapackage(s, event, base)
                if s.skip_catalogs:
                    mp["elements"] = [e for e in mp["elements"] if e["kind"] != "catalog"
                                      or e["flavor"] == "smil/source"]
                if s.skip_attachments:
                    mp["elements"] = [e for e in mp["elements"] if e["kind"] != "attachment"]
                for element in scheduled["elements"]:
                    if element["kind"] == "publication":
                        continue
                    same = [e for e in mp["elements"] if e["flavor"] == element["flavor"]]
                    if same:
                        if not s.add_only_new or element["kind"] == "track":
                            continue
                        mp["elements"] = [e for e in mp["elements"] if e["flavor"] != element["flavor"]]
                    mp["elements"].append(element)
                no_overwrite = (s.add_only_new and not s.skip_catalogs) or s.skip_catalogs
                for key in ("start", "license", "series", "seriestitle", "title"):
                    if not mp.get(key) or no_overwrite:
                        mp[key] = scheduled.get(key)
                for key in ("subjects", "contributors", "creators"):
                    if not mp.get(key) or no_overwrite:
                        mp[key] = list(scheduled.get(key) or [])
            if s.active_workflows(mp["id"]):
                # WorkflowServiceImpl.start: "another workflow is currently active" (IllegalStateException)
                raise HTTPError(500, "")
            wf_id = s.next_job
            s.next_job += 1 + len(s.workflow_definitions[definition][1])
            title, operations = s.workflow_definitions[definition]
            wf = {"id": wf_id, "state": "INSTANTIATED", "template": definition, "title": title,
                  "creator": self.user["username"], "created": now, "completed": None, "mp": mp,
                  "mediaPackageId": mp["id"], "configuration": configuration,
                  "operations": [{"id": wf_id + 1 + i, "job": wf_id + 1 + i, "template": t, "state": "INSTANTIATED"}
                                 for i, t in enumerate(operations)],
                  "history": [{"state": "INSTANTIATED", "time": utc_seconds(now)}],
                  "endsAt": (now + int(s.workflow_seconds * 1000)) if s.workflow_seconds is not None else None,
                  "outcome": s.workflow_outcome}
            s.workflows[wf_id] = wf
            s.snapshots.add(mp["id"])
            s.start_cache.pop(requested_id, None)
            text = xml_text(workflow_element(wf))
            tracks, catalogs, attachments = [], [], []
            for element in mp["elements"]:
                record = s.files.get((mp["id"], element["id"])) or s.files.get((requested_id, element["id"]))
                info = {"elementId": element["id"], "flavor": element["flavor"], "url": element["url"],
                        "stored": bool(record and record.get("complete")),
                        "filename": record and record["filename"], "bytes": record and record["bytes"],
                        "sha256": record and record["sha256"], "path": record and record["path"],
                        "partial": element["id"] in s.partial, "startTime": s.partial.get(element["id"])}
                {"track": tracks, "catalog": catalogs, "attachment": attachments}.get(element["kind"], []).append(info)
            ingest_record = {"workflowId": wf_id, "mediaPackageId": mp["id"], "requestedMediaPackageId": requested_id,
                             "eventUid": event["uid"] if event else None, "workflowDefinitionId": definition,
                             "requestedWorkflowDefinitionId": wf_config.get("workflowDefinitionId"),
                             "workflowInstanceId": instance, "formFields": {k: v for k, v in form.items()
                                                                            if k != "mediaPackage"},
                             "configuration": configuration, "tracks": tracks, "catalogs": catalogs,
                             "attachments": attachments, "time": utc_seconds(now), "user": self.user["username"],
                             "endpoint": "/ingest" + (f"/{wd_path}" if wd_path is not None else "")}
            s.ingests.append(ingest_record)
            s.save(os.path.join("ingests", str(wf_id), "workflow.xml"), text)
            s.save(os.path.join("ingests", str(wf_id), "mediapackage.xml"), mediapackage_xml(mp))
            s.save(os.path.join("ingests", str(wf_id), "ingest.json"), json.dumps(ingest_record, indent=1))
        self.reply_xml(text)

    def schedule(self, wd):
        form = self.read_form()
        wf_config = {k: v for k, v in form.items() if k != "mediaPackage"}
        wf_config[WORKFLOW_DEFINITION_KEY] = wd
        text = form.get("mediaPackage")
        if text is None or not text.strip():
            raise HTTPError(400, "")
        try:
            mp = parse_mediapackage(text)
        except BadMediaPackage:
            raise HTTPError(400, "")
        if not (mp["id"] or "").strip():
            raise HTTPError(400, "")
        episodes = [e for e in mp["elements"] if e["flavor"] == "dublincore/episode"]
        if len(episodes) != 1:
            raise HTTPError(400, "")
        s = self.state
        with s.lock:
            record = s.files.get((mp["id"], episodes[0]["id"]))
        if not record or not record.get("complete"):
            raise HTTPError(500, "")  # workingFileRepository.get: NotFoundException
        with open(record["path"], "rb") as f:
            try:
                dc = read_dublincore(f.read())
            except ValueError:
                raise HTTPError(500, "")
        temporal = dc.get("temporal") or []
        if len(temporal) != 1:
            raise HTTPError(400, "There can be only one (and exactly one) period")
        try:
            start, end = parse_period(temporal[0])
        except ValueError:
            raise HTTPError(500, "")
        if start is None or end is None:
            raise HTTPError(400, "A scheduled recording needs to have a start and end.")
        created = dc.get("created") or []
        if len(created) == 1:
            created_ms = parse_w3c(created[0])
            if created_ms is None:
                raise HTTPError(500, "")
            if created_ms != start:
                raise HTTPError(400, "Temporal start and created date differ")
        elif len(created) > 1:
            raise HTTPError(400, "There can be only one created date")
        spatial = dc.get("spatial") or []
        if len(spatial) != 1:
            raise HTTPError(400, "Exactly one capture agent needs to be set")
        agent = spatial[0]
        if end < start:
            raise HTTPError(500, "")  # IllegalArgumentException "The end date is before the start date"
        workflow_props, agent_props = {}, {}
        for key, value in wf_config.items():
            if key.startswith(WORKFLOW_CONFIG_PREFIX):
                workflow_props[key[len(WORKFLOW_CONFIG_PREFIX):]] = value
            else:
                agent_props[key] = value
        now = now_ms()
        with s.lock:
            if mp["id"] in s.snapshots or mp["id"] in s.events:
                raise HTTPError(409, f"Mediapackage with id '{mp['id']}' already exists!")
            for other in s.events.values():
                if other["agent"] == agent and other["start"] < end and other["end"] > start:
                    raise HTTPError(409, f"Unable to add event, conflicting events found for event {mp['id']}")
            with open(record["path"], "r", encoding="utf-8", errors="replace") as f:
                episode_xml = f.read()
            title = (dc.get("title") or [None])[0]
            event = {"uid": mp["id"], "agent": agent, "start": start, "end": end, "title": title or "",
                     "dcTitle": title, "episodeXml": episode_xml, "series": (dc.get("isPartOf") or [None])[0],
                     "mpSeries": mp.get("series"), "agentProperties": agent_props, "workflowConfig": workflow_props,
                     "workflowDefinition": None, "inputs": None, "lastModified": now, "mp": copy_mp(mp),
                     "origin": "/ingest/schedule", "created": utc_seconds(now)}
            s.events[mp["id"]] = event
            s.snapshots.add(mp["id"])
            s.touch(agent)
            s.adhoc.append({"uid": mp["id"], "agent": agent, "start": utc_seconds(start), "end": utc_seconds(end),
                            "title": title, "workflowDefinition": wd, "agentProperties": agent_props,
                            "workflowConfig": workflow_props, "time": utc_seconds(now),
                            "user": self.user["username"]})
        self.reply(201, b"")

    # --- workflow ----------------------------------------------------------------------------------------------------
    def workflow_service(self, rest):
        if self.command != "GET":
            raise HTTPError(405 if rest else 404, "")
        s = self.state
        m = re.fullmatch(r"/instance/([^/]+)\.(xml|json)", rest)
        if m:
            if not re.fullmatch(r"-?\d+", m.group(1)):
                raise HTTPError(404, "")
            with s.lock:
                s.expire_all()
                wf = s.workflows.get(int(m.group(1)))
                if wf is None:
                    raise HTTPError(404, NOT_FOUND_TEXT)
                root = workflow_element(wf)
            if m.group(2) == "json":
                return self.reply_json({"workflow": jettison(root)})
            return self.reply_xml(xml_text(root))
        m = re.fullmatch(r"/mediaPackage/([^/]+)/(instances\.json|hasActiveWorkflows|currentInstance\.json)", rest)
        if m:
            mp_id = urllib.parse.unquote(m.group(1))
            with s.lock:
                s.expire_all()
                mine = sorted((wf for wf in s.workflows.values() if wf["mediaPackageId"] == mp_id),
                              key=lambda wf: wf["created"])
                if m.group(2) == "hasActiveWorkflows":
                    return self.reply(200, "true" if s.active_workflows(mp_id) else "false", "application/json")
                if m.group(2) == "currentInstance.json":
                    active = [wf for wf in mine if wf["state"] in ACTIVE_WORKFLOW_STATES]
                    if not active:
                        raise HTTPError(404, "")
                    return self.reply_json({"workflow": jettison(workflow_element(active[0]))})
                root = ET.Element(f"{{{WF_NS}}}workflows")
                for wf in mine:
                    root.append(workflow_element(wf))
            return self.reply_json({"workflows": jettison(root)})
        raise HTTPError(404, "")

    # --- test hooks --------------------------------------------------------------------------------------------------
    def test_hook(self, path):
        s = self.state
        q = lambda name, default=None: (self.query.get(name) or [default])[0]
        if path == "/_test/state" and self.command == "GET":
            with s.lock:
                s.expire_all()
                out = self.state_json()
            return self.reply(200, json.dumps(out, indent=1, default=str), "application/json")
        if self.command != "POST":
            raise HTTPError(405, "")
        if path == "/_test/seed":
            data = self.body.read_all()
            try:
                body = json.loads(data or b"{}")
                with s.lock:
                    out = self.seed(body)
            except (KeyError, TypeError, ValueError) as error:
                raise HTTPError(400, json.dumps({"error": f"seed: {type(error).__name__} {error}"}),
                                "application/json")
            return self.reply(200, json.dumps(out, indent=1), "application/json")
        if path == "/_test/reset":
            with s.lock:
                s.reset()
            return self.reply(200, "{}", "application/json")
        if path == "/_test/fail":
            fault = {"path": q("path", "/"), "status": int(q("status", "503")), "count": int(q("count", "1")),
                     "method": (q("method") or "").upper() or None, "action": q("action", "status"),
                     "seconds": float(q("seconds", "0")), "body": q("body", "injected failure")}
            if fault["action"] not in ("status", "drop", "drop-after", "delay"):
                raise HTTPError(400, "action: status, drop, drop-after or delay")
            with s.lock:
                if fault["count"] == 0:
                    # count=0 takes back the faults on that path (Opencast is reachable again).
                    s.faults = [f for f in s.faults if f["path"] != fault["path"]]
                else:
                    s.faults.append(fault)
            return self.reply(200, json.dumps(fault), "application/json")
        if path == "/_test/upload-fault":
            fault = {"path": q("path", "/ingest/add"), "count": int(q("count", "1"))}
            for name in ("reset_after", "stall_after"):
                if q(name) is not None:
                    fault[name] = int(q(name))
            for name in ("rate", "stall_seconds"):
                if q(name) is not None:
                    fault[name] = float(q(name))
            with s.lock:
                s.upload_faults.append(fault)
            return self.reply(200, json.dumps(fault), "application/json")
        if path == "/_test/workflow":
            state = (q("state") or "").upper()
            if state not in WORKFLOW_STATES:
                raise HTTPError(400, f"state: one of {WORKFLOW_STATES}")
            with s.lock:
                if q("id"):
                    found = [s.workflows.get(int(q("id")))]
                else:
                    found = [wf for wf in s.workflows.values() if wf["mediaPackageId"] == q("mediaPackage")]
                found = [wf for wf in found if wf]
                if not found:
                    raise HTTPError(404, "no such workflow")
                for wf in found:
                    s.set_workflow_state(wf, state)
                    wf["endsAt"] = None
            return self.reply(200, json.dumps([wf["id"] for wf in found]), "application/json")
        raise HTTPError(404, "")

    def seed(self, body):
        s = self.state
        now = now_ms()
        if body.get("reset"):
            s.reset()
        out = {"events": [], "series": [], "users": [], "services": None}
        for user in body.get("users") or []:
            s.users[user["username"]] = {"username": user["username"], "password": user["password"],
                                         "roles": list(user.get("roles") or ["ROLE_CAPTURE_AGENT"]),
                                         "digest": bool(user.get("digest", True)), "name": user.get("name"),
                                         "email": user.get("email")}
            out["users"].append(user["username"])
        for name in body.get("removeUsers") or []:
            s.users.pop(name, None)
        if body.get("services") is not None:
            s.services = []
            for entry in body["services"]:
                service_type = entry["type"]
                item = {"type": service_type, "host": entry.get("host", "{self}"),
                        "path": entry.get("path", SERVICE_TYPES.get(service_type, ("/",))[0])}
                for key in ("online", "active", "maintenance", "service_state", "load", "jobproducer",
                            "error_state_trigger", "warning_state_trigger"):
                    if key in entry:
                        item[key] = entry[key]
                s.services.append(item)
            out["services"] = s.services
        for key, attr in (("registryUnfiltered", "registry_unfiltered"), ("calendarFolding", "calendar_folding"),
                          ("sessions", "sessions_enabled"), ("ingestSkipCatalogs", "skip_catalogs"),
                          ("ingestSkipAttachments", "skip_attachments"), ("ingestAddOnlyNew", "add_only_new")):
            if key in body:
                setattr(s, attr, bool(body[key]))
        if "agentTimeoutSeconds" in body:
            s.agent_timeout = float(body["agentTimeoutSeconds"])
        if "workflowSeconds" in body:
            s.workflow_seconds = None if body["workflowSeconds"] is None else float(body["workflowSeconds"])
        if "workflowOutcome" in body:
            s.workflow_outcome = str(body["workflowOutcome"]).upper()
        for wd_id, title in (body.get("workflowDefinitions") or {}).items():
            s.workflow_definitions[wd_id] = (title, ["defaults", "snapshot"])
        for series in body.get("series") or []:
            s.series[series["id"]] = dict(series)
            out["series"].append(series["id"])
        for uid in body.get("deleteEvents") or []:
            event = s.events.pop(uid, None)
            if event:
                s.touch(event["agent"])
        for item in body.get("events") or []:
            uid = item.get("uid") or str(uuid.uuid4())
            start = seed_time(item["start"], now)
            end = seed_time(item["end"], now) if "end" in item else start + int(float(item.get("duration", 3600))
                                                                                 * 1000)
            old = s.events.get(uid)
            event = {"uid": uid, "agent": item["agent"], "start": start, "end": end,
                     "title": item.get("title", "Untitled"), "presenters": list(item.get("presenters") or []),
                     "contributors": list(item.get("contributors") or []),
                     "subjects": list(item.get("subjects") or []), "description": item.get("description"),
                     "language": item.get("language"), "license": item.get("license"),
                     "series": item.get("series"), "mpSeries": item.get("series"),
                     "workflowDefinition": item.get("workflowDefinition", DEFAULT_WORKFLOW),
                     "workflowConfig": dict(item.get("workflowConfig") or {}), "inputs": item.get("inputs"),
                     "agentProperties": dict(item.get("agentProperties") or {}),
                     "episodeXml": item.get("episodeXml"), "lastModified": now, "origin": "seed",
                     "created": utc_seconds(now)}
            if event["episodeXml"]:
                try:
                    event["dcTitle"] = (read_dublincore(event["episodeXml"]).get("title") or [None])[0]
                except ValueError:
                    pass
            s.events[uid] = event
            s.snapshots.add(uid)
            if old and old["agent"] != event["agent"]:
                s.touch(old["agent"])
            s.touch(event["agent"])
            out["events"].append({"uid": uid, "agent": event["agent"], "start": utc_seconds(start),
                                  "end": utc_seconds(end), "etag": s.etag(event["agent"])})
        return out

    def state_json(self):
        s = self.state
        now = now_ms()
        agents = {}
        for name, agent in s.agents.items():
            agents[name] = {"state": agent["state"], "url": agent["url"], "configuration": agent["configuration"],
                            "capabilities": agent_capabilities(agent), "lastHeard": utc_seconds(agent["lastHeard"]),
                            "history": [{k: v for k, v in h.items() if k != "ms"} for h in agent["history"]],
                            "configurationHistory": agent.get("configurationHistory", [])}
        events = []
        for event in sorted(s.events.values(), key=lambda e: e["start"]):
            events.append({"uid": event["uid"], "agent": event["agent"], "title": event["title"],
                           "start": utc_seconds(event["start"]), "end": utc_seconds(event["end"]),
                           "origin": event["origin"], "etag": s.etag(event["agent"]),
                           "agentProperties": agent_properties(event)})
        return {
            "agents": agents,
            "recordings": {uid: [{k: v for k, v in h.items() if k != "ms"} for h in history]
                           for uid, history in s.recordings.items()},
            "events": events,
            "etags": {agent: s.etag(agent) for agent in s.schedule_modified},
            "mediaPackages": s.created,
            "uploads": [{k: v for k, v in u.items()} for u in s.uploads],
            "ingests": s.ingests,
            "scheduled": s.adhoc,
            "workflows": [{"id": wf["id"], "mediaPackageId": wf["mediaPackageId"], "state": wf["state"],
                           "template": wf["template"], "history": wf["history"]}
                          for wf in s.workflows.values()],
            "users": {u["username"]: {"roles": u["roles"], "digest": u["digest"]} for u in s.users.values()},
            "calls": s.calls,
            "now": utc_seconds(now),
        }


SERVER_STARTED = now_ms()


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__.split("\n\n")[1])
    port, directory = int(args[0]), args[1]
    options = dict(zip(args[2::2], args[3::2]))
    user = options.get("--user", "capture_agent")
    password = options.get("--password", "CHANGE_ME")
    roles = [r for r in options.get("--roles", "ROLE_CAPTURE_AGENT").split(",") if r]
    os.makedirs(directory, exist_ok=True)
    Handler.state = State(directory, user, password, roles)
    server = ThreadingHTTPServer((options.get("--host", "127.0.0.1"), port), Handler)
    server.daemon_threads = True
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
