# SPDX-License-Identifier: AGPL-3.0-only
"""What is due, read from the index, turned into outbox rows for the residents who chose
a channel (My data). Each reminder's key names what it is about and for whom, so a
round that runs again adds nothing:

- vote:   a vote that closes within `vote_window_s`, for each owner who may vote in it (area
          at its snapshot, as the assembly counts) and has not voted;
- notice: a notice published within the last `notice_window_s`, for its audience
          (the owners; everyone; a building's residents and owners by unit label);
- dues:   a unit overdue this month (as PropertyFees counts it: the month after the last
          paid one, or the billing start; months before the first fee standard cost
          nothing and are not counted), once per owner and month.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, func, select

from backend.db.models import (FeePayment, FeeSetting, IndexedBlock, NoticePublication, Owner, OwnerWeightChange,
                               ProposalAction, ProposalCreation, ProposalDetail, Resident, ServiceContractApproval,
                               Unit, UnitBillingStart, Vote, WalletRecovery)
from backend.notify import outbox
from backend.notify.models import preferences

BEIJING = timezone(timedelta(hours=8))
AUDIENCE_BUILDING, AUDIENCE_OWNERS = 2, 3


def month_of(timestamp: int) -> int:
    moment = datetime.fromtimestamp(timestamp, BEIJING)
    return moment.year * 12 + moment.month - 1


def index_time(index_engine: Engine, community: str) -> int | None:
    """The time of the newest indexed block of `community`: the "now" reminders are judged by,
    so they agree with what the pages show (a demo chain's clock runs ahead of the wall's)."""
    with index_engine.connect() as conn:
        stamp = conn.execute(select(IndexedBlock.timestamp).where(IndexedBlock.community == community.lower())
                             .order_by(IndexedBlock.block_number.desc()).limit(1)).scalar()
    return None if stamp is None else int(stamp)


def _choices(vault_engine: Engine, community: str) -> dict[str, dict]:
    with vault_engine.connect() as conn:
        rows = conn.execute(select(preferences).where(preferences.c.community == community)).mappings().all()
    return {row["resident"]: dict(row) for row in rows}


def _channels(choice: dict) -> list[str]:
    return [name for name in outbox.CHANNELS if choice.get(name)]


def produce(index_engine: Engine, vault_engine: Engine, community: str, now: int, *, send_at: int | None = None,
            vote_window_s: int = 2 * 86400, notice_window_s: int = 7 * 86400) -> int:
    """Enqueue what is due at `now` (the index's time); how many reminders were added. They are
    due for sending at `send_at`, the sender's clock (default `now`): a demo chain's clock
    runs days ahead of the wall's, and the sender would otherwise wait for it."""
    send_at = now if send_at is None else send_at
    community = community.lower()
    choices = _choices(vault_engine, community)
    if not choices:
        return 0
    due: list[tuple[str, str, str, str, str]] = []  # (key, resident, topic, subject, body)
    with index_engine.connect() as conn:
        current_owners = dict(conn.execute(select(Owner.identity, Owner.wallet).where(Owner.community == community,
                                                                                     Owner.units > 0)).all())
        owners = set(current_owners.values())
        # Votes about to close.
        closed = {p for (p,) in conn.execute(select(ProposalAction.proposal_id).where(
            ProposalAction.community == community, ProposalAction.action == "canceled"))}
        closing = conn.execute(select(ProposalCreation.proposal_id, ProposalCreation.title, ProposalCreation.vote_end,
                                      ProposalDetail.snapshot_block).outerjoin(ProposalDetail, (
            ProposalDetail.community == ProposalCreation.community) & (
            ProposalDetail.proposal_id == ProposalCreation.proposal_id)).where(
                ProposalCreation.community == community, ProposalCreation.vote_start <= now,
                ProposalCreation.vote_end > now, ProposalCreation.vote_end <= now + vote_window_s)).all()
        identities = _identities(conn, community) if closing else {}
        for pid, title, end, snapshot in closing:
            if pid in closed:
                continue
            # A ballot counts for the identity (the assembly keeps one bit per identity), under
            # the wallet it had then; who may vote is whoever had area at the snapshot.
            voted = {identities.get(v) for (v,) in conn.execute(select(Vote.voter).where(
                Vote.community == community, Vote.proposal_id == pid))}
            voters = current_owners if snapshot is None else _voters_at(conn, community, int(snapshot))
            hours = max(1, (end - now) // 3600)
            for owner in {wallet for identity, wallet in voters.items() if identity not in voted}:
                due.append((f"vote:{community}:{pid}:{owner}", owner, "vote", f"投票即将截止 · Vote closes in {hours} h",
                            f"《{title}》的投票将在 {hours} 小时内截止，您尚未投票。\n"
                            f"The vote on “{title}” closes within {hours} hours and you have not voted."))
        # New notices.
        members = owners | {w for (w,) in conn.execute(select(Resident.wallet).where(Resident.community == community))}
        for notice_id, title, audience, building in conn.execute(select(
                NoticePublication.notice_id, NoticePublication.title, NoticePublication.audience,
                NoticePublication.building).where(NoticePublication.community == community,
                                                  NoticePublication.published_at >= now - notice_window_s)):
            if audience == AUDIENCE_OWNERS:
                audience_set = owners
            elif audience == AUDIENCE_BUILDING:
                audience_set = _building_members(conn, community, building)
            else:
                audience_set = members
            for resident in audience_set:
                due.append((f"notice:{community}:{notice_id}:{resident}", resident, "notice", f"新公告 · New notice: {title}",
                            f"小区发布了新公告《{title}》，请登录查看并签收。\nA new notice, “{title}”: open it to read and "
                            "acknowledge it."))
        # Dues overdue this month.
        current = month_of(now)
        start = conn.execute(select(FeeSetting.value).where(FeeSetting.community == community,
                                                            FeeSetting.setting == "billing_start")
                             .order_by(FeeSetting.block_number.desc(), FeeSetting.log_index.desc()).limit(1)).scalar()
        # Months before the first fee standard (an approved service contract) cost nothing
        # (PropertyFees charges no rate for them): before one exists nobody owes dues.
        rated_from = conn.execute(select(func.min(ServiceContractApproval.start_month)).where(
            ServiceContractApproval.community == community)).scalar()
        if start is not None and rated_from is not None:
            for unit_id, label, wallet in conn.execute(select(Unit.unit_id, Unit.label, Owner.wallet).join(
                    Owner, (Owner.community == Unit.community) & (Owner.identity == Unit.identity))
                    .where(Unit.community == community)):
                first = max(_first_unpaid(conn, community, unit_id, int(start)), int(rated_from))
                if first < current:
                    due.append((f"dues:{community}:{current}:{unit_id}:{wallet}", wallet, "dues",
                                f"物业费待缴 · Dues for {label}",
                                f"{label} 有 {current - first} 个月的物业费逾期未缴。\n"
                                f"{label} has {current - first} month(s) of dues overdue."))
    added = 0
    with vault_engine.begin() as conn:
        for key, resident, topic, subject, body in due:
            choice = choices.get(resident)
            if choice is None or not choice.get({"vote": "votes", "notice": "notices", "dues": "dues"}[topic]):
                continue
            for channel in _channels(choice):
                added += outbox.enqueue(conn, dedup_key=f"{key}:{channel}", community=community, resident=resident,
                                        channel=channel, topic=topic, subject=subject, body=body, now=send_at)
    return added


def _identities(conn, community: str) -> dict[str, int]:
    """Every wallet an identity was ever bound to, to its identity (a recovered wallet's ballot
    is still that identity's)."""
    found = {w: i for w, i in conn.execute(select(OwnerWeightChange.wallet, OwnerWeightChange.identity).where(
        OwnerWeightChange.community == community))}
    for old, new, identity in conn.execute(select(WalletRecovery.previous_wallet, WalletRecovery.new_wallet,
                                                  WalletRecovery.identity).where(WalletRecovery.community == community)):
        found[old], found[new] = identity, identity
    return found


def _voters_at(conn, community: str, snapshot: int) -> dict[int, str]:
    """The identities with area at the end of block `snapshot` (the registry's voting_weight),
    each with the wallet bound to it now: those the assembly lets vote."""
    area: dict[int, int] = {}
    for identity, value in conn.execute(select(OwnerWeightChange.identity, OwnerWeightChange.area).where(
            OwnerWeightChange.community == community, OwnerWeightChange.block_number <= snapshot)
            .order_by(OwnerWeightChange.block_number, OwnerWeightChange.log_index)):
        area[identity] = int(value)
    wallets = dict(conn.execute(select(Owner.identity, Owner.wallet).where(Owner.community == community)).all())
    return {identity: wallets[identity] for identity, value in area.items() if value > 0 and identity in wallets}


def _building_members(conn, community: str, building: str) -> set[str]:
    prefix = f"{building}-"
    units = {unit_id: identity for unit_id, identity, label in conn.execute(
        select(Unit.unit_id, Unit.identity, Unit.label).where(Unit.community == community)) if label.startswith(prefix)}
    found = {w for (w,) in conn.execute(select(Owner.wallet).where(
        Owner.community == community, Owner.identity.in_(set(units.values()))))} if units else set()
    found |= {w for (w,) in conn.execute(select(Resident.wallet).where(
        Resident.community == community, Resident.unit_id.in_(set(units))))} if units else set()
    return found


def _first_unpaid(conn, community: str, unit_id: int, billing_start: int) -> int:
    last = conn.execute(select(FeePayment.block_number, FeePayment.log_index, FeePayment.to_month).where(
        FeePayment.community == community, FeePayment.unit_id == unit_id)
        .order_by(FeePayment.block_number.desc(), FeePayment.log_index.desc()).limit(1)).first()
    own = conn.execute(select(UnitBillingStart.block_number, UnitBillingStart.log_index, UnitBillingStart.month).where(
        UnitBillingStart.community == community, UnitBillingStart.unit_id == unit_id)
        .order_by(UnitBillingStart.block_number.desc(), UnitBillingStart.log_index.desc()).limit(1)).first()
    first = billing_start if own is None else int(own[2])
    if last is not None and (own is None or (last[0], last[1]) > (own[0], own[1])):
        first = int(last[2]) + 1
    return first
