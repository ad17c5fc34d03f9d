"""Indexing CultureWorks, CommunityActivities and MerchantPromotions: one typed row per
raw event for every spec, work ids and household keys filled from the raw event, and
re-indexing a range changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.chain.deployment import manifest_dict
from backend.db.models import Base, RawEvent
from backend.indexer.specs import EVENT_SPECS
from tests.backend.helpers import dump

T = Base.metadata.tables
CONTRACTS = ("CultureWorks", "CommunityActivities", "MerchantPromotions")
# Columns that tell apart the events sharing a table (the specs' constants).
DISCRIMINATORS = ("hidden", "added", "cancelled")


def test_every_culture_and_activity_event_has_a_typed_table(culture_scene):
    # An event left out would only be browsable in raw_events: every event the ABIs
    # declare (snekmate's Transfer, RoleMinterChanged, OwnershipTransferred included)
    # has a spec.
    specs = {(s.contract, s.event) for s in EVENT_SPECS}
    for name in CONTRACTS:
        contract = culture_scene.community.contracts()[name]
        declared = {e.name for e in contract.contract_type.events}
        assert declared and {event for event in declared if (name, event) not in specs} == set(), name


def test_culture_and_activity_events_land_in_typed_tables(culture_scene, make_indexer, engine, registry, tenant,
                                                          owner_b):
    make_indexer(manifest_dict(culture_scene.community, "local")).sync()
    with engine.connect() as conn:
        for spec in EVENT_SPECS:
            if spec.contract not in CONTRACTS:
                continue
            raw = conn.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.contract == spec.contract, RawEvent.event == spec.event))
            table = T[spec.table]
            typed = conn.scalar(select(func.count()).select_from(table).where(*[
                table.c[column] == value for column, value in spec.constants.items() if column in DISCRIMINATORS]))
            assert typed == raw > 0, spec.event
        # Every converted column is filled (work ids, household keys).
        for spec in EVENT_SPECS:
            if spec.contract not in CONTRACTS:
                continue
            for column in spec.convert:
                table = T[spec.table]
                assert conn.scalar(select(func.count()).select_from(table).where(table.c[column].is_(None))) == 0
        # Work ids: the file's sha256 as 0x-hex, the same in every table.
        minted = set(conn.execute(select(T["work_mints"].c.work_id)).scalars())
        assert minted == set(culture_scene.works.values())
        for name in {spec.table for spec in EVENT_SPECS if spec.convert.get("work_id") == "hex32"}:
            assert set(conn.execute(select(T[name].c.work_id)).scalars()) <= minted, name
        # A tenant likes in its unit's owner's household (issue 16): the key the registry gives.
        households = set(conn.execute(select(T["work_likes"].c.household)).scalars())
        assert registry.household_of(tenant) == registry.household_of(owner_b)
        assert str(registry.household_of(tenant)) in households


def test_reindexing_culture_and_activity_ranges_changes_nothing(culture_scene, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(culture_scene.community, "local"))
    indexer.sync()
    before = dump(engine)
    assert before["work_likes"] and before["activity_check_ins"] and before["promotions"]
    indexer.rollback_to((indexer.start_block + chain.blocks.head.number) // 2)
    indexer.sync()
    assert dump(engine) == before
    # From the deployment too: every row rewritten from scratch is the same row.
    indexer.rollback_to(indexer.start_block - 1)
    indexer.sync()
    assert dump(engine) == before
