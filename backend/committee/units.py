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

from eth_utils import to_checksum_address
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


class RegistryViews:
    """The registry's views check_against_chain asks, as web3 calls (Ape's names and answers)."""

    def __init__(self, w3: Web3, address: str, abi: list[Mapping[str, Any]]):
        self.contract = w3.eth.contract(address=to_checksum_address(address), abi=abi)

    def _call(self, name: str, *args):
        try:
            return getattr(self.contract.functions, name)(*args).call()
        except Exception as exc:  # connection refused, timeout, no code at the address
            raise ChainUnavailable(f"the node cannot read the registry: {type(exc).__name__}: {exc}") from None

    def unit_id_of(self, label: str) -> int:
        return int(self._call("unit_id_of", label))

    def identity_index_of(self, commitment: bytes):
        return tuple(self._call("identity_index_of", commitment))

    def identity_wallet(self, index: int) -> str:
        return to_checksum_address(self._call("identity_wallet", index))

    def identity_of(self, wallet: str):
        return tuple(self._call("identity_of", to_checksum_address(wallet)))

    def resident_unit(self, wallet: str) -> int:
        return int(self._call("resident_unit", to_checksum_address(wallet)))


def _lines(errors: list[LineError]) -> list[dict[str, Any]]:
    return [{"line": e.line, "message": e.message} for e in errors]


def check_units(text: str, registry: RegistryViews) -> dict[str, Any]:
    """The file's units in batches, or UnitsRefused with every bad line."""
    try:
        units = parse_units_csv(text)
    except UnitsCsvError as exc:
        raise UnitsRefused(f"{len(exc.errors)} problem(s) in the file, nothing proposed", exc.errors) from None
    if len(units) > MAX_UNITS:
        error = LineError(units[MAX_UNITS].line, f"a file holds at most {MAX_UNITS} units ({MAX_BATCHES} batches of "
                          f"{UNITS_PER_TX}, one SafeTx each): split it and import the rest once these are executed")
        raise UnitsRefused("too many units in one file, nothing proposed", [error])
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
