"""Validate a CSV of units and owners before anything is sent to the chain.

Format (UTF-8, header required)::

    label,area_m2,owner,commitment
    3-2-1201,89.50,0xAbC…,0x<64 hex digits>

`area_m2` is the exclusive area in square metres with at most two decimals; it is
stored on chain in 0.01 m². `owner` must be an EIP-55 checksummed address and
`commitment` the owner's identity commitment (see backend/identity.py). Every
problem is reported with its line number; nothing is applied unless every line is good.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from eth_utils import is_checksum_address, is_hex_address

from backend.identity import parse_commitment

HEADER = ("label", "area_m2", "owner", "commitment")
MAX_LABEL_BYTES = 32
MAX_AREA_CENTI = 2**64 - 1


@dataclass(frozen=True)
class UnitRow:
    line: int
    label: str
    area: int  # 0.01 m²
    owner: str
    commitment: bytes

    def as_args(self) -> tuple[str, int, str, bytes]:
        return (self.label, self.area, self.owner, self.commitment)


@dataclass(frozen=True)
class LineError:
    """A bad line: its number, the English message the CLI prints, and a code with its
    parameters the pages translate (committee.unitsError.<code> in the i18n files)."""

    line: int
    message: str
    code: str = ""
    params: dict = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CodedValueError(ValueError):
    """A ValueError with a code and parameters for the pages' translation."""

    def __init__(self, message: str, code: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


def _coded(exc: ValueError) -> tuple[str, str, dict]:
    """(message, code, params) of a parser's ValueError."""
    if isinstance(exc, CodedValueError):
        return str(exc), exc.code, exc.params
    message = str(exc)
    # backend.identity.parse_commitment's two refusals.
    code = {"commitment must be 0x followed by 64 hex digits": "commitment_format",
            "commitment must not be zero": "commitment_zero"}.get(message, "other")
    return message, code, {} if code != "other" else {"message": message}


class UnitsCsvError(ValueError):
    """Raised with every bad line; nothing may be applied."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def parse_hundredths(text: str, what: str, number: str | None = None) -> int:
    """A positive decimal with at most two decimals, in hundredths: '89.5' -> 8950.
    `number` is `text` as Decimal should read it (say, without thousands separators);
    messages quote `text`. Raises ValueError naming `what` on anything else."""
    try:
        value = Decimal((text if number is None else number).strip())
    except InvalidOperation:
        raise CodedValueError(f"{what} {text!r} is not a number", f"{what}_not_number", text=text) from None
    if not value.is_finite() or value <= 0:
        raise CodedValueError(f"{what} {text!r} must be greater than 0", f"{what}_not_positive", text=text)
    hundredths = value * 100
    if hundredths != hundredths.to_integral_value():
        raise CodedValueError(f"{what} {text!r} has more than two decimals", f"{what}_decimals", text=text)
    return int(hundredths)


def parse_area(text: str) -> int:
    """'89.5' -> 8950 (0.01 m²). Raises ValueError on anything else."""
    centi = parse_hundredths(text, "area")
    if centi > MAX_AREA_CENTI:
        raise CodedValueError(f"area {text!r} is too large", "area_too_large", text=text)
    return centi


def parse_units_csv(text: str) -> list[UnitRow]:
    """Parse and validate the whole file; raise UnitsCsvError listing every bad line."""
    errors: list[LineError] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = list(reader)
    if not rows:
        raise UnitsCsvError([LineError(1, "empty file: expected header " + ",".join(HEADER), "empty_file",
                                       {"header": ",".join(HEADER)})])
    header = tuple(cell.strip().lower() for cell in rows[0])
    if header != HEADER:
        raise UnitsCsvError([LineError(1, f"header must be {','.join(HEADER)}, found {','.join(header)}", "header",
                                       {"header": ",".join(HEADER), "found": ",".join(header)})])

    units: list[UnitRow] = []
    labels: dict[str, int] = {}
    wallet_of: dict[bytes, tuple[str, int]] = {}
    commitment_of: dict[str, tuple[bytes, int]] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(HEADER):
            errors.append(LineError(line, f"expected {len(HEADER)} fields, found {len(cells)}", "field_count",
                                    {"expected": len(HEADER), "found": len(cells)}))
            continue
        label, area_text, owner, commitment_text = (cell.strip() for cell in cells)
        line_errors: list[tuple[str, str, dict]] = []  # (message, code, params)
        if not label:
            line_errors.append(("label is empty", "label_empty", {}))
        elif len(label.encode()) > MAX_LABEL_BYTES:
            line_errors.append((f"label {label!r} is longer than {MAX_LABEL_BYTES} bytes", "label_long",
                                {"label": label, "max": MAX_LABEL_BYTES}))
        elif label in labels:
            line_errors.append((f"label {label!r} duplicates line {labels[label]}", "label_duplicate",
                                {"label": label, "line": labels[label]}))
        area = 0
        try:
            area = parse_area(area_text)
        except ValueError as exc:
            line_errors.append(_coded(exc))
        if not is_hex_address(owner):
            line_errors.append((f"owner {owner!r} is not an address", "owner_not_address", {"owner": owner}))
        elif not is_checksum_address(owner):
            line_errors.append((f"owner {owner!r} fails the EIP-55 checksum (copy it from the wallet)",
                                "owner_checksum", {"owner": owner}))
        elif int(owner, 16) == 0:
            line_errors.append(("owner is the zero address", "owner_zero", {}))
        commitment = b""
        try:
            commitment = parse_commitment(commitment_text)
        except ValueError as exc:
            line_errors.append(_coded(exc))
        if not line_errors:
            # An identity is one person with one wallet, in the file as on chain.
            seen_wallet = wallet_of.get(commitment)
            if seen_wallet and seen_wallet[0] != owner:
                line_errors.append((f"commitment already given to wallet {seen_wallet[0]} on line {seen_wallet[1]}",
                                    "commitment_other_wallet", {"wallet": seen_wallet[0], "line": seen_wallet[1]}))
            seen_commitment = commitment_of.get(owner)
            if seen_commitment and seen_commitment[0] != commitment:
                line_errors.append((f"wallet {owner} has a different commitment on line {seen_commitment[1]}",
                                    "wallet_other_commitment", {"wallet": owner, "line": seen_commitment[1]}))
        if line_errors:
            errors.extend(LineError(line, message, code, params) for message, code, params in line_errors)
            if label and label not in labels:
                labels[label] = line
            continue
        labels[label] = line
        wallet_of.setdefault(commitment, (owner, line))
        commitment_of.setdefault(owner, (commitment, line))
        units.append(UnitRow(line, label, area, owner, commitment))
    if errors:
        raise UnitsCsvError(errors)
    if not units:
        raise UnitsCsvError([LineError(2, "no units in the file", "no_units")])
    return units


def check_against_chain(units: list[UnitRow], registry) -> list[LineError]:
    """Problems only the chain can reveal: labels already registered, bindings taken."""
    errors: list[LineError] = []
    for unit in units:
        if registry.unit_id_of(unit.label) != 0:
            errors.append(LineError(unit.line, f"label {unit.label!r} is already registered", "label_registered",
                                    {"label": unit.label}))
        known, index = registry.identity_index_of(unit.commitment)
        if known:
            bound = registry.identity_wallet(index)
            if bound != unit.owner:
                errors.append(LineError(unit.line, f"commitment is bound on chain to wallet {bound}",
                                        "commitment_bound", {"wallet": bound}))
        else:
            if registry.identity_of(unit.owner)[0]:
                errors.append(LineError(unit.line, f"wallet {unit.owner} is bound on chain to another identity",
                                        "wallet_other_identity", {"wallet": unit.owner}))
            elif registry.resident_unit(unit.owner) != 0:
                errors.append(LineError(unit.line, f"wallet {unit.owner} is a linked resident on chain",
                                        "wallet_resident", {"wallet": unit.owner}))
    return errors


# HouseholdRegistry.MAX_BATCH: the most units one transaction registers within the
# 16,777,216 gas a transaction may use (EIP-7825).
UNITS_PER_TX = 60


def batches(units: list[UnitRow], size: int) -> list[list[UnitRow]]:
    if not 1 <= size <= UNITS_PER_TX:
        raise ValueError(f"batch size must be between 1 and {UNITS_PER_TX} (the contract's limit)")
    return [units[i : i + size] for i in range(0, len(units), size)]


def apply_units(registry, sender, units: list[UnitRow], batch_size: int = UNITS_PER_TX, echo=print) -> list:
    """Register validated units in batches; returns the receipts.

    `sender` is an account holding the committee role, or a `send(method, *args)`
    callable (`committee_safe.committee_caller`: the committee's Safe).

    Call only after parse_units_csv and check_against_chain found nothing wrong:
    every batch is all-or-nothing on chain, and the pre-checks make a failing batch
    a race with another writer rather than bad input.
    """
    send = sender if callable(sender) and not hasattr(sender, "address") else (
        lambda method, *args: method(*args, sender=sender))
    receipts = []
    groups = batches(units, batch_size)
    for number, group in enumerate(groups, start=1):
        receipt = send(registry.register_units, [unit.as_args() for unit in group])
        receipts.append(receipt)
        echo(f"batch {number}/{len(groups)}: lines {group[0].line}-{group[-1].line}, {receipt.gas_used:,} gas")
    return receipts
