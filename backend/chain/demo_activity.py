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


# ---------------------------------------------------------------- culture, activities, services,
# suggestions and consent: what the community pages of phase 2 show.

HOUR = 3600
DAY = 86400
ZERO_HASH = b"\0" * 32

# (title, kind): kinds as CultureWorks numbers them (0 calligraphy, 1 painting, 2 photograph).
DEMO_WORKS = (("荷塘月色", 1), ("小区的清晨", 2), ("福", 0))
DEMO_EXHIBITION = "邻里节作品展"


def work_file(title: str) -> bytes:
    """The demo's stand-in for a work's file: the chain keeps only its sha256."""
    return f"linli demo work: {title}\n".encode()


def text_hash(text: str) -> bytes:
    """sha256 of a text kept off chain (a description, a suggestion, an answer), as the pages hash it."""
    return sha256(text.encode()).digest()


# The demo's texts the chain keeps as a hash, named here so scripts/seed_vault_demo.py can
# store them in the public text store as their writers would.
DEMO_ACTIVITY_DESCRIPTIONS = {
    "中秋游园会": "中秋游园会：猜灯谜、做月饼，在中心花园。",
    "社区义诊": "社区义诊：量血压、测血糖，社区医院的医生坐诊。",
    "广场舞教学": "广场舞教学：晚饭后在中心广场，零基础可来。",
}
# The repair request (`resident`'s, in service_jobs) and the cleaning request (`neighbour`'s).
DEMO_REQUESTS = ("厨房水龙头漏水，需要更换阀芯。", "周末全屋保洁，三室两厅。")
# (score, text) of the two feedbacks scripts/seed_demo.py leaves on the activity that is over.
DEMO_FEEDBACK = ((5, "医生很耐心，量了血压还讲了用药。"), (4, "排队有点久，希望多安排一位医生。"))


def culture_gallery(culture: Any, committee: Any, creators: list[Any], likes: list[tuple[Any, int]]) -> list[bytes]:
    """One work per creator (DEMO_WORKS in turn), `likes` as (liker, index of the work), and an
    exhibition of the first two works. Returns the works' content hashes (their token ids)."""
    hashes = []
    for (title, kind), creator in zip(DEMO_WORKS, creators):
        content = sha256(work_file(title)).digest()
        culture.mint_work(title, kind, content, f"sha256:{content.hex()}", sender=creator)
        hashes.append(content)
    for liker, index in likes:
        culture.like(int.from_bytes(hashes[index], "big"), sender=liker)
    culture.create_exhibition(DEMO_EXHIBITION, sender=committee)
    exhibition = culture.exhibition_count()
    for content in hashes[:2]:
        culture.add_to_exhibition(exhibition, int.from_bytes(content, "big"), sender=committee)
    return hashes


@dataclass
class DemoActivities:
    upcoming: int
    past: int
    soon: int


def activity_calendar(activities: Any, committee: Any, organiser: Any, chain: Any, *, sign_ups: list[Any],
                      attendees: list[Any], feedback: list[tuple[Any, int, str]]) -> DemoActivities:
    """An activity in three days with `sign_ups`; one that is over, attended by `attendees`
    (checked in by the organiser) with `feedback` as (attendee, score, text); and one
    starting in half an hour (sign-up and check-in open). Moves the chain's clock past the
    second one's end, a few hours."""
    now = chain.pending_timestamp
    activities.create_activity("中秋游园会", text_hash(DEMO_ACTIVITY_DESCRIPTIONS["中秋游园会"]), now + 3 * DAY,
                               now + 3 * DAY + 3 * HOUR, 60, 5, organiser, sender=committee)
    upcoming = activities.activity_count()
    start = now + 10 * 60
    activities.create_activity("社区义诊", text_hash(DEMO_ACTIVITY_DESCRIPTIONS["社区义诊"]), start,
                               start + 2 * HOUR, 30, 5, organiser, sender=committee)
    past = activities.activity_count()
    for resident in sign_ups:
        activities.sign_up(upcoming, sender=resident)
    for resident in attendees:
        activities.sign_up(past, sender=resident)
    chain.pending_timestamp = start + 2 * HOUR + 60
    chain.mine()
    activities.check_in(past, [a.address for a in attendees], sender=organiser)
    for attendee, score, text in feedback:
        activities.leave_feedback(past, score, text_hash(text), sender=attendee)
    soon = chain.pending_timestamp + 30 * 60
    activities.create_activity("广场舞教学", text_hash(DEMO_ACTIVITY_DESCRIPTIONS["广场舞教学"]), soon,
                               soon + HOUR, 40, 2, organiser, sender=committee)
    return DemoActivities(upcoming, past, activities.activity_count())


@dataclass
class DemoJobs:
    completed: int
    open_request: int


def service_jobs(market: Any, token: Any, committee: Any, provider: Any, chain: Any, *, resident: Any,
                 neighbour: Any) -> DemoJobs:
    """A 2% platform fee and 5 points per rating; `resident`'s repair request done, confirmed
    and rated 5 stars; `neighbour`'s cleaning request open with the provider's offer."""
    market.set_fee(200, sender=committee)
    market.set_rating_points(5, sender=committee)
    now = chain.pending_timestamp
    token.approve(market.address, 300_00, sender=resident)
    market.post_request(2, text_hash(DEMO_REQUESTS[0]), 300_00, now + 7 * DAY, sender=resident)
    completed = market.request_count()
    market.make_offer(completed, 260_00, now + 2 * DAY, sender=provider)
    market.accept_offer(completed, provider.address, 260_00, now + 2 * DAY, sender=resident)
    market.mark_done(completed, sender=provider)
    market.confirm(completed, sender=resident)
    market.rate(completed, 5, sender=resident)
    token.approve(market.address, 200_00, sender=neighbour)
    market.post_request(6, text_hash(DEMO_REQUESTS[1]), 200_00, now + 10 * DAY, sender=neighbour)
    open_request = market.request_count()
    market.make_offer(open_request, 180_00, now + 5 * DAY, sender=provider)
    return DemoJobs(completed, open_request)


# Suggestion statuses as SuggestionBox numbers them.
RECEIVED, ACCEPTED, IN_PROGRESS, DONE, DECLINED = 2, 3, 4, 5, 6
# (submitter index, category, text, answers as (status, response text or "")); categories are
# the pages' (1 environment, 2 order and safety, 3 facilities, 5 parking and traffic).
DEMO_SUGGESTIONS = (
    (0, 5, "建议在3号楼前增设电动自行车充电桩。",
     ((RECEIVED, ""), (ACCEPTED, "已列入本季度计划。"), (IN_PROGRESS, "已与供电公司确认容量。"))),
    (1, 2, "夜间广场舞音量过大，希望九点后降低音量。", ((DECLINED, "已协调舞蹈队九点前结束，此条按已处理关闭。"),)),
    (2, 3, "儿童游乐区地面有破损，容易绊倒。", ((ACCEPTED, ""), (DONE, "已更换地垫。"))),
    (0, 1, "希望每月组织一次垃圾分类指导。", ()),
)


def suggestion_box(box: Any, answerer: Any, submitters: list[Any]) -> list[int]:
    """DEMO_SUGGESTIONS submitted and answered: one in progress, one declined, one done, one
    waiting. Returns their ids."""
    ids = []
    for who, category, text, answers in DEMO_SUGGESTIONS:
        box.submit(category, text_hash(text), sender=submitters[who])
        suggestion_id = box.suggestion_count()
        for status, response in answers:
            box.answer(suggestion_id, status, text_hash(response) if response else ZERO_HASH, sender=answerer)
        ids.append(suggestion_id)
    return ids


def consent_grant(consent: Any, resident: Any, grantee: Any, chain: Any, *, scope: str = "contact",
                  days: int = 90) -> int:
    """The resident grants `scope` of its vault data to `grantee` for `days`; returns the expiry."""
    expiry = chain.pending_timestamp + days * DAY
    consent.grant(grantee.address, keccak(text=scope), expiry, ZERO_HASH, sender=resident)
    return expiry
