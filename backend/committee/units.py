# SPDX-License-Identifier: AGPL-3.0-only
"""A units CSV uploaded in the committee's console, checked as `ape run units import`
checks it: the same parser and the same checks against the chain
(backend/chain/units_csv.py: parse_units_csv, check_against_chain), every bad line by
its number, and nothing to propose unless every line is good. A good file comes back as
the batches the CLI would send (UNITS_PER_TX units each, each HouseholdRegistry
register_units call within the 16,777,216-gas transaction cap), which the page proposes
as a numbered series of SafeTx, one nonce after the other.

Views only (eth_call against the registry of the manifest); nothing is kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from backend.chain.units_csv import UNITS_PER_TX, LineError, UnitsCsvError, batches, check_against_chain, \
    parse_units_csv
from backend.committee.chain import ChainUnavailable
from backend.committee.store import MAX_NONCE_AHEAD

# Every batch is a SafeTx with a nonce of its own, and the store keeps proposals at most
# MAX_NONCE_AHEAD past the Safe's: one upload is at most that many batches.
MAX_BATCHES = MAX_NONCE_AHEAD
MAX_UNITS = MAX_BATCHES * UNITS_PER_TX
# A line is about 140 bytes (label, area, a checksummed address, a 0x + 64 hex commitment).
MAX_CSV_CHARS = 256 * 1024


class UnitsRefused(Exception):
    """The file has bad lines (422): `errors` lists each with its number."""

    def __init__(self, message: str, errors: list[LineError]):
        super().__init__(message)
        self.errors = errors


BATCH_CALLS = 300  # eth_calls per JSON-RPC batch
VIEWS = ("unit_id_of", "identity_index_of", "identity_wallet", "identity_of", "resident_unit")


class RegistryViews:
    """The registry's views check_against_chain asks (Ape's names and answers), as eth_call.
    `prefetch` asks them for a whole file in JSON-RPC batches first (one round trip per
    BATCH_CALLS calls, not one per view and unit); what it did not fetch is asked one by
    one. Encoded and decoded with eth_abi: web3's contract objects spent most of a check's
    time checking each call against the registry's whole ABI."""

    def __init__(self, w3: Web3, address: str, abi: list[Mapping[str, Any]]):
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.views: dict[str, tuple[bytes, list[str], list[str]]] = {}
        for item in abi:
            if item.get("type") == "function" and item.get("name") in VIEWS:
                inputs = [i["type"] for i in item["inputs"]]
                selector = keccak(text=f"{item['name']}({','.join(inputs)})")[:4]
                self.views[item["name"]] = (selector, inputs, [o["type"] for o in item["outputs"]])
        self.cache: dict[tuple, Any] = {}

    @staticmethod
    def _fail(exc: Exception | str):
        words = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        raise ChainUnavailable(f"the node cannot read the registry: {words}") from None

    def _params(self, key: tuple) -> list:
        name, *args = key
        selector, inputs, _outputs = self.views[name]
        return [{"to": self.address, "data": "0x" + (selector + abi_encode(inputs, args)).hex()}, "latest"]

    def _decoded(self, key: tuple, result: str) -> Any:
        outputs = self.views[key[0]][2]
        values = abi_decode(outputs, bytes.fromhex(result.removeprefix("0x")))
        return values[0] if len(values) == 1 else tuple(values)

    def _call(self, name: str, *args):
        key = (name, *args)
        if key not in self.cache:
            try:
                result = self.w3.provider.make_request("eth_call", self._params(key))
            except Exception as exc:  # connection refused, timeout
                self._fail(exc)
            if "error" in result:
                self._fail(str(result["error"]))
            self.cache[key] = self._decoded(key, result["result"])
        return self.cache[key]

    def _batch(self, keys: list[tuple]) -> None:
        keys = [k for k in dict.fromkeys(keys) if k not in self.cache]
        for start in range(0, len(keys), BATCH_CALLS):
            chunk = keys[start:start + BATCH_CALLS]
            try:
                answers = self.w3.provider.make_batch_request([("eth_call", self._params(k)) for k in chunk])
            except Exception as exc:
                self._fail(exc)
            if not isinstance(answers, list):  # the whole batch refused
                self._fail(str(answers.get("error", answers)))
            by_id = sorted(answers, key=lambda a: a.get("id", 0))
            for key, answer in zip(chunk, by_id):
                if "error" in answer:
                    self._fail(str(answer["error"]))
                self.cache[key] = self._decoded(key, answer["result"])

    def prefetch(self, units) -> None:
        self._batch([key for u in units for key in (
            ("unit_id_of", u.label), ("identity_index_of", u.commitment),
            ("identity_of", u.owner), ("resident_unit", u.owner))])  # owners: checksummed by the parser
        self._batch([("identity_wallet", int(self.cache[("identity_index_of", u.commitment)][1])) for u in units
                     if self.cache[("identity_index_of", u.commitment)][0]])

    def unit_id_of(self, label: str) -> int:
        return int(self._call("unit_id_of", label))

    def identity_index_of(self, commitment: bytes):
        return tuple(self._call("identity_index_of", commitment))

    def identity_wallet(self, index: int) -> str:
        return to_checksum_address(self._call("identity_wallet", int(index)))

    def identity_of(self, wallet: str):
        return tuple(self._call("identity_of", wallet))

    def resident_unit(self, wallet: str) -> int:
        return int(self._call("resident_unit", wallet))


def _lines(errors: list[LineError]) -> list[dict[str, Any]]:
    return [{"line": e.line, "message": e.message, "code": e.code or "other", "params": e.params or
             {"message": e.message}} for e in errors]


def check_units(text: str, registry: RegistryViews) -> dict[str, Any]:
    """The file's units in batches, or UnitsRefused with every bad line."""
    try:
        units = parse_units_csv(text)
    except UnitsCsvError as exc:
        raise UnitsRefused(f"{len(exc.errors)} problem(s) in the file, nothing proposed", exc.errors) from None
    if len(units) > MAX_UNITS:
        error = LineError(units[MAX_UNITS].line, f"a file holds at most {MAX_UNITS} units ({MAX_BATCHES} batches of "
                          f"{UNITS_PER_TX}, one SafeTx each): split it and import the rest once these are executed",
                          "too_many_units", {"max": MAX_UNITS, "batches": MAX_BATCHES, "size": UNITS_PER_TX})
        raise UnitsRefused("too many units in one file, nothing proposed", [error])
    registry.prefetch(units)
    chain_errors = check_against_chain(units, registry)
    if chain_errors:
        raise UnitsRefused(f"{len(chain_errors)} problem(s) against the chain, nothing proposed", chain_errors)
    groups = batches(units, UNITS_PER_TX)
    return {
        "units": len(units), "batch_size": UNITS_PER_TX,
        "batches": [{"number": number, "first_line": group[0].line, "last_line": group[-1].line,
                     "units": [{"label": u.label, "area": str(u.area), "owner": u.owner,
                                "commitment": "0x" + u.commitment.hex()} for u in group]}
                    for number, group in enumerate(groups, start=1)],
    }


def lines_out(exc: UnitsRefused) -> dict[str, Any]:
    """The 422's detail: a sentence and each bad line."""
    return {"message": str(exc), "errors": _lines(exc.errors)}
