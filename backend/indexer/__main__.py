"""Run the indexer: `python -m backend.indexer --manifest deployments/local-31337.json`.

Migrates the database, backfills from the checkpoint (or the deployment block) with a
progress bar, then follows the head until interrupted. A node that is down, behind or
answers oddly is reported in /health and waited for: the process does not end for it.
Exit codes: 0 stopped by a signal or --until-head, 2 bad manifest or chain, 3 reorg deeper
than finality (or --from-block on a replaced block), 4 a number SQLite cannot hold;
anything else (1, a signal) is unexpected and a supervisor may start it again.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backend.chain.deployment import ManifestError, read_manifest
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.db.migrate import upgrade
from backend.indexer.core import BatchStats, DeepReorgError, Indexer, ManifestMismatch, ValueTooLarge
from backend.indexer.rpc import RpcClient, RpcError, RpcUnavailable

log = logging.getLogger("linli.indexer")


def _crash_hook(point: str) -> None:
    # Simulates a kill -9 inside the batch transaction (test hook, refused in production).
    if point == os.environ.get("LINLI_FAULT_POINT"):
        os._exit(137)


def build_indexer(settings: Settings, manifest_path: Path, **kwargs) -> Indexer:
    manifest = read_manifest(manifest_path)
    engine = make_engine(settings.database_url, echo=settings.database_echo)
    rpc = RpcClient(settings.rpc_url, timeout_s=settings.rpc_timeout_s, max_retries=settings.rpc_max_retries,
                    backoff_s=settings.rpc_backoff_s, backoff_max_s=settings.rpc_backoff_max_s,
                    batch_size=settings.rpc_batch_size)
    if settings.fault_point:
        kwargs.setdefault("fault_hook", _crash_hook)
    return Indexer(manifest, engine, rpc, settings, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.indexer", description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, help="deployment manifest (default: LINLI_MANIFEST)")
    parser.add_argument("--rpc-url", help="JSON-RPC URL (default: LINLI_RPC_URL)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: LINLI_DATABASE_URL)")
    parser.add_argument("--from-block", type=int, help="re-index from this block (drops what follows it)")
    parser.add_argument("--until-head", action="store_true", help="stop once the head is reached")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--district", help="follow every community this district registry lists "
                        "(the manifest then only lends its ABIs; see backend/indexer/district.py)")
    parser.add_argument("--district-block", type=int, default=0,
                        help="the block the district registry was deployed at (default 0)")
    args = parser.parse_args(argv)

    overrides = {k: v for k, v in {"rpc_url": args.rpc_url, "database_url": args.database_url,
                                   "manifest": args.manifest}.items() if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic says which migrations ran; its other INFO lines are set-up chatter, and httpx
    # would log every request to the node (several a second while following).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    console = Console(stderr=True)
    if settings.manifest is None:
        log.error("no manifest: pass --manifest or set LINLI_MANIFEST")
        return 2

    upgrade(settings.database_url)
    if args.district:
        return _follow_district(settings, args)
    progress = Progress(TextColumn("[bold]indexing[/bold] blocks"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console,
                        disable=args.quiet or not console.is_terminal)
    started = time.monotonic()
    totals = {"blocks": 0, "events": 0}
    task = progress.add_task("backfill", total=None, rate="")

    def on_batch(stats: BatchStats) -> None:
        totals["blocks"] += stats.to_block - stats.from_block + 1
        totals["events"] += stats.events
        elapsed = max(time.monotonic() - started, 1e-6)
        progress.update(task, completed=stats.to_block - indexer.start_block + 1,
                        total=max(stats.head - indexer.start_block + 1, 1),
                        rate=f"{totals['blocks'] / elapsed:,.0f} blocks/s  {totals['events'] / elapsed:,.0f} events/s")

    try:
        indexer = build_indexer(settings, settings.manifest, on_batch=on_batch)
    except ManifestError as exc:
        log.error("%s", exc)
        return 2

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def until_the_node_answers(action) -> bool:
        # Before following (where `follow` waits itself): wait for a node that is down or refuses.
        while True:
            try:
                action()
                return True
            except (RpcUnavailable, RpcError) as exc:
                log.warning("the node gives no usable answer (%s); asking again in %.0fs", exc,
                            settings.rpc_backoff_max_s)
                indexer.record_status(reachable=False, error=str(exc))
                if stop.wait(settings.rpc_backoff_max_s):
                    return False

    try:
        if not until_the_node_answers(indexer.prepare):
            return 0
        if args.from_block is not None and not until_the_node_answers(lambda: indexer.reindex_from(args.from_block)):
            return 0
        with progress:
            reached = indexer.follow(stop, until_head=args.until_head)
            if reached:
                indexer.wait_for_maintenance()
    except ManifestMismatch as exc:
        log.error("%s", exc)
        return 2
    except (DeepReorgError, ValueTooLarge) as exc:
        log.critical("HALTED: %s", exc)
        return 3 if isinstance(exc, DeepReorgError) else 4
    cursor, _ = indexer.checkpoint()
    log.info("indexed %s to block %d: %s events this run", indexer.community, cursor, f"{totals['events']:,}")
    return 0


def _follow_district(settings: Settings, args: argparse.Namespace) -> int:
    """`--district`: one process for every community of the district."""
    from backend.indexer.district import DistrictIndexer, abis_of

    try:
        abis = abis_of(read_manifest(settings.manifest))
    except ManifestError as exc:
        log.error("%s", exc)
        return 2
    engine = make_engine(settings.database_url, echo=settings.database_echo)
    rpc = RpcClient(settings.rpc_url, timeout_s=settings.rpc_timeout_s, max_retries=settings.rpc_max_retries,
                    backoff_s=settings.rpc_backoff_s, backoff_max_s=settings.rpc_backoff_max_s,
                    batch_size=settings.rpc_batch_size)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        district = DistrictIndexer(args.district, args.district_block, abis, engine, rpc, settings)
        district.follow(stop, until_head=args.until_head)
    except (DeepReorgError, ValueTooLarge) as exc:
        log.critical("HALTED: %s", exc)
        return 3 if isinstance(exc, DeepReorgError) else 4
    except (RpcUnavailable, RpcError) as exc:
        log.error("the node gives no usable answer: %s", exc)
        return 1
    log.info("district %s: following %d communities", args.district, len(district.communities))
    return 0


if __name__ == "__main__":
    sys.exit(main())
