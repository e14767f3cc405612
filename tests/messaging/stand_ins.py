"""Local HTTP servers standing in for what cannot be reached from here: Twilio's REST API,
and a push service (the endpoint a browser's push subscription names). They record every
request as it arrived, so a test checks what the real twilio and pywebpush packages sent."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer):
        self.requests = []
        self.answer = answer  # request -> (status, headers, body bytes)
        super().__init__(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        self.server.requests.append(request)
        status, headers, payload = self.server.answer(request)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle

    def log_message(self, *args):
        pass


def form(request):
    return {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}


def twilio_answer(request):
    """Twilio's answer to creating a message (its JSON shape, the fields the package reads),
    or its error for a number that cannot take texts (+15005550009, Twilio's own test number
    for that)."""
    if request["method"] == "POST":
        params = form(request)
        if params.get("To") == "+15005550009":
            error = {"code": 21614, "message": "'To' number is not a valid mobile number", "status": 400}
            return 400, {"Content-Type": "application/json"}, json.dumps(error).encode()
        sid = f"SM{len(request['body']):032x}"
        message = {"sid": sid, "status": "queued", "to": params.get("To"), "body": params.get("Body"), "date_created": None}
        return 201, {"Content-Type": "application/json"}, json.dumps(message).encode()
    return 200, {"Content-Type": "application/json"}, json.dumps({"messages": [], "next_page_uri": None}).encode()
