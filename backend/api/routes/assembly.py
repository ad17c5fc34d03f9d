"""The owners' assembly (OwnersAssembly): proposals with live tallies and the
statutory thresholds, ballots, delegations and the voting rules.

Each proposal's `result` is where its result stands the legal way (PaperBallots:
preliminary result, objection period with the objections counted, final result),
with whether the tellers' paper count adds up, without which there is no result.

States and outcomes are computed from the indexed events as the contract computes
them (assembly_statute.vy: turnout ≥ 2/3 of area AND heads; then ordinary > 1/2,
major ≥ 3/4 of the participating area AND heads; integer cross-multiplication), at
the time of the indexed head block.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from backend.api.deps import (
    AddressQuery,
    CommunityContext,
    CommunityDep,
    CursorQuery,
    LimitDep,
    OrderQuery,
    SessionDep,
)
from backend.api.listing import (
    computed_page,
    csv_response,
    event_page,
    event_position,
    head_timestamp,
    require_contract,
)
from backend.api.schemas import (
    AssemblyRulesOut,
    DelegationOut,
    Page,
    PaperBallotsOut,
    ProposalDetailOut,
    ProposalOut,
    TimelockCallOut,
    VoteOut,
)
from backend.db.models import (
    DeemedVotesRow,
    DelegateVote,
    DelegationChange,
    FinalResultRow,
    NonvoterRuleChange,
    ServiceConfirmation,
    PreliminaryResultRow,
    ResultObjection,
    CallClassChange,
    ProposalAction,
    ProposalComment,
    ProposalCosign,
    ProposalCreation,
    ProposalClass,
    ProposalDetail,
    ProposalResult,
    TimelockCallExecuted,
    TimelockCallScheduled,
    TimelockCancellation,
    TimelockDelayChange,
    TimelockSalt,
    OwnerWeightChange,
    PaperBallotConfirmation,
    PaperBallotEntry,
    PaperCountConfirmation,
    PaperCountDeclaration,
    PaperTellers,
    Vote,
    VoteChange,
    VoteTally,
    VotingRulesChange,
    WalletRecovery,
)
from backend.notices import announcement as announcement_pdf
from backend.notices.export import NoFont

router = APIRouter(tags=["assembly"])

ASSEMBLY = "OwnersAssembly"
TIMELOCK = "AssemblyTimelock"
CONSTITUTION = "Constitution"
PAPER = "PaperBallots"
# DeemedVotes.side: the choice the served non-voters joined (255: none had the majority).
DEEMED_SIDES = {0: "against", 1: "for"}
# OwnersAssembly's ballot channels (ballot_of: bits 2..3).
CHANNELS = {0: "own", 1: "delegate", 2: "paper", 3: "signed"}
# A first ballot from the owner's wallet and one relayed by signature log the same
# events (VoteCast, VoteTallied): only ballot_of on chain tells them apart.
OWN_OR_SIGNED = "own_or_signed"
AGAINST, FOR, ABSTAIN = 0, 1, 2
CHOICES = {AGAINST: "against", FOR: "for", ABSTAIN: "abstain"}
STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed", "announced",
          "gathering")
MAJOR_MATTERS = {6, 7, 8}

ProposalIdPath = Annotated[str, Path(pattern=r"^[0-9]{1,78}$", description="Proposal id (decimal uint256)")]
ProposalIdQuery = Annotated[str | None, Query(pattern=r"^[0-9]{1,78}$", description="Proposal id, 0: standing")]
MatterQuery = Annotated[int | None, Query(ge=1, le=9, description="Matter of 民法典 第二百七十八条 (1..9)")]
SupportQuery = Annotated[int | None, Query(ge=0, le=2, description="0 against, 1 for, 2 abstain")]
TimelockStateQuery = Annotated[Literal["waiting", "ready", "done", "cancelled"] | None,
                              Query(description="Only calls in this state now")]
StateQuery = Annotated[Literal[STATES] | None, Query(description="Only proposals in this state now")]


# ---------------------------------------------------------------- the statute


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def statute(major: bool, total_area: int, total_heads: int, tallies: dict[int, tuple[int, int]]) -> dict[str, Any]:
    """assembly_statute._outcome, with the thresholds spelled out. `major`: the 3/4 rule
    applies (a major matter, or a call the constitution makes major)."""
    for_area, for_heads = tallies[FOR]
    part_area = sum(a for a, _ in tallies.values())
    part_heads = sum(h for _, h in tallies.values())
    turnout = part_area * 3 >= total_area * 2 and part_heads * 3 >= total_heads * 2
    if major:
        need_area, need_heads = _ceil_div(3 * part_area, 4), _ceil_div(3 * part_heads, 4)
        approved = part_heads > 0 and for_area * 4 >= part_area * 3 and for_heads * 4 >= part_heads * 3
    else:
        need_area, need_heads = part_area // 2 + 1, part_heads // 2 + 1
        approved = part_heads > 0 and for_area * 2 > part_area and for_heads * 2 > part_heads
    return {"rule": "major" if major else "ordinary", "total_area": total_area, "total_heads": total_heads,
            "participating_area": part_area, "participating_heads": part_heads,
            "turnout_area_required": _ceil_div(2 * total_area, 3),
            "turnout_heads_required": _ceil_div(2 * total_heads, 3), "turnout_met": turnout,
            "approval_area_required": need_area, "approval_heads_required": need_heads, "approved": approved,
            "passed": turnout and approved}


def _state(now: int, details, creation, cosigners: int, actions: dict[str, Any], passed: bool,
           queue_window: int | None, finalized: bool) -> int:
    """OwnersAssembly._state at time `now` (`queue_window`: None for a proposal made
    before proposals expired unqueued; `finalized`: its final result is published)."""
    if "executed" in actions:
        return 7
    if "canceled" in actions:
        return 2
    if "queued" in actions:
        return 5
    gathering = details.cosigners_required > 0 and cosigners < details.cosigners_required
    if now < creation.vote_start:
        return 9 if gathering else 0
    if gathering:
        return 6
    if now < creation.vote_end:
        return 1
    if not passed:
        return 3
    if queue_window is not None and now >= creation.vote_end + details.objection_window + queue_window:
        return 6
    if not finalized:
        return 8  # announced until the final result (PaperBallots)
    return 4


# ---------------------------------------------------------------- reads


def _tallies(session: Session, community: str, ids: list[str]) -> dict[str, dict[int, tuple[int, int]]]:
    """Each choice's tally as the contract last logged it (VoteTallied): a changed or
    overridden ballot leaves its old VoteCast row behind, so summing those would count
    it twice."""
    found: dict[str, dict[int, tuple[int, int]]] = {pid: {AGAINST: (0, 0), FOR: (0, 0), ABSTAIN: (0, 0)} for pid in ids}
    latest = func.row_number().over(
        partition_by=(VoteTally.proposal_id, VoteTally.support),
        order_by=(VoteTally.block_number.desc(), VoteTally.log_index.desc()),
    ).label("latest")
    ranked = (select(VoteTally.proposal_id, VoteTally.support, VoteTally.area, VoteTally.heads, latest)
              .where(VoteTally.community == community, VoteTally.proposal_id.in_(ids)).subquery())
    for pid, support, area, heads in session.execute(
        select(ranked.c.proposal_id, ranked.c.support, ranked.c.area, ranked.c.heads).where(ranked.c.latest == 1)
    ).all():
        found[pid][int(support)] = (int(area), int(heads))
    return found


def _proposals(session: Session, ctx: CommunityContext, details_rows: list) -> list[dict[str, Any]]:
    """Proposal items for ProposalDetail rows (with their creation, votes, actions, result)."""
    if not details_rows:
        return []
    c = ctx.community
    ids = [d.proposal_id for d in details_rows]
    creations = {r.proposal_id: r for r in session.execute(
        select(ProposalCreation).where(ProposalCreation.community == c, ProposalCreation.proposal_id.in_(ids))
    ).scalars()}
    cosigners: dict[str, int] = defaultdict(int)
    for pid, count in session.execute(
        select(ProposalCosign.proposal_id, func.max(ProposalCosign.cosigners))
        .where(ProposalCosign.community == c, ProposalCosign.proposal_id.in_(ids)).group_by(ProposalCosign.proposal_id)
    ).all():
        cosigners[pid] = int(count)
    actions: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in session.execute(
        select(ProposalAction).where(ProposalAction.community == c, ProposalAction.proposal_id.in_(ids))
    ).scalars():
        actions[row.proposal_id][row.action] = row.eta
    finalized = set(session.execute(
        select(ProposalResult.proposal_id).where(ProposalResult.community == c, ProposalResult.proposal_id.in_(ids))
    ).scalars())
    classes = {r.proposal_id: r for r in session.execute(
        select(ProposalClass).where(ProposalClass.community == c, ProposalClass.proposal_id.in_(ids))).scalars()}
    tallies = _tallies(session, c, ids)
    now = head_timestamp(session, ctx)
    results = _results(session, c, ids, now)
    changes = nonvoter_rule_changes(session, c)
    items = []
    for d in details_rows:
        creation = creations[d.proposal_id]
        klass = classes.get(d.proposal_id)
        rule = statute(d.major, int(d.total_area), int(d.total_heads), tallies[d.proposal_id])
        result = results[d.proposal_id]
        # A defeat by the ballots the non-voter rule turned into a pass (PaperBallots.deemed_pass).
        passed = rule["passed"] or bool(result["deemed"] and result["passed"])
        code = _state(now, d, creation, cosigners[d.proposal_id], actions[d.proposal_id], passed,
                      klass.queue_window if klass else None, d.proposal_id in finalized)
        items.append({
            "block_number": d.block_number, "log_index": d.log_index, "tx_hash": d.tx_hash,
            "block_timestamp": d.block_timestamp, "proposal_id": d.proposal_id, "proposer": d.proposer,
            "title": creation.title, "matter": d.matter, "major": d.major, "doc_hash": d.doc_hash,
            "snapshot_block": d.snapshot_block, "vote_start": creation.vote_start, "vote_end": creation.vote_end,
            "objection_window": d.objection_window, "cosigners_required": d.cosigners_required,
            "cosigners": cosigners[d.proposal_id], "state": STATES[code], "state_code": code,
            "tallies": {CHOICES[s]: {"area": a, "heads": h} for s, (a, h) in tallies[d.proposal_id].items()},
            "statute": rule, "eta": actions[d.proposal_id].get("queued"),
            "executed": "executed" in actions[d.proposal_id], "finalized": d.proposal_id in finalized,
            "matter_major": d.matter in MAJOR_MATTERS, "calls_major": bool(klass and klass.calls_major),
            "major_target": klass.major_target if klass and klass.calls_major else None,
            "major_selector": klass.major_selector if klass and klass.calls_major else None,
            "queue_window": klass.queue_window if klass else None,
            "nonvoter_rule": nonvoter_rule_at(changes, int(d.snapshot_block)),
            "result": result,
        })
    return items


def nonvoter_rule_changes(session: Session, community: str) -> list[tuple[int, bool]]:
    """The non-voter rule's changes (NonvoterRuleSet), in order: (from block, on)."""
    return [(int(b), bool(on)) for b, on in session.execute(
        select(NonvoterRuleChange.from_block, NonvoterRuleChange.rule_on).where(NonvoterRuleChange.community == community)
        .order_by(NonvoterRuleChange.block_number, NonvoterRuleChange.log_index)).all()]


def nonvoter_rule_at(changes: list[tuple[int, bool]], snapshot: int) -> bool:
    """The rule a proposal is counted under: the last change made at or before its
    snapshot block (PaperBallots.nonvoter_rule_for); off before any."""
    on = False
    for from_block, value in changes:
        if from_block <= snapshot:
            on = value
    return on


def _results(session: Session, community: str, ids: list[str], now: int) -> dict[str, dict[str, Any]]:
    """Where each proposal's result stands (PaperBallots.result_state at `now`), with
    its objections and whether its paper count adds up."""
    def latest(model):
        return {r.proposal_id: r for r in session.execute(
            select(model).where(model.community == community, model.proposal_id.in_(ids))
            .order_by(model.block_number, model.log_index)).scalars()}

    preliminary, final = latest(PreliminaryResultRow), latest(FinalResultRow)
    objections = dict(session.execute(
        select(ResultObjection.proposal_id, func.count()).where(ResultObjection.community == community,
                                                                ResultObjection.proposal_id.in_(ids))
        .group_by(ResultObjection.proposal_id)).all())
    with_tellers = set(session.execute(select(PaperTellers.proposal_id).where(
        PaperTellers.community == community, PaperTellers.proposal_id.in_(ids))).scalars())
    deemed = latest(DeemedVotesRow)
    served = {pid: (int(a or 0), int(h or 0)) for pid, a, h in session.execute(
        select(ServiceConfirmation.proposal_id, func.sum(ServiceConfirmation.area), func.sum(ServiceConfirmation.heads))
        .where(ServiceConfirmation.community == community, ServiceConfirmation.proposal_id.in_(ids))
        .group_by(ServiceConfirmation.proposal_id)).all()}
    found = {}
    for pid in ids:
        pre, fin = preliminary.get(pid), final.get(pid)
        dv = deemed.get(pid)
        if fin is not None:
            phase = "final"
        elif pre is not None:
            phase = "preliminary" if now < pre.objection_ends else "objections_closed"
        else:
            phase = "none"
        found[pid] = {
            "phase": phase,
            "paper_reconciled": (paper_ballots(session, community, pid)["reconciliation"]["reconciled"]
                                 if pid in with_tellers else None),
            "passed": fin.passed if fin is not None else pre.passed if pre is not None else None,
            "preliminary_at": pre.block_timestamp if pre else None, "preliminary_tx": pre.tx_hash if pre else None,
            "objection_ends": pre.objection_ends if pre else None, "objections": int(objections.get(pid, 0)),
            "final_at": fin.block_timestamp if fin else None, "final_tx": fin.tx_hash if fin else None,
            "served_area": served.get(pid, (0, 0))[0], "served_heads": served.get(pid, (0, 0))[1],
            "deemed": None if dv is None else {
                "side": DEEMED_SIDES.get(int(dv.side), "none"), "area": int(dv.area), "heads": int(dv.heads),
                "passed_without": bool(dv.passed_without), "turnout_met_without": bool(dv.turnout_met_without)},
        }
    return found


@router.get("/communities/{community}/assembly/proposals", response_model=Page[ProposalOut],
            summary="Proposals with state, live tallies by area and heads and the statutory thresholds")
def proposals(ctx: CommunityDep, session: SessionDep, limit: LimitDep, matter: MatterQuery = None,
              proposer: AddressQuery = None, state: StateQuery = None, cursor: CursorQuery = None,
              order: OrderQuery = "asc"):
    require_contract(ctx, ASSEMBLY)
    table = ProposalDetail.__table__
    filters = [table.c.proposal_id.is_not(None)]
    if matter is not None:
        filters.append(table.c.matter == matter)
    if proposer is not None:
        filters.append(table.c.proposer == proposer.lower())

    def build(found) -> list[dict[str, Any]]:
        keys = [(r["tx_hash"], r["log_index"]) for r in found]
        rows = {(r.tx_hash, r.log_index): r for r in session.execute(
            select(ProposalDetail).where(ProposalDetail.community == ctx.community,
                                         ProposalDetail.tx_hash.in_([k[0] for k in keys]))).scalars()}
        return _proposals(session, ctx, [rows[k] for k in keys])

    # A state depends on the index's "now", so it is filtered after computing.
    return computed_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit, build=build,
                         keep=None if state is None else lambda item: item["state"] == state)


def _one_proposal(session: Session, ctx: CommunityContext, proposal_id: str) -> ProposalDetail:
    require_contract(ctx, ASSEMBLY)
    row = session.execute(select(ProposalDetail).where(
        ProposalDetail.community == ctx.community, ProposalDetail.proposal_id == str(int(proposal_id)))).scalars().first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"proposal {proposal_id} is not known")
    return row


@router.get("/communities/{community}/assembly/proposals/{proposal_id}", response_model=ProposalDetailOut,
            summary="One proposal with its calls, co-signers and comments")
def proposal(ctx: CommunityDep, session: SessionDep, proposal_id: ProposalIdPath):
    details = _one_proposal(session, ctx, proposal_id)
    [item] = _proposals(session, ctx, [details])
    pid = details.proposal_id
    creation = session.execute(select(ProposalCreation).where(
        ProposalCreation.community == ctx.community, ProposalCreation.proposal_id == pid)).scalars().first()
    cosigns = session.execute(select(ProposalCosign).where(
        ProposalCosign.community == ctx.community, ProposalCosign.proposal_id == pid)
        .order_by(ProposalCosign.block_number, ProposalCosign.log_index)).scalars().all()
    comments = session.execute(select(ProposalComment).where(
        ProposalComment.community == ctx.community, ProposalComment.proposal_id == pid)
        .order_by(ProposalComment.block_number, ProposalComment.log_index)).scalars().all()

    def position(e):
        return {"block_number": e.block_number, "log_index": e.log_index, "tx_hash": e.tx_hash,
                "block_timestamp": e.block_timestamp}

    return {
        **item,
        "calls": [{"target": t, "value": str(v), "calldata": d}
                  for t, v, d in zip(creation.targets or [], creation.call_values or [], creation.calldatas or [])],
        "cosigns": [{**position(e), "owner": e.owner, "identity": e.identity, "cosigners": e.cosigners,
                     "required": e.required} for e in cosigns],
        "comments": [{**position(e), "author": e.author, "identity": e.identity, "objection": e.objection,
                      "text_hash": e.text_hash} for e in comments],
        **ctx.position(),
    }


def _standing_filter(table):
    """A VoteCast row that stands: no later VoteCast of the same voter on the same
    proposal (a changed ballot shows once, with its latest choice)."""
    later = Vote.__table__.alias("later_vote")
    return ~select(later.c.log_index).where(
        later.c.community == table.c.community, later.c.proposal_id == table.c.proposal_id,
        later.c.voter == table.c.voter,
        (later.c.block_number > table.c.block_number)
        | and_(later.c.block_number == table.c.block_number, later.c.log_index > table.c.log_index),
    ).exists()


def _identities_of(session: Session, community: str, wallets: set[str]) -> dict[str, int]:
    """The owner identity each wallet was bound to (OwnerWeightChanged, the last binding
    winning; a recovered wallet keeps its identity): a VoteCast names the wallet only."""
    found: dict[str, int] = {}
    for wallet, identity in session.execute(
            select(OwnerWeightChange.wallet, OwnerWeightChange.identity)
            .where(OwnerWeightChange.community == community, OwnerWeightChange.wallet.in_(wallets))
            .order_by(OwnerWeightChange.block_number, OwnerWeightChange.log_index)):
        found[wallet] = int(identity)
    for wallet, identity in session.execute(select(WalletRecovery.previous_wallet, WalletRecovery.identity).where(
            WalletRecovery.community == community, WalletRecovery.previous_wallet.in_(wallets))):
        found.setdefault(wallet, int(identity))
    return found


def _ballot_channels(session: Session, community: str, pid: str, items: list[dict[str, Any]]) -> None:
    """Fill each VoteCast item's identity, channel and replacement from the events of its
    transaction: DelegateVoteCast (a delegate's), PaperBallotConfirmed (paper) and
    VoteChanged (it replaced a ballot, and says its own channel)."""
    if not items:
        return
    txs = {v["tx_hash"] for v in items}
    delegated = {(d.tx_hash, d.owner): d for d in session.execute(
        select(DelegateVote).where(DelegateVote.community == community, DelegateVote.proposal_id == pid,
                                   DelegateVote.tx_hash.in_(txs))).scalars()}
    papers = {p.tx_hash: p for p in session.execute(
        select(PaperBallotConfirmation).where(PaperBallotConfirmation.community == community,
                                              PaperBallotConfirmation.proposal_id == pid,
                                              PaperBallotConfirmation.tx_hash.in_(txs))).scalars()}
    changes = {(c.tx_hash, c.voter): c for c in session.execute(
        select(VoteChange).where(VoteChange.community == community, VoteChange.proposal_id == pid,
                                 VoteChange.tx_hash.in_(txs))).scalars()}
    owners = _identities_of(session, community, {v["voter"] for v in items})
    for item in items:
        delegate = delegated.get((item["tx_hash"], item["voter"]))
        paper = papers.get(item["tx_hash"])
        change = changes.get((item["tx_hash"], item["voter"]))
        if change is not None:
            channel = CHANNELS.get(change.channel, "?")
        elif paper is not None:
            channel = "paper"
        elif delegate is not None:
            channel = "delegate"
        else:
            channel = OWN_OR_SIGNED
        identity = next((int(r.identity) for r in (change, paper, delegate) if r is not None),
                        owners.get(item["voter"]))
        item.update({"delegate": delegate.delegate if delegate is not None else None,
                     "identity": None if identity is None else int(identity), "channel": channel,
                     "replaced": change is not None,
                     "replaced_channel": CHANNELS.get(change.previous_channel, "?") if change is not None else None})


def _vote_item(r) -> dict[str, Any]:
    return {**event_position(r), "proposal_id": r["proposal_id"], "voter": r["voter"], "support": r["support"],
            "choice": CHOICES.get(r["support"], "?"), "area": int(r["weight"]), "delegate": None}


def standing_ballots(session: Session, community: str, pid: str) -> list[dict[str, Any]]:
    """Every ballot standing on a proposal, in chain order, with its channel."""
    table = Vote.__table__
    rows = session.execute(select(table).where(table.c.community == community, table.c.proposal_id == pid,
                                               _standing_filter(table))
                           .order_by(table.c.block_number, table.c.log_index)).mappings().all()
    items = [_vote_item(r) for r in rows]
    _ballot_channels(session, community, pid, items)
    return items


@router.get("/communities/{community}/assembly/proposals/{proposal_id}/votes", response_model=Page[VoteOut],
            summary="Standing ballots of a proposal, each with its channel (own wallet, delegate, paper, signature) "
                    "and whether it replaced another; a changed ballot shows once, with its latest choice")
def votes(ctx: CommunityDep, session: SessionDep, proposal_id: ProposalIdPath, limit: LimitDep,
          support: SupportQuery = None, voter: AddressQuery = None, cursor: CursorQuery = None,
          order: OrderQuery = "asc"):
    pid = _one_proposal(session, ctx, proposal_id).proposal_id
    table = Vote.__table__
    filters = [table.c.proposal_id == pid, _standing_filter(table)]
    if support is not None:
        filters.append(table.c.support == support)
    if voter is not None:
        filters.append(table.c.voter == voter.lower())
    page = event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=_vote_item)
    _ballot_channels(session, ctx.community, pid, page["items"])
    return page


def paper_ballots(session: Session, community: str, pid: str) -> dict[str, Any]:
    """The proposal's tellers, paper entries (with their confirmations) and the tellers'
    count, as PaperBallots records them; `reconciliation` mirrors its views (declared,
    declaration_confirmed, entered, confirmed, reconciled)."""
    def rows(model):
        return session.execute(select(model).where(model.community == community, model.proposal_id == pid)
                               .order_by(model.block_number, model.log_index)).scalars().all()

    appointed = rows(PaperTellers)
    confirmations = {int(c.identity): c for c in rows(PaperBallotConfirmation)}
    entries = []
    for e in rows(PaperBallotEntry):
        c = confirmations.get(int(e.identity))
        entries.append({"identity": int(e.identity), "support": e.support, "choice": CHOICES.get(e.support, "?"),
                        "scan_hash": e.scan_hash, "entered_by": e.teller, "entered_tx": e.tx_hash,
                        "entered_block": e.block_number, "confirmed": c is not None,
                        "confirmed_by": c.confirmed_by if c else None, "confirmed_tx": c.tx_hash if c else None,
                        "area": int(c.area) if c else None,
                        "replaced_channel": CHANNELS.get(c.replaced_channel) if c else None})
    declarations = rows(PaperCountDeclaration)
    confirmed_count = next(iter(rows(PaperCountConfirmation)), None)
    declared = int(declarations[-1].collected) if declarations else 0
    n_entered, n_confirmed = len(entries), sum(1 for e in entries if e["confirmed"])
    return {
        "proposal_id": pid,
        "tellers": list(appointed[0].tellers) if appointed else [],
        "appointed_by": appointed[0].appointed_by if appointed else None,
        "appointed_tx": appointed[0].tx_hash if appointed else None,
        "entries": entries,
        "reconciliation": {
            "declared": declared, "declared_by": declarations[-1].teller if declarations else None,
            "declaration_confirmed": confirmed_count is not None,
            "confirmed_declaration": int(confirmed_count.collected) if confirmed_count else None,
            "declaration_confirmed_by": confirmed_count.confirmed_by if confirmed_count else None,
            "entered": n_entered, "confirmed": n_confirmed,
            "reconciled": confirmed_count is not None and n_entered == declared and n_confirmed == declared,
        },
    }


@router.get("/communities/{community}/assembly/proposals/{proposal_id}/paper", response_model=PaperBallotsOut,
            summary="Paper ballots (线上线下相结合): the tellers, each entry by owner identity with its scan's sha256, "
                    "who entered and who confirmed it, and the reconciliation of the tellers' declared count")
def paper(ctx: CommunityDep, session: SessionDep, proposal_id: ProposalIdPath):
    pid = _one_proposal(session, ctx, proposal_id).proposal_id
    address = require_contract(ctx, PAPER)
    return {**paper_ballots(session, ctx.community, pid), "paper_contract": address, **ctx.position()}


@router.get("/communities/{community}/assembly/proposals/{proposal_id}/announcement.pdf",
            summary="The resolution announcement (决议公告) as PDF: matter, thresholds, the roll's totals, tallies by "
                    "area and heads, every ballot by owner identity with its channel and transaction, the paper "
                    "ballots' reconciliation; the same bytes for the same index",
            responses={200: {"content": {"application/pdf": {}}}})
def announcement(ctx: CommunityDep, session: SessionDep, proposal_id: ProposalIdPath):
    details = _one_proposal(session, ctx, proposal_id)
    [item] = _proposals(session, ctx, [details])
    pid = details.proposal_id
    paper_record = (paper_ballots(session, ctx.community, pid)
                    if (ctx.record.contracts or {}).get(PAPER) else None)
    try:
        pdf = announcement_pdf.to_pdf(ctx.record.name, item, standing_ballots(session, ctx.community, pid),
                                      paper_record, ctx.indexed_block, head_timestamp(session, ctx))
    except NoFont as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="proposal-{pid}-announcement.pdf"'})


def roll_at(session: Session, community: str, snapshot: int) -> dict[int, int]:
    """Each owner identity's area at the end of block `snapshot` (the registry's
    identity_area_at), for those with area: the proposal's voter roll."""
    area: dict[int, int] = {}
    for identity, value in session.execute(select(OwnerWeightChange.identity, OwnerWeightChange.area).where(
            OwnerWeightChange.community == community, OwnerWeightChange.block_number <= snapshot)
            .order_by(OwnerWeightChange.block_number, OwnerWeightChange.log_index)):
        area[int(identity)] = int(value)
    return {identity: value for identity, value in sorted(area.items()) if value > 0}


ROLL_COLUMNS = ("identity", "area_at_snapshot", "choice", "channel", "replaced", "tx_hash")


@router.get("/communities/{community}/assembly/proposals/{proposal_id}/roll.csv",
            summary="The voter roll (表决名册) as CSV: each owner identity with its area at the snapshot (0.01 m²) "
                    "and its standing ballot's choice and channel, or none; by identity, the same bytes for the "
                    "same index", responses={200: {"content": {"text/csv": {}}}})
def roll_csv(ctx: CommunityDep, session: SessionDep, proposal_id: ProposalIdPath):
    details = _one_proposal(session, ctx, proposal_id)
    pid = details.proposal_id
    ballots = {v["identity"]: v for v in standing_ballots(session, ctx.community, pid)}
    rows = []
    for identity, area in roll_at(session, ctx.community, details.snapshot_block).items():
        v = ballots.get(identity)
        rows.append((identity, area, v["choice"] if v else "", v["channel"] if v else "none",
                     ("yes" if v["replaced"] else "no") if v else "", v["tx_hash"] if v else ""))
    return csv_response(f"proposal-{pid}-roll.csv", ROLL_COLUMNS, rows)


@router.get("/communities/{community}/assembly/delegations", response_model=Page[DelegationOut],
            summary="Delegations (委托投票): set and revoked, or with current=true only those in force")
def delegations(ctx: CommunityDep, session: SessionDep, limit: LimitDep, owner: AddressQuery = None,
                delegate: AddressQuery = None, proposal_id: ProposalIdQuery = None, current: bool = False,
                cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, ASSEMBLY)
    table = DelegationChange.__table__
    filters = []
    if owner is not None:
        filters.append(table.c.owner == owner.lower())
    if delegate is not None:
        filters.append(table.c.delegate == delegate.lower())
    if proposal_id is not None:
        filters.append(table.c.proposal_id == str(int(proposal_id)))
    if current:
        # In force: a DelegationSet with no later change for the same identity and proposal.
        later = DelegationChange.__table__.alias("later")
        filters.append(table.c.active.is_(True))
        filters.append(~select(later.c.log_index).where(
            later.c.community == table.c.community, later.c.identity == table.c.identity,
            later.c.proposal_id == table.c.proposal_id,
            (later.c.block_number > table.c.block_number)
            | and_(later.c.block_number == table.c.block_number, later.c.log_index > table.c.log_index),
        ).exists())
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**event_position(r), "proposal_id": r["proposal_id"] or "0",
                                         "owner": r["owner"], "delegate": r["delegate"], "identity": r["identity"],
                                         "active": r["active"]})


CLASS_NAMES = {1: "ordinary", 2: "major", 3: "forbidden"}


@router.get("/communities/{community}/assembly/rules", response_model=AssemblyRulesOut,
            summary="Voting rules in force and the constitution: what each call a proposal makes needs")
def rules(ctx: CommunityDep, session: SessionDep):
    address = require_contract(ctx, ASSEMBLY)
    latest = session.execute(select(VotingRulesChange).where(VotingRulesChange.community == ctx.community)
                             .order_by(VotingRulesChange.block_number.desc(), VotingRulesChange.log_index.desc())
                             .limit(1)).scalars().first()
    entries: dict[tuple[str, str, bool, str], int] = {}
    for row in session.execute(select(CallClassChange).where(CallClassChange.community == ctx.community)
                               .order_by(CallClassChange.block_number, CallClassChange.log_index)).scalars():
        entries[(row.target, row.selector, row.by_arg, row.arg)] = row.call_class
    delay = session.execute(select(TimelockDelayChange.new_duration).where(
        TimelockDelayChange.community == ctx.community)
        .order_by(TimelockDelayChange.block_number.desc(), TimelockDelayChange.log_index.desc()).limit(1)).scalar()
    contracts = ctx.record.contracts or {}
    return {"assembly_contract": address,
            "timelock_contract": contracts.get(TIMELOCK),
            "constitution_contract": contracts.get(CONSTITUTION),
            "timelock_delay": int(delay) if delay is not None else None,
            "min_notice": latest.min_notice if latest else 0,
            "min_voting_period": latest.min_voting_period if latest else 0,
            "max_voting_period": latest.max_voting_period if latest else 0,
            "objection_window": latest.objection_window if latest else 0,
            "queue_window": latest.queue_window if latest else None,
            "call_classes": [{"target": t, "selector": sel, "by_arg": by_arg, "arg": arg if by_arg else None,
                              "call_class": CLASS_NAMES[c]}
                             for (t, sel, by_arg, arg), c in sorted(entries.items()) if c in CLASS_NAMES],
            **ctx.position()}


@router.get("/communities/{community}/assembly/timelock/calls", response_model=Page[TimelockCallOut],
            summary="Calls of passed proposals held by the timelock: when each may run, and whether it ran")
def timelock_calls(ctx: CommunityDep, session: SessionDep, limit: LimitDep, state: TimelockStateQuery = None,
                   target: AddressQuery = None, cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, TIMELOCK)
    table = TimelockCallScheduled.__table__
    filters = [] if target is None else [table.c.target == target.lower()]
    now = head_timestamp(session, ctx)

    def build(rows) -> list[dict[str, Any]]:
        ids = list({row["operation_id"] for row in rows})
        c = ctx.community
        executed = {(r.operation_id, int(r.call_index)): r.tx_hash for r in session.execute(
            select(TimelockCallExecuted).where(TimelockCallExecuted.community == c,
                                               TimelockCallExecuted.operation_id.in_(ids))).scalars()}
        cancelled = set(session.execute(select(TimelockCancellation.operation_id).where(
            TimelockCancellation.community == c, TimelockCancellation.operation_id.in_(ids))).scalars())
        salts = dict(session.execute(select(TimelockSalt.operation_id, TimelockSalt.salt).where(
            TimelockSalt.community == c, TimelockSalt.operation_id.in_(ids))).all())
        items = []
        for row in rows:
            key = (row["operation_id"], int(row["call_index"]))
            ready_at = row["block_timestamp"] + int(row["delay"])
            # snekmate: cancelling deletes the operation; done means its call ran.
            call_state = ("done" if key in executed else "cancelled" if row["operation_id"] in cancelled
                          else "ready" if now >= ready_at else "waiting")
            items.append({**event_position(row), "operation_id": row["operation_id"],
                          "call_index": int(row["call_index"]), "target": row["target"], "amount": int(row["amount"]),
                          "payload": row["payload"], "predecessor": row["predecessor"],
                          "salt": salts.get(row["operation_id"]), "delay": int(row["delay"]), "ready_at": ready_at,
                          "state": call_state, "executed_tx": executed.get(key)})
        return items

    return computed_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit, build=build,
                         keep=None if state is None else lambda item: item["state"] == state)
