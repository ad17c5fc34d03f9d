"""Decode raw logs with the ABIs from the manifest, without web3's per-log helpers.

Indexed arguments come from the topics, the others from the data. Fixed-layout
data (every argument one static 32-byte word) is sliced word by word, which is
what makes backfill fast; anything dynamic (strings, bytes, arrays) goes through
`eth_abi.decode`. Values come out as the database stores them: addresses and
hashes as lower-case 0x-hex, integers as Python ints, bools as bools.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak

WordDecoder = Callable[[str], Any]

_UINT = re.compile(r"^uint(\d*)$")
_INT = re.compile(r"^int(\d*)$")
_BYTES_N = re.compile(r"^bytes([1-9]|[12]\d|3[0-2])$")


class DecodeError(ValueError):
    """A log whose topics or data do not fit the ABI of its event."""


def _word_address(word: str) -> str:
    return "0x" + word[24:64].lower()


def _word_uint(word: str) -> int:
    return int(word, 16)


def _word_int(word: str) -> int:
    value = int(word, 16)
    return value - (1 << 256) if value >= 1 << 255 else value


def _word_bool(word: str) -> bool:
    return int(word, 16) != 0


def _word_bytes(n: int) -> WordDecoder:
    def decode(word: str) -> str:
        return "0x" + word[: 2 * n].lower()

    return decode


def _word_topic_hash(word: str) -> str:
    # An indexed dynamic value is stored as its keccak256 hash only.
    return "0x" + word.lower()


def _inline(abi_type: str, source: str, start: int) -> str | None:
    """A Python expression reading `abi_type` from the 64 hex digits of `source` at `start`."""
    word = f"{source}[{start}:{start + 64}]"
    if abi_type == "address":
        return f"'0x' + {source}[{start + 24}:{start + 64}].lower()"
    if abi_type == "bool":
        return f"int({word}, 16) != 0"
    if _UINT.match(abi_type):
        return f"int({word}, 16)"
    if _INT.match(abi_type):
        return f"_word_int({word})"
    match = _BYTES_N.match(abi_type)
    if match:
        return f"'0x' + {source}[{start}:{start + 2 * int(match.group(1))}].lower()"
    return None


def word_decoder(abi_type: str) -> WordDecoder | None:
    """How to read a value of `abi_type` from one 64-hex-digit word, or None if dynamic."""
    if abi_type == "address":
        return _word_address
    if abi_type == "bool":
        return _word_bool
    if _UINT.match(abi_type):
        return _word_uint
    if _INT.match(abi_type):
        return _word_int
    match = _BYTES_N.match(abi_type)
    if match:
        return _word_bytes(int(match.group(1)))
    return None


def _normalise(value: Any) -> Any:
    """eth_abi output -> storable values."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return value.lower()
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def _canonical_type(entry: Mapping[str, Any]) -> str:
    abi_type = entry["type"]
    if abi_type.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in entry.get("components", []))
        return f"({inner}){abi_type[5:]}"
    return abi_type


@dataclass
class EventDecoder:
    """Decodes the logs of one ABI event."""

    contract: str
    name: str
    topic0: str
    indexed: list[tuple[str, WordDecoder]]
    data_names: list[str]
    data_types: list[str]
    data_words: list[WordDecoder] | None  # set when the data is fixed-layout
    indexed_types: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        fast = self._compile_fixed()
        if fast is not None:
            # Instance attribute shadows the generic method: one call, one dict, no loops.
            self.decode = fast  # type: ignore[method-assign]

    @classmethod
    def from_abi(cls, contract: str, entry: Mapping[str, Any]) -> "EventDecoder":
        inputs = entry.get("inputs", [])
        signature = f"{entry['name']}({','.join(_canonical_type(i) for i in inputs)})"
        indexed: list[tuple[str, WordDecoder]] = []
        indexed_types: list[str] = []
        data_names: list[str] = []
        data_types: list[str] = []
        for arg in inputs:
            abi_type = _canonical_type(arg)
            if arg.get("indexed"):
                indexed.append((arg["name"], word_decoder(abi_type) or _word_topic_hash))
                indexed_types.append(abi_type if word_decoder(abi_type) else "bytes32")
            else:
                data_names.append(arg["name"])
                data_types.append(abi_type)
        words = [word_decoder(t) for t in data_types]
        return cls(
            contract=contract,
            name=entry["name"],
            topic0="0x" + keccak(text=signature).hex(),
            indexed=indexed,
            data_names=data_names,
            data_types=data_types,
            data_words=None if any(w is None for w in words) else words,  # type: ignore[arg-type]
            indexed_types=indexed_types,
        )

    def _compile_fixed(self) -> Callable[[list[str], str], dict[str, Any]] | None:
        """For a fixed-layout event, a function decoding it with every word read inline.

        The generic `decode` walks lists of word decoders per log; backfill decodes
        ~100k logs per second budget, so the per-event function is generated once
        (same checks, same values) with the slices and conversions written out.
        """
        if self.data_words is None or len(self.indexed_types) != len(self.indexed):
            return None
        label = f"{self.contract}.{self.name}"
        lines = ["def decode(topics, data):",
                 f"    if len(topics) != {len(self.indexed) + 1}:",
                 f"        raise DecodeError(f'{label}: {{len(topics)}} topics, ABI has {len(self.indexed) + 1}')"]
        if self.data_types:
            lines += [f"    if len(data) < {2 + 64 * len(self.data_types)}:",
                      f"        raise DecodeError('{label}: data too short')"]
        names: dict[str, int] = {}
        items = []
        for position, (abi_type, (name, _)) in enumerate(zip(self.indexed_types, self.indexed), start=1):
            items.append((name, _inline(abi_type, f"topics[{position}]", 2)))
        for position, (abi_type, name) in enumerate(zip(self.data_types, self.data_names)):
            items.append((name, _inline(abi_type, "data", 2 + 64 * position)))
        for name, _ in items:
            names[name] = names.get(name, 0) + 1
        if any(count > 1 for count in names.values()) or any(expr is None for _, expr in items):
            return None
        body = ", ".join(f"{name!r}: {expr}" for name, expr in items)
        lines.append(f"    return {{{body}}}")
        namespace: dict[str, Any] = {"DecodeError": DecodeError, "_word_int": _word_int}
        exec("\n".join(lines), namespace)  # noqa: S102 - generated from the ABI's types only
        return namespace["decode"]

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        """The event's arguments by name; raises DecodeError if the log does not fit."""
        if len(topics) != len(self.indexed) + 1:
            raise DecodeError(f"{self.contract}.{self.name}: {len(topics)} topics, ABI has {len(self.indexed) + 1}")
        args: dict[str, Any] = {}
        for (name, decode_word), topic in zip(self.indexed, topics[1:]):
            args[name] = decode_word(topic[2:])
        if self.data_words is not None:
            if len(data) < 2 + 64 * len(self.data_words):
                raise DecodeError(f"{self.contract}.{self.name}: data too short")
            offset = 2
            for name, decode_word in zip(self.data_names, self.data_words):
                args[name] = decode_word(data[offset : offset + 64])
                offset += 64
        elif self.data_types:
            try:
                values = abi_decode(self.data_types, bytes.fromhex(data[2:]))
            except Exception as exc:  # eth_abi raises several types for malformed data
                raise DecodeError(f"{self.contract}.{self.name}: {exc}") from exc
            for name, value in zip(self.data_names, values):
                args[name] = _normalise(value)
        return args


class ContractDecoders:
    """The decoders of every event of the manifest's contracts, by (address, topic0)."""

    def __init__(self, contracts: Mapping[str, Mapping[str, Any]]):
        # address (lower) -> contract name
        self.contract_by_address: dict[str, str] = {}
        # (address, topic0) -> decoder
        self.by_topic: dict[tuple[str, str], EventDecoder] = {}
        for contract_name, description in contracts.items():
            address = description["address"].lower()
            self.contract_by_address[address] = contract_name
            for entry in description["abi"]:
                if entry.get("type") != "event" or entry.get("anonymous"):
                    continue
                decoder = EventDecoder.from_abi(contract_name, entry)
                self.by_topic[(address, decoder.topic0)] = decoder

    @property
    def addresses(self) -> list[str]:
        return sorted(self.contract_by_address)

    def events(self) -> Iterable[EventDecoder]:
        return self.by_topic.values()

    def find(self, address: str, topic0: str | None) -> EventDecoder | None:
        if topic0 is None:
            return None
        return self.by_topic.get((address, topic0))
