"""The RPC client's fault policy against a scripted JSON-RPC server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backend.indexer.rpc import RangeTooLarge, RpcClient, RpcError, RpcUnavailable
from tests.backend.nodeproxy import free_port


class ScriptedNode:
    """Answers each request with the next scripted reply: (status, body) or ("sleep", seconds)."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = 0
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                payload = json.loads(self.rfile.read(int(self.headers["content-length"])))
                node.requests += 1
                step = node.script.pop(0) if node.script else (200, {"result": "0x10"})
                if step[0] == "sleep":
                    time.sleep(step[1])
                    step = (200, {"result": "0x10"})
                status, body = step
                if isinstance(payload, list):
                    body = [{"jsonrpc": "2.0", "id": p["id"], **body} for p in payload]
                else:
                    body = {"jsonrpc": "2.0", "id": payload["id"], **body}
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def node(request):
    made = []

    def _make(*script):
        made.append(ScriptedNode(script))
        return made[-1]

    yield _make
    for n in made:
        n.close()


def client(url, **kw):
    return RpcClient(url, timeout_s=kw.pop("timeout_s", 2), max_retries=kw.pop("max_retries", 3), backoff_s=0.01,
                     backoff_max_s=0.02, **kw)


@pytest.mark.parametrize("fault", [(429, {}), (503, {}), (502, {}),
                                   (200, {"error": {"code": -32005, "message": "rate limit exceeded"}})],
                         ids=["http-429", "http-503", "http-502", "rpc-rate-limit"])
def test_transient_faults_are_retried(node, fault):
    server = node(fault, fault)
    assert client(server.url).block_number() == 16
    assert server.requests == 3


def test_a_timeout_is_retried(node):
    server = node(("sleep", 1.0))
    assert client(server.url, timeout_s=0.3).block_number() == 16
    assert server.requests == 2


@pytest.mark.parametrize("fault", [(400, {}), (200, {"error": {"code": -32602, "message": "invalid params"}}),
                                   (200, {"error": {"code": -32601, "message": "method not found"}})],
                         ids=["http-400", "invalid-params", "unknown-method"])
def test_errors_that_cannot_succeed_fail_fast(node, fault):
    server = node(fault)
    with pytest.raises(RpcError) as raised:
        client(server.url).block_number()
    assert not isinstance(raised.value, RangeTooLarge)
    assert server.requests == 1


def test_a_range_refused_as_too_large_is_named(node):
    server = node((200, {"error": {"code": -32005, "message": "query returned more than 10000 results"}}))
    with pytest.raises(RangeTooLarge):
        client(server.url).get_logs(["0x" + "1" * 40], 0, 100_000)
    assert server.requests == 1


def test_a_dead_node_raises_unavailable_after_the_retries():
    dead = RpcClient(f"http://127.0.0.1:{free_port()}", timeout_s=0.5, max_retries=2, backoff_s=0.01,
                     backoff_max_s=0.02)
    with pytest.raises(RpcUnavailable):
        dead.block_number()
    assert dead.requests_sent == 3


def test_batches_keep_the_order_of_the_calls(node):
    server = node()
    replies = client(server.url, batch_size=2).batch([("eth_blockNumber", [])] * 5)
    assert replies == ["0x10"] * 5
    assert server.requests == 3
