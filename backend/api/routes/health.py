"""/health (database, node, indexer lag) and /metrics (Prometheus)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import select

from backend.api.schemas import Health
from backend.db.models import Checkpoint, IndexerStatus

router = APIRouter(tags=["operations"])


def _node_head(url: str, timeout: float) -> int | None:
    try:
        reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
                           timeout=timeout)
        return int(reply.json()["result"], 16)
    except Exception:  # any failure means: not reachable
        return None


def _index_state(request: Request):
    with request.app.state.sessionmaker() as session:
        checkpoints = session.execute(select(Checkpoint)).scalars().all()
        statuses = {(s.chain_id, s.community): s for s in session.execute(select(IndexerStatus)).scalars().all()}
    return checkpoints, statuses


@router.get("/health", response_model=Health, responses={503: {"model": Health}},
            summary="Database and node reachable, indexer lag; 503 when not healthy")
def health(request: Request, response: Response):
    settings = request.app.state.settings
    node_head = _node_head(settings.rpc_url, settings.health_rpc_timeout_s)
    try:
        checkpoints, statuses = _index_state(request)
        database_ok = True
    except Exception:
        checkpoints, statuses, database_ok = [], {}, False
    communities = []
    degraded = node_head is None
    for cp in checkpoints:
        status = statuses.get((cp.chain_id, cp.community))
        head = node_head if node_head is not None else cp.chain_head
        lag = max(0, head - cp.block_number) if head is not None else None
        halted = bool(status and status.halted)
        sees_node = bool(status.node_reachable) if status else True
        if halted or not sees_node or (lag is not None and lag > settings.health_max_lag):
            degraded = True
        communities.append({"community": cp.community, "indexed_block": cp.block_number, "chain_head": head,
                            "lag": lag, "halted": halted, "indexer_sees_node": sees_node,
                            "last_error": status.last_error if status else None})
    state = "down" if not database_ok else "degraded" if degraded else "ok"
    if state != "ok":
        response.status_code = 503
    return {"status": state, "database_reachable": database_ok, "node_reachable": node_head is not None,
            "node_head": node_head, "communities": communities}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request):
    # Index gauges are read from the database at scrape time; request metrics live in the app.
    registry = CollectorRegistry()
    indexed = Gauge("linli_indexed_block", "Last block indexed", ["community"], registry=registry)
    head = Gauge("linli_chain_head_seen", "Node head when the indexer last wrote", ["community"], registry=registry)
    lag = Gauge("linli_indexer_lag_blocks", "Head seen minus indexed block", ["community"], registry=registry)
    try:
        checkpoints, _ = _index_state(request)
    except Exception:
        checkpoints = []
    for cp in checkpoints:
        indexed.labels(cp.community).set(cp.block_number)
        head.labels(cp.community).set(cp.chain_head)
        lag.labels(cp.community).set(max(0, cp.chain_head - cp.block_number))
    body = generate_latest(request.app.state.metrics_registry) + generate_latest(registry)
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)
