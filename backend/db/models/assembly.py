"""OwnersAssembly and AssemblyTimelock event tables."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position

# --------------------------------------------------------------------- OwnersAssembly
#
# Proposal ids are uint256 content hashes (OpenZeppelin's hashProposal), too big for
# a 64-bit integer: `proposal_id` holds the decimal string, converted as the event is
# decoded (specs.proposal).


def ProposalId(**kw) -> Mapped[str | None]:
    return mapped_column(String(78), nullable=True, **kw)


def _by_proposal(table: str) -> Index:
    return Index(f"ix_{table}_proposal", "community", "proposal_id", "block_number", "log_index")


class ProposalCreation(EventRow, Base):
    """ProposalCreated (OpenZeppelin Governor's event): the calls and the window."""

    __tablename__ = "proposal_creations"
    __table_args__ = (by_position("proposal_creations"), _by_proposal("proposal_creations"))

    proposal_id: Mapped[str | None] = ProposalId()
    proposer: Mapped[str] = Address(nullable=False)
    targets: Mapped[list | None] = mapped_column(JSON, nullable=True)
    call_values: Mapped[list | None] = mapped_column(JSON, nullable=True)
    calldatas: Mapped[list | None] = mapped_column(JSON, nullable=True)
    vote_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vote_end: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)


class ProposalDetail(EventRow, Base):
    """ProposalDetails: matter, snapshot and the totals the statute counts against."""

    __tablename__ = "proposal_details"
    __table_args__ = (
        by_position("proposal_details"),
        _by_proposal("proposal_details"),
        Index("ix_proposal_details_matter", "community", "matter"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    proposer: Mapped[str] = Address(nullable=False)
    matter: Mapped[int] = mapped_column(Integer, nullable=False)
    major: Mapped[bool] = mapped_column(Boolean, nullable=False)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    snapshot_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cosigners_required: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_window: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalCosign(EventRow, Base):
    __tablename__ = "proposal_cosigns"
    __table_args__ = (by_position("proposal_cosigns"), _by_proposal("proposal_cosigns"))

    proposal_id: Mapped[str | None] = ProposalId()
    owner: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cosigners: Mapped[int] = mapped_column(BigInteger, nullable=False)
    required: Mapped[int] = mapped_column(BigInteger, nullable=False)
    supported: Mapped[bool] = mapped_column(Boolean, nullable=False)


class Vote(EventRow, Base):
    """VoteCast: one owner identity's ballot (weight = its area at the snapshot, one head)."""

    __tablename__ = "votes"
    __table_args__ = (
        by_position("votes"),
        _by_proposal("votes"),
        Index("ix_votes_voter", "community", "voter"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    voter: Mapped[str] = Address(nullable=False)
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    weight: Mapped[int] = mapped_column(Uint256, nullable=False)


class VoteTally(EventRow, Base):
    """VoteTallied: the choice's running tally after a ballot (area, heads)."""

    __tablename__ = "vote_tallies"
    __table_args__ = (by_position("vote_tallies"), _by_proposal("vote_tallies"))

    proposal_id: Mapped[str | None] = ProposalId()
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DelegateVote(EventRow, Base):
    """DelegateVoteCast: the ballot just before it was cast by `delegate` for `owner`."""

    __tablename__ = "delegate_votes"
    __table_args__ = (by_position("delegate_votes"), _by_proposal("delegate_votes"))

    proposal_id: Mapped[str | None] = ProposalId()
    delegate: Mapped[str] = Address(nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DelegationChange(EventRow, Base):
    """DelegationSet (active = true) and DelegationRevoked (active = false);
    proposal_id "0" is a standing delegation."""

    __tablename__ = "delegation_changes"
    __table_args__ = (
        by_position("delegation_changes"),
        Index("ix_delegation_changes_key", "community", "identity", "proposal_id"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    owner: Mapped[str] = Address(nullable=False)
    delegate: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    previous: Mapped[str | None] = Address(nullable=True)


class VoteChange(EventRow, Base):
    """VoteChanged: an identity's standing ballot replaced (its owner changed their
    vote, or their own ballot replaced their delegate's). Channels: 0 own wallet,
    1 delegate, 2 paper, 3 relayed signature."""

    __tablename__ = "vote_changes"
    __table_args__ = (by_position("vote_changes"), _by_proposal("vote_changes"))

    proposal_id: Mapped[str | None] = ProposalId()
    voter: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    previous_support: Mapped[int] = mapped_column(Integer, nullable=False)
    previous_channel: Mapped[int] = mapped_column(Integer, nullable=False)
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    channel: Mapped[int] = mapped_column(Integer, nullable=False)


class ProposalComment(EventRow, Base):
    __tablename__ = "proposal_comments"
    __table_args__ = (by_position("proposal_comments"), _by_proposal("proposal_comments"))

    proposal_id: Mapped[str | None] = ProposalId()
    author: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text_hash: Mapped[str] = Hash32(nullable=False)


class ProposalResult(EventRow, Base):
    """ProposalTallied: the final tallies and result, once finalized or queued."""

    __tablename__ = "proposal_results"
    __table_args__ = (by_position("proposal_results"), _by_proposal("proposal_results"))

    proposal_id: Mapped[str | None] = ProposalId()
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    turnout_met: Mapped[bool] = mapped_column(Boolean, nullable=False)
    for_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    for_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    against_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    against_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    abstain_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    abstain_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_ends: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalAction(EventRow, Base):
    """ProposalQueued, ProposalExecuted, ProposalCanceled (`action` says which)."""

    __tablename__ = "proposal_actions"
    __table_args__ = (by_position("proposal_actions"), _by_proposal("proposal_actions"))

    proposal_id: Mapped[str | None] = ProposalId()
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    # The timelock eta (queued only).
    eta: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class VotingRulesChange(EventRow, Base):
    __tablename__ = "voting_rules_changes"
    __table_args__ = (by_position("voting_rules_changes"),)

    min_notice: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_voting_period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_voting_period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_window: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Seconds after the objection window to queue a passed proposal (None before it existed).
    queue_window: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CosignThresholdChange(EventRow, Base):
    """CosignThresholdSet: the share of heads (basis points) owners' motions made from then
    on need as co-signers."""

    __tablename__ = "cosign_threshold_changes"
    __table_args__ = (by_position("cosign_threshold_changes"),)

    bps: Mapped[int] = mapped_column(Integer, nullable=False)


class ProposalClass(EventRow, Base):
    """ProposalClassified: whether the written matter or the calls made it major, and
    the first call that did."""

    __tablename__ = "proposal_classes"
    __table_args__ = (by_position("proposal_classes"), _by_proposal("proposal_classes"))

    proposal_id: Mapped[str | None] = ProposalId()
    nonce: Mapped[int] = mapped_column(Uint256, nullable=False)
    matter_major: Mapped[bool] = mapped_column(Boolean, nullable=False)
    calls_major: Mapped[bool] = mapped_column(Boolean, nullable=False)
    major_target: Mapped[str] = Address(nullable=False)
    major_selector: Mapped[str] = mapped_column(String(10), nullable=False)
    queue_window: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CallClassChange(EventRow, Base):
    """Constitution.CallClassSet: an entry of the table of what each call needs."""

    __tablename__ = "call_class_changes"
    __table_args__ = (by_position("call_class_changes"),)

    target: Mapped[str] = Address(nullable=False)
    selector: Mapped[str] = mapped_column(String(10), nullable=False)
    by_arg: Mapped[bool] = mapped_column(Boolean, nullable=False)
    arg: Mapped[str] = Hash32(nullable=False)
    call_class: Mapped[int] = mapped_column(Integer, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


# --------------------------------------------------------------------- PaperBallots
#
# Tellers (监票人, 计票人) per proposal; each paper ballot entered by one teller and
# counted once a second confirms it; the declared number of ballots collected. Rows
# name owner identities (the registry's index) and tellers' wallets, never names.


class PaperTellers(EventRow, Base):
    """TellersAppointed: a proposal's tellers (once per proposal)."""

    __tablename__ = "paper_tellers"
    __table_args__ = (by_position("paper_tellers"), _by_proposal("paper_tellers"))

    proposal_id: Mapped[str | None] = ProposalId()
    tellers: Mapped[list] = mapped_column(JSON, nullable=False)
    appointed_by: Mapped[str] = Address(nullable=False)


class PaperBallotEntry(EventRow, Base):
    """PaperBallotEntered: a teller entered an identity's paper ballot (not yet counted)."""

    __tablename__ = "paper_ballot_entries"
    __table_args__ = (by_position("paper_ballot_entries"), _by_proposal("paper_ballot_entries"))

    proposal_id: Mapped[str | None] = ProposalId()
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    scan_hash: Mapped[str] = Hash32(nullable=False)
    teller: Mapped[str] = Address(nullable=False)


class PaperBallotConfirmation(EventRow, Base):
    """PaperBallotConfirmed: a second teller confirmed an entry; the assembly counted it."""

    __tablename__ = "paper_ballot_confirmations"
    __table_args__ = (by_position("paper_ballot_confirmations"), _by_proposal("paper_ballot_confirmations"))

    proposal_id: Mapped[str | None] = ProposalId()
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    scan_hash: Mapped[str] = Hash32(nullable=False)
    entered_by: Mapped[str] = Address(nullable=False)
    confirmed_by: Mapped[str] = Address(nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    # The channel of the ballot it replaced (1: a delegate's), 255 when none stood.
    replaced_channel: Mapped[int] = mapped_column(Integer, nullable=False)


class PaperCountDeclaration(EventRow, Base):
    """CollectedDeclared: a teller's count of the paper ballots collected (a later one replaces it)."""

    __tablename__ = "paper_count_declarations"
    __table_args__ = (by_position("paper_count_declarations"), _by_proposal("paper_count_declarations"))

    proposal_id: Mapped[str | None] = ProposalId()
    collected: Mapped[int] = mapped_column(Uint256, nullable=False)
    teller: Mapped[str] = Address(nullable=False)


class PaperCountConfirmation(EventRow, Base):
    """CollectedConfirmed: a second teller confirmed the declared count (final)."""

    __tablename__ = "paper_count_confirmations"
    __table_args__ = (by_position("paper_count_confirmations"), _by_proposal("paper_count_confirmations"))

    proposal_id: Mapped[str | None] = ProposalId()
    collected: Mapped[int] = mapped_column(Uint256, nullable=False)
    declared_by: Mapped[str] = Address(nullable=False)
    confirmed_by: Mapped[str] = Address(nullable=False)


class PreliminaryResultRow(EventRow, Base):
    """PreliminaryResult (PaperBallots): the preliminary result (初步统计结果) published
    after the close, once the paper count added up; its objection period ends at
    `objection_ends`."""

    __tablename__ = "preliminary_results"
    __table_args__ = (by_position("preliminary_results"), _by_proposal("preliminary_results"))

    proposal_id: Mapped[str | None] = ProposalId()
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    turnout_met: Mapped[bool] = mapped_column(Boolean, nullable=False)
    for_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    for_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    against_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    against_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    abstain_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    abstain_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paper_ballots: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_ends: Mapped[int] = mapped_column(BigInteger, nullable=False)
    published_by: Mapped[str] = Address(nullable=False)


class NonvoterRuleChange(EventRow, Base):
    """NonvoterRuleSet (PaperBallots): the non-voter rule (指导规则 第二十六条第二款) from
    then on: proposals whose snapshot block is at or after `from_block` are counted
    under it (the first row, logged at deployment, says off)."""

    __tablename__ = "nonvoter_rule_changes"
    __table_args__ = (by_position("nonvoter_rule_changes"),)

    rule_on: Mapped[bool] = mapped_column(Boolean, nullable=False)  # the event's `on` (a SQL keyword)
    from_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class ServiceRecord(EventRow, Base):
    """ServiceRecorded (PaperBallots): a teller recorded owner identities who did not
    vote and whose service of the notice is proven (counted once another confirms)."""

    __tablename__ = "service_records"
    __table_args__ = (by_position("service_records"), _by_proposal("service_records"))

    proposal_id: Mapped[str | None] = ProposalId()
    batch: Mapped[int] = mapped_column(BigInteger, nullable=False)
    identities: Mapped[list] = mapped_column(JSON, nullable=False)
    evidence_hash: Mapped[str] = Hash32(nullable=False)
    teller: Mapped[str] = Address(nullable=False)


class ServiceConfirmation(EventRow, Base):
    """ServiceConfirmed (PaperBallots): a second teller confirmed a record of served
    non-voters; their area and heads count under the non-voter rule."""

    __tablename__ = "service_confirmations"
    __table_args__ = (by_position("service_confirmations"), _by_proposal("service_confirmations"))

    proposal_id: Mapped[str | None] = ProposalId()
    batch: Mapped[int] = mapped_column(BigInteger, nullable=False)
    identities: Mapped[list] = mapped_column(JSON, nullable=False)
    evidence_hash: Mapped[str] = Hash32(nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    entered_by: Mapped[str] = Address(nullable=False)
    confirmed_by: Mapped[str] = Address(nullable=False)


class DeemedVotesRow(EventRow, Base):
    """DeemedVotes (PaperBallots, with the preliminary result of a proposal counted
    under the non-voter rule): the side the served non-voters joined (1 for, 0
    against, 255 none), what was added, and the result without them."""

    __tablename__ = "deemed_votes"
    __table_args__ = (by_position("deemed_votes"), _by_proposal("deemed_votes"))

    proposal_id: Mapped[str | None] = ProposalId()
    side: Mapped[int] = mapped_column(Integer, nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    served_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    served_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    passed_without: Mapped[bool] = mapped_column(Boolean, nullable=False)
    turnout_met_without: Mapped[bool] = mapped_column(Boolean, nullable=False)


class ResultObjection(EventRow, Base):
    """ResultObjected (PaperBallots): an owner identity's objection to a preliminary
    result (询异), the hash of its text; `objections` is the count after it."""

    __tablename__ = "result_objections"
    __table_args__ = (by_position("result_objections"), _by_proposal("result_objections"))

    proposal_id: Mapped[str | None] = ProposalId()
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    text_hash: Mapped[str] = Hash32(nullable=False)
    objections: Mapped[int] = mapped_column(BigInteger, nullable=False)
    owner: Mapped[str] = Address(nullable=False)


class FinalResultRow(EventRow, Base):
    """FinalResult (PaperBallots): the final result after the objection period, with
    the objections it had (the assembly's ProposalTallied comes in the same transaction)."""

    __tablename__ = "final_results"
    __table_args__ = (by_position("final_results"), _by_proposal("final_results"))

    proposal_id: Mapped[str | None] = ProposalId()
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    for_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    for_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    against_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    against_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    abstain_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    abstain_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objections: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_ends: Mapped[int] = mapped_column(BigInteger, nullable=False)
    published_by: Mapped[str] = Address(nullable=False)


# --------------------------------------------------------------------- AssemblyTimelock
#
# snekmate's timelock_controller: the assembly schedules one operation per call of a
# passed proposal; anyone can see what waits, when it becomes ready and what ran.
# Operation ids are bytes32 (0x-hex); payloads are the calls' calldata (0x-hex).


def _by_operation(table: str) -> Index:
    return Index(f"ix_{table}_operation", "community", "operation_id")


class TimelockCallScheduled(EventRow, Base):
    """CallScheduled: one call of an operation, runnable `delay` seconds after this block."""

    __tablename__ = "timelock_calls_scheduled"
    __table_args__ = (by_position("timelock_calls_scheduled"), _by_operation("timelock_calls_scheduled"))

    operation_id: Mapped[str] = Hash32(nullable=False)
    call_index: Mapped[int] = mapped_column(Uint256, nullable=False)
    target: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    predecessor: Mapped[str] = Hash32(nullable=False)
    delay: Mapped[int] = mapped_column(Uint256, nullable=False)


class TimelockCallExecuted(EventRow, Base):
    """CallExecuted: one call of an operation ran."""

    __tablename__ = "timelock_calls_executed"
    __table_args__ = (by_position("timelock_calls_executed"), _by_operation("timelock_calls_executed"))

    operation_id: Mapped[str] = Hash32(nullable=False)
    call_index: Mapped[int] = mapped_column(Uint256, nullable=False)
    target: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)


class TimelockSalt(EventRow, Base):
    """CallSalt: the salt an operation was scheduled with (the assembly's link to its proposal)."""

    __tablename__ = "timelock_salts"
    __table_args__ = (by_position("timelock_salts"), _by_operation("timelock_salts"))

    operation_id: Mapped[str] = Hash32(nullable=False)
    salt: Mapped[str] = Hash32(nullable=False)


class TimelockCancellation(EventRow, Base):
    """Cancelled: a scheduled operation will not run."""

    __tablename__ = "timelock_cancellations"
    __table_args__ = (by_position("timelock_cancellations"), _by_operation("timelock_cancellations"))

    operation_id: Mapped[str] = Hash32(nullable=False)


class TimelockDelayChange(EventRow, Base):
    """MinimumDelayChange: only a passed proposal can change the delay."""

    __tablename__ = "timelock_delay_changes"
    __table_args__ = (by_position("timelock_delay_changes"),)

    old_duration: Mapped[int] = mapped_column(Uint256, nullable=False)
    new_duration: Mapped[int] = mapped_column(Uint256, nullable=False)


class TimelockRoleChange(EventRow, Base):
    """The timelock's own RoleGranted / RoleRevoked (kept apart from the registry's roles)."""

    __tablename__ = "timelock_role_changes"
    __table_args__ = (by_position("timelock_role_changes"),)

    role: Mapped[str] = Hash32(nullable=False)
    account: Mapped[str] = Address(nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    changed_by: Mapped[str] = Address(nullable=False)
