"""State tables (units, owners, residents, role members, merchants, balances).

They are projections of the event tables: `apply` moves them forward by a batch of
freshly inserted event rows (in chain order, inside the batch's transaction), and
`rebuild` recomputes them from the event tables after a rollback. Registry events
are few and are applied one by one; points movements are many and are applied as
one aggregated balance delta per holder. The service providers' aggregates have
their own module (services_projection.py), called from both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.db.models import Base
from backend.indexer import services_projection


ZERO_ADDRESS = "0x" + "0" * 40
T = Base.metadata.tables

# Event tables the state tables derive from, replayed in chain order by `rebuild`.
STATE_SOURCES = (
    "unit_registrations",
    "unit_area_changes",
    "unit_transfers",
    "owner_weight_changes",
    "wallet_recoveries",
    "resident_changes",
    "role_changes",
    "merchant_syncs",
)
STATE_TABLES = ("units", "owners", "residents", "role_members", "merchants", "points_balances")


def _insert(conn: Connection, table: Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# Each upsert statement, built once per dialect, table, keys and columns updated.
_UPSERTS: dict[tuple, Any] = {}


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str], update_cols: Sequence[str]):
    if not rows:
        return
    shape = (conn.dialect.name, table.name, tuple(keys), tuple(update_cols))
    stmt = _UPSERTS.get(shape)
    if stmt is None:
        stmt = _insert(conn, table)
        if update_cols:
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update_cols})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        _UPSERTS[shape] = stmt
    conn.execute(stmt, list(rows))


def _apply_state_event(conn: Connection, community: str, table: str, row: dict[str, Any]) -> None:
    block = row["block_number"]
    if table == "unit_registrations":
        upsert(conn, T["units"], [{
            "community": community, "unit_id": row["unit_id"], "label": row["label"], "area": row["area"],
            "identity": row["identity"], "registered_block": block, "updated_block": block,
        }], ("community", "unit_id"), ("label", "area", "identity", "registered_block", "updated_block"))
    elif table == "unit_area_changes":
        units = T["units"]
        conn.execute(update(units).where(and_(units.c.community == community, units.c.unit_id == row["unit_id"]))
                     .values(area=row["new_area"], updated_block=block))
    elif table == "unit_transfers":
        units = T["units"]
        conn.execute(update(units).where(and_(units.c.community == community, units.c.unit_id == row["unit_id"]))
                     .values(identity=row["new_identity"], updated_block=block))
        # A sale ends the links its residents made under the seller (the registry ends
        # them without an event each).
        residents = T["residents"]
        conn.execute(delete(residents).where(and_(residents.c.community == community,
                                                  residents.c.unit_id == row["unit_id"])))
    elif table == "owner_weight_changes":
        upsert(conn, T["owners"], [{
            "community": community, "identity": row["identity"], "commitment": row["commitment"],
            "wallet": row["wallet"], "area": row["area"], "units": row["units"], "updated_block": block,
        }], ("community", "identity"), ("commitment", "wallet", "area", "units", "updated_block"))
    elif table == "wallet_recoveries":
        owners = T["owners"]
        conn.execute(update(owners).where(and_(owners.c.community == community, owners.c.identity == row["identity"]))
                     .values(wallet=row["new_wallet"], updated_block=block))
    elif table == "resident_changes":
        residents = T["residents"]
        if row["linked"]:
            upsert(conn, residents, [{
                "community": community, "wallet": row["wallet"], "unit_id": row["unit_id"],
                "commitment": row["commitment"], "linked_block": block,
            }], ("community", "wallet"), ("unit_id", "commitment", "linked_block"))
        else:
            conn.execute(delete(residents).where(and_(residents.c.community == community,
                                                      residents.c.wallet == row["wallet"])))
    elif table == "role_changes":
        members = T["role_members"]
        if row["granted"]:
            upsert(conn, members, [{"community": community, "role": row["role"], "account": row["account"],
                                    "granted_block": block}], ("community", "role", "account"), ("granted_block",))
        else:
            conn.execute(delete(members).where(and_(members.c.community == community, members.c.role == row["role"],
                                                    members.c.account == row["account"])))
    elif table == "merchant_syncs":
        merchants = T["merchants"]
        if row["is_merchant"]:
            upsert(conn, merchants, [{"community": community, "account": row["account"], "synced_block": block}],
                   ("community", "account"), ("synced_block",))
        else:
            conn.execute(delete(merchants).where(and_(merchants.c.community == community,
                                                      merchants.c.account == row["account"])))


def _apply_movements(conn: Connection, community: str, movements: Iterable[dict[str, Any]]) -> None:
    deltas: dict[str, int] = defaultdict(int)
    for movement in movements:
        amount = movement["amount"]
        deltas[movement["sender"]] -= amount
        deltas[movement["receiver"]] += amount
    # Every holder ever involved keeps a row (possibly 0), as `rebuild` produces.
    deltas.pop(ZERO_ADDRESS, None)
    rows = [{"community": community, "holder": holder, "balance": delta} for holder, delta in deltas.items()]
    if not rows:
        return
    balances = T["points_balances"]
    stmt = _insert(conn, balances)
    stmt = stmt.on_conflict_do_update(
        index_elements=["community", "holder"], set_={"balance": balances.c.balance + stmt.excluded.balance}
    )
    conn.execute(stmt, rows)


def apply(conn: Connection, community: str, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Move the state tables forward by `events` ((table, row) in chain order)."""
    movements = []
    for table, row in events:
        if table == "points_movements":
            movements.append(row)
        elif table in STATE_SOURCES:
            _apply_state_event(conn, community, table, row)
    _apply_movements(conn, community, movements)
    services_projection.apply(conn, community, events)


def rebuild(conn: Connection, community: str) -> None:
    """Recompute every state table of `community` from its event tables."""
    for name in STATE_TABLES:
        table = T[name]
        conn.execute(delete(table).where(table.c.community == community))
    replay: list[tuple[int, int, str, dict[str, Any]]] = []
    for name in STATE_SOURCES:
        table = T[name]
        for row in conn.execute(select(table).where(table.c.community == community)).mappings():
            replay.append((row["block_number"], row["log_index"], name, dict(row)))
    replay.sort(key=lambda item: (item[0], item[1]))
    for _, _, name, row in replay:
        _apply_state_event(conn, community, name, row)
    # Balances: one aggregate over the movements instead of replaying them.
    conn.execute(
        text(
            """
            INSERT INTO points_balances (community, holder, balance)
            SELECT :community, holder, SUM(delta) FROM (
                SELECT receiver AS holder, amount AS delta FROM points_movements WHERE community = :community
                UNION ALL
                SELECT sender AS holder, -amount AS delta FROM points_movements WHERE community = :community
            ) moves
            WHERE holder <> :zero
            GROUP BY holder
            """
        ),
        {"community": community, "zero": ZERO_ADDRESS},
    )
    services_projection.rebuild(conn, community)
