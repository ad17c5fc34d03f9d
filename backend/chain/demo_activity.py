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

from backend.chain.deploy_assembly import proposal_id

DEMO_RATE = 250  # fen per m² per month (2.50 yuan)
DEMO_DEPOSIT = 10_000_00  # 10,000.00 yuan in fen per demo wallet
EXPENSE_CATEGORY = 1  # cleaning (README, "Expense categories")
EXPENSE_BUDGET = 120_000_00
COMMISSION_MODE, DEMO_COMMISSION_BPS = 2, 500  # 酬金制 at 5 %: fee income is spent within budgets
FEE_INCOME, PUBLIC_INCOME = 0, 1
ASSEMBLY_ROLE = keccak(text="linli.role.assembly")
OTHER_COMMON = 9  # 民法典 第二百七十八条 (九): other matters of common ownership
RELAYER_GAS_MONEY = 10 * 10**18


@dataclass
class OpenProposal:
    id: int
    start: int
    end: int


def start_billing(fees: Any, token: Any, committee: Any, manager: Any, payers: list[str], *, months_back: int = 2,
                  rate: int = DEMO_RATE, deposit: int = DEMO_DEPOSIT, assembly: Any = None) -> int:
    """A property service contract (酬金制) in force since `months_back` months ago (so
    statements show dues and a late fee) and settlement tokens for the payers. The
    assembly (default: the committee account, which deployed and still holds the
    assembly's role) approves it. Returns the start month."""
    start = fees.current_month() - months_back
    fees.set_billing_start(start, sender=committee)
    items = [sha256(f"demo service level: {item}".encode()).digest() for item in ("cleaning", "security", "greening")]
    fees.propose_service_contract(sha256(b"demo property service contract").digest(), manager.address, start,
                                  start + 35, rate, items, COMMISSION_MODE, DEMO_COMMISSION_BPS, sender=manager)
    fees.approve_service_contract(fees.service_contract_count(), sender=assembly or committee)
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


def budget_and_expense(fees: Any, committee: Any, manager: Any, payee: str, amount: int, *,
                       assembly: Any = None) -> bytes:
    """The year's fee income budget (the assembly's; default: the committee account while it
    holds the assembly's role), its cleaning category (the committee's) and one expense
    against it (the manager's); returns the invoice hash."""
    from ape import project

    treasury = project.CommunityTreasury.at(fees.treasury())
    period = fees.current_month()
    treasury.approve_annual_budget(period // 12, FEE_INCOME, EXPENSE_BUDGET,
                                   sha256(f"demo budget {period // 12}".encode()).digest(), sender=assembly or committee)
    treasury.allocate_budget(period // 12, FEE_INCOME, EXPENSE_CATEGORY, EXPENSE_BUDGET, sender=committee)
    invoice = sha256(f"demo invoice: cleaning {period}".encode()).digest()
    treasury.record_expense(EXPENSE_CATEGORY, payee, amount, invoice, FEE_INCOME, sender=manager)
    return invoice


def proposal_full_text(title: str) -> str:
    """The demo's full text of a proposal: its SHA-256 is the proposal's doc_hash, and
    scripts/seed_vault_demo.py stores it in the document store so the pages can show it."""
    return (f"# {title}\n\n（演示文本）\n\n一、事由：业主反映的问题与现状。\n二、方案：拟采取的措施、费用及其来源。\n"
            f"三、表决事项：请业主对本议案投票。\n\n本小区业主委员会\n")


def full_text_hash(title: str) -> bytes:
    return sha256(proposal_full_text(title).encode()).digest()


# The notices the demo publishes: (kind, audience, building, title, text); kind 1 is the
# gathering owners' proposal's notice. Their texts go to the public texts (seed_vault_demo).
DEMO_NOTICES = (
    (1, 3, "", "关于召开业主大会会议的公告（充电棚）",
     "业主大会会议公告：就《关于增设电动自行车充电棚的议案》征集联署并表决。议案全文附后，投票开始前请业主查阅并签收。"),
    (3, 2, "1", "1号楼停水通知", "因二次供水水箱清洗，1号楼将于本周六 9:00–15:00 停水，请提前储水。"),
)
DEMO_STATUTE = ("# 邻里测试小区管理规约（演示）\n\n第一条 为维护全体业主的合法权益，根据《民法典》制定本规约。\n"
                "第二条 业主应当按时交纳物业服务费用。\n第三条 共有部分的使用与收益，由业主大会依法决定。\n")


def publish_demo_notices(board: Any, committee: Any, gathering_id: int) -> None:
    """The demo's notice board: the owners' proposal's notice, a building's outage notice and
    the management covenant in the library."""
    for kind, audience, building, title, text in DEMO_NOTICES:
        board.publish_notice(sha256(text.encode()).digest(), kind, audience, building, title,
                             gathering_id if kind == 1 else 0,
                             [full_text_hash("关于增设电动自行车充电棚的议案")] if kind == 1 else [], sender=committee)
    board.register_document(sha256(DEMO_STATUTE.encode()).digest(), 1, "管理规约（演示）", sender=committee)


def open_proposal(assembly: Any, committee: Any, chain: Any, *, title: str = "关于更换小区门禁系统的议案",
                  length: int | None = None) -> OpenProposal:
    """A committee proposal (no calls), its vote opened by moving the chain's clock past the notice."""
    notice = assembly.min_notice()
    length = length or assembly.max_voting_period()
    doc_hash = full_text_hash(title)
    start = chain.pending_timestamp + notice + 60  # a minute of slack for the block that carries it
    end = start + length
    tx = assembly.propose([], [], [], OTHER_COMMON, title, doc_hash, start, end, sender=committee)
    proposal_id = tx.decode_logs(assembly.ProposalCreated)[0].proposalId
    chain.pending_timestamp = start
    chain.mine()
    return OpenProposal(proposal_id, start, end)


def owner_proposal(assembly: Any, owner: Any, chain: Any, *, title: str = "关于增设电动自行车充电棚的议案") -> int:
    """An owner's own proposal: it needs co-signers holding a fifth of the heads before its
    vote opens, and has only its proposer's so far (gathering co-signers)."""
    doc_hash = full_text_hash(title)
    start = chain.pending_timestamp + assembly.min_notice() + DAY
    tx = assembly.propose([], [], [], OTHER_COMMON, title, doc_hash, start, start + assembly.min_voting_period(),
                          sender=owner)
    return tx.decode_logs(assembly.ProposalCreated)[0].proposalId


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


# ---------------------------------------------------------------- a year of the community (make demo)
#
# The treasury, the assembly and My home are for a community that has lived a while: a
# year of monthly payments (some late, a few still owing), expenses in every category
# within the year's budgets, public income, a maintenance project paid in milestones,
# monthly satisfaction ratings, and proposals in every state. `seed_year` walks the
# chain's clock through twelve months from wherever it is (demo.sh starts anvil with its
# clock 400 days back, so the year ends near today) and sends its thousands of
# transactions through `NodeBatch`, straight to anvil, a block at a time.
#
# The assembly approves each year's budget per fund and the committee divides it into
# categories (`approve_year_budgets`); the manager spends through CommunityTreasury; the
# maintenance fund moves by the assembly's decisions (`maintenance_project_calls`,
# `release_milestone_calls`, run through the timelock).

# Expense categories (README): 1 cleaning, 2 security, 3 greening, 4 repairs, 5 utilities, 6 administration.
# Annual budget per category and the month's spending as a share of a twelfth of it (the rest stays unspent).
YEAR_BUDGETS = {1: 150_000_00, 2: 190_000_00, 3: 72_000_00, 4: 96_000_00, 5: 110_000_00, 6: 54_000_00}
# Utilities follow the seasons (air conditioning in summer, heating and lights in winter).
SEASON = (1.15, 1.05, 0.9, 0.85, 0.9, 1.1, 1.25, 1.3, 1.05, 0.9, 0.95, 1.1)
SOURCE_PARKING, SOURCE_ADVERTISING = 1, 2
MAINTENANCE_DEPOSIT = 600_000_00  # 首期专项维修资金 paid in by the developer
ELEVATOR_MILESTONES = (180_000_00, 120_000_00, 60_000_00)
USE_MAINTENANCE_FUND, PROPERTY_COMPANY, COMMON_PARTS_USE = 5, 4, 8
ETH = 10**18


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def call_data(signature: str, *args: Any) -> bytes:
    """ABI-encoded call of `signature` ("pay(uint256,uint256,uint256)") with `args`."""
    from eth_abi import encode

    types = signature[signature.index("(") + 1:-1]
    return _selector(signature) + encode([t for t in _split_types(types)], list(args))


def _split_types(types: str) -> list[str]:
    out, depth, current = [], 0, ""
    for ch in types:
        if ch == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    return out + ([current] if current else [])


class NodeBatch:
    """Transactions sent straight to a local anvil in JSON-RPC batches, from any address
    (anvil impersonates every sender) and mined a block at a time at chosen times: the
    year's ~4,000 transactions take seconds this way, minutes one by one. Local chains only."""

    def __init__(self, url: str):
        import httpx

        self.url = url
        self.client = httpx.Client(timeout=120)
        self.queue: list[dict] = []
        self.nonces: dict[str, int] = {}
        self.sent = 0

    def rpc(self, method: str, params: list | None = None) -> Any:
        return self.batch([(method, params or [])])[0]

    def batch(self, calls: list[tuple[str, list]]) -> list:
        if not calls:
            return []
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        answers = sorted(self.client.post(self.url, json=body).json(), key=lambda a: a["id"])
        for (method, _), answer in zip(calls, answers):
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
        return [a["result"] for a in answers]

    def __enter__(self) -> NodeBatch:
        self.rpc("anvil_autoImpersonateAccount", [True])
        self.rpc("evm_setAutomine", [False])
        return self

    def __exit__(self, *exc) -> None:
        self.rpc("evm_setAutomine", [True])
        self.rpc("anvil_autoImpersonateAccount", [False])
        self.client.close()

    def fund(self, addresses: list[str], wei: int = 10 * ETH) -> None:
        self.batch([("anvil_setBalance", [a, hex(wei)]) for a in addresses])

    def send(self, sender: str, to: str, signature: str, *args: Any, gas: int = 250_000) -> None:
        sender = sender.lower()
        if sender not in self.nonces:
            self.nonces[sender] = int(self.rpc("eth_getTransactionCount", [sender, "pending"]), 16)
        self.queue.append({"from": sender, "to": to, "data": "0x" + call_data(signature, *args).hex(),
                           "gas": hex(gas), "nonce": hex(self.nonces[sender])})
        self.nonces[sender] += 1

    def now(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def mine(self, timestamp: int) -> None:
        """Send what is queued and mine it at `timestamp` (as many blocks as the gas needs)."""
        hashes = self.batch([("eth_sendTransaction", [tx]) for tx in self.queue])
        self.queue = []
        self.sent += len(hashes)
        moment = max(timestamp, self.now() + 1)
        while True:
            self.rpc("evm_mine", [moment])
            receipts = self.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
            if all(receipts):
                break
            moment += 1
        failed = [(h, r) for h, r in zip(hashes, receipts) if int(r["status"], 16) != 1]
        if failed:
            tx = self.rpc("eth_getTransactionByHash", [failed[0][0]])
            replay = {k: tx[k] for k in ("from", "to", "gas")} | {"data": tx["input"]}
            try:
                self.rpc("eth_call", [replay, hex(int(failed[0][1]["blockNumber"], 16) - 1)])
                reason = "?"
            except RuntimeError as exc:
                reason = str(exc)
            raise RuntimeError(f"{len(failed)} of {len(hashes)} demo transactions failed, e.g. {failed[0][0]} "
                               f"to {tx['to']} ({tx['input'][:10]}): {reason}")


def _holds_assembly_role(node: NodeBatch, registry: str, account: str) -> bool:
    data = call_data("hasRole(bytes32,address)", ASSEMBLY_ROLE, account)
    return int(node.rpc("eth_call", [{"to": registry, "data": "0x" + data.hex()}, "latest"]), 16) == 1


@dataclass
class DemoYear:
    first_month: int
    months: int
    transactions: int
    proposals: dict[str, int]  # state -> proposal id
    project: int


def approve_year_budgets(node: NodeBatch, treasury: str, assembly: str, committee: str, year: int) -> None:
    """The year's budgets: the assembly's annual amount per fund (fee income for every
    category, public income for greening), then the committee's category budgets."""
    doc = sha256(f"{year}年度物业服务资金预算".encode()).digest()
    node.send(assembly, treasury, "approve_annual_budget(uint256,uint8,uint256,bytes32)", year, FEE_INCOME,
              sum(YEAR_BUDGETS.values()), doc)
    node.send(assembly, treasury, "approve_annual_budget(uint256,uint8,uint256,bytes32)", year, PUBLIC_INCOME,
              YEAR_BUDGETS[3], doc)
    for category, amount in YEAR_BUDGETS.items():
        node.send(committee, treasury, "allocate_budget(uint256,uint8,uint8,uint256)", year, FEE_INCOME, category, amount)
    node.send(committee, treasury, "allocate_budget(uint256,uint8,uint8,uint256)", year, PUBLIC_INCOME, 3,
              YEAR_BUDGETS[3])


def maintenance_project_calls(treasury: str, payee: str, project_id: int) -> list[tuple[str, bytes]]:
    """What the assembly's decision runs through the timelock: the elevator project on the
    maintenance fund, and its first milestone (the down payment) at once."""
    doc = sha256("3号楼电梯更换工程：合同与验收标准".encode()).digest()
    return [(treasury, call_data("approve_maintenance_project(address,uint256[],bytes32)", payee,
                                 list(ELEVATOR_MILESTONES), doc)),
            (treasury, call_data("release_milestone(uint256)", project_id))]


def release_milestone_calls(treasury: str, project_id: int) -> list[tuple[str, bytes]]:
    """The next milestone of a project, after its acceptance."""
    return [(treasury, call_data("release_milestone(uint256)", project_id))]


# How owners pay over a year, cycled over the units: most month by month, some by the
# quarter or the year ahead, some late (three months at once, two overdue: late fees),
# one in twenty stops paying after a few months (still owing at the end).
PAYMENT_PLANS = ["monthly"] * 11 + ["quarterly"] * 4 + ["yearly"] * 2 + ["late"] * 2 + ["arrears"]
SPENDING = 0.8  # a month's spending as a share of a twelfth of the budget
GROUP_S = 3600  # what falls within an hour goes into one block


def seed_year(node: NodeBatch, contracts: dict[str, Any], committee: str, manager: str, payee: str,
              units: list[tuple[int, str]], keep_unpaid: set[str], voters: list[str], proposer: str,
              *, months: int = 12) -> DemoYear:
    """Twelve months of the community from the chain's current month: `units` as (unit id,
    owner wallet) pay by their plan (owners in `keep_unpaid` are left for a person to try),
    the manager spends within budgets, parking and advertising bring public income, owners
    rate the service, and the assembly (`voters` vote) decides a maintenance project
    (executed), turns down advertising on the walls (defeated), releases the project's
    second milestone (queued at the end) and renews the property company (announced at the
    end, once the demo's last steps moved the clock ~15 days on)."""
    fees, token, assembly, treasury, paper = (contracts[n].address for n in (
        "PropertyFees", "SettlementToken", "OwnersAssembly", "CommunityTreasury", "PaperBallots"))
    fees_c, assembly_c, treasury_c = contracts["PropertyFees"], contracts["OwnersAssembly"], contracts["CommunityTreasury"]
    # Who approves the year's budgets: the committee account while it still holds the
    # assembly's role (it deployed), else the assembly's timelock (anvil impersonates it:
    # the demo's stand-in for budgets decided before the community came on chain).
    registry = fees_c.registry()
    deciding = committee
    if "AssemblyTimelock" in contracts and not _holds_assembly_role(node, registry, committee):
        deciding = contracts["AssemblyTimelock"].address
    day = DAY
    first = int(fees_c.current_month())
    start = lambda month: int(fees_c.month_start(month))  # noqa: E731 - Beijing month starts
    year_end = start(first + months)
    owners = sorted({owner for _, owner in units} | set(voters) | {proposer})
    node.fund(owners + [committee, manager], 50 * ETH)
    # Money: each owner holds deposit tokens and lets PropertyFees take the dues; the
    # developer pays the first maintenance deposit; the committee collects public income.
    held = {owner: sum(1 for _, o in units if o == owner) for owner in owners}
    for owner in owners:
        # Enough for a year of dues with late fees on every unit held (the developer holds twenty).
        node.send(committee, token, "mint(address,uint256)", owner, DEMO_DEPOSIT + held[owner] * 6_000_00)
        node.send(owner, token, "approve(address,uint256)", fees, 2**256 - 1)
    node.send(committee, token, "mint(address,uint256)", committee, MAINTENANCE_DEPOSIT + 200_000_00)
    node.send(committee, token, "approve(address,uint256)", fees, 2**256 - 1)
    node.send(committee, fees, "deposit_maintenance(uint256,bytes32)", MAINTENANCE_DEPOSIT,
              sha256("首期专项维修资金（开发商缴存）".encode()).digest())
    for year in sorted({m // 12 for m in range(first, first + months)}):
        approve_year_budgets(node, treasury, deciding, committee, year)
    node.mine(node.now() + 60)

    plans = PAYMENT_PLANS
    events: list[tuple[int, int, Any]] = []  # (time, order, action)

    def at(moment: int, action) -> None:
        events.append((moment, len(events), action))

    for k in range(months):
        month = first + k
        base = start(month)
        for i, (unit, owner) in enumerate(units):
            if owner in keep_unpaid:
                continue
            plan = plans[i % len(plans)]
            if plan == "monthly":
                at(base + (3 + i % 7) * day, lambda u=unit, o=owner: node.send(o, fees, "pay(uint256,uint256,uint256)", u, 1, 2**255))
            elif plan == "quarterly" and k % 3 == 0:
                at(base + 5 * day, lambda u=unit, o=owner: node.send(o, fees, "pay(uint256,uint256,uint256)", u, 3, 2**255))
            elif plan == "yearly" and k == 0:
                at(base + 8 * day, lambda u=unit, o=owner: node.send(o, fees, "pay(uint256,uint256,uint256)", u, 12, 2**255))
            elif plan == "late" and k % 3 == 2:
                # Three months at once, two of them overdue: late fees, points for the current month only.
                at(base + 20 * day, lambda u=unit, o=owner: node.send(o, fees, "pay(uint256,uint256,uint256)", u, 3, 2**255))
            elif plan == "arrears" and k in (0, 1, 2, 4):
                at(base + 25 * day, lambda u=unit, o=owner: node.send(o, fees, "pay(uint256,uint256,uint256)", u, 1, 2**255))
        # The month's spending, recorded mid-month against the year's budgets.
        for category, budget in YEAR_BUDGETS.items():
            share = SEASON[month % 12] if category == 5 else (1.0 if category != 4 else (0.6, 1.4, 0.8)[k % 3])
            amount = int(budget / 12 * SPENDING * share) // 100 * 100
            fund = 1 if category == 3 and k % 4 == 3 else 0  # greening sometimes from public income
            invoice = sha256(f"demo invoice {month} {category}".encode()).digest()
            at(base + 15 * day, lambda c=category, a=amount, f=fund, inv=invoice: node.send(
                manager, treasury, "record_expense(uint8,address,uint256,bytes32,uint8)", c, payee, a, inv, f))
        parking = 3_200_00 + (k * 37_00) % 900_00
        at(base + 10 * day, lambda a=parking: node.send(committee, fees, "receive_public_income(address,uint256,uint8)",
                                                       committee, a, SOURCE_PARKING))
        if k % 3 == 1:
            at(base + 11 * day, lambda: node.send(committee, fees, "receive_public_income(address,uint256,uint8)",
                                                  committee, 6_000_00, SOURCE_ADVERTISING))
        # Owners rate last month's service; the scores get better over the year.
        if k > 0:
            raters = owners[k % 5::3][:40]
            for j, owner in enumerate(raters):
                score = min(5, max(1, round(3.2 + k * 0.08 + ((j * 7) % 5 - 2) * 0.6)))
                at(base + 2 * day + j * 60, lambda o=owner, s=score, m=month - 1: node.send(
                    o, fees, "rate_service(uint256,uint256)", m, s))

    # The assembly. Each proposal: created, voted a day after voting opens, and carried on.
    notice, objection = int(assembly_c.min_notice()), int(assembly_c.objection_window())
    delay = int(contracts["AssemblyTimelock"].get_minimum_delay())
    proposals: dict[str, int] = {}
    project_id = int(treasury_c.maintenance_project_count()) + 1
    # A proposal's id hashes its proposer's nonce: the committee's proposals below are
    # made in this order, one nonce each.
    nonce = [int(assembly_c.proposal_nonce(committee))]

    def proposal(state: str, created: int, length: int, matter: int, title: str, calls, support_share: float,
                 then: list[str]) -> None:
        targets = [target for target, _ in calls]
        datas = [data for _, data in calls]
        doc = full_text_hash(title)
        vote_start = created + notice + 2 * GROUP_S  # the proposal may be mined up to an hour late
        vote_end = vote_start + length
        pid = proposal_id(targets, [0] * len(calls), datas, doc, getattr(committee, "address", committee), nonce[0])
        nonce[0] += 1
        proposals[state] = pid
        signature = "propose(address[],uint256[],bytes[],uint8,string,bytes32,uint256,uint256)"
        at(created, lambda: node.send(committee, assembly, signature, targets, [0] * len(calls), datas, matter, title,
                                      doc, vote_start, vote_end, gas=800_000))
        n_for = round(len(voters) * support_share)
        for j, voter in enumerate(voters):
            support = 1 if j < n_for else (0 if j % 4 else 2)
            at(vote_start + day + j, lambda v=voter, s=support: node.send(v, assembly, "castVote(uint256,uint8)", pid, s))
        # The result the legal way (PaperBallots): the preliminary result after the close,
        # its objection period from when it was mined (up to an hour late), the final one.
        final = vote_end + 60 + objection + 2 * GROUP_S
        if "preliminary" in then:
            at(vote_end + 60, lambda: node.send(committee, paper, "publish_preliminary(uint256)", pid, gas=400_000))
        if "final" in then:
            at(final, lambda: node.send(committee, paper, "publish_final(uint256)", pid, gas=400_000))
        if "queue" in then:
            at(final + 60, lambda: node.send(
                committee, assembly, "queue(uint256,address[],uint256[],bytes[],bytes32)", pid, targets,
                [0] * len(calls), datas, doc, gas=1_500_000))
        if "execute" in then:
            # The queue may be mined up to an hour after its moment: its eta with it.
            at(final + delay + 2 * GROUP_S + 120, lambda: node.send(
                committee, assembly, "execute(uint256,address[],uint256[],bytes[],bytes32)", pid, targets,
                [0] * len(calls), datas, doc, gas=2_000_000))

    proposal("executed", start(first + 1) + 2 * day, 10 * day, USE_MAINTENANCE_FUND, "关于使用维修资金更换3号楼电梯的议案",
             maintenance_project_calls(treasury, payee, project_id), 0.85,
             ["preliminary", "final", "queue", "execute"])
    proposal("defeated", start(first + 5) + 4 * day, 10 * day, COMMON_PARTS_USE, "关于在外墙设置商业广告位的议案",
             [], 0.55, ["preliminary", "final"])
    proposal("queued", year_end - 35 * day, 11 * day, USE_MAINTENANCE_FUND, "关于支付电梯工程第二期款项的议案",
             release_milestone_calls(treasury, project_id), 0.8, ["preliminary", "final", "queue"])
    proposal("announced", year_end - 17 * day, 12 * day, PROPERTY_COMPANY, "关于续聘物业服务企业的议案",
             [], 0.75, ["preliminary"])

    # What falls within an hour is mined together, at the hour's last moment (never before
    # any of its transactions' times: a queue must come after the objection window).
    group_start = block_time = 0
    for moment, _, action in sorted(events, key=lambda e: (e[0], e[1])):
        if node.queue and moment >= group_start + GROUP_S:
            node.mine(block_time)
        if not node.queue:
            group_start = moment
        block_time = moment
        action()
    if node.queue:
        node.mine(block_time)
    return DemoYear(first, months, node.sent, proposals, project_id)
