"""The indexing loop: getLogs by block range -> decode -> one transaction per batch.

Invariants:
- The rows of a batch, the state tables they move and the checkpoint are written in
  one database transaction: killed at any point, the indexer resumes after the last
  committed batch with no gap and no duplicate.
- Event rows are keyed by (chain_id, tx_hash, log_index) and inserted with
  ON CONFLICT DO NOTHING; rows already present past the checkpoint (a range indexed
  twice) are rolled back first, so indexing a range again changes nothing.
- The hashes of the unfinalized window (the last `finality_depth` blocks) are kept.
  Before each batch the checkpoint block's hash is compared with the node's, and the
  first new block must have the checkpoint as parent: on a mismatch the index rolls
  back to the newest block whose hash still matches (the common ancestor) and
  replays. A reorg deeper than `finality_depth` raises DeepReorgError instead, naming
  the newest block on which the index and the node still agree.
- A node's odd replies never end the process: RPC errors are classified in rpc.py (retry,
  split, fatal); what cannot be used is reported in /health and waited out (`follow`).
  A getLogs reply is checked against its request (rpc.check_logs), and a block whose
  logs bloom names our contracts while the reply has none of its logs is asked again
  alone: a load-balanced node behind the head may cut a range short without saying so.
"""

from __future__ import annotations

import functools
import logging
import operator
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import JSON, Connection, Engine, bindparam, delete, select, update

from backend.core.config import Settings
from backend.db.models import Base
from backend.indexer import projections
from backend.indexer.bloom import bloom_mask, may_hold
from backend.indexer.decode import ContractDecoders
from backend.indexer.rpc import RangeTooLarge, RpcClient, RpcError, RpcUnavailable, check_logs
from backend.indexer.specs import CONVERTERS, specs_by_event

log = logging.getLogger("linli.indexer")
T = Base.metadata.tables

EVENT_TABLES = tuple(sorted({spec.table for spec in specs_by_event().values()})) + ("raw_events",)


class IndexerHalted(RuntimeError):
    """The indexer cannot go on without serving wrong or partial data: it stops, says why
    in /health, and waits for an operator."""


class DeepReorgError(IndexerHalted):
    """A reorganisation replaced blocks the indexer treats as final: it stops."""


class ValueTooLarge(IndexerHalted):
    """An event carries a number beyond 64 bits and the database is SQLite: it stops."""


class ManifestMismatch(RuntimeError):
    """The node serves another chain than the manifest describes."""


class _ChainMoved(Exception):
    """The node's answers were inconsistent (a reorg while fetching): fetch again."""


@dataclass
class PlannedBatch:
    """A range fetched, checked and decoded by `Indexer.plan`, for `Indexer.write`."""

    cursor: int
    from_block: int
    to_block: int
    head: int
    headers: dict[int, dict[str, Any]]
    decoded: tuple
    logs: int  # the logs the node answered (the next range's size adapts to them)


@dataclass
class BatchStats:
    from_block: int
    to_block: int
    events: int
    head: int


_json_text = msgspec.json.Encoder().encode


CHECKPOINT_VALUES = ("block_number", "block_hash", "chain_head", "finalized_block", "updated_at")


@functools.cache
def _write_statements() -> dict[str, Any]:
    """The statements every batch runs, built once (building one is most of what a
    statement of a near-empty batch costs: a district writes 200 such a block)."""
    raw, checkpoints, blocks = T["raw_events"], T["checkpoints"], T["indexed_blocks"]
    return {
        "leftover": select(raw.c.block_number).where(
            raw.c.community == bindparam("p_community"), raw.c.block_number > bindparam("p_cursor")).limit(1),
        "checkpoint": update(checkpoints).where(
            checkpoints.c.chain_id == bindparam("p_chain_id"), checkpoints.c.community == bindparam("p_community"),
            checkpoints.c.block_number == bindparam("p_cursor")).values(
            {column: bindparam(f"v_{column}") for column in CHECKPOINT_VALUES}),
        "old_blocks": delete(blocks).where(
            blocks.c.chain_id == bindparam("p_chain_id"), blocks.c.community == bindparam("p_community"),
            blocks.c.block_number < bindparam("p_below")),
    }


def _columns(table_name: str) -> list[str]:
    return [c.name for c in T[table_name].columns]


def _row_builder(columns: list[str], fields: list[str]) -> Callable[..., tuple]:
    """A function taking `fields` positionally and returning the row in table column order.

    Built once per table so the hot loop makes one tuple per row and no dict; a
    column the indexer does not fill (added to a model later) goes in as NULL.
    """
    known = set(fields)
    body = ", ".join(name if name in known else "None" for name in columns)
    namespace: dict[str, Any] = {}
    exec(f"def build({', '.join(fields)}):\n    return ({body},)", namespace)  # noqa: S102 - column names only
    return namespace["build"]


def _insert_tuples(conn: Connection, table_name: str, rows: list[tuple]) -> None:
    """Bulk insert rows (tuples in table column order), skipping keys that exist (idempotent).

    PostgreSQL: COPY straight into the table inside a savepoint. `_write_batch` has
    already removed every row past the checkpoint, so a key conflict means an unusual
    overlap; then the savepoint is rolled back and the rows go through a temporary
    table and INSERT … SELECT … ON CONFLICT DO NOTHING (the same result, slower:
    every row is written twice). SQLite: the driver's executemany of INSERT OR IGNORE.
    """
    if not rows:
        return
    names = ", ".join(_columns(table_name))
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        import psycopg

        with driver.cursor() as cursor:
            try:
                with driver.transaction():  # a savepoint inside the batch's transaction
                    with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
                        write = copy.write_row
                        for row in rows:
                            write(row)
                return
            except psycopg.errors.UniqueViolation:
                pass
            staging = f"staging_{table_name}"
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table_name}) ON COMMIT DELETE ROWS")
            with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table_name} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING")
            cursor.execute(f"TRUNCATE {staging}")
    else:
        placeholders = ", ".join("?" for _ in _columns(table_name))
        driver.executemany(f"INSERT OR IGNORE INTO {table_name} ({names}) VALUES ({placeholders})", rows)


def _insert_ignore(conn: Connection, table_name: str, rows: list[dict[str, Any]]) -> None:
    """`_insert_tuples` for rows given as dicts (JSON columns encoded here)."""
    table = T[table_name]
    columns = _columns(table_name)
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    _insert_tuples(conn, table_name, [
        tuple(_json_text(row[c]).decode() if c in json_columns and row.get(c) is not None else row.get(c)
              for c in columns)
        for row in rows
    ])


_BASE_FIELDS = ["chain_id", "tx_hash", "log_index", "community", "block_number", "block_timestamp"]
_RAW_FIELDS = _BASE_FIELDS + ["block_hash", "address", "contract", "event", "args"]


@dataclass
class _TypedPlan:
    """How one decoded event becomes a row of its typed table."""

    table: str
    columns: tuple[tuple[str, str], ...]  # (table column, event argument)
    # Fixed values (the spec's constants, NULL for columns the event does not fill).
    constants: dict[str, Any]
    # The row dict -> tuple in table column order, JSON columns encoded.
    as_tuple: Callable[[dict[str, Any]], tuple]
    # (table column, converter) applied to the decoded argument (specs.CONVERTERS).
    converters: tuple[tuple[str, Callable[[Any], Any]], ...] = ()

    @classmethod
    def of(cls, spec) -> "_TypedPlan":
        columns = _columns(spec.table)
        constants = {c: None for c in columns if c not in _BASE_FIELDS and c not in spec.columns}
        constants.update(spec.constants)
        getter = operator.itemgetter(*columns)
        as_tuple = getter if len(columns) > 1 else (lambda row: (getter(row),))
        # The bulk insert bypasses SQLAlchemy's types, so a JSON column's value (an array
        # argument) is encoded here; the row dict keeps the list for the projections.
        table = T[spec.table]
        json_at = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
        if json_at:
            plain = as_tuple

            def as_tuple(row, plain=plain, json_at=json_at):
                values = list(plain(row))
                for i in json_at:
                    if values[i] is not None:
                        values[i] = _json_text(values[i]).decode()
                return tuple(values)

        converters = tuple((column, CONVERTERS[name]) for column, name in spec.convert.items())
        return cls(spec.table, tuple(spec.columns.items()), constants, as_tuple, converters)


class Indexer:
    """Indexes one community (one deployment manifest) into the database."""

    def __init__(
        self,
        manifest: dict[str, Any],
        engine: Engine,
        rpc: RpcClient,
        settings: Settings,
        *,
        fault_hook: Callable[[str], None] | None = None,
        on_batch: Callable[[BatchStats], None] | None = None,
    ):
        self.manifest = manifest
        self.engine = engine
        self.rpc = rpc
        self.settings = settings
        self.chain_id = int(manifest["chain_id"])
        self.community = manifest["community"].lower()
        self.start_block = int(manifest["deploy_block"])
        self.depth = settings.finality_depth
        self.decoders = ContractDecoders(manifest["contracts"])
        self.addresses = self.decoders.addresses
        # The bits our contracts set in a block's logs bloom: a block that has them all may
        # hold our logs (or not: a bloom has false positives).
        self._bloom_masks = tuple(bloom_mask(address) for address in self.addresses)
        self.specs = specs_by_event()
        self._plans = {key: _TypedPlan.of(spec) for key, spec in self.specs.items()}
        self._raw_row = _row_builder(_columns("raw_events"), _RAW_FIELDS)
        # Start small and grow while batches stay under target_events_per_batch.
        self.range_size = min(settings.max_block_range, 50)
        # Lowered for good when the node refuses a range: the range never grows past it again.
        self.range_limit = settings.max_block_range
        self.fault_hook = fault_hook
        self.on_batch = on_batch
        self.head = 0
        # Whether the node answers the "finalized" tag (probed in `prepare`), and its answer.
        self.node_finality = False
        self.node_finalized: int | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-prefetch")
        self._prefetch: tuple[int, str | None, Future] | None = None
        self._status_written: tuple[bool, bool, str | None] | None = None
        self._events_since_analyze = 0
        self._analyze_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ setup and state

    def prepare(self) -> None:
        """Check the node serves the manifest's chain and register the community."""
        chain_id = self.rpc.chain_id()
        if chain_id != self.chain_id:
            raise ManifestMismatch(f"the node at {self.rpc.url} serves chain {chain_id}, the manifest chain {self.chain_id}")
        # A node that knows the "finalized" tag (anvil, Besu QBFT, post-merge Geth) says
        # which blocks are final; others (older Geth clique) get head - finality_depth.
        try:
            self.node_finality = self.rpc.call("eth_getBlockByNumber", ["finalized", False],
                                               retry_errors=False) is not None
        except RpcError as exc:
            log.info("the node does not answer the 'finalized' tag (%s); final = head - %d", exc, self.depth)
            self.node_finality = False
        record = {
            "community": self.community,
            "chain_id": self.chain_id,
            "name": self.manifest.get("name", ""),
            "network": self.manifest.get("network", ""),
            "deploy_block": self.start_block,
            "contracts": {name: c["address"].lower() for name, c in self.manifest["contracts"].items()},
        }
        with self.engine.begin() as conn:
            projections.upsert(conn, T["communities"], [record], ("community",),
                               ("chain_id", "name", "network", "deploy_block", "contracts"))

    def checkpoint(self, conn: Connection | None = None) -> tuple[int, str | None]:
        """(last indexed block, its hash); before the first batch, the block before deployment."""
        checkpoints = T["checkpoints"]
        query = select(checkpoints.c.block_number, checkpoints.c.block_hash).where(
            checkpoints.c.chain_id == self.chain_id, checkpoints.c.community == self.community
        )
        if conn is None:
            with self.engine.connect() as own:
                row = own.execute(query).first()
        else:
            row = conn.execute(query).first()
        if row is None:
            return self.start_block - 1, None
        return int(row[0]), row[1]

    def record_status(self, *, reachable: bool, halted: bool = False, error: str | None = None) -> None:
        """Tell /health what the indexer sees (its own short transaction, written on change)."""
        state = (reachable, halted, error)
        if state == self._status_written:
            return
        row = {"chain_id": self.chain_id, "community": self.community, "node_reachable": reachable,
               "halted": halted, "last_error": error, "updated_at": time.time()}
        with self.engine.begin() as conn:
            projections.upsert(conn, T["indexer_status"], [row], ("chain_id", "community"),
                               ("node_reachable", "halted", "last_error", "updated_at"))
        self._status_written = state

    # ------------------------------------------------------------------ one batch

    def step(self) -> BatchStats | None:
        """Index the next range; None when already at the head."""
        planned = self.plan()
        if not isinstance(planned, PlannedBatch):
            return planned
        return self.commit(planned)

    def plan(self, checkpoint: tuple[int, str | None] | None = None) -> PlannedBatch | BatchStats | None:
        """Everything of a step before its write: the next range fetched, checked and
        decoded, for `write` (None when already at the head; an empty BatchStats when the
        chain moved under the fetch). A reorganisation found is rolled back here, in its own
        transaction. `checkpoint`: the checkpoint as the caller just read it (the district
        reads every community's in one query), else read here."""
        cursor, cursor_hash = checkpoint if checkpoint is not None else self.checkpoint()
        calls: list[tuple[str, list[Any]]] = [("eth_blockNumber", [])]
        if self.node_finality:
            calls.append(("eth_getBlockByNumber", ["finalized", False]))
        if cursor_hash is not None:
            calls.append(("eth_getBlockByNumber", [hex(cursor), False]))
        replies = self.rpc.batch(calls)
        head = int(replies[0], 16)
        self.head = head
        if self.node_finality:
            final = replies[1]
            self.node_finalized = int(final["number"], 16) if final else None
        if cursor_hash is not None:
            node_block = replies[-1]
            if node_block is None and head < cursor and not self._replaced_at(head):
                # The node that answered is behind the index (a load balancer's slower node, a
                # node syncing) on the index's chain: nothing to index, nothing shown replaced.
                # Wait for it rather than roll back what it has not got yet (a rollback
                # rebuilds the state tables). A chain cut back to an older block without new
                # ones looks the same, and shows as a reorg with the next block.
                return None
            if node_block is None or node_block["hash"] != cursor_hash:
                self._handle_reorg(cursor, node_block)
                return self.plan()
        if cursor >= head:
            return None

        from_block = cursor + 1
        try:
            from_block, to_block, logs, headers, decoded = self._take_prefetched(from_block, cursor_hash, head)
        except _ChainMoved as moved:
            log.info("chain moved while fetching from %s (%s); fetching again", from_block, moved)
            return BatchStats(from_block, from_block - 1, 0, head)
        if to_block < head:
            # Fetch the next range while this one is written: the node and the database
            # work at the same time. Used only if the checkpoint it assumes gets written.
            self._prefetch = (to_block + 1, headers[to_block]["hash"],
                              self._pool.submit(self._fetch, to_block + 1, headers[to_block]["hash"], head))
        return PlannedBatch(cursor, from_block, to_block, head, headers, decoded, len(logs))

    def commit(self, planned: PlannedBatch) -> BatchStats:
        """Write a planned range in its own transaction."""
        try:
            with self.engine.begin() as conn:
                events = self.write(conn, planned)
        except ValueTooLarge as exc:
            self.record_status(reachable=True, halted=True, error=str(exc))
            raise
        return self.written(planned, events)

    def write(self, conn: Connection, planned: PlannedBatch) -> int:
        """Write a planned range in the caller's transaction (which may hold other
        communities' ranges: the district writes a step's in one); returns its events. The
        checkpoint moves only from the one the range was planned after (else RuntimeError:
        another writer moved it), so a transaction that fails leaves the range to plan again."""
        try:
            return self._write_batch(conn, planned.cursor, planned.from_block, planned.to_block, planned.head,
                                     planned.headers, planned.decoded)
        except OverflowError as exc:
            if self.engine.dialect.name == "postgresql":
                raise
            raise ValueTooLarge(
                f"blocks {planned.from_block}..{planned.to_block} of community {self.community} hold a number beyond "
                f"64 bits, which SQLite cannot store ({exc}); nothing of that range was written. Index this "
                f"community into PostgreSQL (LINLI_DATABASE_URL=postgresql+psycopg://...), whose columns hold any "
                f"uint256.") from exc

    def written(self, planned: PlannedBatch, events: int) -> BatchStats:
        """After a planned range's transaction committed: what the next plan learns from it."""
        self._events_since_analyze += events
        self._adapt_range(planned.logs)
        stats = BatchStats(planned.from_block, planned.to_block, events, planned.head)
        if self.on_batch is not None:
            self.on_batch(stats)
        return stats

    def _fetch(self, from_block: int, cursor_hash: str | None, head: int):
        to_block = min(head, from_block + self.range_size - 1)
        logs, to_block = self._get_logs(from_block, to_block)
        headers = self._headers(from_block, to_block, head, logs, cursor_hash)
        # Decoded here, on the prefetch thread when prefetching: the GIL is free while the
        # main thread waits on the database, so decoding overlaps the previous batch's writes.
        try:
            decoded = self._decode(logs, headers)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # decode.DecodeError is a ValueError
            raise RpcUnavailable(f"{self.rpc.url}: eth_getLogs answered blocks {from_block}..{to_block} with a log "
                                 f"the indexer cannot read ({exc!r})") from exc
        return from_block, to_block, logs, headers, decoded

    def _take_prefetched(self, from_block: int, cursor_hash: str | None, head: int):
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            start, assumed_hash, future = prefetch
            try:
                fetched = future.result()
            except _ChainMoved:
                fetched = None
            if fetched is not None and start == from_block and assumed_hash == cursor_hash:
                return fetched
        return self._fetch(from_block, cursor_hash, head)

    def _get_logs(self, from_block: int, to_block: int) -> tuple[list[dict[str, Any]], int]:
        while True:
            try:
                return self.rpc.get_logs(self.addresses, from_block, to_block), to_block
            except RangeTooLarge as exc:
                if to_block <= from_block:
                    raise RpcError(f"the logs of block {from_block} alone as too many ({exc}); use a node "
                                   "without that limit", exc.code, "eth_getLogs") from exc
                asked = to_block - from_block + 1
                # The node's own figure when it names one, else half; never more than half.
                size = max(1, min(asked // 2, exc.limit or asked))
                to_block = from_block + size - 1
                self.range_size = self.range_limit = size
                log.info("the node refused %d blocks as too many (%s); now %d blocks", asked, exc, size)

    def _adapt_range(self, events: int) -> None:
        target = self.settings.target_events_per_batch
        if events > 2 * target and self.range_size > 1:
            self.range_size = max(1, self.range_size // 2)
        elif events < target // 2 and self.range_size < self.range_limit:
            self.range_size = min(self.range_limit, self.range_size * 2)

    def _headers(self, from_block, to_block, head, logs, cursor_hash) -> dict[int, dict[str, Any]]:
        window_start = max(from_block, head - self.depth)
        # The blocks the logs are in, with the hash the reply gave each (rpc.check_logs).
        log_blocks = getattr(logs, "blocks", None)
        if log_blocks is None:
            log_blocks = check_logs(logs, frozenset(self.addresses), from_block, to_block).blocks
        numbers = {from_block, to_block, *range(window_start, to_block + 1), *log_blocks}
        headers = self.rpc.headers(sorted(numbers))
        if any(h is None for h in headers.values()):
            raise _ChainMoved("a block disappeared")
        if cursor_hash is not None and headers[from_block]["parentHash"] != cursor_hash:
            raise _ChainMoved("first block is not a child of the checkpoint")
        for number in range(window_start + 1, to_block + 1):
            if headers[number]["parentHash"] != headers[number - 1]["hash"]:
                raise _ChainMoved(f"block {number} is not a child of block {number - 1}")
        for number, block_hash in log_blocks.items():
            if block_hash != headers[number]["hash"]:
                raise _ChainMoved(f"the logs' hash of block {number} differs from the header's")
        self._check_unlogged(window_start, to_block, log_blocks, headers)
        return headers

    def _check_unlogged(self, first: int, to_block: int, log_blocks: dict[int, str], headers) -> None:
        """A node behind the one that answered eth_blockNumber may answer a range reaching
        past its head with the logs up to its head and nothing after (anvil and older geth
        do, without an error). The blocks near the head whose logs bloom names one of our
        contracts but that got no log are asked for alone: any log then means the first
        reply was cut short."""
        suspect = [n for n in range(first, to_block + 1)
                   if n not in log_blocks and may_hold(headers[n].get("logsBloom") or "0x0", self._bloom_masks)]
        for number in suspect:
            # The node itself: a district's step answers a range's first ask from one shared reply.
            if getattr(self.rpc, "node", self.rpc).get_logs(self.addresses, number, number):
                raise _ChainMoved(f"the logs of block {number} were missing from the reply")

    def _decode(self, logs, headers) -> tuple[list[tuple], dict[str, list[tuple]], list[tuple[str, dict]]]:
        """Raw rows and typed rows (tuples in column order, ready for the bulk insert) and
        the typed rows as dicts in chain order for the projections."""
        community, chain_id = self.community, self.chain_id
        timestamps = {number: int(h["timestamp"], 16) for number, h in headers.items()}
        raw_rows: list[tuple] = []
        typed: dict[str, list[tuple]] = defaultdict(list)
        ordered: list[tuple[str, dict[str, Any]]] = []
        by_topic = self.decoders.by_topic
        contract_by_address = self.decoders.contract_by_address
        plans = self._plans
        raw_row = self._raw_row
        json_text = _json_text
        # Per (address, topic0): (decoder, plan, typed table's list), looked up once per batch.
        routes: dict[tuple[str, str | None], tuple[Any, _TypedPlan | None, list | None]] = {}
        block_cache: dict[str, tuple[int, int]] = {}
        for entry in logs:
            if entry.get("removed"):
                continue
            address = entry["address"].lower()
            topics = entry["topics"]
            key = (address, topics[0] if topics else None)
            route = routes.get(key)
            if route is None:
                decoder = by_topic.get(key) if key[1] is not None else None
                plan = plans.get((decoder.contract, decoder.name)) if decoder is not None else None
                route = routes[key] = (decoder, plan, typed[plan.table] if plan is not None else None)
            decoder, plan, table_rows = route
            block_hex = entry["blockNumber"]
            block = block_cache.get(block_hex)
            if block is None:
                number = int(block_hex, 16)
                block = block_cache[block_hex] = (number, timestamps[number])
            block_number, block_timestamp = block
            tx_hash = entry["transactionHash"]
            log_index = int(entry["logIndex"], 16)
            if decoder is None:
                raw_rows.append(raw_row(chain_id, tx_hash, log_index, community, block_number, block_timestamp,
                                        entry["blockHash"], address, contract_by_address.get(address, "unknown"),
                                        None, None))
                continue
            args = decoder.decode(topics, entry["data"])
            raw_rows.append(raw_row(chain_id, tx_hash, log_index, community, block_number, block_timestamp,
                                    entry["blockHash"], address, decoder.contract, decoder.name,
                                    json_text(args).decode()))
            if plan is None:
                continue
            row = {"chain_id": chain_id, "tx_hash": tx_hash, "log_index": log_index, "community": community,
                   "block_number": block_number, "block_timestamp": block_timestamp}
            for column, argument in plan.columns:
                row[column] = args[argument]
            for column, convert in plan.converters:
                row[column] = convert(row[column])
            row.update(plan.constants)
            table_rows.append(plan.as_tuple(row))
            ordered.append((plan.table, row))
        return raw_rows, {table: rows for table, rows in typed.items() if rows}, ordered

    def _write_batch(self, conn, cursor, from_block, to_block, head, headers, decoded) -> int:
        raw_rows, typed, ordered = decoded
        window_start = max(from_block, head - self.depth)
        block_rows = [
            {"chain_id": self.chain_id, "community": self.community, "block_number": n,
             "block_hash": headers[n]["hash"], "parent_hash": headers[n]["parentHash"],
             "timestamp": int(headers[n]["timestamp"], 16)}
            for n in range(window_start, to_block + 1)
        ]
        statements = _write_statements()
        leftover = conn.execute(statements["leftover"], {"p_community": self.community, "p_cursor": cursor}).first()
        if leftover is not None:
            # Rows past the checkpoint: this range was indexed before (a manual
            # re-index). Drop them so the state tables are not moved twice.
            self._rollback_in(conn, cursor)
        _insert_tuples(conn, "raw_events", raw_rows)
        for table_name, rows in typed.items():
            _insert_tuples(conn, table_name, rows)
        projections.upsert(conn, T["indexed_blocks"], block_rows, ("chain_id", "community", "block_number"),
                           ("block_hash", "parent_hash", "timestamp"))
        projections.apply(conn, self.community, ordered)
        if self.fault_hook is not None:
            self.fault_hook("after_rows")
        self._write_checkpoint(conn, cursor, to_block, headers[to_block]["hash"], head)
        conn.execute(statements["old_blocks"], {"p_chain_id": self.chain_id, "p_community": self.community,
                                                "p_below": to_block - self.depth})
        return len(raw_rows)

    def _write_checkpoint(self, conn: Connection, cursor: int, block: int, block_hash: str | None, head: int) -> None:
        checkpoints = T["checkpoints"]
        final = self.node_finalized if self.node_finalized is not None else head - self.depth
        values = {"block_number": block, "block_hash": block_hash, "chain_head": max(head, block),
                  "finalized_block": max(self.start_block - 1, min(block, final)),
                  "updated_at": time.time()}
        result = conn.execute(_write_statements()["checkpoint"], {
            "p_chain_id": self.chain_id, "p_community": self.community, "p_cursor": cursor,
            **{f"v_{column}": value for column, value in values.items()}})
        if result.rowcount == 1:
            return
        exists = conn.execute(select(checkpoints.c.block_number).where(
            checkpoints.c.chain_id == self.chain_id, checkpoints.c.community == self.community)).first()
        if exists is not None:
            # Compare-and-set failed: another writer moved the checkpoint; abort this transaction.
            raise RuntimeError(f"checkpoint moved from {cursor} to {exists[0]} by another indexer of {self.community}")
        conn.execute(checkpoints.insert().values(chain_id=self.chain_id, community=self.community, **values))

    # ------------------------------------------------------------------ reorgs

    def _handle_reorg(self, cursor: int, node_block: dict[str, Any] | None) -> None:
        blocks = T["indexed_blocks"]
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(blocks.c.block_number, blocks.c.block_hash)
                .where(blocks.c.chain_id == self.chain_id, blocks.c.community == self.community)
                .order_by(blocks.c.block_number.desc())
            ).all()
        node = self.rpc.headers([number for number, _ in stored]) if stored else {}
        ancestor = None
        # A block the node has with another hash than the index's: a reorg, not a lagging node.
        replaced = node_block is not None
        for number, block_hash in stored:
            header = node.get(number)
            if header is not None and header["hash"] == block_hash:
                ancestor = number
                break
            replaced = replaced or header is not None
        if not replaced and (ancestor is None or cursor - ancestor > self.depth):
            # Every block above the match is missing on the node, none replaced: a node
            # behind the index (a load-balanced one, or one syncing), not a deep reorg.
            raise RpcUnavailable(f"{self.rpc.url}: the node lacks block {cursor}, which the index holds, and has "
                                 "replaced none of the index's blocks: it is behind (syncing, or a load-balanced "
                                 "node that lags)")
        if ancestor is None or cursor - ancestor > self.depth:
            agree = self._agreement(self._stored_hashes())
            where = (f"the index and the node agree up to block {agree} and differ from there" if agree is not None
                     else f"no block the index holds is on the node's chain, down to the deployment block "
                          f"{self.start_block}")
            restart = agree + 1 if agree is not None else self.start_block
            message = (
                f"reorg deeper than the finality depth ({self.depth} blocks) under indexed block {cursor} of "
                f"community {self.community}: {where}. Refusing to serve data that may be wrong. Check the node, "
                f"then re-index from block {restart}: python -m backend.indexer --from-block {restart}"
            )
            self.record_status(reachable=True, halted=True, error=message)
            raise DeepReorgError(message)
        log.warning("reorg: blocks %d..%d replaced; rolling back to %d and replaying", ancestor + 1, cursor, ancestor)
        self.rollback_to(ancestor)

    def _replaced_at(self, number: int) -> bool:
        """Whether the node has block `number` with another hash than the index's window holds
        (False when the window does not hold it)."""
        blocks = T["indexed_blocks"]
        with self.engine.connect() as conn:
            stored = conn.execute(select(blocks.c.block_hash).where(
                blocks.c.chain_id == self.chain_id, blocks.c.community == self.community,
                blocks.c.block_number == number)).scalar()
        if stored is None:
            return False
        header = self.rpc.headers([number])[number]
        return header is not None and header["hash"] != stored

    def _stored_hashes(self, upto: int | None = None) -> list[tuple[int, str]]:
        """(block, hash) of every block the index knows a hash of, oldest first: the recent
        window, the blocks that hold events, and the checkpoint."""
        blocks, raw_events = T["indexed_blocks"], T["raw_events"]
        window = select(blocks.c.block_number, blocks.c.block_hash).where(
            blocks.c.chain_id == self.chain_id, blocks.c.community == self.community)
        events = select(raw_events.c.block_number, raw_events.c.block_hash).where(
            raw_events.c.community == self.community).distinct()
        with self.engine.connect() as conn:
            found = {int(n): h for n, h in conn.execute(events).all()}
            found.update({int(n): h for n, h in conn.execute(window).all()})
            cursor, cursor_hash = self.checkpoint(conn)
        if cursor_hash is not None:
            found[cursor] = cursor_hash
        return sorted((n, h) for n, h in found.items() if upto is None or n <= upto)

    def _agreement(self, stored: list[tuple[int, str]]) -> int | None:
        """The newest of the `stored` blocks (oldest first) the node has with the same hash.

        The index was built along one chain (each batch's first block a child of the
        checkpoint), so if the node has a block the index knows, it has every older one
        too: a binary search over the known hashes, a few headers from the node."""
        low, high = 0, len(stored)  # stored[:low] agree, stored[high:] do not
        while low < high:
            middle = (low + high) // 2
            number, block_hash = stored[middle]
            header = self.rpc.headers([number])[number]
            if header is not None and header["hash"] == block_hash:
                low = middle + 1
            else:
                high = middle
        return stored[low - 1][0] if low else None

    def reindex_from(self, first: int) -> int:
        """Drop what the index holds from block `first` on and index it again (the command's
        --from-block). Block first-1 must be on the node's chain: if the index holds a block
        at or below it that the node has replaced, refuse (DeepReorgError, naming the block to
        start from instead), since the rows kept would be of a chain that no longer exists.
        Returns the block the index now continues after."""
        cursor, _ = self.checkpoint()
        keep = min(max(first - 1, self.start_block - 1), cursor)
        if keep < self.start_block:
            self.rollback_to(keep)
            return keep
        head = self.rpc.block_number()
        if head < keep:
            raise RpcUnavailable(f"{self.rpc.url}: the node's head is block {head}, below block {keep} the index "
                                 "keeps; it is behind (syncing?)")
        stored = self._stored_hashes(keep)
        newest = stored[-1][0] if stored else None
        agree = self._agreement(stored)
        if newest is not None and agree != newest:
            restart = agree + 1 if agree is not None else self.start_block
            message = (
                f"cannot re-index community {self.community} from block {first}: the index holds block {newest} "
                f"of a chain the node has replaced (a reorg); keeping it would serve data of blocks that no "
                f"longer exist. The index and the node agree up to block "
                f"{agree if agree is not None else self.start_block - 1}: re-index from block {restart} "
                f"(python -m backend.indexer --from-block {restart})"
            )
            self.record_status(reachable=True, halted=True, error=message)
            raise DeepReorgError(message)
        header = self.rpc.headers([keep])[keep]
        self.rollback_to(keep, block_hash=header["hash"] if header is not None else None)
        log.info("re-indexing community %s from block %d (block %d checked on the node's chain)", self.community,
                 keep + 1, keep)
        return keep

    def _rollback_in(self, conn: Connection, block: int) -> None:
        for table_name in EVENT_TABLES:
            table = T[table_name]
            conn.execute(delete(table).where(table.c.community == self.community, table.c.block_number > block))
        blocks = T["indexed_blocks"]
        conn.execute(delete(blocks).where(blocks.c.chain_id == self.chain_id, blocks.c.community == self.community,
                                          blocks.c.block_number > block))
        projections.rebuild(conn, self.community)

    def rollback_to(self, block: int, block_hash: str | None = None) -> None:
        """Forget everything after `block` (a reorg's common ancestor, or a re-index start;
        never past the checkpoint, which would leave a gap). The checkpoint's hash is
        `block_hash` when given (the node's, checked by the caller), else the stored one."""
        blocks = T["indexed_blocks"]
        checkpoints = T["checkpoints"]
        with self.engine.begin() as conn:
            block = min(max(block, self.start_block - 1), self.checkpoint(conn)[0])
            self._rollback_in(conn, block)
            if block_hash is None:
                known = conn.execute(select(blocks.c.block_hash).where(
                    blocks.c.chain_id == self.chain_id, blocks.c.community == self.community,
                    blocks.c.block_number == block)).first()
                block_hash = known[0] if known else None
            conn.execute(
                update(checkpoints)
                .where(checkpoints.c.chain_id == self.chain_id, checkpoints.c.community == self.community)
                .values(block_number=block, block_hash=block_hash, updated_at=time.time())
            )

    # ------------------------------------------------------------------ loops

    def sync(self, to_block: int | None = None) -> int:
        """Catch up to the node's head (or `to_block`) and return the events written. The
        node's faults are raised (`follow` is the loop that waits them out)."""
        events = 0
        while True:
            stats = self.step()
            if stats is None:
                self._caught_up()
                return events
            events += stats.events
            if to_block is not None and stats.to_block >= to_block:
                return events

    def _caught_up(self) -> None:
        """At the head after a large backfill: give PostgreSQL's planner the tables' new
        statistics now. Until autovacuum gets to them it plans over the sizes it saw when
        they were empty, and the read API's first minutes pay for it. ANALYZE runs on its
        own thread and connection (it does not block inserts), so following the head does
        not wait for it; one at a time."""
        threshold = self.settings.analyze_after_events
        if not threshold or self._events_since_analyze < threshold:
            return
        if self._analyze_thread is not None and self._analyze_thread.is_alive():
            return  # the events stay counted: the next catch-up starts another
        self._events_since_analyze = 0
        if self.engine.dialect.name != "postgresql":
            return
        self._analyze_thread = threading.Thread(target=self._analyze, name="linli-analyze", daemon=True)
        self._analyze_thread.start()

    def _analyze(self) -> None:
        started = time.perf_counter()
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        except Exception as exc:  # statistics are an optimisation: say so, index on
            log.warning("refreshing the planner statistics failed (%s); autovacuum will", exc)
            return
        log.info("planner statistics refreshed after the backfill (ANALYZE, %.1fs)", time.perf_counter() - started)

    def wait_for_maintenance(self, timeout_s: float | None = None) -> None:
        """Wait for a running ANALYZE (the command's --until-head leaves the database ready)."""
        thread = self._analyze_thread
        if thread is not None:
            thread.join(timeout_s)

    def run(self, stop: threading.Event | None = None) -> None:
        """Follow the chain until `stop` is set (see `follow`)."""
        self.follow(stop)

    def follow(self, stop: threading.Event | None = None, *, until_head: bool = False) -> bool:
        """Index until `stop` is set, or (`until_head`) until the node's head is reached;
        returns whether it got there. Whatever the node answers, it waits rather than stops:
        a node that does not answer, answers what cannot be used or is behind is reported
        (/health: the indexer does not see the node) and asked again with backoff; a node
        that refuses what asking again cannot fix (RpcError: a disabled method, refused
        credentials) is reported as such and asked again at the longest backoff, in case the
        operator fixes it. Only what needs an operator for the index itself raises
        (DeepReorgError, ValueTooLarge) and a database fault."""
        stop = stop or threading.Event()
        wait = self.settings.poll_interval_s
        log.info("indexing community %s (chain %d) after block %d from %s", self.community, self.chain_id,
                 self.checkpoint()[0], self.rpc.url)
        started, batches, indexed, first = time.monotonic(), 0, 0, True
        while not stop.is_set():
            try:
                stats = self.step()
            except RpcUnavailable as exc:
                log.warning("the node gives no usable answer: %s; asking again in %.1fs", exc, wait)
                self.record_status(reachable=False, error=str(exc))
                stop.wait(wait)
                wait = min(self.settings.rpc_backoff_max_s, wait * 2)
                continue
            except RpcError as exc:
                wait = self.settings.rpc_backoff_max_s
                refusal = f"the node at {self.rpc.url} refuses {exc.method or 'a request'}: {exc}"
                log.error("%s. Asking again cannot fix this: check the node (its URL, key, enabled methods); "
                          "asking again in %.1fs", refusal, wait)
                self.record_status(reachable=False, error=refusal)
                stop.wait(wait)
                continue
            self.record_status(reachable=True)
            wait = self.settings.poll_interval_s
            if stats is None:
                if batches:
                    # The first catch-up and each that took several batches at INFO; a block at a time at DEBUG.
                    log.log(logging.INFO if first or batches > 1 else logging.DEBUG,
                            "at the head, block %d: %d events in %d batches, %.1fs", self.checkpoint()[0], indexed,
                            batches, time.monotonic() - started)
                batches = indexed = 0
                first = False
                self._caught_up()
                if until_head:
                    return True
                stop.wait(wait)
                started = time.monotonic()
            elif stats.to_block < stats.from_block:
                stop.wait(wait)  # nothing written (the chain moved under the fetch): a moment, then again
            else:
                batches += 1
                indexed += stats.events
        return False
