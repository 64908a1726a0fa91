"""An SMS provider on loopback for tests that kill or stop a worker mid-send: it records each
request's Idempotency-Key, delivers once per key (as providers that honour it do), and can hold
requests until released."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackSmsProvider:
    """``hold``: "none", "first" (the first request waits for ``release``) or "all"; ``delay``:
    seconds before each answer."""

    def __init__(self, hold: str = "none", delay: float = 0.0):
        self.requests, self.delivered = [], {}
        self.first_arrived, self.release = threading.Event(), threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers["Idempotency-Key"]
                provider.requests.append(key)
                provider.first_arrived.set()
                if hold == "all" or (hold == "first" and len(provider.requests) == 1):
                    provider.release.wait(30)
                time.sleep(delay)
                provider.delivered.setdefault(key, json.loads(body))
                answer = json.dumps({"id": f"sms-{len(provider.requests)}"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except BrokenPipeError:
                    pass  # the worker stopped at once (killed, or a second signal)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"

    def stop(self):
        self.release.set()
        self.server.shutdown()
