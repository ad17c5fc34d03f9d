"""A small JSON-RPC client: batches, retries with backoff, fails fast, names range errors.

- Timeouts, refused connections, HTTP 429 and 5xx, and JSON-RPC "limit"/"busy"
  errors are retried with exponential backoff (capped); past the retries the caller
  gets `RpcUnavailable`, which the indexer reports as an unhealthy node and waits.
- A node that refuses a getLogs range as too large raises `RangeTooLarge`, so the
  caller can split the range.
- Every other error (invalid params, unknown method, a 4xx) raises `RpcError` at once:
  retrying cannot help.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import httpx
import msgspec

_json_decode = msgspec.json.Decoder().decode
_json_encode = msgspec.json.Encoder().encode

# Phrases nodes use when a getLogs range or its response is too large
# (geth, erigon, besu, anvil, alchemy/infura-style gateways).
_RANGE_PHRASES = (
    "query returned more than",
    "block range",
    "range too large",
    "range is too large",
    "too many blocks",
    "exceed maximum block range",
    "log response size exceeded",
    "response size",
    "too many results",
    "max results",
)
_RETRYABLE_CODES = {-32005, -32603, 429}  # limit exceeded / internal / rate limited
_RETRYABLE_PHRASES = ("rate limit", "too many requests", "timeout", "timed out", "busy", "try again")


class RpcError(RuntimeError):
    """A JSON-RPC error that retrying cannot fix."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class RangeTooLarge(RpcError):
    """The node refused a block range (or its response) as too large: split it."""


class RpcUnavailable(RuntimeError):
    """The node did not answer after every retry (down, overloaded or unreachable)."""


class _Retryable(Exception):
    pass


def _classify(error: dict[str, Any]) -> RpcError | _Retryable:
    code = error.get("code")
    message = str(error.get("message", ""))
    lowered = message.lower()
    if any(p in lowered for p in _RETRYABLE_PHRASES):
        return _Retryable(f"{code}: {message}")
    if any(p in lowered for p in _RANGE_PHRASES):
        return RangeTooLarge(message, code)
    if code in _RETRYABLE_CODES:
        return _Retryable(f"{code}: {message}")
    return RpcError(f"JSON-RPC error {code}: {message}", code)


class RpcClient:
    """JSON-RPC over HTTP with keep-alive, batching and bounded retries."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        max_retries: int = 5,
        backoff_s: float = 0.25,
        backoff_max_s: float = 8.0,
        batch_size: int = 500,
    ):
        self.url = url
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.batch_size = batch_size
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout_s, headers={"content-type": "application/json"})
        self.requests_sent = 0

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ transport

    def _post(self, payload: Any) -> Any:
        """POST with retries on transient faults; returns the decoded JSON body."""
        body = _json_encode(payload)
        attempt = 0
        while True:
            try:
                self.requests_sent += 1
                response = self._http.post(self.url, content=body)
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise RpcError(f"HTTP {response.status_code}: {response.text[:200]}")
                decoded = _json_decode(response.content)
                errors = [decoded] if isinstance(decoded, dict) else decoded
                for item in errors:
                    if isinstance(item, dict) and item.get("error"):
                        classified = _classify(item["error"])
                        if isinstance(classified, _Retryable):
                            raise classified
                return decoded
            except (httpx.TimeoutException, httpx.TransportError, _Retryable) as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise RpcUnavailable(f"{self.url}: {exc.__class__.__name__}: {exc}") from exc
                time.sleep(min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)))

    @staticmethod
    def _result(item: dict[str, Any]) -> Any:
        if item.get("error"):
            classified = _classify(item["error"])
            raise classified if isinstance(classified, RpcError) else RpcError(str(classified))
        return item.get("result")

    # ------------------------------------------------------------------ calls

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        return self._result(self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many calls, `batch_size` per HTTP request; results in the order of `calls`."""
        results: list[Any] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            first = next(self._ids)
            payload = [
                {"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(params)}
                for i, (method, params) in enumerate(chunk)
            ]
            for _ in range(len(chunk) - 1):
                next(self._ids)
            answer = self._post(payload)
            if isinstance(answer, dict):  # a node that answers a batch with one error object
                self._result(answer)
                raise RpcError(f"batch answered with a single object: {answer}")
            by_id = {item.get("id"): item for item in answer}
            results.extend(self._result(by_id.get(first + i, {"error": {"code": -1, "message": "missing reply"}}))
                           for i in range(len(chunk)))
        return results

    # ------------------------------------------------------------------ helpers

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def get_logs(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        return self.call(
            "eth_getLogs",
            [{"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}],
        )

    def headers(self, numbers: Sequence[int]) -> dict[int, dict[str, Any] | None]:
        """Block headers (no transactions) by number, batched; None for a block the node lacks."""
        replies = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return dict(zip(numbers, replies))
