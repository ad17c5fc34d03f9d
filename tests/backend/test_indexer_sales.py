"""A sale ends the unit's residents' links in the index as on chain (issue 16)."""

from __future__ import annotations

from sqlalchemy import select

from backend.chain.deployment import manifest_dict
from backend.db.models import Base
from tests.conftest import CHANGE_DELAY
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for

T = Base.metadata.tables


def test_a_sale_ends_the_units_residents_in_the_index(populated, make_indexer, engine, registry, committee, owner_b,
                                                      tenant, attacker, accounts, chain):
    housemate = accounts.generate_test_account()
    chain.set_balance(housemate.address, 10**20)
    link_resident(registry, 3, housemate, commitment_for("housemate"), owner_b)
    indexer = make_indexer(manifest_dict(populated, "local"))
    indexer.sync()
    with engine.connect() as conn:
        assert set(conn.execute(select(T["residents"].c.wallet)).scalars()) == {
            tenant.address.lower(), housemate.address.lower()}
    registry.request_transfer(3, attacker, commitment_for("buyer"), sender=committee)
    chain.pending_timestamp += CHANGE_DELAY
    registry.execute_transfer(3, sender=committee)
    indexer.sync()
    with engine.connect() as conn:
        assert list(conn.execute(select(T["residents"].c.wallet)).scalars()) == []
    assert registry.resident_unit(tenant) == registry.resident_unit(housemate) == 0
