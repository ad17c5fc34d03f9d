"""A small JSON-RPC client: batches, bounded retries, and a table of what nodes say.

Every error a node gives is classified from `WORDINGS` (the wordings of anvil, geth, Besu,
Nethermind, reth, OpenEthereum and the hosted gateways, each with where it comes from),
then from `CODES`, then from what kind of method was asked:

- RETRY: the node is busy, rate-limited, syncing or behind the block asked for (two
  load-balanced nodes that disagree about the head look like this), or its reply cannot
  be read or does not answer the request (a body cut short, a log from an address or a
  block that was not asked for). Retried with capped exponential backoff; past the
  retries the caller gets `RpcUnavailable`, which the indexer reports and waits out.
- SPLIT: a getLogs range (or its response) is too large for the node: `RangeTooLarge`,
  carrying the block count the node suggests when its message names one.
- BATCH: a batch is too large for the node: the client halves its batch size.
- FATAL: asking again cannot help (no such method, a disabled method, pruned history,
  refused credentials, a reverted call): `RpcError` at once.

An error nothing names is retried for the chain reads (`RETRIED_READS`: their answer
depends only on the chain, so an error is the node's trouble, as viem and Ponder treat
it) and fails fast for everything else (calls and transactions, whose errors are about
the request: a revert, a nonce).
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

log = logging.getLogger("linli.indexer.rpc")

_json_decode = msgspec.json.Decoder().decode
_json_encode = msgspec.json.Encoder().encode

RETRY, SPLIT, BATCH, FATAL = "retry", "split", "batch", "fatal"

# Reads whose answer depends only on the chain: an error nothing names is the node's trouble.
RETRIED_READS = frozenset({"eth_blockNumber", "eth_chainId", "eth_getBlockByNumber", "eth_getBlockByHash",
                           "eth_getLogs"})


@dataclass(frozen=True)
class Wording:
    """One way a node says something: a regular expression over its lower-cased message and
    data, what it means, who says it and with which code. The wording decides, not the code:
    gateways change codes more often than wordings (Infura says "range … exceeds limit" with
    -32602 where its documentation says -32005). A SPLIT pattern may name the block count
    the node accepts (`limit`), or a range it suggests (`start`, `end`, hexadecimal)."""

    outcome: str
    pattern: re.Pattern[str]
    source: str
    codes: frozenset[int] = frozenset()


def _w(outcome: str, pattern: str, source: str, *codes: int) -> Wording:
    return Wording(outcome, re.compile(pattern), source, frozenset(codes))


_NUMBER = r"(?P<limit>\d[\d,]*)"
_SUGGESTED = r"\[0x(?P<start>[0-9a-f]+),\s*0x(?P<end>[0-9a-f]+)\]"

# First match wins: a suggested range before the plain refusal that carries it.
WORDINGS: tuple[Wording, ...] = (
    # -- the getLogs range or its response is too large: split it
    _w(SPLIT, r"requested range exceeds maximum rpc range limit", "Besu (--rpc-max-logs-range)", -32005),
    _w(SPLIT, r"try with this block range " + _SUGGESTED, "Infura, thirdweb, zkSync"),
    _w(SPLIT, r"this block range should work: " + _SUGGESTED, "Alchemy"),
    _w(SPLIT, r"log response size exceeded", "Alchemy"),
    _w(SPLIT, r"query returned more than \d[\d,]* results", "geth-based gateways, Infura, Polygon zkEVM"),
    _w(SPLIT, r"maximum block range:? " + _NUMBER, "geth (--rpc.rangelimit), BSC, PublicNode"),
    _w(SPLIT, r"exceeds? max block range " + _NUMBER, "reth, Hyperliquid"),
    _w(SPLIT, r"range \d+ exceeds limit of " + _NUMBER, "Infura"),
    _w(SPLIT, r"range \d+ is bigger than range limit " + _NUMBER, "thirdweb (in the error's data)"),
    _w(SPLIT, r"is limited to (?:an? )?" + _NUMBER + r"(?: blocks?)? range", "QuickNode, BlockPI, 1RPC", -32614),
    _w(SPLIT, r"block range is too wide(?: \(maximum " + _NUMBER + r"\))?", "Ankr, Frontier (Moonbeam)", -32600),
    _w(SPLIT, r"logs matched by query exceeds limit of \d[\d,]*", "Arbitrum (Nitro)", -32000),
    _w(SPLIT, r"range too large\. max range: " + _NUMBER, "Cloudflare", -32047),
    _w(SPLIT, r"maximum allowed is " + _NUMBER + r" blocks?", "Nodies"),
    _w(SPLIT, r"please limit the query to at most " + _NUMBER + r" blocks", "Coinbase"),
    _w(SPLIT, r"exceeds the range allowed for your plan \(\d+ > " + _NUMBER + r"\)", "Blast"),
    _w(SPLIT, r"ranges over " + _NUMBER + r" blocks are not supported", "dRPC"),
    _w(SPLIT, r"block range (?:is )?too large|block range limit exceeded", "Base, Optimism, Chainstack"),
    _w(SPLIT, r"backend response too large|response size should not greater than|query exceeds max results",
       "Optimism, 1RPC, LlamaRPC"),
    _w(SPLIT, r"response too large", "geth (a batch's reply over --rpc.batch-response-max-size)", -32003),
    # -- the batch has too many requests: halve it
    _w(BATCH, r"batch too large", "geth (--rpc.batch-request-limit)", -32600),
    _w(BATCH, r"number of requests exceeds max batch size", "Besu (--rpc-http-max-batch-size)", -32005),
    # -- the node has not got the block yet (behind the node that answered eth_blockNumber)
    # (Besu, Erigon and Nethermind refuse such a range with -32602 in their own words: an
    # error nothing names, retried for a read.)
    _w(RETRY, r"block range extends beyond current head block", "geth, reth (execution-apis #875)", -32602),
    _w(RETRY, r"blockoutofrangeerror", "anvil", -32602),
    _w(RETRY, r"header not found|head block not available", "geth", -32000),
    _w(RETRY, r"unknown block|block (?:\S+ )?not found|blocks specified in filter .*cannot be found",
       "Besu, Nethermind, OpenEthereum"),
    _w(RETRY, r"initial sync is still in progress|syncing", "Besu", -32008),
    # -- busy, rate-limited, timed out
    _w(RETRY, r"rate limit|too many requests|request rate exceeded|compute units|capacity",
       "Infura, Alchemy, QuickNode and other gateways"),
    _w(RETRY, r"timed? ?out|timeout|busy|try again|temporarily unavailable|overloaded",
       "geth (request timed out), Besu (Timeout expired), gateways"),
    # -- asking again cannot help
    _w(FATAL, r"pruned history unavailable", "geth (history expiry)", 4444),
    _w(FATAL, r"unauthori[sz]ed|authenticate|api key|access denied|forbidden", "Ankr, Besu, gateways"),
    _w(FATAL, r"method not enabled|does not exist/is not available|method not found|not supported",
       "Besu, geth, anvil"),
    _w(FATAL, r"revert", "every node (eth_call, eth_estimateGas)"),
)

# Codes that decide when no wording did (JSON-RPC 2.0, EIP-1474, Besu, geth).
CODES: dict[int, str] = {
    -32700: FATAL,  # parse error: the node could not read our request
    -32601: FATAL,  # method not found
    -32604: FATAL,  # Besu: method not enabled
    -32006: FATAL,  # JSON-RPC version not supported
    4444: FATAL,  # geth: pruned history
    -40100: FATAL,  # Besu: unauthorized
    -32005: RETRY,  # limit exceeded (Infura's rate limit)
    -32603: RETRY,  # internal error
    -32002: RETRY,  # geth: request timed out
    429: RETRY,
}


def classify(error: Any, method: str) -> tuple[str, Wording | None, re.Match[str] | None]:
    """(outcome, the wording that decided, its match) for a JSON-RPC error object."""
    if not isinstance(error, dict):
        return (RETRY if method in RETRIED_READS else FATAL), None, None
    code = error.get("code")
    text = str(error.get("message", ""))
    data = error.get("data")  # thirdweb says why in the data, under a bare "invalid params"
    if data is not None:
        text += " " + (data if isinstance(data, str) else _json_encode(data).decode())
    text = text.lower()
    for wording in WORDINGS:
        match = wording.pattern.search(text)
        if match is not None:
            return wording.outcome, wording, match
    if code in CODES:
        return CODES[code], None, None
    return (RETRY if method in RETRIED_READS else FATAL), None, None


def suggested_blocks(match: re.Match[str] | None) -> int | None:
    """The block count a SPLIT wording names (a limit, or a suggested range's length)."""
    if match is None:
        return None
    groups = match.groupdict()
    if groups.get("limit"):
        return max(1, int(groups["limit"].replace(",", "")))
    if groups.get("start") and groups.get("end"):
        return max(1, int(groups["end"], 16) - int(groups["start"], 16) + 1)
    return None


class RpcError(RuntimeError):
    """A JSON-RPC error that asking again cannot fix (`method`: what was asked, when known)."""

    def __init__(self, message: str, code: int | None = None, method: str | None = None):
        super().__init__(message)
        self.code = code
        self.method = method


class RangeTooLarge(RpcError):
    """The node refused a block range (or its response) as too large: split it, to at most
    `limit` blocks when the node named a size."""

    def __init__(self, message: str, code: int | None = None, limit: int | None = None):
        super().__init__(message, code, "eth_getLogs")
        self.limit = limit


class RpcUnavailable(RuntimeError):
    """The node gave no usable answer after every retry (down, overloaded, behind, or
    answering something else than was asked)."""


class BadReply(Exception):
    """A reply that does not answer its request (retried like a transient fault)."""


class _Retryable(Exception):
    pass


class _BatchTooLarge(Exception):
    pass


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return repr(error)[:300]
    data = error.get("data")
    return f"{error.get('code')} {error.get('message', '')}" + (f" ({str(data)[:200]})" if data else "")


# ---------------------------------------------------------------------- reply checks

def _quantity(params: Sequence[Any], result: Any) -> Any:
    if not isinstance(result, str) or not result.startswith("0x"):
        raise BadReply(f"a quantity that is not hexadecimal: {result!r:.80}")
    try:
        int(result, 16)
    except ValueError:
        raise BadReply(f"a quantity that is not hexadecimal: {result!r:.80}") from None
    return result


def _header(params: Sequence[Any], result: Any) -> Any:
    if result is None:
        return None  # a block the node does not have
    try:
        number = int(result["number"], 16)
        for key in ("hash", "parentHash", "timestamp"):
            if not isinstance(result[key], str):
                raise TypeError(key)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadReply(f"a block without a readable {exc}") from None
    asked = params[0] if params else None
    if isinstance(asked, str) and asked.startswith("0x") and int(asked, 16) != number:
        raise BadReply(f"block {number} in answer to block {int(asked, 16)}")
    return result


_CHECKS: dict[str, Callable[[Sequence[Any], Any], Any]] = {
    "eth_blockNumber": _quantity, "eth_chainId": _quantity, "eth_getBlockByNumber": _header,
}


class Logs(list):
    """The logs of a getLogs reply, checked; `blocks` maps each block they are in to its
    hash (one pass over the logs serves the check and the caller's header comparison)."""

    blocks: dict[int, str]


def check_logs(logs: Any, addresses: frozenset[str], from_block: int, to_block: int,
               topics: Sequence[Any] | None = None) -> Logs:
    """The logs of a getLogs reply, checked against the request: each from an address asked
    for, in the block range, matching the topics asked for, one hash per block; a log
    listed twice identically is kept once (listed twice differently, the reply is refused).
    Raises BadReply.

    On the indexer's hot path: nodes list logs in chain order, so one pass checks that each
    comes after the one before (which no log listed twice can) with a few lookups per log
    and nothing allocated; only a reply out of order goes through `_check_unordered`."""
    if not isinstance(logs, list):
        raise BadReply(f"eth_getLogs answered with {type(logs).__name__}, not a list")
    blocks: dict[str, str] = {}
    block, block_hash, index = None, None, -1
    try:
        for entry in logs:
            if entry["blockNumber"] != block:
                block = entry["blockNumber"]
                if block in blocks or (blocks and int(block, 16) < int(next(reversed(blocks)), 16)):
                    return _check_unordered(logs, addresses, from_block, to_block, topics)
                block_hash = blocks[block] = entry["blockHash"]
                if not isinstance(block_hash, str) or not from_block <= int(block, 16) <= to_block:
                    raise BadReply(f"a log of block {block} ({block_hash}), outside blocks {from_block}..{to_block}")
                index = -1
            elif entry["blockHash"] != block_hash:
                raise BadReply(f"logs of block {int(block, 16)} with two block hashes")
            address = entry["address"]
            if address not in addresses and address.lower() not in addresses:
                raise BadReply(f"a log of {address}, an address not asked for")
            if topics and not _topics_match(topics, entry["topics"]):
                raise BadReply(f"a log whose topics were not asked for: {entry['topics']}")
            position = int(entry["logIndex"], 16)
            if position <= index:
                return _check_unordered(logs, addresses, from_block, to_block, topics)
            index = position
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise BadReply(f"a log without a readable {exc}: {str(entry)[:200]}") from None
    checked = Logs(logs)
    checked.blocks = {int(number, 16): block_hash for number, block_hash in blocks.items()}
    return checked


def _check_unordered(logs: list, addresses: frozenset[str], from_block: int, to_block: int,
                     topics: Sequence[Any] | None) -> Logs:
    """check_logs for a reply not in chain order: each log by its place, a log listed twice
    identically kept once, then the logs in chain order."""
    blocks: dict[str, str] = {}
    at: dict[tuple[int, int], dict[str, Any]] = {}
    for entry in logs:
        try:
            block, block_hash = entry["blockNumber"], entry["blockHash"]
            number, position = int(block, 16), int(entry["logIndex"], 16)
            if not isinstance(block_hash, str) or not from_block <= number <= to_block:
                raise BadReply(f"a log of block {block} ({block_hash}), outside blocks {from_block}..{to_block}")
            if blocks.setdefault(block, block_hash) != block_hash:
                raise BadReply(f"logs of block {number} with two block hashes")
            address = entry["address"]
            if address not in addresses and address.lower() not in addresses:
                raise BadReply(f"a log of {address}, an address not asked for")
            if topics and not _topics_match(topics, entry["topics"]):
                raise BadReply(f"a log whose topics were not asked for: {entry['topics']}")
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise BadReply(f"a log without a readable {exc}: {str(entry)[:200]}") from None
        first = at.setdefault((number, position), entry)
        if first is not entry:
            if first != entry:
                raise BadReply(f"two different logs at index {position} of block {number}")
            log.warning("the node listed the log at index %d of block %d twice in one reply; kept once", position,
                        number)
    checked = Logs(at[place] for place in sorted(at))
    checked.blocks = {int(number, 16): block_hash for number, block_hash in blocks.items()}
    return checked


def _topics_match(asked: Sequence[Any], topics: Sequence[str]) -> bool:
    for position, wanted in enumerate(asked):
        if wanted is None:
            continue
        if position >= len(topics):
            return False
        options = wanted if isinstance(wanted, list) else [wanted]
        if topics[position].lower() not in {option.lower() for option in options}:
            return False
    return True


# ---------------------------------------------------------------------- the client

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

    def _exchange(self, payload: Any, accept: Callable[[Any], Any], *, batch: bool = False) -> Any:
        """POST `payload`, then `accept(decoded body)`; transient faults (and BadReply) are
        retried with backoff, then become RpcUnavailable."""
        body = _json_encode(payload)
        attempt = 0
        while True:
            try:
                self.requests_sent += 1
                response = self._http.post(self.url, content=body)
                return accept(self._decode(response, batch))
            except (httpx.TimeoutException, httpx.TransportError, _Retryable, BadReply) as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise RpcUnavailable(f"{self.url}: {exc.__class__.__name__}: {exc} "
                                         f"(after {self.max_retries} retries)") from exc
                time.sleep(min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)))

    def _decode(self, response: httpx.Response, batch: bool) -> Any:
        status = response.status_code
        try:
            decoded = _json_decode(response.content)
        except (msgspec.DecodeError, UnicodeDecodeError):
            decoded = None
        if status == 200:
            if decoded is None:
                raise _Retryable(f"a reply that is not JSON ({len(response.content)} bytes, maybe cut short)")
            return decoded
        # A gateway may send a JSON-RPC error with an HTTP error status (QuickNode: 413).
        if isinstance(decoded, (dict, list)) and _holds_error(decoded):
            return decoded
        if status in (401, 403, 404, 405, 501, 505) or (400 <= status < 500 and status not in (408, 413, 425, 429)):
            raise RpcError(f"HTTP {status}: {response.text[:200]}")
        if status == 413 and batch:
            raise _BatchTooLarge(f"HTTP {status}")
        raise _Retryable(f"HTTP {status}")

    def _refuse(self, method: str, error: Any, *, in_batch: bool) -> None:
        """Raise what a JSON-RPC error to `method` means (never returns)."""
        outcome, wording, match = classify(error, method)
        said = f"{method}: {_describe(error)}" + (f" [{wording.source}]" if wording else "")
        code = error.get("code") if isinstance(error, dict) else None
        if outcome == RETRY:
            raise _Retryable(said)
        if outcome in (SPLIT, BATCH) and in_batch:
            raise _BatchTooLarge(said)
        if outcome == SPLIT and method == "eth_getLogs":
            raise RangeTooLarge(said, code, suggested_blocks(match))
        if outcome in (SPLIT, BATCH):
            raise _Retryable(said)  # a size refusal of a single small call: the node's trouble
        # The node's message last, as it gave it: the relayer reads a revert's reason from the end.
        message = error.get("message", "") if isinstance(error, dict) else error
        raise RpcError(f"JSON-RPC error {code}: {message}", code, method)

    # ------------------------------------------------------------------ calls

    def call(self, method: str, params: Sequence[Any] = (), *, check: Callable[[Sequence[Any], Any], Any] | None = None,
             retry_errors: bool = True) -> Any:
        """One call. `check(params, result)` returns the result or raises BadReply (retried).
        With `retry_errors=False` any JSON-RPC error is an RpcError at once (a probe)."""
        params = list(params)
        check = check or _CHECKS.get(method)

        def accept(reply: Any) -> Any:
            if not isinstance(reply, dict) or ("result" not in reply and not reply.get("error")):
                raise BadReply(f"{method} answered with {str(reply)[:200]}")
            if reply.get("error"):
                if not retry_errors:
                    error = reply["error"] if isinstance(reply["error"], dict) else {"message": reply["error"]}
                    raise RpcError(f"JSON-RPC error {error.get('code')}: {error.get('message', '')}",
                                   error.get("code"))
                self._refuse(method, reply["error"], in_batch=False)
            return check(params, reply["result"]) if check is not None else reply["result"]

        return self._exchange({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}, accept)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many calls, `batch_size` per HTTP request (halved while the node refuses a batch
        as too large); results in the order of `calls`."""
        results: list[Any] = []
        start = 0
        while start < len(calls):
            chunk = calls[start : start + self.batch_size]
            try:
                results.extend(self._batch_chunk(chunk))
            except _BatchTooLarge as exc:
                if len(chunk) == 1:
                    raise RpcError(f"the node refuses even a single call as too large: {exc}") from exc
                self.batch_size = max(1, len(chunk) // 2)
                log.info("the node refused a batch of %d calls (%s); now %d per batch", len(chunk), exc,
                         self.batch_size)
                continue
            start += len(chunk)
        return results

    def _batch_chunk(self, chunk: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        first = next(self._ids)
        payload = [{"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(params)}
                   for i, (method, params) in enumerate(chunk)]
        for _ in range(len(chunk) - 1):
            next(self._ids)

        def accept(answer: Any) -> list[Any]:
            if isinstance(answer, dict):  # one error object for the whole batch (geth, Besu)
                if answer.get("error"):
                    self._refuse(chunk[0][0], answer["error"], in_batch=len(chunk) > 1)
                raise BadReply(f"a batch answered with one object: {str(answer)[:200]}")
            if not isinstance(answer, list):
                raise BadReply(f"a batch answered with {type(answer).__name__}")
            by_id = {item.get("id"): item for item in answer if isinstance(item, dict)}
            replies = [by_id.get(first + i) for i in range(len(chunk))]
            if any(reply is None for reply in replies):
                raise BadReply(f"a batch of {len(chunk)} calls answered with {len(by_id)} replies")
            fatal: RpcError | None = None
            for (method, _), reply in zip(chunk, replies):
                if reply.get("error"):
                    try:
                        self._refuse(method, reply["error"], in_batch=len(chunk) > 1)
                    except RpcError as exc:
                        fatal = fatal or exc  # a retryable or too-large error elsewhere decides first
            if fatal is not None:
                raise fatal
            out = []
            for (method, params), reply in zip(chunk, replies):
                if "result" not in reply:
                    raise BadReply(f"{method} answered with {str(reply)[:200]}")
                check = _CHECKS.get(method)
                out.append(check(params, reply["result"]) if check is not None else reply["result"])
            return out

        return self._exchange(payload, accept, batch=True)

    # ------------------------------------------------------------------ helpers

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def get_logs(self, addresses: Sequence[str], from_block: int, to_block: int,
                 topics: Sequence[Any] | None = None) -> Logs:
        """The logs of `addresses` in blocks from_block..to_block, checked against the request
        (check_logs; a reply that does not answer it is asked again)."""
        query: dict[str, Any] = {"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        if topics:
            query["topics"] = list(topics)
        asked = frozenset(a.lower() for a in addresses)
        return self.call("eth_getLogs", [query],
                         check=lambda params, logs: check_logs(logs, asked, from_block, to_block, topics))

    def headers(self, numbers: Sequence[int]) -> dict[int, dict[str, Any] | None]:
        """Block headers (no transactions) by number, batched; None for a block the node lacks."""
        replies = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return dict(zip(numbers, replies))


def _holds_error(decoded: Any) -> bool:
    if isinstance(decoded, dict):
        return bool(decoded.get("error"))
    return any(isinstance(item, dict) and item.get("error") for item in decoded)
