"""The RPC client's fault policy against a scripted JSON-RPC server: every node error is
retried, split or fatal by the table in rpc.py, and each wording in that table is tested
here with a reply a real node or gateway gives (the source is named beside it)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backend.indexer.rpc import (
    BATCH,
    FATAL,
    RETRY,
    SPLIT,
    WORDINGS,
    RangeTooLarge,
    RpcClient,
    RpcError,
    RpcUnavailable,
    classify,
)
from tests.backend.nodeproxy import free_port


class ScriptedNode:
    """Answers each request with the next scripted step: (status, body) where body is merged
    into each reply (a dict), or ("sleep", seconds), or ("raw", status, bytes), or a function
    of the request returning (status, bytes). Past the script: (200, {"result": "0x10"})."""

    def __init__(self, script, default=(200, {"result": "0x10"})):
        self.script = list(script)
        self.default = default
        self.requests = 0
        self.payloads = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                payload = json.loads(self.rfile.read(int(self.headers["content-length"])))
                node.requests += 1
                node.payloads.append(payload)
                step = node.script.pop(0) if node.script else node.default
                if not callable(step) and step[0] == "sleep":
                    time.sleep(step[1])
                    step = node.default
                if callable(step):
                    status, raw = step(payload)
                elif step[0] == "raw":
                    status, raw = step[1], step[2]
                else:
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

    def _make(*script, default=(200, {"result": "0x10"})):
        made.append(ScriptedNode(script, default))
        return made[-1]

    yield _make
    for n in made:
        n.close()


def client(url, **kw):
    return RpcClient(url, timeout_s=kw.pop("timeout_s", 2), max_retries=kw.pop("max_retries", 3), backoff_s=0.01,
                     backoff_max_s=0.02, **kw)


CONTRACT = "0x" + "aa" * 20


def a_log(block=5, index=0, address=CONTRACT, data="0x"):
    return {"address": address, "blockNumber": hex(block), "blockHash": "0x" + "22" * 32, "logIndex": hex(index),
            "transactionHash": "0x" + "11" * 32, "transactionIndex": "0x0", "data": data,
            "topics": ["0x" + "33" * 32], "removed": False}


# ---------------------------------------------------------------------- the table, reply by reply

# (source, HTTP status, the error object the node sends, outcome, block count it suggests)
REPLIES = [
    ("Besu", 200, {"code": -32005, "message": "Requested range exceeds maximum RPC range limit"}, SPLIT, None),
    ("Infura (documented)", 200, {"code": -32005, "message": "query returned more than 10000 results. Try with "
                                  "this block range [0x800000, 0x800054]."}, SPLIT, 0x55),
    ("Infura (live)", 200, {"code": -32602, "message": "range 1000000 exceeds limit of 10000"}, SPLIT, 10_000),
    ("thirdweb", 200, {"code": -32602, "message": "invalid params",
                       "data": "range 20000 is bigger than range limit 2000"}, SPLIT, 2000),
    ("thirdweb", 200, {"code": -32602, "message": "invalid params", "data": "Query returned more than 10000 "
                       "results. Try with this block range [0x800000, 0x800054]."}, SPLIT, 0x55),
    ("Alchemy", 200, {"code": -32602, "message": "Log response size exceeded. You can make eth_getLogs requests "
                      "with up to a 2K block range and no limit on the response size, or you can request any block "
                      "range with a cap of 10K logs in the response. Based on your parameters and the response "
                      "size limit, this block range should work: [0x112a880, 0x112a907]"}, SPLIT, 0x88),
    ("Alchemy (free tier)", 200, {"code": -32600, "message": "You can make eth_getLogs requests with up to a 500 "
                                  "block range. Based on your parameters, this block range should work: "
                                  "[0x123c9b2, 0x123cba5]"}, SPLIT, 500),
    ("Alchemy (no suggestion)", 200, {"code": -32602, "message": "Log response size exceeded."}, SPLIT, None),
    ("geth-based, Polygon zkEVM", 200, {"code": -32005, "message": "query returned more than 10000 results"},
     SPLIT, None),
    ("geth --rpc.rangelimit", 200, {"code": -32602, "message": "exceed maximum block range 5000"}, SPLIT, 5000),
    ("PublicNode", 200, {"code": -32701, "message": "exceed maximum block range: 50000"}, SPLIT, 50_000),
    ("reth, Hyperliquid", 200, {"code": -32602, "message": "query exceeds max block range 100000"}, SPLIT,
     100_000),
    ("QuickNode (HTTP 413)", 413, {"code": -32614, "message": "eth_getLogs is limited to a 10,000 range"}, SPLIT,
     10_000),
    ("BlockPI", 200, {"code": -32602, "message": "eth_getLogs is limited to 1024 block range"}, SPLIT, 1024),
    ("1RPC", 200, {"code": -32000, "message": "eth_getLogs is limited to a 10000 blocks range"}, SPLIT, 10_000),
    ("Ankr", 200, {"code": -32600, "message": "block range is too wide"}, SPLIT, None),
    ("Frontier (Moonbeam)", 200, {"code": -32603, "message": "block range is too wide (maximum 1024)"}, SPLIT, 1024),
    ("Arbitrum", 200, {"code": -32000, "message": "logs matched by query exceeds limit of 10000"}, SPLIT, None),
    ("Cloudflare", 200, {"code": -32047, "message": "Invalid eth_getLogs request. 'fromBlock'-'toBlock' range too "
                         "large. Max range: 800"}, SPLIT, 800),
    ("Nodies", 200, {"code": -32001, "message": "Block range too large: maximum allowed is 50 blocks on your "
                     "current plan. Upgrade your subscription at https://nodies.app for larger ranges."}, SPLIT, 50),
    ("Coinbase", 200, {"code": -32000, "message": "please limit the query to at most 1000 blocks"}, SPLIT, 1000),
    ("Blast", 200, {"code": -32000, "message": "eth_getLogs exceeds the range allowed for your plan (5000 > 500)."},
     SPLIT, 500),
    ("dRPC", 200, {"code": 35, "message": "ranges over 10000 blocks are not supported on freetier"}, SPLIT, 10_000),
    ("Base", 200, {"code": -32000, "message": "block range too large"}, SPLIT, None),
    ("Optimism", 200, {"code": -32000, "message": "Block range is too large"}, SPLIT, None),
    ("Chainstack", 200, {"code": -32000, "message": "Block range limit exceeded."}, SPLIT, None),
    ("Optimism", 200, {"code": -32000, "message": "backend response too large"}, SPLIT, None),
    ("geth (batch reply)", 200, {"code": -32003, "message": "response too large"}, SPLIT, None),
    ("geth", 200, {"code": -32600, "message": "batch too large"}, BATCH, None),
    ("Besu", 200, {"code": -32005, "message": "Number of requests exceeds max batch size"}, BATCH, None),
    ("geth, reth (execution-apis #875)", 200,
     {"code": -32602, "message": "block range extends beyond current head block"}, RETRY, None),
    ("anvil 1.7", 200, {"code": -32602, "message": "BlockOutOfRangeError: block height is 1 but requested was 4"},
     RETRY, None),
    ("geth", 200, {"code": -32000, "message": "header not found"}, RETRY, None),
    ("Besu", 200, {"code": -39001, "message": "Unknown block"}, RETRY, None),
    ("OpenEthereum", 200, {"code": -32000, "message": "One of the blocks specified in filter (fromBlock, toBlock or "
                           "blockHash) cannot be found", "data": "0x67c4b7"}, RETRY, None),
    ("Besu", 200, {"code": -32008, "message": "Initial sync is still in progress"}, RETRY, None),
    ("Infura", 200, {"code": -32005, "message": "project ID request rate exceeded"}, RETRY, None),
    ("Alchemy (HTTP 429)", 429, {"code": 429, "message": "Your app has exceeded its compute units per second "
                                 "capacity. If you have retries enabled, you can safely ignore this message."},
     RETRY, None),
    ("geth", 200, {"code": -32002, "message": "request timed out"}, RETRY, None),
    ("Besu", 200, {"code": -32603, "message": "Timeout expired"}, RETRY, None),
    ("geth", 200, {"code": 4444, "message": "pruned history unavailable"}, FATAL, None),
    ("Ankr", 200, {"code": -32000, "message": "Unauthorized: You must authenticate your request with an API key."},
     FATAL, None),
    ("Besu", 200, {"code": -40100, "message": "Unauthorized"}, FATAL, None),
    ("Besu", 200, {"code": -32604, "message": "Method not enabled"}, FATAL, None),
    ("geth", 200, {"code": -32601, "message": "the method eth_getLogs does not exist/is not available"}, FATAL,
     None),
    ("anvil", 200, {"code": -32601, "message": "Method not found"}, FATAL, None),
    ("geth (eth_call)", 200, {"code": 3, "message": "execution reverted: fees: unit not registered",
                              "data": "0x08c379a0"}, FATAL, None),
]


def reply_id(reply):
    return f"{reply[0]}: {reply[2]['message'][:40]}"


@pytest.mark.parametrize("source, status, error, outcome, limit", REPLIES, ids=[reply_id(r) for r in REPLIES])
def test_each_wording_is_retried_split_or_fatal(node, source, status, error, outcome, limit):
    """Through the client, over HTTP: what the indexer gets for each reply."""
    server = node((status, {"error": error}), default=(200, {"result": "0x10" if outcome == BATCH else []}))
    rpc = client(server.url)
    if outcome == SPLIT:
        with pytest.raises(RangeTooLarge) as raised:
            rpc.get_logs([CONTRACT], 0x800000, 0x800000 + 200_000)
        assert raised.value.limit == limit
        assert server.requests == 1
    elif outcome == RETRY:
        assert rpc.get_logs([CONTRACT], 1, 4) == []
        assert server.requests == 2
    elif outcome == BATCH:
        assert rpc.batch([("eth_gasPrice", [])] * 4) == ["0x10"] * 4
        assert rpc.batch_size == 2
    else:
        with pytest.raises(RpcError) as raised:
            rpc.get_logs([CONTRACT], 1, 4)
        assert not isinstance(raised.value, RangeTooLarge)
        assert server.requests == 1
    rpc.close()


def test_every_wording_in_the_table_has_a_real_reply_tested():
    used = {classify(error, "eth_getLogs")[1] for _, _, error, _, _ in REPLIES}
    assert set(WORDINGS) - used == set()


def test_the_wording_decides_not_the_code():
    # Besu's range refusal shares -32005 with Infura's rate limit: split one, retry the other.
    assert classify({"code": -32005, "message": "Requested range exceeds maximum RPC range limit"},
                    "eth_getLogs")[0] == SPLIT
    assert classify({"code": -32005, "message": "limit exceeded"}, "eth_getLogs")[0] == RETRY
    # geth's "beyond the head" names a block range but is a node behind, not a range too large.
    assert classify({"code": -32602, "message": "block range extends beyond current head block"},
                    "eth_getLogs")[0] == RETRY


def test_an_error_nothing_names_is_retried_for_reads_and_fatal_for_calls(node):
    odd = {"code": -32099, "message": "something new"}
    assert classify(odd, "eth_getLogs")[0] == RETRY
    assert classify(odd, "eth_call")[0] == FATAL  # the relayer needs a revert or a nonce error at once
    server = node((200, {"error": odd}), (200, {"error": odd}))
    assert client(server.url).block_number() == 16
    assert server.requests == 3
    server = node((200, {"error": odd}))
    with pytest.raises(RpcError):
        client(server.url).call("eth_call", [{"to": CONTRACT, "data": "0x"}, "latest"])
    assert server.requests == 1


# ---------------------------------------------------------------------- transport

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


def test_a_reply_cut_short_is_retried(node):
    whole = json.dumps({"jsonrpc": "2.0", "id": 1, "result": [a_log()]}).encode()
    server = node(("raw", 200, whole[: len(whole) // 2]), default=(200, {"result": [a_log()]}))
    assert client(server.url).get_logs([CONTRACT], 1, 9) == [a_log()]
    assert server.requests == 2


@pytest.mark.parametrize("fault", [(400, {}), (401, {}), (404, {}),
                                   (200, {"error": {"code": -32601, "message": "method not found"}})],
                         ids=["http-400", "http-401", "http-404", "unknown-method"])
def test_errors_that_cannot_succeed_fail_fast(node, fault):
    server = node(fault)
    with pytest.raises(RpcError) as raised:
        client(server.url).block_number()
    assert not isinstance(raised.value, RangeTooLarge)
    assert server.requests == 1


def test_a_dead_node_raises_unavailable_after_the_retries():
    dead = RpcClient(f"http://127.0.0.1:{free_port()}", timeout_s=0.5, max_retries=2, backoff_s=0.01,
                     backoff_max_s=0.02)
    with pytest.raises(RpcUnavailable):
        dead.block_number()
    assert dead.requests_sent == 3


def test_a_probe_takes_any_error_as_the_answer(node):
    server = node((200, {"error": {"code": -32602, "message": "invalid block tag finalized"}}))
    with pytest.raises(RpcError):
        client(server.url).call("eth_getBlockByNumber", ["finalized", False], retry_errors=False)
    assert server.requests == 1


# ---------------------------------------------------------------------- batches

def test_batches_keep_the_order_of_the_calls(node):
    server = node()
    replies = client(server.url, batch_size=2).batch([("eth_blockNumber", [])] * 5)
    assert replies == ["0x10"] * 5
    assert server.requests == 3


def test_a_batch_refused_as_one_error_object_is_halved(node):
    def geth_refuses(payload):  # geth: one error object, with the first call's id
        return 200, json.dumps({"jsonrpc": "2.0", "id": payload[0]["id"],
                                "error": {"code": -32600, "message": "batch too large"}}).encode()

    def answers(payload):
        return 200, json.dumps([{"jsonrpc": "2.0", "id": p["id"], "result": p["params"][0]} for p in payload]).encode()

    server = node(geth_refuses, default=answers)
    rpc = client(server.url, batch_size=8)
    numbers = [hex(n) for n in range(8)]
    assert rpc.batch([("eth_chainId", [n]) for n in numbers]) == numbers
    assert rpc.batch_size == 4
    assert server.requests == 3


def test_a_batch_missing_a_reply_is_asked_again(node):
    def one_short(payload):
        return 200, json.dumps([{"jsonrpc": "2.0", "id": p["id"], "result": "0x1"} for p in payload[1:]]).encode()

    server = node(one_short)
    assert client(server.url).batch([("eth_blockNumber", [])] * 3) == ["0x10"] * 3
    assert server.requests == 2


def test_a_header_of_another_block_is_asked_again(node):
    header = {"number": "0x6", "hash": "0x" + "01" * 32, "parentHash": "0x" + "02" * 32, "timestamp": "0x5"}
    wanted = {**header, "number": "0x5"}
    server = node((200, {"result": header}), default=(200, {"result": wanted}))
    assert client(server.url).headers([5]) == {5: wanted}
    assert server.requests == 2


def test_a_head_that_is_not_a_number_is_asked_again(node):
    server = node((200, {"result": None}))
    assert client(server.url).block_number() == 16
    assert server.requests == 2


# ---------------------------------------------------------------------- getLogs replies against the request

@pytest.mark.parametrize("odd, why", [
    ([a_log(address="0x" + "de" * 20)], "an address not asked for"),
    ([a_log(block=12)], "outside blocks"),
    ([a_log(index=0), a_log(index=0, data="0x01")], "two different logs"),
    ([{k: v for k, v in a_log().items() if k != "blockHash"}], "without a readable"),
    ({"logs": []}, "not a list"),
], ids=["foreign-address", "outside-the-range", "two-logs-one-place", "missing-field", "not-a-list"])
def test_a_reply_that_does_not_answer_the_request_is_asked_again(node, odd, why):
    server = node((200, {"result": odd}), default=(200, {"result": [a_log()]}))
    assert client(server.url).get_logs([CONTRACT], 1, 9) == [a_log()]
    assert server.requests == 2
    stubborn = node(default=(200, {"result": odd}))
    with pytest.raises(RpcUnavailable, match=why):
        client(stubborn.url).get_logs([CONTRACT], 1, 9)
    assert stubborn.requests == 4


def test_a_log_listed_twice_is_kept_once(node):
    server = node(default=(200, {"result": [a_log(index=0), a_log(index=1), a_log(index=0)]}))
    assert client(server.url).get_logs([CONTRACT.upper().replace("0X", "0x")], 1, 9) == [a_log(index=0),
                                                                                          a_log(index=1)]


def test_topics_asked_for_are_checked(node):
    wanted = "0x" + "33" * 32
    server = node((200, {"result": [{**a_log(), "topics": ["0x" + "44" * 32]}]}), default=(200, {"result": [a_log()]}))
    assert client(server.url).get_logs([CONTRACT], 1, 9, topics=[[wanted, "0x" + "55" * 32]]) == [a_log()]
    assert server.requests == 2
    assert server.payloads[0]["params"][0]["topics"] == [[wanted, "0x" + "55" * 32]]


def test_logs_out_of_chain_order_are_checked_and_put_in_order(node):
    later, earlier = {**a_log(block=6), "blockHash": "0x" + "66" * 32}, a_log(block=5, index=3)
    server = node(default=(200, {"result": [later, earlier, a_log(block=5, index=1)]}))
    logs = client(server.url).get_logs([CONTRACT], 1, 9)
    assert logs == [a_log(block=5, index=1), earlier, later]
    assert logs.blocks == {5: "0x" + "22" * 32, 6: "0x" + "66" * 32}
    stubborn = node(default=(200, {"result": [later, {**earlier, "address": "0x" + "de" * 20}]}))
    with pytest.raises(RpcUnavailable, match="an address not asked for"):
        client(stubborn.url).get_logs([CONTRACT], 1, 9)


def test_logs_of_one_block_with_two_hashes_are_asked_again(node):
    other = {**a_log(index=1), "blockHash": "0x" + "99" * 32}
    server = node((200, {"result": [a_log(), other]}), default=(200, {"result": [a_log()]}))
    assert client(server.url).get_logs([CONTRACT], 1, 9) == [a_log()]
    assert server.requests == 2
