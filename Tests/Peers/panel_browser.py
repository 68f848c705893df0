#!/usr/bin/env python3
"""The room panel in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by selenium.

    panel_browser.py URL TOKEN SCREENSHOT_PATH [--wait SECONDS] [--settle SECONDS]

URL is the panel on the TCP listener, e.g. http://127.0.0.1:8480/panel/. The browser
  a. opens URL without a token, waits until #state shows a state, then watches for up to --wait seconds
     (default 5) whether a VU meter's bar moves and whether the preview picture changes (its pixels, drawn to
     a canvas and hashed);
  b. presses #start and waits for #message to show the refusal; checks that nothing started (#state, and
     GET ../v1/status asked directly, both still idle);
  c. opens URL#token=TOKEN in a fresh load, checks that the token left the address bar, presses #start,
     waits until #state says recording, and watches the meters and the preview again while it records;
  d. saves a screenshot (PNG, the page's 1280×720 viewport) to SCREENSHOT_PATH;
  e. prints one JSON line: metersMoved, previewChanged (while idle), refusedWithoutToken (a 401 or 403 shown in
     #message, and the room still idle), refusalMessage, refusalStatus, startedWithToken, metersMovedRecording,
     previewChangedRecording, screenshot, consoleErrors (the browser console's errors other than failed requests),
     networkErrors (failed requests as the console reports them: the refusal's 401 is expected there),
     cspViolations (securitypolicyviolation events), and details (meter and preview samples, timings, errors).
Exit 0 whenever the browser ran, whatever the checks found (the caller asserts); 2 when the browser or
its driver cannot start or the page cannot be loaded at all.

CHROMIUM and CHROMEDRIVER override /usr/bin/chromium and /usr/bin/chromedriver.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# Runs in every document before the page's own scripts (DevTools injection, not subject to the page's CSP):
# keeps the page's Content-Security-Policy violations where the test can read them.
RECORD_VIOLATIONS = """
window.__panelViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__panelViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                                " (" + (e.sourceFile || "") + ":" + (e.lineNumber || 0) + ")");
});
"""

# The meters: source → the bar's width in CSS pixels and its style width.
READ_METERS = """
return Array.from(document.querySelectorAll("#meters .meter")).map(function (m) {
  var fill = m.querySelector(".meter-fill");
  return [m.dataset.source || "", fill ? fill.getBoundingClientRect().width : -1, fill ? fill.style.width : ""];
});
"""

# The preview: natural size and a hash of its pixels (drawn to a canvas: the blob: URL is same-origin).
READ_PREVIEW = """
var img = document.getElementById("preview");
if (!img || !img.complete || !img.naturalWidth) return null;
var canvas = document.createElement("canvas");
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
var context = canvas.getContext("2d");
context.drawImage(img, 0, 0);
var data = context.getImageData(0, 0, canvas.width, canvas.height).data;
var h = 0x811c9dc5;
for (var i = 0; i < data.length; i += 1) { h ^= data[i]; h = Math.imul(h, 0x01000193) >>> 0; }
return {width: img.naturalWidth, height: img.naturalHeight, hash: h.toString(16), src: img.src.slice(0, 5)};
"""


def log(*parts):
    print("panel_browser:", *parts, file=sys.stderr, flush=True)


def start_browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1280,720", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-background-networking", "--disable-sync",
                     "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-GB",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    # Headless Chromium's window size includes room for a toolbar it does not draw: make the page's own
    # viewport the kiosk screen's 1280×720.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    return driver


def wait_for(predicate, timeout, interval=0.1):
    """The predicate's first truthy value within timeout seconds, else its last value."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        try:
            value = predicate()
        except WebDriverException as error:
            value = None
            log("while waiting:", str(error).splitlines()[0])
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def page_state(driver):
    return driver.execute_script(
        "var s = document.getElementById('state'); return s ? (s.dataset.state || '') : '';") or ""


def message(driver):
    return driver.execute_script(
        "var m = document.getElementById('message');"
        "return m ? {text: m.textContent.trim(), kind: m.dataset.kind || '', status: m.dataset.status || ''} : null;")


def api_state(url, token=None):
    """GET ../v1/status next to the panel, as the test itself (not through the page)."""
    request = urllib.request.Request(urllib.parse.urljoin(url, "../v1/status"), headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response).get("state")
    except Exception as error:  # noqa: BLE001 - reported, not fatal
        return f"error: {error}"


def click(driver, element_id):
    """A pointer click on the button as a person would make it (scrolled into view, not covered), else
    'missing', 'disabled' or 'covered'."""
    buttons = driver.find_elements(By.ID, element_id)
    if not buttons:
        return "missing"
    button = buttons[0]
    if not button.is_enabled():
        return "disabled"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    try:
        button.click()
    except ElementClickInterceptedException:
        return "covered"
    return "clicked"


def watch(driver, seconds, settle, details, prefix):
    """Whether a meter's bar moves and whether the preview's pixels change within seconds (after waiting up to
    settle seconds for a first meter and a first picture)."""
    first_meters = wait_for(lambda: driver.execute_script(READ_METERS), settle) or []
    first_picture = wait_for(lambda: driver.execute_script(READ_PREVIEW), settle)
    details[prefix + "MetersFirst"] = first_meters
    details[prefix + "PreviewFirst"] = first_picture
    first_widths = {source: width for source, width, _ in first_meters}
    moved = changed = False
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (moved and changed):
        if not moved:
            for source, width, style in driver.execute_script(READ_METERS) or []:
                if source in first_widths and abs(width - first_widths[source]) >= 1.0:
                    moved = True
                    details[prefix + "MeterMoved"] = {"source": source, "from": first_widths[source], "to": width,
                                                      "style": style}
                    break
        if not changed and first_picture:
            picture = driver.execute_script(READ_PREVIEW)
            if picture and picture["hash"] != first_picture["hash"]:
                changed = True
                details[prefix + "PreviewLater"] = picture
        time.sleep(0.1)
    return moved, changed, first_picture


def collect_console(driver, console_errors, network_errors):
    try:
        entries = driver.get_log("browser")
    except WebDriverException:
        return
    for entry in entries:
        if entry.get("level") != "SEVERE":
            continue
        text = entry.get("message", "")
        if "Failed to load resource" in text:
            network_errors.append(text)
        else:
            console_errors.append(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("screenshot")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds to watch the meters and the preview")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds allowed for the page's first state, "
                        "meter and picture, and for a recording to start")
    args = parser.parse_args()
    url = args.url.split("#")[0]

    result = {"metersMoved": False, "previewChanged": False, "refusedWithoutToken": False, "refusalMessage": "",
              "refusalStatus": None, "startedWithToken": False, "metersMovedRecording": False,
              "previewChangedRecording": False, "screenshot": None, "consoleErrors": [],
              "networkErrors": [], "cspViolations": [], "details": {}}
    details = result["details"]
    errors = details.setdefault("errors", [])

    # Both must be Debian's: with either missing, selenium would look for a browser to download.
    for program in (CHROMIUM, CHROMEDRIVER):
        if not os.access(program, os.X_OK):
            log(f"{program} is missing: apt-get install chromium chromium-driver")
            return 2
    profile = tempfile.mkdtemp(prefix="panel-browser-")
    try:
        driver = start_browser(profile)
    except Exception as error:  # noqa: BLE001
        shutil.rmtree(profile, ignore_errors=True)
        log("the browser cannot start:", error)
        return 2
    try:
        details["browserVersion"] = driver.capabilities.get("browserVersion")
        started = time.monotonic()
        try:
            driver.get(url)
        except WebDriverException as error:
            log("the page cannot be loaded:", str(error).splitlines()[0])
            return 2

        # a. A state, then meters that move and a preview that changes.
        first_state = wait_for(lambda: page_state(driver) in ("idle", "recording") and page_state(driver), args.settle)
        details["firstState"] = first_state or page_state(driver)
        details["firstStateAfter"] = round(time.monotonic() - started, 2)

        result["metersMoved"], result["previewChanged"], first_picture = watch(driver, args.wait, args.settle,
                                                                               details, "idle")
        details["previewSize"] = [first_picture["width"], first_picture["height"]] if first_picture else None

        # b. Start without the token: refused, and nothing starts.
        details["startWithoutToken"] = click(driver, "start")
        refusal = wait_for(lambda: (lambda m: m if m and m["kind"] == "error" else None)(message(driver)), 10)
        time.sleep(1.5)  # a status poll or two, should a recording have started after all
        state_after = page_state(driver)
        details["stateAfterRefusal"] = state_after
        details["apiStateAfterRefusal"] = api_state(url)
        if refusal:
            result["refusalMessage"] = refusal["text"]
            result["refusalStatus"] = int(refusal["status"]) if refusal["status"].isdigit() else None
        result["refusedWithoutToken"] = bool(
            refusal and result["refusalStatus"] in (401, 403) and state_after == "idle"
            and details["apiStateAfterRefusal"] == "idle")
        collect_console(driver, result["consoleErrors"], result["networkErrors"])
        result["cspViolations"].extend(driver.execute_script("return window.__panelViolations || [];") or [])

        # c. A fresh load with the token in the fragment, then Start.
        driver.get("about:blank")
        driver.get(url + "#token=" + urllib.parse.quote(args.token, safe=""))
        wait_for(lambda: page_state(driver) in ("idle", "recording"), args.settle)
        details["urlAfterToken"] = driver.current_url.replace(args.token, "<token>")
        details["tokenLeftAddressBar"] = "token=" not in driver.current_url
        details["startWithToken"] = wait_for(lambda: (lambda r: r if r != "disabled" else None)(click(driver, "start")), 5) or "disabled"
        result["startedWithToken"] = bool(wait_for(lambda: page_state(driver) == "recording", args.settle))
        details["messageAfterStart"] = message(driver)
        details["apiStateAfterStart"] = api_state(url)
        # The same watch while recording (where a room measures levels only while it records).
        if result["startedWithToken"]:
            result["metersMovedRecording"], result["previewChangedRecording"], _ = watch(
                driver, args.wait, args.settle, details, "recording")

        # d. A screenshot once the page has shown the recording for a moment (elapsed time, a fresh picture).
        time.sleep(1.5)
        driver.execute_script("window.scrollTo(0, 0); if (document.activeElement) document.activeElement.blur();")
        directory = os.path.dirname(os.path.abspath(args.screenshot))
        os.makedirs(directory, exist_ok=True)
        if driver.save_screenshot(args.screenshot):
            result["screenshot"] = os.path.abspath(args.screenshot)
        collect_console(driver, result["consoleErrors"], result["networkErrors"])
        result["cspViolations"].extend(driver.execute_script("return window.__panelViolations || [];") or [])
    except WebDriverException as error:
        errors.append(str(error).splitlines()[0])
    finally:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001
            pass
        shutil.rmtree(profile, ignore_errors=True)

    # The token is a test secret, but keep it out of logs all the same (console messages quote the page's URL).
    print(json.dumps(result).replace(urllib.parse.quote(args.token, safe=""), "<token>").replace(args.token, "<token>"),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
