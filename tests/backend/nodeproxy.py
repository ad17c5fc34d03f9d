"""A JSON-RPC proxy in front of the test anvil that a test can stop, start and make misbehave.

Stopped, the indexer sees a node going down (connection refused) and coming back. With
faults installed, it sees the replies real nodes and gateways give: a refusal with a
client's own wording (`refuse`), a changed result (`rewrite`: a head one block ahead, a
log listed twice), a body cut short (`truncate`), a node a few blocks behind the one that
answered `eth_blockNumber` (`lagging`), a batch refused as too large (`batch_limit`).

A fault sees each call (each request of a batch too) of its method, `times` times (None:
every time) while `when(params)` holds; `fired` counts the calls it changed, so a test can
check its fault really happened. Calls no fault wants go to anvil as they came.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

Call = dict[str, Any]
Reply = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Fault:
    """Changes the replies to `times` calls of `method` (None: all of them)."""

    status = 200  # the HTTP status of a reply that holds a changed call
    truncate = False  # the reply's body cut in half
    methods: tuple[str, ...] = ()

    def __init__(self, method: str, *, times: int | None = 1, when: Callable[[list], bool] | None = None):
        self.methods = self.methods or (method,)
        self.times = times
        self.when = when
        self.fired = 0

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def wants(self, call: Call) -> bool:
        if call.get("method") not in self.methods or self.spent:
            return False
        return self.when is None or bool(self.when(call.get("params", [])))

    def answer(self, call: Call, forward: Callable[[Call], Reply]) -> Reply:
        return forward(call)


class refuse(Fault):  # noqa: N801 - read as a verb where a test installs it
    """Answers with a JSON-RPC error (the node's own wording), without asking anvil."""

    def __init__(self, method: str, code: int, message: str, *, data: Any = None, status: int = 200, **kw):
        super().__init__(method, **kw)
        self.error = {"code": code, "message": message, **({"data": data} if data is not None else {})}
        self.status = status

    def answer(self, call, forward):
        return {"jsonrpc": "2.0", "id": call.get("id"), "error": self.error}


class rewrite(Fault):  # noqa: N801
    """Anvil's result, changed by `change(params, result)`."""

    def __init__(self, method: str, change: Callable[[list, Any], Any], **kw):
        super().__init__(method, **kw)
        self.change = change

    def answer(self, call, forward):
        reply = forward(call)
        if "result" in reply:
            reply = {**reply, "result": self.change(call.get("params", []), reply["result"])}
        return reply


class truncate(Fault):  # noqa: N801
    """Anvil's reply, its body cut in half (HTTP 200): a connection dropped mid-answer."""

    truncate = True


def _anvil_head(forward: Callable[[Call], Reply]) -> int:
    return int(forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})["result"], 16)


def _logs_of_a_node_at(head: int, call: Call, forward: Callable[[Call], Reply], fault: Fault) -> Reply:
    """eth_getLogs as anvil answers it on a node whose head is `head`: a range reaching past
    it silently cut there, one starting past it refused (BlockOutOfRange)."""
    query = dict(call["params"][0])
    start, end = int(query["fromBlock"], 16), int(query["toBlock"], 16)
    if start > head:
        fault.refused += 1
        return {"jsonrpc": "2.0", "id": call.get("id"), "error": {
            "code": -32602, "message": f"BlockOutOfRangeError: block height is {head} but requested was {start}"}}
    if end > head:
        fault.cut += 1
        query["toBlock"] = hex(head)
    return forward({**call, "params": [query]})


class lagging(Fault):  # noqa: N801
    """eth_getLogs answered by a node `blocks` behind anvil (a load balancer's other node),
    while the other methods still reach anvil, the node ahead."""

    def __init__(self, blocks: int = 1, **kw):
        super().__init__("eth_getLogs", **kw)
        self.blocks = blocks
        self.cut = self.refused = 0

    def answer(self, call, forward):
        return _logs_of_a_node_at(_anvil_head(forward) - self.blocks, call, forward, self)


class syncing(Fault):  # noqa: N801
    """Every read answered by a node `blocks` behind anvil (syncing, or the load balancer's
    slow node): its head, no block above it, its logs."""

    methods = ("eth_blockNumber", "eth_getBlockByNumber", "eth_getLogs")

    def __init__(self, blocks: int, **kw):
        super().__init__("", **kw)
        self.blocks = blocks
        self.cut = self.refused = 0

    def answer(self, call, forward):
        head = _anvil_head(forward) - self.blocks
        method, params = call["method"], call.get("params", [])
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": call.get("id"), "result": hex(head)}
        if method == "eth_getLogs":
            return _logs_of_a_node_at(head, call, forward, self)
        tag = params[0] if params else "latest"
        number = head if tag in ("latest", "safe", "pending") else int(tag, 16) if tag.startswith("0x") else None
        if number is not None and number > head:
            return {"jsonrpc": "2.0", "id": call.get("id"), "result": None}
        if tag in ("latest", "pending"):
            call = {**call, "params": [hex(head), *params[1:]]}
        return forward(call)


class NodeProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: list[Fault] = []
        # A batch of more calls than this is refused with one error object (geth's way).
        self.batch_limit: int | None = None
        self.batch_refusal: dict[str, Any] = {"code": -32600, "message": "batch too large"}
        self.batches_refused = 0
        self._server: ThreadingHTTPServer | None = None
        self._client = httpx.Client(timeout=10)
        self._lock = threading.Lock()

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.batch_limit = None

    def _forward(self, payload: Any) -> Any:
        return self._client.post(self.upstream, content=json.dumps(payload),
                                 headers={"content-type": "application/json"}).json()

    def _answer(self, payload: Any) -> tuple[int, bytes]:
        calls = payload if isinstance(payload, list) else [payload]
        if isinstance(payload, list) and self.batch_limit is not None and len(calls) > self.batch_limit:
            self.batches_refused += 1
            return 200, json.dumps({"jsonrpc": "2.0", "id": calls[0].get("id"), "error": self.batch_refusal}).encode()
        replies: list[Reply | None] = [None] * len(calls)
        status, cut = 200, False
        untouched = []
        for i, call in enumerate(calls):
            with self._lock:
                fault = next((f for f in self.faults if f.wants(call)), None)
                if fault is not None:
                    fault.fired += 1
            if fault is None:
                untouched.append(i)
                continue
            replies[i] = fault.answer(call, self._forward)
            status, cut = max(status, fault.status), cut or fault.truncate
        if untouched:
            answered = self._forward([calls[i] for i in untouched])
            by_id = {reply.get("id"): reply for reply in answered}
            for i in untouched:
                replies[i] = by_id[calls[i].get("id")]
        body = json.dumps(replies if isinstance(payload, list) else replies[0]).encode()
        return status, body[: len(body) // 2] if cut else body

    def _handler(self):
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            # One request per connection: once stopped, nothing is served on a kept-alive socket.
            protocol_version = "HTTP/1.0"

            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, raw = proxy._answer(json.loads(body))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

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
