"""Indexing PropertyFees and OwnersAssembly: one typed row per event, proposal ids and
array columns filled from the raw event, and re-indexing a range changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.chain.deployment import manifest_dict
from backend.db.models import Base, RawEvent
from backend.indexer.specs import EVENT_SPECS, PROPOSAL_ID_TABLES, RAW_JSON_COLUMNS
from tests.backend.helpers import dump

T = Base.metadata.tables


def test_fee_and_assembly_events_land_in_typed_tables(fees_assembly, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(fees_assembly["community"], "local"))
    indexer.sync()
    with engine.connect() as conn:
        for spec in EVENT_SPECS:
            if spec.contract not in ("PropertyFees", "OwnersAssembly"):
                continue
            raw = conn.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.contract == spec.contract, RawEvent.event == spec.event))
            table = T[spec.table]
            typed = conn.scalar(select(func.count()).select_from(table).where(*[
                table.c[column] == value for column, value in spec.constants.items()
                if column in ("setting", "action", "active")]))
            assert typed == raw, spec.event
        # The scenario records every kind of event but a unit's own billing start.
        empty = {name for name in {s.table for s in EVENT_SPECS if s.contract in ("PropertyFees", "OwnersAssembly")}
                 if conn.scalar(select(func.count()).select_from(T[name])) == 0}
        assert empty == {"unit_billing_starts"}
        for name in PROPOSAL_ID_TABLES:
            table = T[name]
            assert conn.scalar(select(func.count()).select_from(table).where(table.c.proposal_id.is_(None))) == 0
        ids = set(conn.execute(select(T["proposal_details"].c.proposal_id)).scalars())
        assert ids == {str(p.id) for p in fees_assembly["proposals"].values()}
        for name, columns in RAW_JSON_COLUMNS.items():
            for column in columns:
                assert conn.scalar(select(func.count()).select_from(T[name]).where(T[name].c[column].is_(None))) == 0
        [milestones] = conn.execute(select(T["maintenance_projects"].c.milestones)).scalars()
        assert milestones == [12_000_00, 8_000_00]


def test_reindexing_fee_and_assembly_ranges_changes_nothing(fees_assembly, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(fees_assembly["community"], "local"))
    indexer.sync()
    before = dump(engine)
    assert before["votes"] and before["fee_payments"]
    indexer.rollback_to((indexer.start_block + chain.blocks.head.number) // 2)
    indexer.sync()
    assert dump(engine) == before
