"""Indexing PropertyFees, CommunityTreasury, OwnersAssembly and its timelock: one typed row per event, proposal ids and
array columns filled from the raw event, and re-indexing a range changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.chain.deployment import manifest_dict
from backend.db.models import Base, RawEvent
from backend.indexer.specs import EVENT_SPECS
from tests.backend.helpers import dump

T = Base.metadata.tables
FAMILIES = ("PropertyFees", "CommunityTreasury", "OwnersAssembly", "AssemblyTimelock")


def test_fee_and_assembly_events_land_in_typed_tables(fees_assembly, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(fees_assembly["community"], "local"))
    indexer.sync()
    with engine.connect() as conn:
        for spec in EVENT_SPECS:
            if spec.contract not in FAMILIES:
                continue
            raw = conn.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.contract == spec.contract, RawEvent.event == spec.event))
            table = T[spec.table]
            typed = conn.scalar(select(func.count()).select_from(table).where(*[
                table.c[column] == value for column, value in spec.constants.items()
                if column in ("setting", "action", "active", "granted")]))
            assert typed == raw, spec.event
        # The scenario records every kind of event but a unit's own billing start, a
        # payment to the company under 包干制 (its contract is 酬金制) ...
        empty = {name for name in {s.table for s in EVENT_SPECS if s.contract in FAMILIES}
                 if conn.scalar(select(func.count()).select_from(T[name])) == 0}
        # ... nor a timelock cancellation (the delay's first setting is the constructor's),
        # nor a cashier's record and its dispute (tests/backend/test_api_cashier.py indexes those).
        assert empty == {"unit_billing_starts", "lump_sum_payments", "timelock_cancellations", "fee_records",
                         "fee_record_disputes", "fee_dispute_answers"}
        # Every mapped column is filled: proposal ids converted, arrays in JSON columns.
        for spec in EVENT_SPECS:
            if spec.contract not in FAMILIES:
                continue
            table = T[spec.table]
            # Rows of this event only (several events may share a table, told apart by a constant).
            this_event = [table.c[column] == value for column, value in spec.constants.items()
                          if column in ("setting", "action", "active", "granted")]
            for column in spec.columns:
                empty = conn.scalar(select(func.count()).select_from(table).where(
                    *this_event, table.c[column].is_(None)))
                assert empty == 0, (spec.event, column)
        ids = set(conn.execute(select(T["proposal_details"].c.proposal_id)).scalars())
        assert ids == {str(p.id) for p in fees_assembly["proposals"].values()}
        assert set(conn.execute(select(T["votes"].c.proposal_id)).scalars()) <= ids
        milestones = list(conn.execute(select(T["maintenance_projects"].c.milestones)
                                       .order_by(T["maintenance_projects"].c.project_id)).scalars())
        assert milestones == [[12_000_00, 8_000_00], [1_000_00, 2_000_00]]
        calls = conn.execute(select(T["proposal_creations"].c.targets, T["proposal_creations"].c.calldatas,
                                    T["proposal_creations"].c.call_values)).all()
        assert all(len(targets) == len(calldatas) == len(values) for targets, calldatas, values in calls)
        # The maintenance project was approved by a proposal calling CommunityTreasury through the timelock.
        treasury_address = fees_assembly["community"].contracts()["CommunityTreasury"].address.lower()
        assert any(treasury_address in targets for targets, _, _ in calls)
        # Every payout left PropertyFees through one Disbursed event: expenses, commission,
        # the decision, the emergency repair and the milestone.
        assert conn.scalar(select(func.count()).select_from(T["fee_disbursements"])) == 6


def test_reindexing_fee_and_assembly_ranges_changes_nothing(fees_assembly, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(fees_assembly["community"], "local"))
    indexer.sync()
    before = dump(engine)
    assert before["votes"] and before["fee_payments"]
    indexer.rollback_to((indexer.start_block + chain.blocks.head.number) // 2)
    indexer.sync()
    assert dump(engine) == before
