"""Run the indexer: `python -m backend.indexer --manifest deployments/local-31337.json`.

Migrates the database, backfills from the checkpoint (or the deployment block) with a
progress bar, then follows the head until interrupted. Exit codes: 0 stopped by a
signal or --until-head, 2 bad manifest or chain, 3 reorg deeper than finality.
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
from backend.indexer.rpc import RpcClient, RpcUnavailable


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
    args = parser.parse_args(argv)

    overrides = {k: v for k, v in {"rpc_url": args.rpc_url, "database_url": args.database_url,
                                   "manifest": args.manifest}.items() if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True)
    if settings.manifest is None:
        console.print("[red]no manifest: pass --manifest or set LINLI_MANIFEST[/red]")
        return 2

    upgrade(settings.database_url)
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
        console.print(f"[red]{exc}[/red]")
        return 2

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while True:
            try:
                indexer.prepare()
                break
            except RpcUnavailable as exc:
                console.print(f"[yellow]node not reachable ({exc}); waiting[/yellow]")
                if stop.wait(settings.rpc_backoff_max_s):
                    return 0
        if args.from_block is not None:
            indexer.rollback_to(args.from_block - 1)
        with progress:
            if args.until_head:
                indexer.sync()
                indexer.wait_for_maintenance()
            else:
                indexer.run(stop)
    except ManifestMismatch as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    except DeepReorgError as exc:
        console.print(f"[bold red]HALTED: {exc}[/bold red]")
        return 3
    except ValueTooLarge as exc:
        console.print(f"[bold red]HALTED: {exc}[/bold red]")
        return 4
    cursor, _ = indexer.checkpoint()
    console.print(f"indexed {indexer.community} to block {cursor}: {totals['events']:,} events this run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
