"""One indexer for a district: the communities come from the district registry's events.

`DistrictIndexer` reads `CommunityAdded` and `CommunityRetired` of a DistrictRegistry
(contracts/DistrictRegistry.vy) up to the final block, builds each listed community's
manifest from the event (its contracts by name, its deploy block) and the ABIs by
contract name, and follows each community with the ordinary per-community `Indexer`:
the same tables, checkpoints, reorg and fault handling. A community listed while the
district is followed is picked up at the next step and backfilled from its deploy
block; no restart, no manifest file. A retired entry is no longer followed (what was
indexed of it stays).

Each entry is recorded in the index's `district_listings` (id, registry, name, street,
the block and its hash), and its retirement in the same row (block, hash, the hash of
the street office's note): the district routes leave a retired community out of the
totals, flags and ranking. A community is retired when every entry of it is (a mistaken
retirement is mended by listing it again, under a new id).

Discovery reads only final blocks (the node's "finalized" block, else head minus the
finality depth), so a listing or retirement that a reorganisation removes before it is
final is never recorded. A reorganisation deeper than that (a misbehaving node, or the
depth set too small) is caught too: before each discovery the hash of the last block
read is compared with the node's; when it changed, the registry's history is read again
from its deploy block and the recorded entries made to match it: a retirement the new
chain does not hold is undone (the community is followed again, from its own
checkpoint, whose indexer then rolls back what the reorganisation replaced), a listing
it does not hold is removed and no longer followed. A restart reads the history again
the same way, so rows a crash or a reorganisation left behind are reconciled too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from backend.core.config import Settings
from backend.db.models import DistrictListing
from backend.indexer.core import T, BatchStats, Indexer, PlannedBatch, ValueTooLarge
from backend.indexer.rpc import RpcClient, RpcError, RpcUnavailable, check_logs

log = logging.getLogger("linli.indexer.district")

# Asked by every community's step with the same parameters: answered once per district step.
SHARED_CALLS = frozenset({"eth_blockNumber", "eth_getBlockByNumber"})
# Contracts in one shared getLogs request (some 20 a community): nodes limit a request's size.
SHARED_LOGS_ADDRESSES = 1_000
# ...over at most this many blocks: following, a block or two; a catch-up's ranges are each
# community's own, sized to its events (shared, 50 communities' ranges would be one reply).
SHARED_LOGS_BLOCKS = 32
# After a shared request fails, requests are half its size until this many are answered.
SHARED_LOGS_REGROW = 64


class StepRpc:
    """The node as every community's indexer sees it during one district step: the head,
    the finalized block and block headers by number, which each of 200 communities used to
    ask for itself (some 600 requests a block), are asked once per step and shared; every
    other call goes to the node. Within a step the communities see one head, as if the node
    had answered them all at the step's start; `clear` starts the next step, so nothing is
    older than the step. Thread-safe (an indexer's prefetch thread asks too)."""

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc
        self._memo: dict[tuple, Any] = {}
        # (from, to) -> (the addresses asked, their logs by address); the asks answered from it.
        self._logs: dict[tuple[int, int], tuple[frozenset[str], dict[str, list]]] = {}
        self._served: set[tuple[frozenset[str], int, int]] = set()
        self._generation = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._memo.clear()
            self._logs.clear()
            self._served.clear()

    def latest(self) -> dict[str, Any]:
        """The head block's header, asked now; the step's head from then on (eth_blockNumber
        answers its number, so no community sees a later head within the step)."""
        header = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        with self._lock:
            self._memo[("eth_blockNumber", ())] = header["number"]
            self._memo[("eth_getBlockByNumber", (header["number"], False))] = header
        return header

    def batch(self, calls) -> list[Any]:
        keys = [(method, tuple(params)) for method, params in calls]
        with self._lock:
            known = {key: self._memo[key] for key in keys if key in self._memo}
            generation = self._generation
        asked = list(dict.fromkeys(key for key in keys if key not in known))
        if asked:
            replies = self._rpc.batch([(method, list(params)) for method, params in asked])
            with self._lock:
                # A reply asked before the step began (a prefetch thread's, answered late) may be of a
                # block the step's head replaced: it answers its asker only.
                keep = generation == self._generation
                for key, reply in zip(asked, replies):
                    known[key] = reply
                    # A block the node lacks (None) is asked again: it may come within the step.
                    if keep and key[0] in SHARED_CALLS and reply is not None:
                        self._memo[key] = reply
        return [known[key] for key in keys]

    def headers(self, numbers) -> dict[int, dict[str, Any] | None]:
        replies = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return dict(zip(numbers, replies))

    def share_logs(self, addresses: list[str], from_block: int, to_block: int) -> bool:
        """Ask the logs of many communities' contracts over one range in one request; each
        community's first `get_logs` of that range is then answered from it (its own logs,
        checked again against its own request). Any later ask of the same range (an indexer
        checking a block whose reply looked cut short) goes to the node. False when the node
        refuses the request (too many logs, too many addresses): each asks for itself."""
        if not addresses:
            return False  # an empty address list would ask the node for every contract's logs
        try:
            logs = self._rpc.get_logs(addresses, from_block, to_block)
        except (RpcError, RpcUnavailable) as exc:  # too many logs or addresses, too slow, too large a reply
            log.info("the node refused one request for %d contracts' logs of blocks %d..%d (%s); each community "
                     "asks for its own", len(addresses), from_block, to_block, exc)
            return False
        by_address: dict[str, list] = {}
        for entry in logs:
            by_address.setdefault(entry["address"].lower(), []).append(entry)
        with self._lock:
            known, answered = self._logs.get((from_block, to_block), (frozenset(), {}))
            self._logs[(from_block, to_block)] = (known | {a.lower() for a in addresses}, answered | by_address)
        return True

    def get_logs(self, addresses, from_block: int, to_block: int, topics=None):
        asked = frozenset(a.lower() for a in addresses)
        with self._lock:
            shared = self._logs.get((from_block, to_block)) if not topics else None
            first = shared is not None and asked <= shared[0] and (asked, from_block, to_block) not in self._served
            if first:
                self._served.add((asked, from_block, to_block))
        if not first:
            return self._rpc.get_logs(addresses, from_block, to_block, topics)
        mine = [entry for address in asked for entry in shared[1].get(address, ())]
        # In chain order (the shared reply's), then checked as the node's own reply to this ask would be.
        mine.sort(key=lambda e: (int(e["blockNumber"], 16), int(e["logIndex"], 16)))
        return check_logs(mine, asked, from_block, to_block)

    @property
    def node(self) -> RpcClient:
        """The node itself, past every memo (the indexer's check of a reply it doubts)."""
        return self._rpc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rpc, name)

COMMUNITY_ADDED = "0x" + keccak(text="CommunityAdded(uint256,address,string,string,uint256,(string,address)[])").hex()
COMMUNITY_RETIRED = "0x" + keccak(text="CommunityRetired(uint256,address,string,bytes32)").hex()
MANIFEST_VERSION = 1


def abis_of(manifest: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The ABIs by contract name of any community's manifest (they are the project's)."""
    return {name: contract["abi"] for name, contract in manifest["contracts"].items()}


def manifest_of_listing(log_entry: Mapping[str, Any], abis: Mapping[str, list], chain_id: int,
                        district: str) -> dict[str, Any]:
    """A community's manifest from its `CommunityAdded` log."""
    community_id = int(log_entry["topics"][1], 16)
    registry = to_checksum_address("0x" + log_entry["topics"][2][-40:])
    name, street, deploy_block, contracts = abi_decode(
        ["string", "string", "uint256", "(string,address)[]"], bytes.fromhex(log_entry["data"][2:]))
    unknown = [contract for contract, _ in contracts if contract not in abis]
    if unknown:
        log.warning("community %s lists contracts without a known ABI, not indexed: %s", name, unknown)
    return {
        "version": MANIFEST_VERSION,
        "name": name,
        "street": street,
        "network": "",
        "chain_id": chain_id,
        "deploy_block": deploy_block,
        "community": registry,
        "district": district,
        "district_id": community_id,
        "contracts": {contract: {"address": to_checksum_address(address), "abi": abis[contract]}
                      for contract, address in contracts if contract in abis},
    }


class DistrictIndexer:
    """Follows every community a district registry lists (see the module's docstring)."""

    def __init__(self, district: str, deploy_block: int, abis: Mapping[str, list], engine: Engine, rpc: RpcClient,
                 settings: Settings, *, make_indexer: Callable[[dict[str, Any]], Indexer] | None = None):
        self.district = to_checksum_address(district)
        self.abis = dict(abis)
        self.engine, self.rpc, self.settings = engine, rpc, settings
        self.chain_id = rpc.chain_id()
        self.start = deploy_block
        # The last block whose listings were read, and its hash (None: read from the start).
        self.scanned = deploy_block - 1
        self.scanned_hash: str | None = None
        # The registry's entries by id, as the blocks read so far hold them.
        self.listings: dict[int, dict[str, Any]] = {}
        self.communities: dict[str, Indexer] = {}
        self._make = make_indexer or self._indexer
        self.step_rpc = StepRpc(rpc)
        # Per community, the head (number, hash) its last step found nothing after: until the
        # head moves (or is replaced), a step of it would read its checkpoint and find the same.
        self._idle_at: dict[str, tuple[int, str]] = {}
        # Contracts a shared getLogs request names at most (halved when one fails; see _share_logs).
        self._share_size = SHARED_LOGS_ADDRESSES
        self._shares_answered = 0
        # Communities the node refused (RpcError: e.g. their history pruned): not planned again
        # before `until` (monotonic), their wait doubling to rpc_backoff_max_s; the refusal.
        self._resting: dict[str, tuple[float, float, RpcError]] = {}

    def _indexer(self, manifest: dict[str, Any]) -> Indexer:
        indexer = Indexer(manifest, self.engine, self.step_rpc, self.settings)
        indexer.prepare()
        return indexer

    def _final_block(self) -> tuple[int, str | None]:
        """The final block's number and hash (the hash None when the node lacks the block)."""
        try:
            final = self.rpc.call("eth_getBlockByNumber", ["finalized", False], retry_errors=False)
        except RpcError:
            final = None
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        if final and int(final["number"], 16) <= head:
            return int(final["number"], 16), final["hash"]
        number = min(int(final["number"], 16), head) if final else head - self.settings.finality_depth
        return number, self._hash_of(number)

    def _hash_of(self, number: int) -> str | None:
        if number < 0:
            return None
        header = self.rpc.call("eth_getBlockByNumber", [hex(number), False])
        return header["hash"] if header else None

    def _still_on_chain(self) -> bool:
        """Whether the last block read is still the node's block of that number."""
        return self.scanned_hash is None or self._hash_of(self.scanned) == self.scanned_hash

    def discover(self) -> list[str]:
        """Read the listings up to the final block; record them, start following each new
        community, stop following each retired one. Returns the communities added."""
        if self.scanned >= self.start and not self._still_on_chain():
            log.warning("district %s: block %d, read as final, was replaced (a reorganisation deeper than the "
                        "finality the node or the depth gives); reading the registry's history again",
                        self.district, self.scanned)
            self.scanned, self.scanned_hash = self.start - 1, None
        final, final_hash = self._final_block()
        if final <= self.scanned:
            return []
        fresh = self.scanned < self.start  # the whole history: the recorded rows are made to match it
        if fresh:
            self.listings = {}
        logs = []
        # In ranges the node accepts (a registry's events are few; its history may be long).
        span = max(self.settings.max_block_range, 1)
        for start in range(self.scanned + 1, final + 1, span):
            logs += self.rpc.call("eth_getLogs", [{
                "address": self.district, "fromBlock": hex(start), "toBlock": hex(min(start + span - 1, final)),
                "topics": [[COMMUNITY_ADDED, COMMUNITY_RETIRED]],
            }])
        touched = set()
        for entry in sorted(logs, key=lambda e: (int(e["blockNumber"], 16), int(e["logIndex"], 16))):
            district_id = int(entry["topics"][1], 16)
            registry = to_checksum_address("0x" + entry["topics"][2][-40:]).lower()
            block, block_hash = int(entry["blockNumber"], 16), entry["blockHash"].lower()
            if entry["topics"][0] == COMMUNITY_ADDED:
                manifest = manifest_of_listing(entry, self.abis, self.chain_id, self.district)
                self.listings[district_id] = {
                    "manifest": manifest, "row": {
                        "chain_id": self.chain_id, "district": self.district.lower(), "district_id": district_id,
                        "community": registry, "name": manifest["name"], "street": manifest["street"],
                        "block_number": block, "block_hash": block_hash, "retired_block": None,
                        "retired_block_hash": None, "retired_reason_hash": None}}
            elif district_id in self.listings:
                (reason,) = abi_decode(["string", "bytes32"], bytes.fromhex(entry["data"][2:]))[1:]
                self.listings[district_id]["row"].update(
                    retired_block=block, retired_block_hash=block_hash, retired_reason_hash="0x" + reason.hex())
            else:
                continue  # the registry retires only what it listed
            touched.add(district_id)
        self._record(touched, fresh)
        added = self._follow_listed()
        self.scanned, self.scanned_hash = final, final_hash
        return added

    def _record(self, touched: set[int], fresh: bool) -> None:
        """Write the entries read (and, after reading the whole history, remove the rows of
        entries it no longer holds) in one transaction."""
        table = DistrictListing.__table__
        mine = (table.c.chain_id == self.chain_id) & (table.c.district == self.district.lower())
        if not fresh and not touched:
            return
        with self.engine.begin() as conn:
            if fresh:
                conn.execute(delete(table).where(mine))
            elif touched:
                conn.execute(delete(table).where(mine, table.c.district_id.in_(sorted(touched))))
            rows = [self.listings[i]["row"] for i in sorted(self.listings if fresh else touched)]
            if rows:
                conn.execute(insert(table), rows)

    def _follow_listed(self) -> list[str]:
        """Follow every community with an entry not retired, and no other one."""
        listed: dict[str, dict[str, Any]] = {}
        for district_id in sorted(self.listings):
            listing = self.listings[district_id]
            if listing["row"]["retired_block"] is None:
                listed[listing["row"]["community"]] = listing["manifest"]
        added = []
        for registry, manifest in listed.items():
            if registry not in self.communities:
                self.communities[registry] = self._make(manifest)
                added.append(registry)
                log.info("district %s: following community %s (%s) from block %d", self.district,
                         manifest["name"], registry, manifest["deploy_block"])
        for registry in [r for r in self.communities if r not in listed]:
            del self.communities[registry]
            log.info("district %s: community %s retired, no longer followed", self.district, registry)
        return added

    def step(self) -> list[BatchStats]:
        """Discover, then one batch of each community that is behind. The head is read once
        for the step; a community that was at this very head block (number and hash: a
        replaced head has another hash) at its last step is not stepped again. The
        checkpoints are read in one query; the communities behind by the same range (when
        following, every one is one block behind) have their logs asked in one request
        (`StepRpc.share_logs`); the ranges that reach the head are written in one
        transaction, so a block costs one commit, not one per community. A range short of
        the head (a community backfilling) is written at once in its own, its next range
        fetched meanwhile, as the per-community indexer does."""
        self.discover()
        self.step_rpc.clear()
        latest = self.step_rpc.latest()
        head = (int(latest["number"], 16), latest["hash"])
        now = time.monotonic()
        due = {registry: indexer for registry, indexer in self.communities.items()
               if self._idle_at.get(registry) != head and self._resting.get(registry, (0.0,))[0] <= now}
        for registry in due:
            self._idle_at.pop(registry, None)
        checkpoints = self._checkpoints(due)
        self._share_logs(due, checkpoints, head[0])
        batches: list[BatchStats] = []
        at_head: list[tuple[str, Indexer, PlannedBatch]] = []
        for registry, indexer in due.items():
            try:
                planned = indexer.plan(checkpoints[registry])
            except RpcError as exc:
                # The node refuses this community (its history pruned, say): it rests, reported
                # on /health, and the others go on at a block a second.
                self._rest(registry, indexer, exc)
                continue
            except Exception:
                # Anything else (the node gone, a log it cannot read, a halt) does not hold back
                # what the others planned; the community goes last, so the next steps plan the
                # others first. The error goes on to `follow`, which reports it and waits.
                self.communities[registry] = self.communities.pop(registry)
                self._write_together(at_head, head)
                raise
            self._resting.pop(registry, None)
            if isinstance(planned, PlannedBatch) and planned.to_block < head[0]:
                batches.append(indexer.commit(planned))
            elif isinstance(planned, PlannedBatch):
                at_head.append((registry, indexer, planned))
            elif planned is not None:
                batches.append(planned)  # the chain moved under the fetch: nothing written
            else:
                self._idle_at[registry] = head  # nothing after its checkpoint at this head
        batches += self._write_together(at_head, head)
        return batches

    def _rest(self, registry: str, indexer: Indexer, exc: RpcError) -> None:
        previous = self._resting.get(registry)
        wait = min(self.settings.rpc_backoff_max_s, previous[1] * 2 if previous else self.settings.poll_interval_s)
        self._resting[registry] = (time.monotonic() + wait, wait, exc)
        refusal = f"the node at {self.rpc.url} refuses {exc.method or 'a request'} for this community: {exc}"
        log.error("district %s: %s; the others go on, this one is asked again in %.1fs", self.district, refusal, wait)
        indexer.record_status(reachable=False, error=refusal)

    def _checkpoints(self, communities: Mapping[str, Indexer]) -> dict[str, tuple[int, str | None]]:
        """Each community's checkpoint, in one query (a community without one: the block
        before its deployment, as `Indexer.checkpoint` answers)."""
        table = T["checkpoints"]
        found: dict[str, tuple[int, str | None]] = {}
        keys = list(communities)
        with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                query = select(table.c.community, table.c.block_number, table.c.block_hash).where(
                    table.c.chain_id == self.chain_id, table.c.community.in_(keys[start:start + 500]))
                found.update({row[0]: (int(row[1]), row[2]) for row in conn.execute(query)})
        return {registry: found.get(registry, (indexer.start_block - 1, None))
                for registry, indexer in communities.items()}

    def _share_logs(self, communities: Mapping[str, Indexer], checkpoints, head: int) -> None:
        """One getLogs request for the communities that will ask for the same short range
        (at most SHARED_LOGS_BLOCKS blocks, SHARED_LOGS_ADDRESSES contracts a request)."""
        ranges: dict[tuple[int, int], list[Indexer]] = {}
        for registry, indexer in communities.items():
            cursor = checkpoints[registry][0]
            if cursor < head:
                ranges.setdefault((cursor + 1, min(head, cursor + indexer.range_size)), []).append(indexer)
        for (from_block, to_block), indexers in ranges.items():
            if len(indexers) < 2 or to_block - from_block >= SHARED_LOGS_BLOCKS:
                continue  # a long range (a catch-up after a stop): each its own, sized to its events
            groups: list[list[Indexer]] = [[]]
            for indexer in indexers:
                if groups[-1] and sum(len(i.addresses) for i in groups[-1]) + len(indexer.addresses) > self._share_size:
                    groups.append([])
                groups[-1].append(indexer)
            for group in groups:
                if len(group) < 2:
                    continue  # a community alone asks for its own
                addresses = [address for indexer in group for address in indexer.addresses]
                if self.step_rpc.share_logs(addresses, from_block, to_block):
                    self._shares_answered += 1
                    if self._shares_answered >= SHARED_LOGS_REGROW:
                        self._share_size = min(SHARED_LOGS_ADDRESSES, self._share_size * 2)
                        self._shares_answered = 0
                else:
                    # Refused, or no usable answer: requests half the size from now on (growing
                    # back after SHARED_LOGS_REGROW answered); this one's communities ask their own.
                    self._share_size = max(1, len(addresses) // 2)
                    self._shares_answered = 0

    def _write_together(self, planned: list[tuple[str, Indexer, PlannedBatch]], head: tuple[int, str]
                        ) -> list[BatchStats]:
        """Write the ranges that reach the head in one transaction (several when they hold
        more than target_events_per_batch events), then mark those communities at the head."""
        batches: list[BatchStats] = []
        limit = self.settings.target_events_per_batch
        start = 0
        while start < len(planned):
            end, events = start, 0
            while end < len(planned) and (end == start or events + len(planned[end][2].decoded[0]) <= limit):
                events += len(planned[end][2].decoded[0])
                end += 1
            chunk = planned[start:end]
            writing = None
            try:
                with self.engine.begin() as conn:
                    written = []
                    for writing in chunk:
                        written.append(writing[1].write(conn, writing[2]))
            except ValueTooLarge as exc:
                writing[1].record_status(reachable=True, halted=True, error=str(exc))
                raise
            for (registry, indexer, batch), count in zip(chunk, written):
                batches.append(indexer.written(batch, count))
                if batch.headers[batch.to_block]["hash"] == head[1]:
                    self._idle_at[registry] = head  # indexed up to this very head block
            start = end
        return batches

    def sync(self) -> int:
        """Discover and catch every community up to the head; returns the events written.
        A community the node refuses is not at the head: its refusal is raised, after the
        others are caught up."""
        events = 0
        while True:
            batches = self.step()
            if not batches:
                if self._resting:
                    raise next(iter(self._resting.values()))[2]
                return events
            events += sum(stats.events for stats in batches)

    def follow(self, stop: threading.Event | None = None, *, until_head: bool = False) -> bool:
        """Discover and index until `stop` is set, or (`until_head`) until every community
        is at the head; returns whether it got there. A node that does not answer or
        refuses is asked again with backoff, as the per-community `Indexer.follow` does;
        what needs an operator (a deep reorg, a number SQLite cannot hold) raises."""
        stop = stop or threading.Event()
        wait = self.settings.poll_interval_s
        while not stop.is_set():
            try:
                batches = self.step()
            except RpcUnavailable as exc:
                log.warning("the node gives no usable answer: %s; asking again in %.1fs", exc, wait)
                for indexer in self.communities.values():
                    indexer.record_status(reachable=False, error=str(exc))
                stop.wait(wait)
                wait = min(self.settings.rpc_backoff_max_s, wait * 2)
                continue
            except RpcError as exc:
                wait = self.settings.rpc_backoff_max_s
                log.error("the node at %s refuses %s: %s; asking again in %.1fs", self.rpc.url,
                          exc.method or "a request", exc, wait)
                stop.wait(wait)
                continue
            for registry, indexer in self.communities.items():
                if registry not in self._resting:
                    indexer.record_status(reachable=True)
            wait = self.settings.poll_interval_s
            if not batches:
                if until_head and not self._resting:
                    return True
                stop.wait(wait)
        return False
