"""The in-process EVM the state machines run on (tests/utils/inprocess.py) behaves as Ape
on anvil: one scripted scenario runs on both and leaves the same record.

The scenario touches what the machines rely on: deployment through the deploy helpers
(same addresses), return values (a token id, a struct, a tuple), events decoded by type
across contracts (PointsMinted in a fee payment) and all of a transaction's events,
revert reasons of transactions and of calls, a reverted transaction still mined as a
block, the next block's timestamp set and the ones after it, calls seeing the latest
block (block.number and block.timestamp), snapshots and restores.
"""

from __future__ import annotations

import ape
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from ethpm_types.abi import ABIType
from hypothesis import given
from hypothesis import strategies as st

from backend.chain.deploy_consent import deploy_suggestions_and_consent
from backend.chain.deploy_culture import deploy_culture
from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community, role_id
from tests.utils.inprocess import InProcessEVM, _Codec, _decode, _encode
from tests.utils.identity import commitment_for

DAY = 86400


def scenario(project, chain, accounts, base: int) -> list:
    """Run the scenario from timestamp `base`; return what it saw, addresses by name."""
    committee, manager, owner_a, owner_b, provider = (accounts[i] for i in (0, 1, 2, 3, 7))
    record = []
    names = {}

    def note(label, value):
        record.append((label, _named(value, names)))

    def refused(label, send):
        with ape.reverts() as info:
            send()
        note(label, info.value.revert_message)

    head0 = chain.blocks.head.number
    chain.pending_timestamp = base
    community = deploy_community(project, chain, committee, name="parity", change_delay=3 * DAY)
    fees_stack = deploy_fees(project, chain, committee, community)
    culture = deploy_culture(project, chain, committee, community)["CultureWorks"]
    consent = deploy_suggestions_and_consent(project, chain, committee, community, vault_logger=manager)["DataConsent"]
    registry, points, fees, token = community.registry, community.points, fees_stack["PropertyFees"], fees_stack["SettlementToken"]
    for name, contract in [("registry", registry), ("points", points), ("fees", fees), ("token", token), ("culture", culture), ("consent", consent)]:
        names[contract.address] = name
    for i, account in enumerate(accounts):
        names[account.address] = f"account{i}"
    note("deployed in blocks", chain.blocks.head.number - head0)
    note("code", (len(chain.provider.get_code(registry.address)) > 0, chain.provider.get_code(owner_b.address)))
    note("deploy timestamps", [chain.blocks[n].timestamp - base for n in range(head0 + 1, chain.blocks.head.number + 1)][:1])

    # Transactions: events of all contracts, return values.
    chain.pending_timestamp = base + 100
    tx = registry.register_units(
        [
            ("1-101", 8_950, owner_a.address, commitment_for("owner_a")),
            ("1-102", 9_000, owner_b.address, commitment_for("owner_b")),
        ],
        sender=committee,
    )
    note("register: block, timestamp", (tx.block_number - head0, chain.blocks[tx.block_number].timestamp - base))
    note("register: events", [(e.event_name, dict(e.event_arguments)) for e in tx.events])
    note("register: UnitRegistered", [(e.unit_id, e.label, e.owner) for e in tx.decode_logs(registry.UnitRegistered)])
    note("identity_of", registry.identity_of(owner_a))
    chain.pending_timestamp = base + 110
    tx = culture.mint_work("春联", 1, keccak(text="a work"), "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", sender=owner_a)
    note("mint: return value", tx.return_value)
    work = culture.work(tx.return_value)
    note("work struct", (tuple(work), work.creator, work.minted_at - base, work.uri))
    note("provenance tuple", culture.provenance(keccak(text="a work")))

    # Fees: a payment mints points in another contract; both decoded by type.
    registry.grantRole(role_id("manager"), manager, sender=committee)
    registry.grantRole(role_id("provider"), provider, sender=committee)
    fees.propose_service_contract(keccak(text="contract"), manager, fees.current_month(), fees.current_month() + 12, 250, [], 1, 0, sender=manager)
    fees.approve_service_contract(1, sender=committee)
    fees.set_points_rate(10_000, sender=committee)
    token.mint(owner_a, 10**9, sender=committee)
    token.approve(fees, 2**256 - 1, sender=owner_a)
    quote = fees.quote(1, 2)
    note("quote", quote)
    tx = fees.pay(1, 2, quote[4], sender=owner_a)
    note("pay: FeePaid", [dict(e.event_arguments) for e in tx.decode_logs(fees.FeePaid)])
    note("pay: Transfer (token) by type", [(e.contract_address, dict(e.event_arguments)) for e in tx.decode_logs(token.Transfer)])
    note("statement", fees.statement(1))
    tx = fees.claim_points([1], sender=owner_a)
    note("claim: PointsMinted", [dict(e.event_arguments) for e in tx.decode_logs(points.PointsMinted)])

    # Reverts: a transaction's reason, a call's reason; a reverted transaction is mined.
    before = chain.blocks.head.number
    refused("tx refused", lambda: registry.register_units([("x", 1, owner_b.address, commitment_for("x"))], sender=owner_b))
    note("a refused transaction is mined", chain.blocks.head.number - before)
    refused("call refused", lambda: fees.month_start(0))
    refused("tx refused, from a module", lambda: points.mint(owner_b, 1, 2, sender=owner_b))

    # Calls see the latest block: its number (a checkpoint at the head is "not yet mined")
    # and its timestamp (a grant expiring at the next block's time is live until then).
    refused("totals at the head", lambda: registry.totals_at(chain.blocks.head.number))
    note("totals before the head", registry.totals_at(chain.blocks.head.number - 1))
    expiry = chain.pending_timestamp + 50
    consent.grant(provider, keccak(text="phone"), expiry, keccak(text="ref"), sender=owner_a)
    chain.pending_timestamp = expiry - 1
    chain.mine()
    note("live one second before expiry", consent.has_live_grant(owner_a, provider, keccak(text="phone")))
    chain.pending_timestamp = expiry
    note("a call sees the head, not the pending block", consent.has_live_grant(owner_a, provider, keccak(text="phone")))
    chain.mine()
    note("not live once a block at the expiry is mined", consent.has_live_grant(owner_a, provider, keccak(text="phone")))
    chain.mine(timestamp=base + 40 * DAY)
    note("mine(timestamp)", chain.blocks.head.timestamp - base)
    note("current month moved", fees.current_month() - fees.month_of(base))

    # Snapshots: state, head and time come back.
    snapshot = chain.snapshot()
    head = chain.blocks.head
    registry.set_unit_area(1, 10_000, sender=committee)
    chain.mine(timestamp=base + 80 * DAY)
    chain.restore(snapshot)
    note("restored", (chain.blocks.head.number == head.number, chain.blocks.head.timestamp - base, registry.unit_area(1)))
    note("points supply", points.totalSupply())
    note("identity after restore", registry.identity_of(owner_b))
    return record


def _named(value, names):
    if isinstance(value, str) and value in names:
        return names[value]
    if isinstance(value, dict):
        return {k: _named(v, names) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_named(v, names) for v in value]
    if isinstance(value, bytes):
        return bytes(value)
    return value


def test_in_process_evm_behaves_as_anvil(project, chain, accounts):
    base = chain.pending_timestamp + 1_000
    height = chain.blocks.head.number
    on_anvil = scenario(project, chain, accounts, base)
    # The same height and a time before `base`: events carry block numbers.
    # (anvil's clock, set back by every restore, may lag the wall clock by far more)
    in_process = InProcessEVM.from_ape_config(start=base - 1_000)
    in_process.chain.mine(num_blocks=height, timestamp=base - 500)
    in_proc = scenario(in_process.project, in_process.chain, in_process.accounts, base)
    assert len(in_proc) == len(on_anvil)
    for anvil_entry, in_process_entry in zip(on_anvil, in_proc, strict=True):
        assert in_process_entry == anvil_entry


# The in-process EVM reads and writes fixed-size values word by word (eth_abi costs more
# than the EVM call); both ways must give what eth_abi gives.
FIXED_TYPES = {
    "uint256": st.integers(0, 2**256 - 1),
    "uint8": st.integers(0, 255),
    "int128": st.integers(-(2**127), 2**127 - 1),
    "bool": st.booleans(),
    "address": st.binary(min_size=20, max_size=20).map(to_checksum_address),
    "bytes32": st.binary(min_size=32, max_size=32),
    "bytes4": st.binary(min_size=4, max_size=4),
}


@given(data=st.data(), types=st.lists(st.sampled_from(sorted(FIXED_TYPES)), min_size=1, max_size=5), as_struct=st.booleans())
def test_fixed_size_codec_matches_eth_abi(data, types, as_struct):
    if as_struct:
        components = [ABIType(name=f"field{i}", type=t) for i, t in enumerate(types)]
        codecs = [_Codec(ABIType(name="", type="tuple", components=components))]
        values = [tuple(data.draw(FIXED_TYPES[t]) for t in types)]
    else:
        codecs = [_Codec(ABIType(name="", type=t)) for t in types]
        values = [data.draw(FIXED_TYPES[t]) for t in types]
    encoded = abi_encode([c.canonical for c in codecs], values)
    assert _encode(codecs, values) == encoded
    decoded = _decode(codecs, encoded)
    by_eth_abi = tuple(c.decode_value(v) for c, v in zip(codecs, abi_decode([c.canonical for c in codecs], encoded), strict=True))
    assert (decoded if len(codecs) > 1 else (decoded,)) == by_eth_abi
    if as_struct:
        assert [getattr(decoded, f"field{i}") for i in range(len(types))] == list(by_eth_abi[0])
