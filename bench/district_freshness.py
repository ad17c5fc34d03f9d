# SPDX-License-Identifier: AGPL-3.0-only
"""How far behind the index the district page's answers are while the chain moves, on an
index the district bench left (200 communities × a year: `bench/district_bench.py`).

    python bench/district_freshness.py postgresql+psycopg://linli@127.0.0.1:55490/linli_bench200
    python bench/district_freshness.py sqlite:///…/district.db --changed 1,10 --steps 30

It writes into the index it is given (and takes back what it wrote at the end): give it the
bench's database, never a real one.

Per step, about one a second: every community's checkpoint moves a block, as the district
indexer moves them at each block, and `--changed` communities get an event (a copy of their
newest, under a new transaction hash), as a block of payments would bring them; all the
while 50 requests a second over the district routes, from another process (district_bench's
loader). After each step, one /district/communities request: how many blocks its oldest row
is behind the checkpoints.

The API keeps each community's figures with its newest event and its head's month
(`_own_version` in backend/api/routes/district.py): a rebuild reads again only the
communities changed since the one before. Anchor: what a rebuild cost when every
checkpoint's move read every community again (before that): one table built from nothing
in this process, and the blocks a rebuild thread held to a quarter of a core then needs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402

from backend.core.db import make_engine  # noqa: E402
from backend.db.models import Checkpoint, RawEvent  # noqa: E402
from bench.district_bench import api_load, load_now, pct, start_api, wait_for_answers  # noqa: E402


def anchor(url: str) -> float:
    """CPU seconds of one district table built from nothing, in this process: what each
    rebuild cost when a checkpoint's move read every community's figures again."""
    from backend.api.routes import district as routes
    from backend.core.db import make_sessionmaker

    engine = make_engine(url)
    answers = routes.DistrictAnswers(make_sessionmaker(engine), {})
    cpu = time.thread_time()
    with answers.sessionmaker() as session:
        routes._build_table(answers, session, routes._snapshot(answers, session))
    spent = time.thread_time() - cpu
    engine.dispose()
    return spent


def run(url: str, changed: int, steps: int) -> list[int]:
    """`steps` moves with `changed` communities' events each, under the load: how many
    blocks each answer's oldest row was behind."""
    import httpx

    engine = make_engine(url)
    with engine.connect() as conn:
        before = conn.execute(select(Checkpoint.community, Checkpoint.block_number, Checkpoint.updated_at)).all()
    communities = [row[0] for row in before]
    top, written = max(row[1] for row in before), []
    # No node: the district routes read only the index.
    server, base = start_api(url, rpc_url="http://127.0.0.1:9")
    behind: list[int] = []
    try:
        wait_for_answers(base)
        loader = threading.Thread(target=api_load, args=(base, steps * 1.2 + 5), daemon=True)
        loader.start()
        time.sleep(3)  # the loader's own start and warm-up
        for step in range(1, steps + 1):
            block = top + step
            with engine.begin() as conn:
                for community in random.sample(communities, changed):
                    newest = conn.execute(select(RawEvent.__table__).where(RawEvent.community == community)
                                          .order_by(RawEvent.block_number.desc(), RawEvent.log_index.desc())
                                          .limit(1)).mappings().first()
                    if newest is None:
                        continue
                    row = {**newest, "tx_hash": "0x" + os.urandom(32).hex(), "block_number": block, "log_index": 0}
                    conn.execute(insert(RawEvent.__table__), [row])
                    written.append(row["tx_hash"])
                conn.execute(update(Checkpoint.__table__).values(block_number=block, updated_at=time.time()))
            time.sleep(1.0)
            items = httpx.get(f"{base}/api/v1/district/communities", timeout=30).json()["items"]
            behind.append(block - min(item["indexed_block"] for item in items))
        loader.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
        with engine.begin() as conn:  # what this run wrote, taken back
            for start in range(0, len(written), 500):
                conn.execute(RawEvent.__table__.delete().where(RawEvent.tx_hash.in_(written[start:start + 500])))
            for community, block, written_at in before:
                conn.execute(update(Checkpoint.__table__).where(Checkpoint.community == community)
                             .values(block_number=block, updated_at=written_at))
        engine.dispose()
    return behind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the index (the district bench's database)")
    parser.add_argument("--changed", default="1,10", help="communities with an event each step (default 1,10)")
    parser.add_argument("--steps", type=int, default=30, help="steps of a block, about a second each (default 30)")
    args = parser.parse_args()
    spent = anchor(args.url)
    print(f"anchor: a table built from nothing (every community read again, as each rebuild did before): "
          f"{spent:.2f} s of CPU; at a quarter of a core, one rebuild every {4 * spent:.0f} s, "
          f"so about {4 * spent:.0f} blocks behind at a block a second  {load_now()}")
    for changed in (int(n) for n in args.changed.split(",")):
        behind = run(args.url, changed, args.steps)
        print(f"  {changed:>3} communities with an event a step: /communities behind the checkpoints by "
              f"p50 {pct(behind, 0.5):.0f}, max {max(behind)} blocks over {len(behind)} steps of ~1 s, "
              f"under 50 requests/s  {load_now()}")


if __name__ == "__main__":
    main()
