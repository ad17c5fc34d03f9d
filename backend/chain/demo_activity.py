"""What a demo community does so every resident page has something to show: fees billed
from two months back and some payments (late, then on time with points claimed), a
budget and an expense with its invoice hash, a proposal open for voting with a few
ballots (some signed and relayed), points spent at a merchant, and gas money for the
vote relayer.

`scripts/seed_demo.py` runs it on the demo chain and the browser tests on theirs, so
the pages are tested on what the demo shows. Local chains only: it moves the chain's
clock to open the vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

DEMO_RATE = 250  # fen per m² per month (2.50 yuan)
DEMO_DEPOSIT = 10_000_00  # 10,000.00 yuan in fen per demo wallet
EXPENSE_CATEGORY = 1  # cleaning (README, "Expense categories")
EXPENSE_BUDGET = 120_000_00
OTHER_COMMON = 9  # 民法典 第二百七十八条 (九): other matters of common ownership
RELAYER_GAS_MONEY = 10 * 10**18


@dataclass
class OpenProposal:
    id: int
    start: int
    end: int


def start_billing(fees: Any, token: Any, committee: Any, manager: Any, payers: list[str], *, months_back: int = 2,
                  rate: int = DEMO_RATE, deposit: int = DEMO_DEPOSIT) -> int:
    """A property service contract in force since `months_back` months ago (so statements show
    dues and a late fee) and settlement tokens for the payers. Returns the start month."""
    start = fees.current_month() - months_back
    fees.set_billing_start(start, sender=committee)
    items = [sha256(f"demo service level: {item}".encode()).digest() for item in ("cleaning", "security", "greening")]
    fees.propose_service_contract(sha256(b"demo property service contract").digest(), manager.address, start,
                                  start + 35, rate, items, sender=manager)
    fees.approve_service_contract(fees.service_contract_count(), sender=committee)
    for payer in payers:
        token.mint(payer, deposit, sender=committee)
    return start


def pay_and_claim(fees: Any, token: Any, owner: Any, unit_id: int) -> None:
    """An owner clears the overdue months (late fee), prepays one on time and claims its points."""
    token.approve(fees.address, 2**256 - 1, sender=owner)
    due = fees.statement(unit_id).months_due
    if due:
        fees.pay(unit_id, due, 2**255, sender=owner)
    fees.pay(unit_id, 1, 2**255, sender=owner)
    if fees.claimable_points(unit_id):
        fees.claim_points([unit_id], sender=owner)


def budget_and_expense(fees: Any, committee: Any, manager: Any, payee: str, amount: int) -> bytes:
    """The year's cleaning budget and one expense against it; returns the invoice hash."""
    period = fees.current_month()
    fees.approve_budget(period // 12, EXPENSE_CATEGORY, EXPENSE_BUDGET, sender=committee)
    invoice = sha256(f"demo invoice: cleaning {period}".encode()).digest()
    fees.record_expense(EXPENSE_CATEGORY, payee, amount, invoice, period, 0, sender=manager)
    return invoice


def open_proposal(assembly: Any, committee: Any, chain: Any, *, title: str = "关于更换小区门禁系统的议案",
                  length: int | None = None) -> OpenProposal:
    """A committee proposal (no calls), its vote opened by moving the chain's clock past the notice."""
    notice = assembly.min_notice()
    length = length or assembly.max_voting_period()
    doc_hash = keccak(text=f"{title}: full text kept off chain")
    start = chain.pending_timestamp + notice + 60  # a minute of slack for the block that carries it
    end = start + length
    assembly.propose([], [], [], OTHER_COMMON, title, doc_hash, start, end, sender=committee)
    proposal_id = assembly.hashProposal([], [], [], doc_hash)
    chain.pending_timestamp = start
    chain.mine()
    return OpenProposal(proposal_id, start, end)


def sign_ballot(assembly: Any, chain_id: int, private_key: str, proposal_id: int, support: int) -> bytes:
    """An EIP-712 ballot as a wallet signs it (for castVoteBySig)."""
    voter = Account.from_key(private_key).address
    message = {
        "domain": {"name": "Linli OwnersAssembly", "version": "1", "chainId": chain_id,
                   "verifyingContract": assembly.address},
        "types": {"Ballot": [{"name": "proposalId", "type": "uint256"}, {"name": "support", "type": "uint8"},
                             {"name": "voter", "type": "address"}]},
        "primaryType": "Ballot",
        "message": {"proposalId": proposal_id, "support": support, "voter": voter},
    }
    return bytes(Account.sign_message(encode_typed_data(full_message=message), private_key).signature)


def relayer_address(private_key: str) -> str:
    return Account.from_key(private_key).address
