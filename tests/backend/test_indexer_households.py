"""Indexing households and recoveries (issue 16): objections to a sale and a recovery, the
recovery's evidence hash, an invitation, the household a resident joined, the suggestion
cap (a sale ending the residents' links in the index: test_indexer_sales.py)."""

from __future__ import annotations

from sqlalchemy import select

from backend.chain.deployment import manifest_dict
from backend.db.models import Base
from tests.conftest import CHANGE_DELAY
from tests.utils.identity import commitment_for

T = Base.metadata.tables


def rows(conn, table):
    return conn.execute(select(T[table]).order_by(T[table].c.block_number, T[table].c.log_index)).mappings().all()


def test_objections_evidence_invitations_and_households(active, make_indexer, engine, owner_a, owner_b, merchant,
                                                        tenant, committee):
    make_indexer(manifest_dict(active, "local")).sync()
    with engine.connect() as conn:
        [sale] = rows(conn, "unit_transfer_objections")
        assert (sale["unit_id"], sale["owner"], sale["reason_hash"]) == (
            3, owner_b.address.lower(), "0x" + commitment_for("not selling").hex())
        [objected] = rows(conn, "recovery_objections")
        assert (objected["identity"], objected["wallet"]) == (1, owner_b.address.lower())
        assert [r["evidence_hash"] for r in rows(conn, "recovery_requests")] == [
            "0x" + commitment_for(f"evidence-{n}").hex() for n in (1, 2)]
        # The second recovery had no objection: its eta is the delay after its request.
        first, second = rows(conn, "recovery_requests")
        assert objected["eta"] == first["eta"] + CHANGE_DELAY
        # The tenant's invitation (accepted, in `populated`) and the merchant's (not accepted).
        assert [(r["unit_id"], r["wallet"], r["invited_by"]) for r in rows(conn, "resident_invitations")] == [
            (3, tenant.address.lower(), owner_b.address.lower()),
            (1, merchant.address.lower(), owner_a.address.lower())]
        linked = [r for r in rows(conn, "resident_changes") if r["linked"]]
        assert [(r["wallet"], r["household"]) for r in linked] == [(tenant.address.lower(), 2)]
        [cap] = rows(conn, "suggestion_cap_changes")
        assert (int(cap["cap"]), cap["set_by"]) == (30, committee.address.lower())
