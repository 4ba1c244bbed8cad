#!/usr/bin/env python3
"""Drives a real headless Chromium through its DevTools protocol (standard library only), for
the explorer's browser tests and scripts/screenshots.sh.

    scripts/browser.py BASE_URL [--token TOKEN] [--screenshots DIR] PATH...

Signs in by typing TOKEN into /login's form and submitting it (as a person would), then opens
each PATH in turn (a PATH `form:{"CSS selector": "value", ..., "submit": "CSS selector"}` instead
fills the current page's fields, clicks the submit control and waits until the browser settles:
another site's sign-in form, say) and prints one JSON document: for each page the URL it ended on, its title,
the rendered DOM (document.documentElement.outerHTML), whether any planted script ran
(window.__pwned), and the exceptions and console errors the page raised. With --screenshots,
also saves DIR/<n>-<name>.png of each page at 1280 px wide (and at most --height tall).
"""
import argparse
import base64
import json
import os
import pathlib
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = ["chromium", "chromium-browser", "google-chrome"]


class WebSocket:
    """A minimal RFC 6455 client: text frames out (masked), frames in (reassembled)."""

    def __init__(self, url):
        assert url.startswith("ws://")
        host_port, _, path = url[5:].partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("DevTools closed the connection during the handshake")
            response += chunk
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools refused the WebSocket: {head[:200]!r}")

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def send(self, text):
        payload = text.encode()
        header = bytearray([0x81])
        if len(payload) < 126:
            header.append(0x80 | len(payload))
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise RuntimeError("DevTools closed the WebSocket")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if first & 0x80:
                return message.decode()


class Page:
    def __init__(self, socket_url):
        self.ws = WebSocket(socket_url)
        self.next_id = 0
        self.events = []
        self.problems = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._note(message)

    def _note(self, message):
        method = message.get("method", "")
        if method == "Runtime.exceptionThrown":
            self.problems.append("exception: " + json.dumps(message["params"]["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and message["params"].get("type") == "error":
            self.problems.append("console: " + json.dumps(message["params"]["args"])[:500])
        elif method == "Log.entryAdded" and message["params"]["entry"].get("level") == "error":
            self.problems.append("log: " + message["params"]["entry"].get("text", "")[:500])
        self.events.append(method)

    def wait_for_load(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            message = json.loads(self.ws.receive())
            self._note(message)
            if message.get("method") == "Page.loadEventFired":
                return
        raise RuntimeError("the page did not load in time")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for_load()

    def fill_and_submit(self, spec):
        """Types each value into the field its selector finds, clicks `submit`, and waits for the
        navigations that follow (redirects, a refresh) to settle."""
        fields = json.loads(spec)
        submit = fields.pop("submit")
        for selector, value in fields.items():
            found = self.evaluate(f"(function(e){{ if (!e) return false; e.value = {json.dumps(value)}; return true; }})"
                                  f"(document.querySelector({json.dumps(selector)}))")
            if not found:
                raise RuntimeError(f"no field {selector} on {self.evaluate('location.href')}")
        if not self.evaluate(f"(function(e){{ if (!e) return false; e.click(); return true; }})(document.querySelector({json.dumps(submit)}))"):
            raise RuntimeError(f"no control {submit} on {self.evaluate('location.href')}")
        self.settle()

    def settle(self, timeout=30):
        deadline = time.time() + timeout
        last, since = None, time.time()
        while time.time() < deadline:
            time.sleep(0.25)
            try:
                state = self.evaluate("document.readyState + ' ' + location.href")
            except RuntimeError:
                continue
            if state != last:
                last, since = state, time.time()
            elif state and state.startswith("complete") and time.time() - since > 1.0:
                return
        raise RuntimeError("the page did not settle in time")

    def snapshot(self):
        return {
            "url": self.evaluate("location.href"),
            "title": self.evaluate("document.title"),
            "html": self.evaluate("document.documentElement.outerHTML"),
            "pwned": bool(self.evaluate("window.__pwned === true || document.documentElement.hasAttribute('data-pwned')")),
            "problems": list(self.problems),
        }


def start_chromium(profile):
    binary = next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)
    if binary is None:
        sys.exit("browser.py: no chromium on PATH (Debian: apt-get install chromium)")
    process = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--window-size=1280,900",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = pathlib.Path(profile) / "DevToolsActivePort"
    deadline = time.time() + 60
    while time.time() < deadline:
        if port_file.exists() and port_file.read_text().count("\n") >= 1:
            port = int(port_file.read_text().split("\n")[0])
            return process, port
        if process.poll() is not None:
            sys.exit(f"browser.py: chromium exited with {process.returncode}")
        time.sleep(0.1)
    process.kill()
    sys.exit("browser.py: chromium did not open its DevTools port within 60 s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--token")
    parser.add_argument("--screenshots")
    parser.add_argument("--height", type=int, default=4000, help="the tallest screenshot, in pixels")
    args = parser.parse_intermixed_args()
    profile = tempfile.mkdtemp(prefix="sensor-chromium-")
    process, port = start_chromium(profile)
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        page = Page(next(t for t in targets if t.get("type") == "page")["webSocketDebuggerUrl"])
        results = {"login": None, "pages": []}
        if args.token is not None:
            page.open(args.base + "/login")
            page.evaluate(f"document.getElementById('token').value = {json.dumps(args.token)}; "
                          "document.querySelector('form[action=\"/login\"]').submit(); true")
            page.wait_for_load()
            results["login"] = page.snapshot()
        for index, path in enumerate(args.paths):
            page.problems = []
            if path.startswith("form:"):
                page.fill_and_submit(path[len("form:"):])
            else:
                page.open(args.base + path)
            results["pages"].append(page.snapshot())
            if args.screenshots:
                height = page.evaluate(f"Math.min(document.documentElement.scrollHeight, {args.height})") or 900
                page.call("Emulation.setDeviceMetricsOverride", width=1280, height=int(height), deviceScaleFactor=1, mobile=False)
                shot = page.call("Page.captureScreenshot", format="png")
                name = path.strip("/").split("?")[0].replace("/", "-") or "overview"
                out = pathlib.Path(args.screenshots) / f"{index + 1:02d}-{name[:40]}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(base64.b64decode(shot["data"]))
                page.call("Emulation.clearDeviceMetricsOverride")
        json.dump(results, sys.stdout)
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
