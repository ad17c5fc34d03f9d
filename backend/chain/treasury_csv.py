"""Validate the committee's budget CSV and the manager's expense CSV before anything is
sent to CommunityTreasury (`ape run committee budget`, `ape run manager expenses`).

Budget (the committee divides the assembly's annual budget of a year among categories)::

    fund,category,amount_yuan
    public_income,cleaning,12000.00
    1,4,8000

Expenses (the manager records what was paid, each with its invoice)::

    category,payee,amount_yuan,invoice,fund
    保洁,0xAbC…,1250.00,invoices/2026-11-cleaning.pdf,public_income

`fund` is `fee_income` (0, 物业费) or `public_income` (1, 公共收益); the maintenance
fund moves only by the assembly. `category` is a number 1..255 or a name the pages use
(README, "Expense categories"). `amount_yuan` has at most two decimals. `invoice` is the
invoice's sha256 (64 hex digits, 0x optional) or the path of the invoice file (relative
to the CSV's folder), hashed here; only the hash goes on chain.

Every problem is reported with its line number, the file's own and those only the
chain can tell (budget left, roles, the contract in force); nothing is sent unless
every line is good.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from eth_utils import is_checksum_address, is_hex_address, keccak

from backend.chain.units_csv import LineError, parse_hundredths

BUDGET_HEADER = ("fund", "category", "amount_yuan")
EXPENSE_HEADER = ("category", "payee", "amount_yuan", "invoice", "fund")
FEE_INCOME, PUBLIC_INCOME, MAINTENANCE = 0, 1, 2
MODE_COMMISSION = 2
FUNDS = {"fee_income": FEE_INCOME, "物业费": FEE_INCOME, "物业费收入": FEE_INCOME,
         "public_income": PUBLIC_INCOME, "公共收益": PUBLIC_INCOME}
FUND_NAMES = {FEE_INCOME: "fee income", PUBLIC_INCOME: "public income"}
# README, "Expense categories": the numbers the pages name.
CATEGORIES = {1: ("cleaning", "保洁"), 2: ("security", "秩序维护"), 3: ("greening", "绿化"),
              4: ("repairs", "设施维修养护"), 5: ("utilities", "公共水电"), 6: ("administration", "管理费用")}
CATEGORY_NUMBERS = {name: number for number, names in CATEGORIES.items() for name in names}
COMMITTEE_ROLE = keccak(text="linli.role.committee")
MANAGER_ROLE = keccak(text="linli.role.manager")
MAX_AMOUNT_FEN = 2**128 - 1
# Measured (tests/scripts/test_treasury_cli.py): 250 first allocations in one SafeTx use
# 8,034,532 gas, ~32k a line (new storage slots, the dearest case): half the 16,777,216
# gas a transaction may use (EIP-7825), and a fund's 255 categories of a year go in at
# most two Safe transactions.
LINES_PER_SAFE_TX = 250
_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class TreasuryCsvError(ValueError):
    """Raised with every bad line; nothing may be sent."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class BudgetLine:
    line: int
    fund: int
    category: int
    amount: int  # fen


@dataclass(frozen=True)
class ExpenseLine:
    line: int
    category: int
    payee: str
    amount: int  # fen
    invoice_hash: bytes
    fund: int

    def as_args(self) -> tuple[int, str, int, bytes, int]:
        return (self.category, self.payee, self.amount, self.invoice_hash, self.fund)


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def category_name(category: int) -> str:
    names = CATEGORIES.get(category)
    return f"category {category} ({names[0]} {names[1]})" if names else f"category {category}"


def parse_fund(text: str) -> int:
    value = text.strip()
    fund = FUNDS.get(value.lower())
    if fund is None and value.isdigit():
        fund = int(value)
    if fund == MAINTENANCE:
        raise ValueError("fund 2 (the maintenance fund) moves only by the assembly's decision")
    if fund not in FUND_NAMES:
        raise ValueError(f"fund {text!r} is not fee_income (0) or public_income (1)")
    return fund


def parse_category(text: str) -> int:
    value = text.strip()
    if value.isdigit():
        number = int(value)
        if not 1 <= number <= 255:
            raise ValueError(f"category {text!r} is not a number from 1 to 255")
        return number
    number = CATEGORY_NUMBERS.get(value.lower())
    if number is None:
        known = ", ".join(f"{n} {a}/{b}" for n, (a, b) in CATEGORIES.items())
        raise ValueError(f"category {text!r} is not a number from 1 to 255 nor one of {known}")
    return number


def parse_amount(text: str) -> int:
    fen = parse_hundredths(text, "amount", text.replace(",", ""))
    if fen > MAX_AMOUNT_FEN:
        raise ValueError(f"amount {text!r} is too large")
    return fen


def parse_invoice(text: str, folder: Path) -> bytes:
    """The invoice's sha256: given as 64 hex digits, or hashed from the file named."""
    value = text.strip()
    if not value:
        raise ValueError("invoice is empty: give its sha256 or the path of the invoice file")
    if _HASH.match(value):
        digest = bytes.fromhex(value.removeprefix("0x"))
        if not any(digest):
            raise ValueError("invoice hash must not be zero")
        return digest
    path = Path(value) if Path(value).is_absolute() else folder / value
    if not path.is_file():
        raise ValueError(f"invoice {value!r} is neither a sha256 (64 hex digits) nor a file ({path} not found)")
    return hashlib.sha256(path.read_bytes()).digest()


def _rows(text: str, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise TreasuryCsvError([LineError(1, "empty file: expected header " + ",".join(header))])
    found = tuple(cell.strip().lower() for cell in rows[0])
    if found != header:
        raise TreasuryCsvError([LineError(1, f"header must be {','.join(header)}, found {','.join(found)}")])
    return [(number, cells) for number, cells in enumerate(rows[1:], start=2) if any(c.strip() for c in cells)]


def parse_budget_csv(text: str) -> list[BudgetLine]:
    """Parse and check the file alone; raise TreasuryCsvError listing every bad line."""
    lines, errors = read_budget_csv(text)
    if errors:
        raise TreasuryCsvError(errors)
    return lines


def read_budget_csv(text: str) -> tuple[list[BudgetLine], list[LineError]]:
    """The good lines and the bad lines' problems (the good ones can still be checked
    against the chain, so one run reports every bad line); a bad header or a file
    without lines raises TreasuryCsvError."""
    errors: list[LineError] = []
    lines: list[BudgetLine] = []
    seen: dict[tuple[int, int], int] = {}
    for number, cells in _rows(text, BUDGET_HEADER):
        if len(cells) != len(BUDGET_HEADER):
            errors.append(LineError(number, f"expected {len(BUDGET_HEADER)} fields, found {len(cells)}"))
            continue
        problems: list[str] = []
        values = []
        for parse, cell in zip((parse_fund, parse_category, parse_amount), cells):
            try:
                values.append(parse(cell))
            except ValueError as exc:
                problems.append(str(exc))
        if not problems:
            fund, category, amount = values
            if (fund, category) in seen:
                problems.append(f"{category_name(category)} of {FUND_NAMES[fund]} duplicates line {seen[fund, category]}")
            else:
                seen[fund, category] = number
                lines.append(BudgetLine(number, fund, category, amount))
        errors.extend(LineError(number, p) for p in problems)
    if not lines and not errors:
        raise TreasuryCsvError([LineError(2, "no budget lines in the file")])
    return lines, errors


def parse_expense_csv(text: str, folder: Path) -> list[ExpenseLine]:
    """Parse and check the file alone (invoice files are hashed from `folder`); raise
    TreasuryCsvError listing every bad line."""
    lines, errors = read_expense_csv(text, folder)
    if errors:
        raise TreasuryCsvError(errors)
    return lines


def read_expense_csv(text: str, folder: Path) -> tuple[list[ExpenseLine], list[LineError]]:
    """As `read_budget_csv`, for expenses."""
    errors: list[LineError] = []
    lines: list[ExpenseLine] = []
    for number, cells in _rows(text, EXPENSE_HEADER):
        if len(cells) != len(EXPENSE_HEADER):
            errors.append(LineError(number, f"expected {len(EXPENSE_HEADER)} fields, found {len(cells)}"))
            continue
        category_text, payee, amount_text, invoice_text, fund_text = (cell.strip() for cell in cells)
        problems: list[str] = []
        category = amount = fund = 0
        invoice = b""
        try:
            category = parse_category(category_text)
        except ValueError as exc:
            problems.append(str(exc))
        if not is_hex_address(payee):
            problems.append(f"payee {payee!r} is not an address")
        elif not is_checksum_address(payee):
            problems.append(f"payee {payee!r} fails the EIP-55 checksum (copy it from the wallet)")
        elif int(payee, 16) == 0:
            problems.append("payee is the zero address")
        try:
            amount = parse_amount(amount_text)
        except ValueError as exc:
            problems.append(str(exc))
        try:
            invoice = parse_invoice(invoice_text, folder)
        except ValueError as exc:
            problems.append(str(exc))
        try:
            fund = parse_fund(fund_text)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            errors.extend(LineError(number, p) for p in problems)
            continue
        lines.append(ExpenseLine(number, category, payee, amount, invoice, fund))
    if not lines and not errors:
        raise TreasuryCsvError([LineError(2, "no expenses in the file")])
    return lines, errors


def all_problems(*groups: list[LineError]) -> list[LineError]:
    """Every problem of the file and of the chain, in line order."""
    return sorted((e for group in groups for e in group), key=lambda e: e.line)


def current_year(fees) -> int:
    """The current Beijing year, as CommunityTreasury counts it (a month index // 12)."""
    return int(fees.current_month()) // 12


def _commission_mode(fees) -> bool:
    return int(fees.terms_in_force()[2]) == MODE_COMMISSION


def check_budget_against_chain(lines: list[BudgetLine], year: int, treasury, fees) -> list[LineError]:
    """What allocate_budget would refuse, line by line: a past year, a year or fund the
    assembly approved nothing for, fee income outside 酬金制, a budget below what the
    category spent, and the lines at which a fund's categories exceed its annual budget."""
    errors: list[LineError] = []
    this_year = current_year(fees)
    if year < this_year or year >= 10_000:
        return [LineError(line.line, f"year {year} is not this year ({this_year}) or a later one") for line in lines]
    commission = _commission_mode(fees)
    annual = {fund: tuple(int(v) for v in treasury.annual_budget(year, fund)) for fund in {l.fund for l in lines}}
    # allocated so far, adjusted line by line for the categories the file revises
    allocated = {fund: annual[fund][1] for fund in annual}
    for line in lines:
        approved = annual[line.fund][0]
        if approved == 0:
            errors.append(LineError(line.line, f"the assembly approved no {FUND_NAMES[line.fund]} budget for {year}"))
            continue
        if line.fund == FEE_INCOME and not commission:
            errors.append(LineError(line.line, "fee income is budgeted only under a 酬金制 (commission) contract "
                                               "in force"))
            continue
        budget, spent = (int(v) for v in treasury.budget(year, line.fund, line.category))
        if line.amount < spent:
            errors.append(LineError(line.line, f"{yuan(line.amount)} is below the {yuan(spent)} "
                                               f"{category_name(line.category)} already spent in {year}"))
            continue
        allocated[line.fund] += line.amount - budget
        if allocated[line.fund] > approved:
            errors.append(LineError(line.line, f"{FUND_NAMES[line.fund]} categories of {year} would total "
                                               f"{yuan(allocated[line.fund])}, over the assembly's annual budget "
                                               f"{yuan(approved)} by {yuan(allocated[line.fund] - approved)}"))
    return errors


def check_expenses_against_chain(lines: list[ExpenseLine], treasury, fees, registry) -> list[LineError]:
    """What record_expense would refuse, line by line: a payee holding the committee
    role, fee income outside 酬金制, no budget this year, a category's lines exceeding
    what is left of its budget, and a fund's lines exceeding what it holds."""
    errors: list[LineError] = []
    year = current_year(fees)
    commission = _commission_mode(fees)
    left: dict[tuple[int, int], int] = {}
    held = {FEE_INCOME: None, PUBLIC_INCOME: None}
    committee_payees: dict[str, bool] = {}
    for line in lines:
        problems: list[str] = []
        if line.payee not in committee_payees:
            committee_payees[line.payee] = bool(registry.hasRole(COMMITTEE_ROLE, line.payee))
        if committee_payees[line.payee]:
            problems.append(f"payee {line.payee} holds the committee role: the committee is never paid owners' money")
        if line.fund == FEE_INCOME and not commission:
            problems.append("fee income is spent only under a 酬金制 (commission) contract in force")
        key = (line.fund, line.category)
        if key not in left:
            budget, spent = (int(v) for v in treasury.budget(year, line.fund, line.category))
            left[key] = budget - spent if budget else -1
        if left[key] < 0:
            problems.append(f"no {FUND_NAMES[line.fund]} budget for {category_name(line.category)} in {year}")
        elif line.amount > left[key]:
            problems.append(f"{yuan(line.amount)} exceeds the {yuan(left[key])} left of the {year} "
                            f"{FUND_NAMES[line.fund]} budget for {category_name(line.category)}")
        else:
            left[key] -= line.amount
        if held[line.fund] is None:
            held[line.fund] = int(fees.fee_income() if line.fund == FEE_INCOME else fees.public_income())
        if line.amount > held[line.fund]:
            problems.append(f"{yuan(line.amount)} exceeds the {yuan(held[line.fund])} of {FUND_NAMES[line.fund]} "
                            "left after the lines before it")
        else:
            held[line.fund] -= line.amount
        errors.extend(LineError(line.line, p) for p in problems)
    return errors


def batches(lines: list, size: int = LINES_PER_SAFE_TX) -> list[list]:
    if not 1 <= size <= LINES_PER_SAFE_TX:
        raise ValueError(f"batch size must be between 1 and {LINES_PER_SAFE_TX}")
    return [lines[i: i + size] for i in range(0, len(lines), size)]
