"""Match a bank statement's lines to units and months before a cashier records them.

Format (UTF-8, header required; the property company exports it from its bank, WeChat
Pay or Alipay statements, or its cash book)::

    date,unit,amount_yuan,channel,reference
    2026-12-03,3-2-1201,671.25,bank,20261203-000123

`unit` is the unit's label as registered; `amount_yuan` what was received, in yuan with
at most two decimals; `channel` one of wechat, alipay, bank, cash (or 微信, 支付宝, 银行,
现金); `reference` the receipt or bank reference, which goes on chain only as its
keccak-256 hash (no personal data: never a payer's name or account in this column).

A line matches when its amount is exactly the dues and late fee of the unit's next N
unpaid months (N = 1, 2, … within the prepayment limit), counting the months earlier
lines of the file already pay. Every line that does not match is reported with its
number; nothing is recorded unless every line matches.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from eth_utils import keccak

from backend.chain.units_csv import LineError, parse_hundredths

HEADER = ("date", "unit", "amount_yuan", "channel", "reference")
CHANNELS = {"wechat": 1, "微信": 1, "alipay": 2, "支付宝": 2, "bank": 3, "银行": 3, "cash": 4, "现金": 4}
MAX_REFERENCE_BYTES = 128
# PropertyFees.MAX_RECORD_BATCH: a batch of 100 records stays far below the 16,777,216
# gas a transaction may use (bench/cashier_bench.py measures it).
RECORDS_PER_TX = 100
# The most months one line may pay (overdue months plus the prepayment limit's 36).
MAX_MONTHS_A_LINE = 240


@dataclass(frozen=True)
class StatementLine:
    line: int
    day: date
    unit_label: str
    amount: int  # fen
    channel: int
    reference: str

    @property
    def reference_hash(self) -> bytes:
        return keccak(text=self.reference)


@dataclass(frozen=True)
class MatchedPayment:
    """A line matched to its unit and months: the arguments of one record."""

    line: int
    unit_id: int
    from_month: int
    months: int
    amount: int
    channel: int
    reference_hash: bytes

    def as_args(self) -> tuple[int, int, int, int, int, bytes]:
        return (self.unit_id, self.from_month, self.months, self.amount, self.channel, self.reference_hash)


class StatementError(ValueError):
    """Raised with every line that does not match; nothing may be recorded."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def parse_yuan(text: str) -> int:
    """'671.25' -> 67125 fen. Raises ValueError on anything else."""
    return parse_hundredths(text, "amount", text.replace(",", ""))


def parse_statement_csv(text: str) -> list[StatementLine]:
    """Parse and check the file alone; raise StatementError listing every bad line."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise StatementError([LineError(1, "empty file: expected header " + ",".join(HEADER))])
    header = tuple(cell.strip().lower() for cell in rows[0])
    if header != HEADER:
        raise StatementError([LineError(1, f"header must be {','.join(HEADER)}, found {','.join(header)}")])
    errors: list[LineError] = []
    lines: list[StatementLine] = []
    references: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(HEADER):
            errors.append(LineError(number, f"expected {len(HEADER)} fields, found {len(cells)}"))
            continue
        day_text, label, amount_text, channel_text, reference = (cell.strip() for cell in cells)
        problems: list[str] = []
        day = date.min
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            problems.append(f"date {day_text!r} is not YYYY-MM-DD")
        if not label:
            problems.append("unit is empty")
        amount = 0
        try:
            amount = parse_yuan(amount_text)
        except ValueError as exc:
            problems.append(str(exc))
        channel = CHANNELS.get(channel_text.lower())
        if channel is None:
            problems.append(f"channel {channel_text!r} is not one of wechat, alipay, bank, cash")
        if not reference:
            problems.append("reference is empty")
        elif len(reference.encode()) > MAX_REFERENCE_BYTES:
            problems.append(f"reference is longer than {MAX_REFERENCE_BYTES} bytes")
        elif reference in references:
            problems.append(f"reference {reference!r} duplicates line {references[reference]}")
        if reference and reference not in references:
            references[reference] = number
        if problems:
            errors.extend(LineError(number, p) for p in problems)
            continue
        lines.append(StatementLine(number, day, label, amount, channel or 0, reference))
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([LineError(2, "no payments in the file")])
    return lines


def match_statement(lines: list[StatementLine], registry, fees) -> list[MatchedPayment]:
    """Match each line to its unit and months against the chain; raise StatementError
    listing every line that does not match."""
    errors: list[LineError] = []
    matched: list[MatchedPayment] = []
    unit_ids: dict[str, int] = {}
    # unit -> cumulative totals of its next 1, 2, … unpaid months (index 0: nothing), read lazily.
    totals: dict[int, list[int]] = {}
    taken: dict[int, int] = {}  # unit -> months earlier lines of the file pay
    first_unpaid: dict[int, int] = {}

    def total_of(unit_id: int, months: int) -> int | None:
        known = totals.setdefault(unit_id, [0])
        while len(known) <= months:
            try:
                known.append(int(fees.quote(unit_id, len(known))[4]))
            except Exception:  # over the prepayment limit (or no fee standard): no more months
                return None
        return known[months]

    for entry in lines:
        unit_id = unit_ids.get(entry.unit_label)
        if unit_id is None:
            unit_id = int(registry.unit_id_of(entry.unit_label))
            unit_ids[entry.unit_label] = unit_id
        if unit_id == 0:
            errors.append(LineError(entry.line, f"unit {entry.unit_label!r} is not registered"))
            continue
        known, *_ = fees.payment_record(entry.reference_hash)
        if known != 0:
            errors.append(LineError(entry.line, f"reference {entry.reference!r} is already recorded on chain"))
            continue
        if unit_id not in first_unpaid:
            first_unpaid[unit_id] = int(fees.first_unpaid_month(unit_id))
        before = taken.get(unit_id, 0)
        base = total_of(unit_id, before) if before else 0
        months, offered = 0, []
        if base is not None:
            for n in range(1, MAX_MONTHS_A_LINE + 1):
                total = total_of(unit_id, before + n)
                if total is None:
                    break
                due = total - base
                if due == entry.amount:
                    months = n
                    break
                if due > entry.amount:
                    break
                offered.append(due)
        if months == 0:
            first = total_of(unit_id, before + 1)
            detail = (f"1 month is {yuan(first - base)}" if first is not None and base is not None
                      else "no month can be paid (the prepayment limit is reached)")
            errors.append(LineError(entry.line, f"{yuan(entry.amount)} for unit {entry.unit_label!r} is not the amount "
                                                f"due for any number of its next unpaid months ({detail})"))
            continue
        matched.append(MatchedPayment(entry.line, unit_id, first_unpaid[unit_id] + before, months, entry.amount,
                                      entry.channel, entry.reference_hash))
        taken[unit_id] = before + months
    if errors:
        raise StatementError(errors)
    return matched


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def batches(payments: list[MatchedPayment], size: int) -> list[list[MatchedPayment]]:
    if not 1 <= size <= RECORDS_PER_TX:
        raise ValueError(f"batch size must be between 1 and {RECORDS_PER_TX} (the contract's limit)")
    return [payments[i : i + size] for i in range(0, len(payments), size)]


def record_payments(fees, cashier, payments: list[MatchedPayment], batch_size: int = RECORDS_PER_TX,
                    echo=print) -> list:
    """Record matched payments in batches, as `cashier` (who holds the cashier role);
    returns the receipts. Call only after match_statement found nothing wrong: each
    batch is all-or-nothing on chain, and a failing batch is then a race with another
    cashier, not bad input."""
    receipts = []
    groups = batches(payments, batch_size)
    for number, group in enumerate(groups, start=1):
        receipt = fees.record_payments([p.as_args() for p in group], sender=cashier)
        receipts.append(receipt)
        echo(f"batch {number}/{len(groups)}: lines {group[0].line}-{group[-1].line}, {receipt.gas_used:,} gas, "
             f"tx {receipt.txn_hash}")
    return receipts


# ---------------------------------------------------------------- over JSON-RPC (the API)
#
# `match_statement` reads four views. The CLI passes Ape's contracts; the API (a cashier
# checking a file from the pages) passes these, which make the same calls with eth_call
# through the backend's RpcClient, so both match a file by one rule.

class _Views:
    def __init__(self, rpc, address: str):
        self.rpc = rpc
        self.address = address

    def _call(self, signature: str, types: list[str], args: list, out: list[str]) -> tuple:
        from eth_abi import decode, encode
        data = keccak(text=signature)[:4] + encode(types, args)
        raw = self.rpc.call("eth_call", [{"to": self.address, "data": "0x" + data.hex()}, "latest"])
        return decode(out, bytes.fromhex(raw[2:]))


class RegistryViews(_Views):
    def unit_id_of(self, label: str) -> int:
        return self._call("unit_id_of(string)", ["string"], [label], ["uint256"])[0]


class FeesViews(_Views):
    def payment_record(self, reference: bytes) -> tuple:
        return self._call("payment_record(bytes32)", ["bytes32"], [reference], ["uint256"] * 6)

    def first_unpaid_month(self, unit_id: int) -> int:
        return self._call("first_unpaid_month(uint256)", ["uint256"], [unit_id], ["uint256"])[0]

    def quote(self, unit_id: int, months: int) -> tuple:
        return self._call("quote(uint256,uint256)", ["uint256", "uint256"], [unit_id, months], ["uint256"] * 5)
