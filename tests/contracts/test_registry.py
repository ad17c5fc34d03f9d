"""HouseholdRegistry: units, owner counting, checkpoints, sales, recovery, residents, roles."""

import ape
import pytest

from tests.conftest import CHANGE_DELAY
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for

ZERO = "0x" + "00" * 20

A = commitment_for("owner_a")
B = commitment_for("owner_b")
C = commitment_for("owner_c")
D = commitment_for("developer")


# ------------------------------------------------------------------ registration


def test_register_unit_records_unit_owner_and_totals(registry, committee, owner_a):
    tx = registry.register_unit("3-2-1201", 9_876, owner_a, A, sender=committee)
    [event] = tx.decode_logs(registry.UnitRegistered)
    assert event.unit_id == 1
    assert event.label == "3-2-1201"
    assert event.area == 9_876
    assert event.owner == owner_a.address
    assert event.commitment == A
    assert event.identity == 0
    assert event.block_number == tx.block_number
    assert registry.unit(1) == ("3-2-1201", 9_876, owner_a.address, A, 0)
    assert registry.unit_id_of("3-2-1201") == 1
    assert registry.totals() == (9_876, 1)
    assert registry.owner_weight(0) == (9_876, 1, tx.block_number)
    assert registry.is_owner(owner_a)
    assert registry.is_member(owner_a)
    assert registry.identity_of(owner_a) == (True, 0)
    [weight] = tx.decode_logs(registry.OwnerWeightChanged)
    assert (weight.identity, weight.area, weight.units, weight.wallet) == (0, 9_876, 1, owner_a.address)
    [totals] = tx.decode_logs(registry.TotalsChanged)
    assert (totals.area, totals.heads) == (9_876, 1)


def test_one_identity_many_units_is_one_head(populated, registry, owner_a):
    # A: two units; B, C: one; developer: two unsold units, together one head.
    assert registry.totals() == (8_950 + 12_000 + 9_000 + 11_050 + 20_000, 4)
    assert registry.owner_weight(0)[:2] == (20_950, 2)
    developer_idx = registry.identity_index_of(D)[1]
    assert registry.owner_weight(developer_idx)[:2] == (20_000, 1 * 2)
    assert registry.developer_commitment() == D
    assert registry.identity_count() == 4


def test_batch_registers_everything_or_nothing(registry, committee, owner_a, owner_b):
    with ape.reverts("registry: label already registered"):
        registry.register_units(
            [("1-101", 100, owner_a, A), ("1-102", 100, owner_b, B), ("1-101", 100, owner_b, B)], sender=committee
        )
    assert registry.unit_count() == 0
    assert registry.totals() == (0, 0)


@pytest.mark.parametrize(
    "label, area, owner_idx, commitment, reason",
    [
        ("", 100, 2, A, "registry: empty label"),
        ("1-1", 0, 2, A, "registry: area out of range"),
        ("1-1", 2**64, 2, A, "registry: area out of range"),
        ("1-1", 100, None, A, "registry: owner is the zero address"),
        ("1-1", 100, 2, b"\x00" * 32, "registry: empty commitment"),
    ],
)
def test_register_rejects_bad_input(registry, committee, accounts, label, area, owner_idx, commitment, reason):
    owner = accounts[owner_idx].address if owner_idx is not None else "0x" + "00" * 20
    with ape.reverts(reason):
        registry.register_unit(label, area, owner, commitment, sender=committee)


def test_identity_binding_is_one_wallet_one_commitment(registry, committee, owner_a, owner_b):
    registry.register_unit("1-1", 100, owner_a, A, sender=committee)
    with ape.reverts("registry: commitment bound to another wallet"):
        registry.register_unit("1-2", 100, owner_b, A, sender=committee)
    with ape.reverts("registry: wallet is an owner"):
        registry.register_unit("1-3", 100, owner_a, B, sender=committee)


TX_GAS_CAP = 16_777_216  # EIP-7825 (Osaka): the most gas one transaction may use


def test_a_full_batch_of_the_costliest_units_fits_in_one_transaction(registry, committee):
    """60 units, each with a new owner and a 32-character label (the costliest unit to
    register), stay under the per-transaction gas cap; batches of 100 took ~21.6M and would
    be refused by an Osaka chain. One more unit is refused before any is registered."""
    units = [
        (f"{n:04d}-" + "x" * 27, 8_000 + n, "0x" + commitment_for(f"wallet {n}").hex()[-40:], commitment_for(f"unit {n}"))
        for n in range(61)
    ]
    assert all(len(label) == 32 for label, *_ in units)
    tx = registry.register_units(units[:60], sender=committee)
    assert registry.unit_count() == 60
    assert tx.gas_used < TX_GAS_CAP, f"{tx.gas_used:,} gas for 60 units"
    with ape.reverts():
        registry.register_units(units[:61], sender=committee)


def test_empty_batch_refused(registry, committee):
    with ape.reverts("registry: empty batch"):
        registry.register_units([], sender=committee)


def test_unknown_unit_views_revert(registry):
    with ape.reverts("registry: unit not registered"):
        registry.unit(1)
    with ape.reverts("registry: unit not registered"):
        registry.unit_area(1)
    with ape.reverts("registry: unit not registered"):
        registry.unit_owner(1)
    assert registry.unit_id_of("nowhere") == 0


# ------------------------------------------------------------------ checkpoints


def test_weights_and_totals_at_past_blocks(populated, registry, committee, chain):
    before = chain.blocks.head.number
    registry.set_unit_area(1, 10_000, sender=committee)  # A: 8_950 -> 10_000
    after = chain.blocks.head.number
    chain.mine()
    registry.set_unit_area(1, 7_000, sender=committee)
    chain.mine()
    assert registry.owner_weight_at(0, before) == (20_950, 2)
    assert registry.owner_weight_at(0, after) == (22_000, 2)
    assert registry.owner_weight_at(0, chain.blocks.head.number - 1) == (19_000, 2)
    total_before = registry.totals_at(before)
    assert registry.totals_at(after) == (total_before[0] + 1_050, 4)
    assert registry.identity_area_at(0, before) == 20_950
    # An identity registered later had nothing at an earlier block.
    assert registry.owner_weight_at(3, 1) == (0, 0)
    assert registry.totals_at(0) == (0, 0)


def test_voting_weight_reads_the_snapshot(populated, registry, committee, owner_a, chain):
    snapshot = chain.blocks.head.number
    registry.set_unit_area(2, 1_000, sender=committee)
    chain.mine()
    assert registry.voting_weight(owner_a, snapshot) == (0, 20_950)
    assert registry.voting_weight(owner_a, chain.blocks.head.number - 1) == (0, 9_950)


def test_lookups_of_the_current_block_are_refused(populated, registry, owner_a, chain):
    now = chain.blocks.head.number + 1  # the block a call executes in
    for call in (
        lambda: registry.voting_weight(owner_a, now),
        lambda: registry.owner_weight_at(0, now),
        lambda: registry.totals_at(now),
        lambda: registry.identity_area_at(0, now),
    ):
        with ape.reverts("registry: block not yet mined"):
            call()


def test_voting_weight_needs_an_owner_wallet(populated, registry, tenant, chain):
    with ape.reverts("registry: not an owner wallet"):
        registry.voting_weight(tenant, chain.blocks.head.number - 1)


def test_many_checkpoints_binary_search(registry, committee, owner_a, chain):
    registry.register_unit("1-1", 1, owner_a, A, sender=committee)
    blocks = []
    for area in range(2, 40):
        tx = registry.set_unit_area(1, area, sender=committee)
        blocks.append((tx.block_number, area))
    chain.mine()
    for block_number, area in blocks:
        assert registry.owner_weight_at(0, block_number) == (area, 1)
        assert registry.totals_at(block_number) == (area, 1)


def test_set_unit_area_validates(populated, registry, committee):
    with ape.reverts("registry: unit not registered"):
        registry.set_unit_area(99, 100, sender=committee)
    with ape.reverts("registry: area out of range"):
        registry.set_unit_area(1, 0, sender=committee)
    tx = registry.set_unit_area(1, 9_000, sender=committee)
    [event] = tx.decode_logs(registry.UnitAreaChanged)
    assert (event.unit_id, event.label, event.old_area, event.new_area) == (1, "1-1-101", 8_950, 9_000)


# ------------------------------------------------------------------ sale of a unit


def test_sale_waits_for_the_delay_and_moves_weight(populated, registry, committee, owner_c, attacker, chain):
    # owner_c sells unit 4 (their only unit) to a new buyer: heads stay 4 (C out, buyer in).
    buyer = attacker  # any fresh wallet
    tx = registry.request_transfer(4, buyer, commitment_for("buyer"), sender=committee)
    [event] = tx.decode_logs(registry.TransferRequested)
    assert event.current_owner == owner_c.address and event.new_owner == buyer.address
    assert registry.pending_transfer(4) == (buyer.address, commitment_for("buyer"), event.eta, False)
    with ape.reverts("registry: transfer delay not over"):
        registry.execute_transfer(4, sender=buyer)
    chain.pending_timestamp += CHANGE_DELAY
    snapshot = chain.blocks.head.number
    tx = registry.execute_transfer(4, sender=buyer)
    [moved] = tx.decode_logs(registry.UnitTransferred)
    assert (moved.previous_owner, moved.new_owner, moved.area) == (owner_c.address, buyer.address, 11_050)
    assert registry.unit_owner(4) == buyer.address
    assert not registry.is_owner(owner_c)
    assert registry.is_owner(buyer)
    assert registry.totals()[1] == 4
    chain.mine()
    # The seller keeps their weight at the earlier snapshot; the buyer's wallet was not
    # bound then, so it has no vote on a proposal made before the sale.
    assert registry.voting_weight(owner_c, snapshot)[1] == 11_050
    with ape.reverts("registry: wallet bound after the snapshot"):
        registry.voting_weight(buyer, snapshot)
    assert registry.voting_weight(buyer, chain.blocks.head.number - 1)[1] == 11_050


def test_sale_to_an_existing_owner_merges_heads(populated, registry, committee, owner_a, owner_c, chain):
    registry.request_transfer(4, owner_a, A, sender=committee)
    chain.pending_timestamp += CHANGE_DELAY
    registry.execute_transfer(4, sender=committee)
    assert registry.totals()[1] == 3
    assert registry.owner_weight(0)[:2] == (20_950 + 11_050, 3)


def test_only_the_committee_withdraws_a_sale_and_the_owner_objects_once(populated, registry, committee, owner_c,
                                                                         attacker, chain):
    tx = registry.request_transfer(4, attacker, commitment_for("buyer"), sender=committee)
    eta = tx.decode_logs(registry.TransferRequested)[0].eta
    # The owner (or a thief with the owner's key) cannot cancel it: it may object, once.
    with ape.reverts("registry: committee only"):
        registry.cancel_transfer(4, sender=owner_c)
    with ape.reverts("registry: only the unit's owner"):
        registry.object_transfer(4, b"\x00" * 32, sender=attacker)
    tx = registry.object_transfer(4, commitment_for("reasons"), sender=owner_c)
    [objected] = tx.decode_logs(registry.TransferObjected)
    assert (objected.unit_id, objected.owner, objected.eta) == (4, owner_c.address, eta + CHANGE_DELAY)
    assert registry.pending_transfer(4)[2:] == (eta + CHANGE_DELAY, True)
    with ape.reverts("registry: already objected"):
        registry.object_transfer(4, b"\x00" * 32, sender=owner_c)
    chain.pending_timestamp += CHANGE_DELAY
    with ape.reverts("registry: transfer delay not over"):
        registry.execute_transfer(4, sender=attacker)
    # The committee answers the objection; it may withdraw its request.
    tx = registry.cancel_transfer(4, sender=committee)
    assert tx.decode_logs(registry.TransferCancelled)[0].cancelled_by == committee.address
    with ape.reverts("registry: no pending transfer"):
        registry.cancel_transfer(4, sender=committee)
    with ape.reverts("registry: no pending transfer"):
        registry.object_transfer(4, b"\x00" * 32, sender=owner_c)


def test_an_objected_sale_still_completes_after_the_longer_delay(populated, registry, committee, owner_c, attacker,
                                                                 chain):
    registry.request_transfer(4, attacker, commitment_for("buyer"), sender=committee)
    registry.object_transfer(4, b"\x00" * 32, sender=owner_c)
    chain.pending_timestamp += 2 * CHANGE_DELAY
    registry.execute_transfer(4, sender=attacker)
    assert registry.unit_owner(4) == attacker.address


def test_sale_refusals(populated, registry, committee, owner_a, owner_b, tenant):
    with ape.reverts("registry: unit not registered"):
        registry.request_transfer(99, owner_b, B, sender=committee)
    with ape.reverts("registry: already the owner"):
        registry.request_transfer(4, owner_c_wallet(registry, 4), C, sender=committee)
    with ape.reverts("registry: commitment bound to another wallet"):
        registry.request_transfer(4, owner_b, A, sender=committee)
    with ape.reverts("registry: wallet is a linked resident"):
        registry.request_transfer(4, tenant, commitment_for("tenant-as-buyer"), sender=committee)
    with ape.reverts("registry: empty commitment"):
        registry.request_transfer(4, owner_b, b"\x00" * 32, sender=committee)


def owner_c_wallet(registry, unit_id):
    return registry.unit_owner(unit_id)


def test_sale_rechecks_binding_at_execution(populated, registry, committee, owner_a, attacker, chain):
    registry.request_transfer(4, attacker, commitment_for("buyer"), sender=committee)
    # Meanwhile the buyer's wallet becomes a tenant somewhere: the sale must not bind it twice.
    link_resident(registry, 1, attacker, commitment_for("buyer-as-tenant"), owner_a)
    chain.pending_timestamp += CHANGE_DELAY
    with ape.reverts("registry: wallet is a linked resident"):
        registry.execute_transfer(4, sender=committee)


# ------------------------------------------------------------------ lost wallet


EVIDENCE = commitment_for("evidence")


def test_recovery_moves_the_identity_after_the_delay(populated, registry, committee, owner_b, attacker, chain, accounts):
    new_wallet = accounts.generate_test_account()
    tx = registry.request_recovery(owner_b, new_wallet, EVIDENCE, sender=committee)
    [event] = tx.decode_logs(registry.RecoveryRequested)
    assert (event.identity, event.current_wallet, event.new_wallet, event.evidence_hash) == (
        1, owner_b.address, new_wallet.address, EVIDENCE)
    assert registry.pending_recovery(1) == (new_wallet.address, event.eta, EVIDENCE, False)
    assert registry.wallet_status(owner_b)[3]  # recovery pending
    with ape.reverts("registry: recovery delay not over"):
        registry.execute_recovery(1, sender=attacker)
    chain.pending_timestamp += CHANGE_DELAY
    tx = registry.execute_recovery(1, sender=attacker)
    [done] = tx.decode_logs(registry.WalletRecovered)
    assert (done.previous_wallet, done.new_wallet, done.commitment) == (owner_b.address, new_wallet.address, B)
    assert registry.identity_of(owner_b) == (False, 0)
    assert registry.identity_of(new_wallet) == (True, 1)
    assert registry.wallet_status(new_wallet) == (True, 1, tx.block_number, False)
    assert registry.unit_owner(3) == new_wallet.address
    assert registry.totals()[1] == 4
    # The old wallet stays counted under the identity's household for points.
    assert registry.household_key(owner_b) == 2
    assert registry.household_of(owner_b) == 0


def test_the_identitys_wallet_objects_once_and_only_the_committee_withdraws(populated, registry, committee, owner_b,
                                                                           attacker, chain, accounts):
    new_wallet = accounts.generate_test_account()
    eta = registry.request_recovery(owner_b, new_wallet, EVIDENCE, sender=committee).decode_logs(
        registry.RecoveryRequested)[0].eta
    with ape.reverts("registry: committee only"):
        registry.cancel_recovery(1, sender=owner_b)
    with ape.reverts("registry: only the identity's wallet"):
        registry.object_recovery(1, b"\x00" * 32, sender=attacker)
    tx = registry.object_recovery(1, commitment_for("it is my phone"), sender=owner_b)
    [objected] = tx.decode_logs(registry.RecoveryObjected)
    assert (objected.identity, objected.wallet, objected.eta) == (1, owner_b.address, eta + CHANGE_DELAY)
    with ape.reverts("registry: already objected"):
        registry.object_recovery(1, b"\x00" * 32, sender=owner_b)
    chain.pending_timestamp += CHANGE_DELAY
    with ape.reverts("registry: recovery delay not over"):
        registry.execute_recovery(1, sender=attacker)
    tx = registry.cancel_recovery(1, sender=committee)
    assert tx.decode_logs(registry.RecoveryCancelled)[0].cancelled_by == committee.address
    assert not registry.wallet_status(owner_b)[3]
    with ape.reverts("registry: no pending recovery"):
        registry.execute_recovery(1, sender=committee)
    assert registry.identity_of(owner_b) == (True, 1)


def test_recovery_refusals(populated, registry, committee, owner_a, owner_b, tenant, attacker, accounts):
    with ape.reverts("registry: not an owner wallet"):
        registry.request_recovery(attacker, committee, EVIDENCE, sender=committee)
    with ape.reverts("registry: wallet is an owner"):
        registry.request_recovery(owner_a, registry.unit_owner(3), EVIDENCE, sender=committee)
    with ape.reverts("registry: wallet is a linked resident"):
        registry.request_recovery(owner_a, tenant, EVIDENCE, sender=committee)
    with ape.reverts("registry: empty evidence hash"):
        registry.request_recovery(owner_a, attacker, b"\x00" * 32, sender=committee)
    with ape.reverts("registry: no pending recovery"):
        registry.cancel_recovery(0, sender=committee)
    with ape.reverts("registry: no pending recovery"):
        registry.object_recovery(0, b"\x00" * 32, sender=owner_a)
    registry.request_recovery(owner_a, attacker, EVIDENCE, sender=committee)
    with ape.reverts("registry: recovery already pending"):
        registry.request_recovery(owner_a, accounts.generate_test_account(), EVIDENCE, sender=committee)


# ------------------------------------------------------------------ residents


def test_owner_links_and_unlinks_a_tenant(populated, registry, owner_b, tenant, attacker):
    assert registry.resident_unit(tenant) == 3
    assert registry.is_member(tenant)
    assert not registry.is_owner(tenant)
    assert registry.resident_commitment(tenant) == commitment_for("tenant")
    assert registry.resident_by_commitment(commitment_for("tenant")) == tenant.address
    with ape.reverts("registry: only the resident, the owner or the committee"):
        registry.unlink_resident(tenant, sender=attacker)
    tx = registry.unlink_resident(tenant, sender=owner_b)
    assert tx.decode_logs(registry.ResidentUnlinked)[0].unit_id == 3
    assert not registry.is_member(tenant)
    assert registry.resident_by_commitment(commitment_for("tenant")) == ZERO
    with ape.reverts("registry: not a linked resident"):
        registry.unlink_resident(tenant, sender=owner_b)


def test_a_link_needs_the_invitation_and_the_wallets_acceptance(populated, registry, owner_a, tenant, attacker):
    family = commitment_for("family")
    tx = registry.invite_resident(2, attacker, family, sender=owner_a)
    [invited] = tx.decode_logs(registry.ResidentInvited)
    assert (invited.unit_id, invited.wallet, invited.commitment, invited.invited_by) == (
        2, attacker.address, family, owner_a.address)
    # Invited, not linked: the wallet has not agreed yet.
    assert registry.invitation(2, attacker, family)
    assert registry.resident_unit(attacker) == 0 and not registry.is_member(attacker)
    with ape.reverts("registry: no such invitation"):
        registry.accept_residence(2, commitment_for("another"), sender=attacker)
    with ape.reverts("registry: no such invitation"):
        registry.accept_residence(1, family, sender=attacker)
    with ape.reverts("registry: no such invitation"):
        registry.accept_residence(2, family, sender=tenant)
    tx = registry.accept_residence(2, family, sender=attacker)
    [event] = tx.decode_logs(registry.ResidentLinked)
    assert (event.unit_id, event.wallet, event.commitment, event.linked_by, event.household) == (
        2, attacker.address, family, owner_a.address, 1)
    assert registry.resident_unit(attacker) == 2
    assert registry.household_of(attacker) == registry.household_of(owner_a) == 1
    assert not registry.invitation(2, attacker, family)
    with ape.reverts("registry: no such invitation"):
        registry.accept_residence(2, family, sender=attacker)


def test_invite_resident_refusals(populated, registry, committee, owner_a, owner_b, tenant, attacker):
    with ape.reverts("registry: only the unit's owner"):
        registry.invite_resident(1, attacker, commitment_for("x"), sender=owner_b)
    # The committee is not a unit's owner: it links nobody, itself least of all.
    with ape.reverts("registry: only the unit's owner"):
        registry.invite_resident(1, committee, commitment_for("x"), sender=committee)
    with ape.reverts("registry: unit not registered"):
        registry.invite_resident(99, attacker, commitment_for("x"), sender=owner_a)
    with ape.reverts("registry: wallet is an owner"):
        registry.invite_resident(1, owner_b, commitment_for("x"), sender=owner_a)
    with ape.reverts("registry: wallet is a linked resident"):
        registry.invite_resident(1, tenant, commitment_for("x"), sender=owner_a)
    with ape.reverts("registry: empty commitment"):
        registry.invite_resident(1, attacker, b"\x00" * 32, sender=owner_a)
    with ape.reverts("registry: commitment is an owner's"):
        registry.invite_resident(1, attacker, B, sender=owner_a)
    with ape.reverts("registry: commitment is another resident's"):
        registry.invite_resident(1, attacker, commitment_for("tenant"), sender=owner_a)


def test_a_tenant_cannot_be_registered_as_owner_without_leaving(populated, registry, committee, tenant, attacker):
    with ape.reverts("registry: wallet is a linked resident"):
        registry.register_unit("9-9", 100, tenant, commitment_for("tenant"), sender=committee)
    # Nor can another wallet take the linked tenant's commitment as an owner identity.
    with ape.reverts("registry: commitment is a linked resident's"):
        registry.register_unit("9-9", 100, attacker, commitment_for("tenant"), sender=committee)


# ------------------------------------------------------------------ roles and settings


def test_the_assembly_administers_governing_roles_and_the_committee_the_rest(registry, committee, merchant, roles):
    from backend.chain.deployment import role_id

    assembly = role_id("assembly")
    assert registry.hasRole(roles["committee"], committee)
    assert registry.hasRole(assembly, committee)  # the deployer, while it wires the community
    assert not registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), committee)
    for name in ("committee", "manager", "auditor"):
        assert registry.getRoleAdmin(roles[name]) == assembly, name
    assert registry.getRoleAdmin(assembly) == assembly
    for name in ("merchant", "provider"):
        assert registry.getRoleAdmin(roles[name]) == roles["committee"], name
    assert registry.getRoleAdmin(role_id("cashier")) == roles["committee"]
    registry.grantRole(roles["auditor"], merchant, sender=committee)
    assert registry.hasRole(roles["auditor"], merchant)
    registry.revokeRole(roles["auditor"], merchant, sender=committee)
    assert not registry.hasRole(roles["auditor"], merchant)


def test_a_committee_that_is_not_the_assembly_administers_only_its_roles(registry, committee, attacker, owner_b,
                                                                         merchant, roles):
    from backend.chain.deployment import role_id

    registry.grantRole(roles["committee"], attacker, sender=committee)
    for name in ("assembly", "committee", "manager", "auditor"):
        with ape.reverts("registry: caller is not the role's admin"):
            registry.grantRole(role_id(name), owner_b, sender=attacker)
    registry.grantRole(roles["merchant"], merchant, sender=attacker)
    registry.grantRole(role_id("cashier"), owner_b, sender=attacker)
    # A committee holder takes no paid role, and a paid role holder is no committee.
    for name in ("merchant", "provider", "cashier"):
        with ape.reverts("registry: the committee cannot hold a paid role"):
            registry.grantRole(role_id(name), attacker, sender=attacker)
    with ape.reverts("registry: the committee cannot hold a paid role"):
        registry.grantRole(roles["manager"], attacker, sender=committee)
    with ape.reverts("registry: the committee cannot hold a paid role"):
        registry.grantRole(roles["committee"], merchant, sender=committee)


def test_change_delay_bounds(registry, committee):
    with ape.reverts("registry: delay out of range"):
        registry.set_change_delay(10, sender=committee)
    with ape.reverts("registry: delay out of range"):
        registry.set_change_delay(91 * 86400, sender=committee)
    registry.set_change_delay(86400, sender=committee)
    assert registry.change_delay() == 86400


def test_constructor_validates(project, committee):
    with ape.reverts("registry: committee is the zero address"):
        committee.deploy(project.HouseholdRegistry, "x", "0x" + "00" * 20, CHANGE_DELAY)
    with ape.reverts("registry: delay out of range"):
        committee.deploy(project.HouseholdRegistry, "x", committee, 1)


# The registry's calls that are the assembly's (a governance address and a delay).
ASSEMBLY_CALLS = [
    lambda r, a: r.set_points(a, sender=a),
    lambda r, a: r.set_change_delay(86400, sender=a),
]


@pytest.mark.parametrize(
    "call",
    [
        lambda r, a: r.register_unit("x-1", 100, a, commitment_for("x"), sender=a),
        lambda r, a: r.register_units([("x-1", 100, a, commitment_for("x"))], sender=a),
        lambda r, a: r.set_unit_area(1, 100, sender=a),
        lambda r, a: r.request_transfer(1, a, commitment_for("x"), sender=a),
        lambda r, a: r.request_recovery(r.unit_owner(1), a, commitment_for("evidence"), sender=a),
        lambda r, a: r.cancel_recovery(0, sender=a),
        lambda r, a: r.cancel_transfer(1, sender=a),
        *ASSEMBLY_CALLS,
        lambda r, a: r.set_developer(commitment_for("x"), sender=a),
    ],
    ids=[
        "register_unit",
        "register_units",
        "set_unit_area",
        "request_transfer",
        "request_recovery",
        "cancel_recovery",
        "cancel_transfer",
        "set_points",
        "set_change_delay",
        "set_developer",
    ],
)
def test_privileged_functions_refuse_non_committee(populated, registry, attacker, call):
    reason = "registry: assembly only" if call in ASSEMBLY_CALLS else "registry: committee only"
    with ape.reverts(reason):
        call(registry, attacker)


@pytest.mark.parametrize("fn", ["grantRole", "revokeRole"])
def test_roles_refuse_non_admin(populated, registry, attacker, manager, roles, fn):
    with ape.reverts("registry: caller is not the role's admin"):
        getattr(registry, fn)(roles["committee"], attacker, sender=attacker)
    # A manager administers nothing either.
    with ape.reverts("registry: caller is not the role's admin"):
        getattr(registry, fn)(roles["merchant"], attacker, sender=manager)


def test_a_household_is_an_owner_identity_and_its_units_residents(populated, registry, owner_a, owner_b, tenant,
                                                                    attacker):
    household_a = registry.household_of(owner_a)
    assert household_a == registry.identity_of(owner_a)[1] + 1
    assert household_a != registry.household_of(owner_b)
    # A tenant is in the household of the owner of the unit they live in.
    assert registry.household_of(tenant) == registry.household_of(owner_b) == registry.household_key(tenant)
    assert registry.household_of(attacker) == registry.household_key(attacker) == 0
    registry.unlink_resident(tenant, sender=owner_b)
    # Gone from the household now, but counted under it for good (no fresh points cap).
    assert registry.household_of(tenant) == 0
    assert registry.household_key(tenant) == registry.household_of(owner_b)
