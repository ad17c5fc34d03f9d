"""Helpers for the owners' assembly tests: owners with chosen areas, proposals, time."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from backend.chain.deploy_assembly import proposal_id
from tests.utils.identity import commitment_for

DAY = 86400

# Matters of 民法典 第二百七十八条 as the contract numbers them.
RULES_OF_PROCEDURE = 1
MANAGEMENT_COVENANT = 2
COMMITTEE_ELECTION = 3
PROPERTY_COMPANY = 4
USE_FUND = 5
RAISE_FUND = 6
REBUILD = 7
COMMON_PARTS_USE = 8
OTHER_COMMON = 9
MAJOR = {RAISE_FUND, REBUILD, COMMON_PARTS_USE}

AGAINST, FOR, ABSTAIN = 0, 1, 2

# Proposal states (OwnersAssembly.state).
PENDING, ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXPIRED, EXECUTED, ANNOUNCED, GATHERING = range(10)

BALLOT_TYPES = {
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
    ]
}


def doc(text: str) -> bytes:
    """The document hash of a proposal's (off-chain) full text."""
    return keccak(text=text)


@dataclass
class Proposal:
    """A proposal as the tests made it: id, the calls (to queue/execute) and its window."""

    id: int
    targets: list
    values: list
    calldatas: list
    doc_hash: bytes
    start: int
    end: int
    tx: Any = None

    @property
    def calls(self) -> tuple:
        """The arguments of `queue` and `execute`: the id, then the calls voted on."""
        return (self.id, self.targets, self.values, self.calldatas, self.doc_hash)


def propose(
    assembly,
    sender,
    chain,
    *,
    matter: int = OTHER_COMMON,
    calls: list[tuple] | None = None,
    title: str = "关于更换小区门禁系统的议案",
    text: str | None = None,
    notice: int = DAY,
    length: int = 7 * DAY,
) -> Proposal:
    """Make a proposal whose vote starts `notice` seconds after the next block."""
    calls = calls or []
    targets = [getattr(t, "address", t) for t, _, _ in calls]
    values = [v for _, v, _ in calls]
    calldatas = [bytes(c) for _, _, c in calls]
    doc_hash = doc(text or f"{title} / {len(calls)} calls")
    now = chain.pending_timestamp
    start = now + notice + 60  # a minute of slack for the block that carries the proposal
    end = start + length
    nonce = assembly.proposal_nonce(sender)
    tx = assembly.propose(targets, values, calldatas, matter, title, doc_hash, start, end, sender=sender)
    pid = proposal_id(targets, values, calldatas, doc_hash, sender.address, nonce)
    assert tx.decode_logs(assembly.ProposalCreated)[0].proposalId == pid
    return Proposal(pid, targets, values, calldatas, doc_hash, start, end, tx)


def at(chain, timestamp: int) -> None:
    """The next transaction is mined exactly at `timestamp`."""
    chain.pending_timestamp = timestamp


def open_voting(chain, proposal: Proposal) -> None:
    at(chain, proposal.start)
    chain.mine()


def close_voting(chain, proposal: Proposal) -> None:
    at(chain, proposal.end)
    chain.mine()


def publish_result(assembly, chain, proposal: Proposal, sender=None):
    """After the close, the result the legal way (PaperBallots): the preliminary
    result now, its objection period waited out, then the final result, which
    `queue` needs. Returns publish_final's receipt."""
    from ape import accounts, project

    paper = project.PaperBallots.at(assembly.paper_ballots())
    sender = sender or accounts.test_accounts[0]
    if chain.blocks.head.timestamp < proposal.end:
        at(chain, proposal.end)
    paper.publish_preliminary(proposal.id, sender=sender)
    ends = paper.objection_ends(proposal.id)
    if ends > chain.blocks.head.timestamp:
        at(chain, ends)
    return paper.publish_final(proposal.id, sender=sender)


def sign_ballot(assembly, chain, account, proposal_id: int, support: int, voter: str | None = None) -> bytes:
    """An EIP-712 Ballot signed with `account`'s key, built independently of the contract."""
    message = {
        "domain": {
            "name": "Linli OwnersAssembly",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": assembly.address,
        },
        "types": BALLOT_TYPES,
        "primaryType": "Ballot",
        "message": {"proposalId": proposal_id, "support": support, "voter": voter or account.address},
    }
    signable = encode_typed_data(full_message=message)
    return bytes(Account.sign_message(signable, account.private_key).signature)


@dataclass
class Owner:
    """A test owner: wallet, units' areas, and (after registration) identity index."""

    account: Any
    areas: list[int]
    tag: str
    identity: int = -1

    @property
    def area(self) -> int:
        return sum(self.areas)

    @property
    def address(self) -> str:
        return self.account.address


@dataclass
class Town:
    """A set of owners registered in the registry (one batch, one totals checkpoint)."""

    owners: list[Owner] = field(default_factory=list)

    @property
    def total_area(self) -> int:
        return sum(o.area for o in self.owners)

    @property
    def heads(self) -> int:
        return len(self.owners)


def register(registry, committee, accounts_: list, areas: list[list[int]], prefix: str) -> Town:
    """Register owners: accounts_[i] owns units of areas[i] (0.01 m² each)."""
    units = []
    owners = []
    for i, (account, unit_areas) in enumerate(zip(accounts_, areas, strict=True)):
        tag = f"{prefix}-{i}"
        for j, area in enumerate(unit_areas):
            units.append((f"{prefix}-{i}-{j}", area, account.address, commitment_for(tag)))
        owners.append(Owner(account, list(unit_areas), tag))
    for k in range(0, len(units), 60):  # the registry's batch limit
        registry.register_units(units[k : k + 60], sender=committee)
    for owner in owners:
        bound, idx = registry.identity_of(owner.address)
        assert bound
        owner.identity = idx
    return Town(owners)


def statute(matter: int, total_area: int, total_heads: int, ballots: list[tuple[int, int]]) -> tuple[bool, bool]:
    """An independent model of 民法典 第二百七十八条 in exact fractions.

    ballots: (area, support) per voting owner. Returns (turnout met, passed)."""
    part_area = sum(a for a, _ in ballots)
    part_heads = len(ballots)
    for_area = sum(a for a, s in ballots if s == FOR)
    for_heads = sum(1 for _, s in ballots if s == FOR)
    turnout = Fraction(part_area, total_area) >= Fraction(2, 3) and Fraction(part_heads, total_heads) >= Fraction(2, 3)
    if not turnout or part_heads == 0:
        return turnout, False
    if matter in MAJOR:
        ok = Fraction(for_area, part_area) >= Fraction(3, 4) and Fraction(for_heads, part_heads) >= Fraction(3, 4)
    else:
        ok = Fraction(for_area, part_area) > Fraction(1, 2) and Fraction(for_heads, part_heads) > Fraction(1, 2)
    return turnout, ok
