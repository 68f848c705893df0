// RoomRecorder room panel: plain JavaScript, no framework, no build step.
// Served at /panel/ under a strict Content-Security-Policy: no inline script or style, no eval, same-origin
// requests only. Element styles are set through the CSSOM (element.style), which that policy allows.
//
// Data: GET ../v1/status every second; audio levels from the Server-Sent Events of ../v1/events (up to 10 a
// second); the preview from ../v1/preview.jpg every second. These are a viewer's and go without the token, so a
// wrong token never blanks the panel. Operator actions: POST ../v1/recordings, ../v1/recordings/current/stop and
// ../v1/recordings/current/extend, with the bearer token when there is one.
"use strict";

(function () {
  const API = "../v1/";
  const TOKEN_KEY = "roomrec.panel.token";
  const STATUS_EVERY_MS = 1000;
  const PREVIEW_EVERY_MS = 1000;
  const REQUEST_TIMEOUT_MS = 4000;
  const METER_FLOOR_DB = -60;        // the left end of a meter
  const CLIP_DB = -1;                // a peak at or above this lights the clip mark
  const SSE_STALE_MS = 2500;         // after this without a levels event, status's levels drive the meters
  const STOP_CONFIRM_MS = 4000;      // Stop needs a second press within this time

  const $ = (id) => document.getElementById(id);
  const el = {
    room: $("room"), state: $("state"), elapsed: $("elapsed"), conn: $("conn"), title: $("title"),
    preview: $("preview"), previewNote: $("preview-note"), meters: $("meters"), next: $("next"),
    alarms: $("alarms"), queue: $("queue"), start: $("start"), stop: $("stop"),
    extend: [$("extend5"), $("extend10"), $("extend15")], message: $("message"), access: $("access"),
    tokenBox: $("token-box"), tokenInput: $("token-input"), tokenUse: $("token-use"), tokenForget: $("token-forget"),
  };

  // ---- Token: from the address's fragment (#token=…) into sessionStorage, then out of the address bar. ----

  function readStoredToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage unavailable: the token lives in memory only */ }
  }

  let token = readStoredToken();
  // Returns true when the fragment held a token (which then replaces the stored one).
  function takeTokenFromFragment() {
    const hash = location.hash.replace(/^#/, "");
    if (!hash) return false;
    const params = new URLSearchParams(hash);
    if (!params.has("token")) return false;
    token = (params.get("token") || "").trim();
    storeToken(token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
    return true;
  }
  takeTokenFromFragment();
  window.addEventListener("hashchange", () => { if (takeTokenFromFragment()) updateAccess(); });

  function headers(extra) {
    return Object.assign({ "Accept": "application/json" }, extra || {});
  }

  function operatorHeaders(extra) {
    const result = headers(extra);
    if (token) result["Authorization"] = "Bearer " + token;
    return result;
  }

  // fetch with a time limit; same-origin only, no cookies needed.
  function request(path, options) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    const init = Object.assign({ cache: "no-store", credentials: "same-origin", signal: controller.signal }, options || {});
    return fetch(API + path, init).finally(() => clearTimeout(timer));
  }

  // ---- Small helpers ----

  function setText(node, text) {
    const value = text == null ? "" : String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  function parseDate(value) {
    if (typeof value !== "string" && typeof value !== "number") return null;
    const date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  function twoDigits(n) { return n < 10 ? "0" + n : String(n); }

  function formatDuration(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) return "--:--:--";
    const s = Math.floor(seconds);
    return twoDigits(Math.floor(s / 3600)) + ":" + twoDigits(Math.floor(s / 60) % 60) + ":" + twoDigits(s % 60);
  }

  function formatSpan(seconds) {
    const minutes = Math.round(seconds / 60);
    if (minutes < 1) return "less than a minute";
    if (minutes < 60) return minutes + " min";
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (hours < 48) return hours + " h" + (rest ? " " + rest + " min" : "");
    return Math.round(hours / 24) + " days";
  }

  function timeOfDay(date) {
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function dayAndTime(date) {
    const now = new Date();
    const sameDay = date.toDateString() === now.toDateString();
    const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).toDateString() === date.toDateString();
    if (sameDay) return "today " + timeOfDay(date);
    if (tomorrow) return "tomorrow " + timeOfDay(date);
    return date.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" }) + " " + timeOfDay(date);
  }

  // ---- Messages to the person at the panel ----

  let messageTimer = null;
  // kind: "ok", "error", "pending" or ""; httpStatus: the answer's status code, when there was one.
  function showMessage(text, kind, httpStatus) {
    clearTimeout(messageTimer);
    setText(el.message, text);
    el.message.className = "message" + (kind ? " " + kind : "");
    el.message.dataset.kind = kind || "";
    el.message.dataset.status = httpStatus ? String(httpStatus) : "";
    if (kind === "ok") messageTimer = setTimeout(() => showMessage("", ""), 8000);
  }

  // The text of an RFC 9457 problem answer (detail, else title), else the HTTP status.
  async function problemText(response) {
    let text = "";
    try {
      const body = await response.json();
      if (isObject(body)) text = body.detail || body.title || "";
    } catch (e) { /* not JSON */ }
    if (!text) text = "HTTP " + response.status + (response.statusText ? " " + response.statusText : "");
    if ((response.status === 401 || response.status === 403) && !token && !/token/i.test(text)) {
      text += " (viewer: an operator token is needed)";
    }
    return text;
  }

  // ---- State, elapsed time, title ----

  const STATE_NAMES = { idle: "Not recording", recording: "Recording" };
  let lastStatus = null;
  let elapsedBase = null;   // { seconds, at } from the last status while recording

  function renderState(status) {
    const state = typeof status.state === "string" ? status.state : "unknown";
    el.state.dataset.state = state;
    document.body.dataset.state = state;
    const current = isObject(status.current) ? status.current : null;
    let label = STATE_NAMES[state] || state;
    if (state === "recording" && current && typeof current.status === "string"
        && current.status !== "active" && current.status !== "recording") {
      label += " (" + current.status + ")";
    }
    setText(el.state, label);

    const room = isObject(status.room) ? status.room : {};
    const roomName = room.title || room.id || "Room panel";
    setText(el.room, roomName);
    const docTitle = (state === "recording" ? "● " : "") + roomName + " · RoomRecorder";
    if (document.title !== docTitle) document.title = docTitle;

    if (state === "recording" && current) {
      setText(el.title, current.title || current.name || current.recordingId || "Untitled recording");
    } else {
      setText(el.title, state === "recording" ? "Recording" : "—");
    }

    if (state === "recording") {
      let seconds = typeof status.elapsedSeconds === "number" ? status.elapsedSeconds : null;
      if (seconds == null && current) {
        const started = parseDate(current.startDate);
        if (started) seconds = (Date.now() - started.getTime()) / 1000;
      }
      elapsedBase = seconds == null ? null : { seconds: seconds, at: performance.now() };
    } else {
      elapsedBase = null;
    }
    renderElapsed();

    const recording = state === "recording";
    el.start.disabled = recording;
    el.stop.disabled = !recording;
    el.extend.forEach((button) => { button.disabled = !recording; });
    if (!recording) resetStopConfirm();
  }

  function renderElapsed() {
    if (!elapsedBase) { setText(el.elapsed, "--:--:--"); return; }
    setText(el.elapsed, formatDuration(elapsedBase.seconds + (performance.now() - elapsedBase.at) / 1000));
  }

  // ---- Next recording ----

  function renderNext(next) {
    clear(el.next);
    if (!isObject(next)) {
      el.next.appendChild(make("p", "muted", "Nothing scheduled in the coming week"));
      return;
    }
    el.next.appendChild(make("p", "next-title", next.title || "Untitled"));
    const start = parseDate(next.start);
    const end = parseDate(next.end);
    if (start) {
      let when = dayAndTime(start) + (end ? "–" + timeOfDay(end) : "");
      const inSeconds = (start.getTime() - Date.now()) / 1000;
      if (inSeconds > 0) when += " · in " + formatSpan(inSeconds);
      el.next.appendChild(make("p", "next-when", when));
    }
    if (next.source) el.next.appendChild(make("p", "muted small", "from " + next.source));
  }

  // ---- Alarms ----

  const ALARM_NAMES = {
    silence: "Silence", clipping: "Clipping", frozen_picture: "Frozen picture",
    black_picture: "Black picture", missed_start: "Missed start",
  };

  function renderAlarms(alarms) {
    const list = Array.isArray(alarms) ? alarms.filter(isObject) : [];
    clear(el.alarms);
    el.alarms.dataset.count = String(list.length);
    document.body.classList.toggle("alarmed", list.length > 0);
    if (list.length === 0) {
      el.alarms.appendChild(make("li", "ok", "None"));
      return;
    }
    for (const alarm of list) {
      const item = make("li", "alarm");
      item.dataset.kind = alarm.kind || "";
      item.appendChild(make("strong", "alarm-kind", ALARM_NAMES[alarm.kind] || alarm.kind || "Alarm"));
      if (alarm.message) item.appendChild(make("span", "alarm-message", alarm.message));
      const since = parseDate(alarm.since);
      if (since) item.appendChild(make("span", "alarm-since muted small", "for " + formatSpan((Date.now() - since.getTime()) / 1000)));
      el.alarms.appendChild(item);
    }
  }

  // ---- Upload queue ----

  const QUEUE_ORDER = [
    ["uploading", "uploading"], ["queued", "waiting"], ["paused", "paused"],
    ["failed", "failed"], ["cancelled", "cancelled"], ["done", "delivered"],
  ];

  function renderQueue(queue) {
    clear(el.queue);
    if (!isObject(queue)) { el.queue.appendChild(make("p", "muted", "—")); return; }
    const counts = isObject(queue.byState) ? queue.byState : isObject(queue.counts) ? queue.counts : {};
    const list = make("ul", "queue-counts");
    let shown = 0;
    for (const [key, name] of QUEUE_ORDER) {
      const n = Number(counts[key]) || 0;
      if (n === 0 && key !== "queued" && key !== "uploading") continue;
      const item = make("li", "queue-item" + (key === "failed" && n > 0 ? " bad" : ""));
      item.dataset.state = key;
      item.appendChild(make("span", "count", String(n)));
      item.appendChild(document.createTextNode(" " + name));
      list.appendChild(item);
      shown++;
    }
    if (shown) el.queue.appendChild(list);
    if (queue.heldReason) el.queue.appendChild(make("p", "muted small", "On hold: " + queue.heldReason));
  }

  // ---- VU meters ----

  const meters = new Map();   // source → { root, fill, peak, value, clipUntil }
  let lastLevelsEventAt = 0;

  function levelToPercent(db) {
    if (typeof db !== "number" || !isFinite(db)) return 0;
    const clamped = Math.max(METER_FLOOR_DB, Math.min(0, db));
    return ((clamped - METER_FLOOR_DB) / -METER_FLOOR_DB) * 100;
  }

  function formatDb(db) {
    if (typeof db !== "number" || !isFinite(db) || db <= -120) return "−∞ dB";
    return (db < 0 ? "−" + Math.abs(db).toFixed(0) : db.toFixed(0)) + " dB";
  }

  function sourceOrder(source) {
    if (source === "mix") return 0;
    if (source === "microphone") return 1;
    return 2;
  }

  function makeMeter(source, label) {
    const root = make("div", "meter");
    root.dataset.source = source;
    root.setAttribute("role", "meter");
    root.setAttribute("aria-valuemin", String(METER_FLOOR_DB));
    root.setAttribute("aria-valuemax", "0");
    const name = make("span", "meter-label", label);
    const track = make("div", "meter-track");
    const fill = make("div", "meter-fill");
    const peak = make("div", "meter-peak");
    const clip = make("span", "meter-clip", "CLIP");
    track.appendChild(fill);
    track.appendChild(peak);
    const value = make("span", "meter-value", "−∞ dB");
    root.appendChild(name);
    root.appendChild(track);
    root.appendChild(value);
    root.appendChild(clip);
    return { root: root, name: name, fill: fill, peak: peak, value: value, clip: clip, clipUntil: 0, order: sourceOrder(source) };
  }

  function renderLevels(levels) {
    const list = Array.isArray(levels) ? levels.filter((l) => isObject(l) && typeof l.source === "string") : [];
    const seen = new Set();
    let added = false;
    for (const level of list) {
      seen.add(level.source);
      let meter = meters.get(level.source);
      const label = level.label || (level.source === "mix" ? "Mix" : level.source === "microphone" ? "Room microphone" : level.source);
      if (!meter) {
        meter = makeMeter(level.source, label);
        meters.set(level.source, meter);
        added = true;
      } else {
        setText(meter.name, label);
      }
      const rms = typeof level.rmsDbfs === "number" ? level.rmsDbfs : null;
      const peak = typeof level.peakDbfs === "number" ? level.peakDbfs : rms;
      const rmsPercent = levelToPercent(rms);
      const peakPercent = levelToPercent(peak);
      meter.fill.style.width = rmsPercent.toFixed(1) + "%";
      // The gradient spans the whole track whatever the fill's width, so its colours mark fixed levels.
      meter.fill.style.backgroundSize = (rmsPercent > 0.5 ? (10000 / rmsPercent).toFixed(1) : "20000") + "% 100%";
      meter.peak.style.left = peakPercent.toFixed(1) + "%";
      setText(meter.value, formatDb(rms));
      meter.root.setAttribute("aria-valuenow", rms == null ? String(METER_FLOOR_DB) : String(Math.max(METER_FLOOR_DB, Math.round(rms))));
      meter.root.setAttribute("aria-valuetext", label + " " + formatDb(rms) + ", peak " + formatDb(peak));
      const now = performance.now();
      if (typeof peak === "number" && peak >= CLIP_DB) meter.clipUntil = now + 2000;
      meter.root.classList.toggle("clipping", meter.clipUntil > now);
      meter.root.classList.toggle("silent", rms == null || rms <= METER_FLOOR_DB);
    }
    for (const [source, meter] of meters) {
      if (!seen.has(source)) { meter.root.remove(); meters.delete(source); }
    }
    if (added || el.meters.querySelector(".empty")) {
      const ordered = Array.from(meters.values()).sort((a, b) => a.order - b.order);
      clear(el.meters);
      if (ordered.length === 0) el.meters.appendChild(make("p", "empty", "No audio levels yet"));
      for (const meter of ordered) el.meters.appendChild(meter.root);
    }
  }

  // ---- Server-Sent Events: levels, and a nudge to poll status when a recording, alarm or warning event arrives ----

  let events = null;
  function openEvents() {
    if (typeof EventSource !== "function") return;
    events = new EventSource(API + "events?types=levels,recording,alarm,warning");
    events.addEventListener("levels", (event) => {
      try {
        const data = JSON.parse(event.data);
        if (isObject(data) && Array.isArray(data.levels)) {
          lastLevelsEventAt = performance.now();
          renderLevels(data.levels);
        }
      } catch (e) { /* a malformed event is skipped */ }
    });
    const nudge = () => pollStatusSoon(0);
    events.addEventListener("recording", nudge);
    events.addEventListener("alarm", nudge);
    events.addEventListener("warning", nudge);
    events.addEventListener("error", () => {
      // EventSource reconnects by itself unless the answer was not an event stream; then try again later.
      if (events && events.readyState === EventSource.CLOSED) {
        events = null;
        setTimeout(openEvents, 5000);
      }
    });
  }

  // ---- Status, every second ----

  let statusTimer = null;
  let statusInFlight = false;
  let failures = 0;

  function pollStatusSoon(delay) {
    clearTimeout(statusTimer);
    statusTimer = setTimeout(pollStatus, delay);
  }

  async function pollStatus() {
    if (statusInFlight) { pollStatusSoon(200); return; }
    statusInFlight = true;
    try {
      const response = await request("status", { headers: headers() });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const status = await response.json();
      if (!isObject(status)) throw new Error("not an object");
      failures = 0;
      el.conn.hidden = true;
      document.body.classList.remove("stale");
      lastStatus = status;
      renderState(status);
      renderNext(status.next);
      renderAlarms(status.alarms);
      renderQueue(status.queue);
      if (performance.now() - lastLevelsEventAt > SSE_STALE_MS && Array.isArray(status.levels)) renderLevels(status.levels);
    } catch (e) {
      failures++;
      if (failures >= 2) {
        el.conn.hidden = false;
        document.body.classList.add("stale");
      }
    } finally {
      statusInFlight = false;
      pollStatusSoon(STATUS_EVERY_MS);
    }
  }

  // ---- Preview, every second; the last picture stays when a refresh fails ----

  let previewUrl = null;
  let previewTimer = null;

  async function refreshPreview() {
    if (document.hidden) { previewTimer = setTimeout(refreshPreview, PREVIEW_EVERY_MS); return; }
    const started = performance.now();
    try {
      const response = await request("preview.jpg?source=stage&width=640", { headers: headers({ "Accept": "image/jpeg" }) });
      if (response.ok) {
        const blob = await response.blob();
        const url = URL.createObjectURL(blob);
        await new Promise((resolve) => {
          const done = () => {
            el.preview.removeEventListener("load", done);
            el.preview.removeEventListener("error", done);
            resolve();
          };
          el.preview.addEventListener("load", done);
          el.preview.addEventListener("error", done);
          el.preview.src = url;
        });
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = url;
        el.preview.hidden = false;
        el.preview.dataset.updated = new Date().toISOString();
        el.previewNote.hidden = true;
      } else if (!previewUrl) {
        el.previewNote.hidden = false;
        setText(el.previewNote, response.status === 503 ? "No picture yet" : "No preview (HTTP " + response.status + ")");
      }
    } catch (e) {
      if (!previewUrl) { el.previewNote.hidden = false; setText(el.previewNote, "No preview: the recorder does not answer"); }
    } finally {
      const wait = Math.max(100, PREVIEW_EVERY_MS - (performance.now() - started));
      previewTimer = setTimeout(refreshPreview, wait);
    }
  }

  // ---- Operator actions ----

  let busy = false;

  async function act(path, body, label, describe) {
    if (busy) return;
    busy = true;
    document.body.classList.add("busy");
    showMessage(label + "…", "pending");
    try {
      const response = await request(path, {
        method: "POST",
        headers: operatorHeaders({ "Content-Type": "application/json" }),
        body: JSON.stringify(body || {}),
      });
      if (response.ok) {
        let result = null;
        try { result = await response.json(); } catch (e) { /* no body */ }
        showMessage(describe(result), "ok", response.status);
        updateAccess(true);
      } else {
        if (response.status === 401 || response.status === 403) updateAccess(false);
        showMessage(await problemText(response), "error", response.status);
      }
    } catch (e) {
      showMessage(label + " failed: the recorder does not answer", "error");
    } finally {
      busy = false;
      document.body.classList.remove("busy");
      pollStatusSoon(0);
    }
  }

  el.start.addEventListener("click", () => {
    act("recordings", {}, "Starting", (r) => "Recording started" + (r && r.title ? ": " + r.title : ""));
  });

  let stopArmedUntil = 0;
  let stopTimer = null;
  function resetStopConfirm() {
    stopArmedUntil = 0;
    clearTimeout(stopTimer);
    el.stop.classList.remove("armed");
    setText(el.stop, "Stop");
  }

  el.stop.addEventListener("click", () => {
    if (performance.now() > stopArmedUntil) {
      // A stopped lecture cannot be resumed into the same file: ask for a second press.
      stopArmedUntil = performance.now() + STOP_CONFIRM_MS;
      el.stop.classList.add("armed");
      setText(el.stop, "Press again to stop");
      clearTimeout(stopTimer);
      stopTimer = setTimeout(resetStopConfirm, STOP_CONFIRM_MS);
      return;
    }
    resetStopConfirm();
    act("recordings/current/stop", {}, "Stopping", () => "Recording stopped");
  });

  for (const button of el.extend) {
    button.addEventListener("click", () => {
      const minutes = Number(button.dataset.minutes);
      act("recordings/current/extend", { minutes: minutes }, "Extending", (r) => {
        const end = r ? parseDate(r.end) : null;
        return "Extended by " + minutes + " min" + (end ? ": now ends at " + timeOfDay(end) : "");
      });
    });
  }

  // ---- Who the panel acts as ----

  // known: true after an action the token was accepted for, false after a refusal, undefined before either.
  function updateAccess(known) {
    const operator = known === undefined ? Boolean(token) : known;
    document.body.classList.toggle("viewer", !operator);
    if (operator) setText(el.access, token ? "Operator" : "");
    else setText(el.access, token ? "Viewer: the operator token was refused" : "Viewer: operator token needed");
    el.tokenForget.disabled = !token;
  }

  el.tokenUse.addEventListener("click", () => {
    const value = el.tokenInput.value.trim();
    el.tokenInput.value = "";
    if (!value) return;
    token = value;
    storeToken(token);
    updateAccess();
    el.tokenBox.open = false;
    showMessage("Operator token set for this window", "ok");
  });
  el.tokenInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); el.tokenUse.click(); }
  });
  el.tokenForget.addEventListener("click", () => {
    token = "";
    storeToken("");
    updateAccess();
    el.tokenBox.open = false;
    showMessage("Operator token forgotten", "ok");
  });

  // ---- Start ----

  updateAccess();
  pollStatus();
  openEvents();
  refreshPreview();
  setInterval(renderElapsed, 250);
  setInterval(() => { if (lastStatus) { renderNext(lastStatus.next); } }, 30000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) pollStatusSoon(0); });
})();
