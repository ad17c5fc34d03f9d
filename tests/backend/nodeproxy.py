"""A JSON-RPC forwarding proxy in front of the test anvil that a test can stop and start,
so the indexer sees a node going down (connection refused) and coming back."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadingHTTPServer | None = None
        self._client = httpx.Client(timeout=10)

    def _handler(self):
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            # One request per connection: once stopped, nothing is served on a kept-alive socket.
            protocol_version = "HTTP/1.0"

            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                reply = proxy._client.post(proxy.upstream, content=body, headers={"content-type": "application/json"})
                self.send_response(reply.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, *args):
                pass

        return Forward

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
