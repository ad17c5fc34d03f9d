"""Indexing ServiceMarket, SuggestionBox and DataConsent: one typed row per event of
every spec, the providers' aggregates equal to a rebuild and to the contract's
`provider_stats`, and re-indexing a range changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.chain.deployment import manifest_dict
from backend.db.models import Base, RawEvent
from backend.indexer import services_projection
from backend.indexer.specs import EVENT_SPECS
from tests.backend.helpers import dump
from tests.backend.services_scenario import service_accounts, services_world  # noqa: F401 - fixtures

T = Base.metadata.tables
CONTRACTS = ("ServiceMarket", "SuggestionBox", "DataConsent")


def test_every_event_lands_in_its_typed_table(services_world, make_indexer, engine):
    make_indexer(manifest_dict(services_world["community"], "local")).sync()
    specs = [spec for spec in EVENT_SPECS if spec.contract in CONTRACTS]
    # Every event of the three ABIs has a spec row, and each its own table.
    for name in CONTRACTS:
        abi_events = {entry.name for entry in services_world["community"].extra[name].contract_type.events}
        assert abi_events == {spec.event for spec in specs if spec.contract == name}, name
    assert len({spec.table for spec in specs}) == len(specs)
    with engine.connect() as conn:
        for spec in specs:
            raw = conn.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.contract == spec.contract, RawEvent.event == spec.event))
            typed = conn.scalar(select(func.count()).select_from(T[spec.table]))
            assert typed == raw > 0, spec.event
        # Arguments copied as they are: a row against its raw event.
        offers = T["service_offers"]
        offer = conn.execute(select(offers).order_by(offers.c.block_number)).mappings().first()
        args = conn.execute(select(RawEvent.args).where(RawEvent.tx_hash == offer["tx_hash"],
                                                        RawEvent.log_index == offer["log_index"])).scalar()
        assert (offer["provider"], int(offer["price"]), offer["revision"]) == \
            (args["service_provider"], args["price"], args["revision"])
        grant = conn.execute(select(T["consent_grants"]).limit(1)).mappings().first()
        args = conn.execute(select(RawEvent.args).where(RawEvent.tx_hash == grant["tx_hash"],
                                                        RawEvent.log_index == grant["log_index"])).scalar()
        assert (grant["scope"], grant["grant_reference"], grant["grantee_role"]) == \
            (args["scope"], args["reference"], args["grantee_role"])


def test_provider_aggregates_equal_the_contract_and_a_rebuild(services_world, make_indexer, engine, provider):
    make_indexer(manifest_dict(services_world["community"], "local")).sync()
    market = services_world["market"]
    plumber = services_world["plumber"]
    providers = T["service_providers"]
    with engine.connect() as conn:
        rows = {r["provider"]: r for r in conn.execute(select(providers)).mappings()}
    assert set(rows) == {provider.address.lower(), plumber.address.lower()}
    for account in (provider, plumber):
        row = rows[account.address.lower()]
        assert (row["jobs_completed"], row["disputes_resolved"], row["rating_count"], row["rating_sum"],
                int(row["earned"])) == tuple(market.provider_stats(account))
    p = rows[provider.address.lower()]
    # Offers: confirmed, released, cancelled, reclaimed, open, accepted; one release, one reclaim.
    assert (p["offers"], p["jobs_accepted"], p["jobs_released"], p["jobs_reclaimed"]) == (6, 4, 1, 1)
    q = rows[plumber.address.lower()]
    # A revision is not an offer; an offer withdrawn is.
    assert (q["offers"], q["offers_withdrawn"], q["disputes_raised"], q["disputes_resolved"]) == (6, 1, 2, 1)
    before = dump(engine)
    with engine.begin() as conn:
        services_projection.rebuild(conn, services_world["community"].registry.address.lower())
    assert dump(engine) == before


def test_reindexing_a_range_changes_nothing(services_world, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(services_world["community"], "local"))
    indexer.sync()
    before = dump(engine)
    assert before["service_closures"] and before["suggestion_answers"] and before["data_access_logs"]
    assert before["service_providers"] and before["service_provider_categories"]
    for block in ((indexer.start_block + chain.blocks.head.number) // 2, chain.blocks.head.number - 20):
        indexer.rollback_to(block)
        indexer.sync()
        assert dump(engine) == before
