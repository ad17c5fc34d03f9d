"""Service providers' aggregates (`service_providers`, `service_provider_categories`),
projected from the ServiceMarket's event tables.

Ranking providers for a request reads every provider's history; summing offers,
deals, closures and ratings per provider at each request would cost a scan of the
market's whole history, so the sums are kept here. Every column is a sum of
per-event increments, so applying a batch and rebuilding from the event tables give
the same rows whatever the order: `rebuild` simply applies every event again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from backend.db.models import Base

T = Base.metadata.tables

# Event tables the aggregates derive from.
SOURCES = ("service_offers", "service_offer_withdrawals", "service_acceptances", "service_disputes",
           "service_closures", "provider_ratings")
STATE_TABLES = ("service_providers", "service_provider_categories")

# A response slower than a week counts as a week: one offer on a request left open for
# months must not outweigh a provider's whole record.
RESPONSE_CAP_S = 7 * 86_400
PPM = 1_000_000

CONFIRMED, RELEASED, RESOLVED, CANCELLED, RECLAIMED = 5, 6, 7, 8, 9

PROVIDER_COUNTERS = ("offers", "offers_withdrawn", "response_seconds", "jobs_accepted", "price_ratio_ppm",
                     "jobs_completed", "jobs_released", "disputes_raised", "disputes_resolved", "jobs_reclaimed",
                     "rating_count", "rating_sum", "earned", "fees_paid")
CATEGORY_COUNTERS = ("offers", "jobs_accepted", "jobs_completed", "earned")


def _insert(conn: Connection, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _requests(conn: Connection, community: str, request_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """request id -> (posted_at, category)."""
    requests = T["service_requests"]
    ids = sorted(set(request_ids))
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        for request_id, posted_at, category in conn.execute(
            select(requests.c.request_id, requests.c.posted_at, requests.c.category)
            .where(requests.c.community == community, requests.c.request_id.in_(ids[start:start + 500]))
        ):
            found[int(request_id)] = (int(posted_at), int(category))
    return found


def _deltas(rows: Sequence[tuple[str, dict[str, Any]]], requests: dict[int, tuple[int, int]]):
    providers: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PROVIDER_COUNTERS, 0))
    categories: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORY_COUNTERS, 0))
    for table, row in rows:
        provider = row["provider"]
        request = requests.get(int(row["request_id"]))
        if table == "service_offers":
            if row["revision"]:
                continue
            totals = providers[provider]
            totals["offers"] += 1
            if request is not None:
                totals["response_seconds"] += min(max(int(row["offered_at"]) - request[0], 0), RESPONSE_CAP_S)
                categories[(provider, request[1])]["offers"] += 1
        elif table == "service_offer_withdrawals":
            providers[provider]["offers_withdrawn"] += 1
        elif table == "service_acceptances":
            price, refund = int(row["price"]), int(row["refund"])
            totals = providers[provider]
            totals["jobs_accepted"] += 1
            totals["price_ratio_ppm"] += price * PPM // (price + refund)
            if request is not None:
                categories[(provider, request[1])]["jobs_accepted"] += 1
        elif table == "service_disputes":
            providers[provider]["disputes_raised"] += 1
        elif table == "service_closures":
            status = int(row["status"])
            if status == CANCELLED:  # an open request: no provider involved
                continue
            totals = providers[provider]
            if status == RECLAIMED:
                totals["jobs_reclaimed"] += 1
                continue
            to_provider = int(row["to_provider"])
            totals["earned"] += to_provider
            totals["fees_paid"] += int(row["fee"])
            if status == RESOLVED:
                totals["disputes_resolved"] += 1
            else:
                totals["jobs_completed"] += 1
                totals["jobs_released"] += status == RELEASED
            if request is not None:
                per_category = categories[(provider, request[1])]
                per_category["earned"] += to_provider
                per_category["jobs_completed"] += status != RESOLVED
        elif table == "provider_ratings":
            totals = providers[provider]
            totals["rating_count"] += 1
            totals["rating_sum"] += int(row["score"])
    return providers, categories


def _add(conn: Connection, table_name: str, keys: Sequence[str], counters: Sequence[str], rows: list[dict]) -> None:
    if not rows:
        return
    table = T[table_name]
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={c: table.c[c] + stmt.excluded[c] for c in counters})
    for start in range(0, len(rows), 1000):
        conn.execute(stmt, rows[start:start + 1000])


def apply(conn: Connection, community: str, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Add a batch's market events ((table, row), any order) to the aggregates."""
    rows = [(table, row) for table, row in events if table in SOURCES]
    if not rows:
        return
    requests = _requests(conn, community, (int(row["request_id"]) for _, row in rows))
    providers, categories = _deltas(rows, requests)
    _add(conn, "service_providers", ("community", "provider"), PROVIDER_COUNTERS,
         [{"community": community, "provider": p, **totals} for p, totals in sorted(providers.items())])
    _add(conn, "service_provider_categories", ("community", "provider", "category"), CATEGORY_COUNTERS,
         [{"community": community, "provider": p, "category": c, **totals}
          for (p, c), totals in sorted(categories.items())])


def rebuild(conn: Connection, community: str) -> None:
    """Recompute the aggregates of `community` from its event tables."""
    for name in STATE_TABLES:
        table = T[name]
        conn.execute(delete(table).where(table.c.community == community))
    events = []
    for name in SOURCES:
        table = T[name]
        events.extend((name, dict(row)) for row in conn.execute(
            select(table).where(table.c.community == community)).mappings())
    apply(conn, community, events)
