"""The owners hold the power (issue 15): each attack tried on the landed code is tried
again here and must fail; the legitimate paths (a major vote, the assembly replacing
the committee or its members) work end to end through the timelock."""

from __future__ import annotations

import ape
import pytest
from ape.exceptions import ContractLogicError
from eth_utils import keccak

from backend.chain.committee_safe import committee_safe_status, create_committee_safe
from backend.chain.deploy_assembly import EXECUTOR_ROLE, PROPOSER_ROLE, proposal_id
from backend.chain.deployment import ASSEMBLY_ROLE, role_id
from backend.chain.safe import SafeCallReverted, SafeCommittee, SafeError, module_call_data
from tests.assembly.helpers import (
    AGAINST,
    COMMITTEE_ELECTION,
    DEFEATED,
    EXPIRED,
    FOR,
    OTHER_COMMON,
    RAISE_FUND,
    RULES_OF_PROCEDURE,
    SUCCEEDED,
    at,
    close_voting,
    open_voting,
    propose,
    publish_result,
)
from tests.power.conftest import POWER_ASSEMBLY
from tests.utils.identity import commitment_for

WINDOW = POWER_ASSEMBLY["objection_window"]
DELAY = POWER_ASSEMBLY["timelock_delay"]
COMMITTEE = role_id("committee")
MANAGER = role_id("manager")


def vote(town, chain, p, yes, no=()):
    open_voting(chain, p)
    for who in yes:
        town.assembly.castVote(p.id, FOR, sender=who)
    for who in no:
        town.assembly.castVote(p.id, AGAINST, sender=who)
    close_voting(chain, p)


def enact(town, chain, p, by):
    """Publish the result (preliminary, objection period, final), queue, and
    execute after the timelock's delay."""
    publish_result(town.assembly, chain, p, sender=by)
    tx = town.assembly.queue(*p.calls, sender=by)
    at(chain, tx.timestamp + DELAY)
    return town.assembly.execute(*p.calls, sender=by)


def classified(town, p):
    [log] = p.tx.decode_logs(town.assembly.ProposalClassified)
    return log


# ---------------------------------------------------------------- 1. an ordinary vote around the 3/4 rule


@pytest.mark.parametrize("matter", [OTHER_COMMON, RAISE_FUND])
def test_no_vote_hands_the_assemblys_power_to_a_key(town, chain, owner_a, attacker, matter):
    """Attack 1: a proposal (ordinary or major) that would give a key the timelock's
    proposer or executor role, the registry's assembly role or the points is refused
    when it is made, whatever its matter."""
    t, registry, points = town.timelock, town.registry, town.points
    for target, data in [
        (t, t.grantRole.encode_input(PROPOSER_ROLE, attacker.address)),
        (t, t.grantRole.encode_input(EXECUTOR_ROLE, attacker.address)),
        (t, t.schedule.encode_input(attacker.address, 0, b"", b"\0" * 32, b"\0" * 32, DELAY)),
        (registry, registry.grantRole.encode_input(ASSEMBLY_ROLE, attacker.address)),
        (registry, registry.revokeRole.encode_input(ASSEMBLY_ROLE, t.address)),
        (registry, registry.renounceRole.encode_input(ASSEMBLY_ROLE, t.address)),
        (points, points.transfer_ownership.encode_input(attacker.address)),
        (town.assembly, town.assembly.propose.encode_input([], [], [], 9, "x", b"\1" * 32, 0, 0)),
    ]:
        with ape.reverts("assembly: no vote may make this call"):
            propose(town.assembly, owner_a, chain, matter=matter, calls=[(target, 0, data)])
        assert town.assembly.call_class(target, data) == 3


def test_raising_the_fund_filed_as_an_ordinary_matter_needs_three_quarters(town, chain, owner_a, owner_b, owner_c):
    """Attack 1 again: the maintenance share raised under matter 9 is counted at 3/4;
    two for and one against (2/3) is not enough."""
    fees = town.fees
    call = (fees, 0, fees.set_maintenance_share.encode_input(10_000))
    p = propose(town.assembly, owner_a, chain, matter=OTHER_COMMON, calls=[call])
    log = classified(town, p)
    assert (log.matter_major, log.calls_major, log.major_target) == (False, True, fees.address)
    assert log.major_selector == fees.set_maintenance_share.encode_input(0)[:4]
    assert p.tx.decode_logs(town.assembly.ProposalDetails)[0].major
    vote(town, chain, p, yes=[owner_a, owner_b], no=[owner_c])
    assert town.assembly.state(p.id) == DEFEATED
    assert tuple(town.assembly.outcome(p.id))[:2] == (True, False)


def test_a_major_vote_raises_the_fund(town, chain, owner_a, owner_b, owner_c, developer):
    """The legitimate path: 3/4 raise the share, through the timelock."""
    fees = town.fees
    p = propose(town.assembly, owner_a, chain, matter=RAISE_FUND,
                calls=[(fees, 0, fees.set_maintenance_share.encode_input(2_000))])
    vote(town, chain, p, yes=[owner_a, owner_b, owner_c], no=[developer])
    assert town.assembly.state(p.id) != DEFEATED
    enact(town, chain, p, developer)
    assert fees.maintenance_share() == 2_000


@pytest.mark.parametrize("setting", ["set_change_delay", "set_household_cap", "set_minter", "grant_committee",
                                     "set_fee", "set_logger", "voting_rules"])
def test_who_governs_delays_and_limits_are_major(town, chain, owner_a, attacker, setting):
    c = town.contracts
    calls = {
        "set_change_delay": (town.registry, town.registry.set_change_delay.encode_input(3600)),
        "set_household_cap": (town.points, town.points.set_household_cap.encode_input(1)),
        "set_minter": (town.points, town.points.set_minter.encode_input(attacker.address, True)),
        "grant_committee": (town.registry, town.registry.grantRole.encode_input(COMMITTEE, attacker.address)),
        "set_fee": (c["ServiceMarket"], c["ServiceMarket"].set_fee.encode_input(0)),
        "set_logger": (c["DataConsent"], c["DataConsent"].set_logger.encode_input(attacker.address, True)),
        "voting_rules": (town.assembly, town.assembly.set_voting_rules.encode_input(0, 3600, 3600, 0, 86400)),
    }
    target, data = calls[setting]
    assert town.assembly.call_class(target, data) == 2
    p = propose(town.assembly, owner_a, chain, matter=RULES_OF_PROCEDURE, calls=[(target, 0, data)])
    assert classified(town, p).calls_major


def test_an_unlisted_call_counts_as_major(town, chain, owner_a, attacker):
    p = propose(town.assembly, owner_a, chain, matter=OTHER_COMMON, calls=[(attacker.address, 10**18, b"")])
    log = classified(town, p)
    assert log.calls_major and log.major_target == attacker.address


# ---------------------------------------------------------------- 2. the production deployment


def test_the_production_deployment_keeps_no_key_above_the_assembly(town, committee, chain):
    """Attack 2: deployed with a separate committee (a Safe), the deployer keeps nothing,
    the timelock is the only assembly, and the constitution classifies the fund's calls."""
    registry, points, timelock = town.registry, town.points, town.timelock
    assert town.contracts["CommitteeSafe"].address != committee.address
    for name in ("assembly", "committee", "manager", "cashier", "merchant", "provider", "auditor"):
        assert not registry.hasRole(role_id(name), committee.address), name
    assert registry.hasRole(ASSEMBLY_ROLE, timelock.address)
    assert registry.assembly_holders() == 1
    assert points.owner() == timelock.address
    assert not points.is_minter(committee.address)
    assert registry.hasRole(COMMITTEE, town.safe.address)
    fees = town.fees
    assert town.assembly.call_class(fees, fees.set_maintenance_share.encode_input(1)) == 2
    status = committee_safe_status(chain, town.contracts["CommitteeSafe"], timelock)
    assert status["module_enabled"] and status["guard"] == town.contracts["CommitteeGuard"].address.lower()
    assert status["threshold"] == 2


# ---------------------------------------------------------------- 3. the committee pays itself


def test_the_committee_cannot_make_itself_or_a_member_the_manager(town, owner_a, owner_b):
    """Attack 3, its first step: the manager is the assembly's to appoint."""
    for grantee in (town.safe.address, owner_a.address):
        with pytest.raises(SafeCallReverted, match="registry: caller is not the role's admin"):
            town.safe.call(town.registry.grantRole, MANAGER, grantee, signers=[owner_a, owner_b])
    # A committee that already governs cannot be given a paid role, nor a payee the committee role.
    with pytest.raises(SafeCallReverted, match="registry: the committee cannot hold a paid role"):
        town.safe.call(town.registry.grantRole, role_id("merchant"), town.safe.address, signers=[owner_a, owner_b])


def test_the_assembly_cannot_make_the_committee_its_manager(town, chain, owner_a, owner_b, owner_c, developer):
    p = propose(town.assembly, owner_a, chain, matter=OTHER_COMMON,
                calls=[(town.registry, 0, town.registry.grantRole.encode_input(MANAGER, town.safe.address))])
    vote(town, chain, p, yes=[owner_a, owner_b, owner_c, developer])
    with ape.reverts("registry: the committee cannot hold a paid role"):
        enact(town, chain, p, developer)


# ---------------------------------------------------------------- 4. replacing the committee; owners' motions


def test_the_assembly_replaces_the_committee(town, project, chain, committee, owner_a, owner_b, owner_c, developer,
                                             tenant, attacker):
    """Attack 4's refusal is gone: a major vote grants the committee role to a newly
    elected committee's Safe and takes it from the old one."""
    new_members = [owner_c, developer, tenant]
    new_safe = create_committee_safe(project, chain, attacker, town.community, new_members, 2)
    registry = town.registry
    p = propose(town.assembly, owner_b, chain, matter=COMMITTEE_ELECTION, calls=[
        (registry, 0, registry.grantRole.encode_input(COMMITTEE, new_safe.address)),
        (registry, 0, registry.revokeRole.encode_input(COMMITTEE, town.safe.address)),
    ])
    assert classified(town, p).calls_major
    vote(town, chain, p, yes=[owner_a, owner_b, owner_c], no=[developer])
    enact(town, chain, p, attacker)
    assert registry.hasRole(COMMITTEE, new_safe.address) and not registry.hasRole(COMMITTEE, town.safe.address)
    with pytest.raises(SafeCallReverted, match="registry: committee only"):
        town.safe.call(registry.set_developer, keccak(text="x"), signers=[owner_a, owner_b])
    SafeCommittee(new_safe, chain, town.safe.infrastructure).call(
        registry.set_developer, keccak(text="x"), signers=[owner_c, tenant])


def test_the_committee_cannot_appoint_or_dismiss_itself(town, owner_a, owner_b, attacker):
    """Attack 5: the committee role is the assembly's to give and take; a committee
    cannot revoke another committee, nor hand itself to someone else."""
    for call in (town.registry.grantRole, town.registry.revokeRole):
        for who in (attacker.address, town.safe.address):
            with pytest.raises(SafeCallReverted, match="registry: caller is not the role's admin"):
                town.safe.call(call, COMMITTEE, who, signers=[owner_a, owner_b])


def test_the_assembly_role_is_never_left_without_a_holder(project, chain, committee, attacker):
    from backend.chain.deployment import deploy_community

    registry = deploy_community(project, chain, committee, name="孤儿小区").registry
    with ape.reverts("registry: the assembly cannot be left without a holder"):
        registry.renounceRole(ASSEMBLY_ROLE, committee.address, sender=committee)
    with ape.reverts("registry: the assembly cannot be left without a holder"):
        registry.revokeRole(ASSEMBLY_ROLE, committee.address, sender=committee)
    with ape.reverts("registry: can only renounce roles for itself"):
        registry.renounceRole(ASSEMBLY_ROLE, committee.address, sender=attacker)
    registry.grantRole(ASSEMBLY_ROLE, attacker.address, sender=committee)
    assert registry.assembly_holders() == 2
    registry.renounceRole(ASSEMBLY_ROLE, committee.address, sender=committee)
    assert registry.assembly_holders() == 1
    with ape.reverts("registry: the assembly cannot be left without a holder"):
        registry.renounceRole(ASSEMBLY_ROLE, attacker.address, sender=attacker)


def test_the_committee_cannot_cancel_an_owners_motion(town, chain, owner_a, owner_b, owner_c):
    """Attack 4's second half: only the proposer withdraws, and only before voting."""
    p = propose(town.assembly, owner_c, chain, matter=OTHER_COMMON)
    with pytest.raises(SafeCallReverted, match="assembly: proposer only"):
        town.safe.call(town.assembly.cancel, p.id, signers=[owner_a, owner_b])
    with ape.reverts("assembly: proposer only"):
        town.assembly.cancel(p.id, sender=owner_a)
    open_voting(chain, p)
    with ape.reverts("assembly: voting has started"):
        town.assembly.cancel(p.id, sender=owner_c)
    q = propose(town.assembly, owner_c, chain, matter=OTHER_COMMON, text="another")
    town.assembly.cancel(q.id, sender=owner_c)
    assert town.assembly.state(q.id) == 2


# ---------------------------------------------------------------- the committee's members


def test_the_members_cannot_change_the_committee_themselves(town, owner_a, owner_b, attacker):
    """The assembly sets the members and threshold: the members' own Safe transactions
    that would change them, remove the guard or the module, or run foreign code on the
    Safe's storage are refused by CommitteeGuard."""
    safe = town.safe
    guard_says = "committee: the assembly sets the committee's members"
    for tx in (
        safe.propose_add_member(attacker, 2),
        safe.propose_threshold(1),
        safe.propose_remove_member(owner_b, 1),
        safe.propose_call(safe.safe.setGuard, "0x" + "00" * 20),
        safe.propose_call(safe.safe.disableModule, "0x" + "00" * 19 + "01", town.timelock.address),
    ):
        signatures = {m.address: safe.sign(tx, m) for m in (owner_a, owner_b)}
        with pytest.raises((SafeCallReverted, ContractLogicError), match=guard_says):
            safe.execute(tx, signatures, sender=owner_a)
    # A batch that slips a member change between plain calls.
    batch = safe.propose_batch([(town.registry.set_developer, (keccak(text="d"),)),
                                (safe.safe.addOwnerWithThreshold, (attacker.address, 2))])
    signatures = {m.address: safe.sign(batch, m) for m in (owner_a, owner_b)}
    with pytest.raises((SafeCallReverted, ContractLogicError), match=guard_says):
        safe.execute(batch, signatures, sender=owner_a)
    assert attacker.address not in safe.owners() and safe.threshold() == 2


def test_a_batch_of_plain_calls_passes_the_guard(town, owner_a, owner_b, merchant, provider):
    town.safe.batch([(town.registry.set_developer, (keccak(text="d"),)),
                     (town.registry.grantRole, (role_id("provider"), provider.address))],
                    signers=[owner_a, owner_b])
    assert town.registry.hasRole(role_id("provider"), provider.address)


def test_one_member_is_not_the_committee(town, owner_a, tenant):
    with ape.reverts("registry: committee only"):
        town.registry.register_unit("9-9-909", 100, tenant.address, commitment_for("x"), sender=owner_a)
    tx = town.safe.propose_call(town.registry.set_developer, keccak(text="d"))
    with pytest.raises((SafeError, ContractLogicError)):
        town.safe.execute(tx, {owner_a.address: town.safe.sign(tx, owner_a)}, sender=owner_a)


def test_the_assembly_changes_the_committees_members(town, chain, owner_a, owner_b, owner_c, developer, tenant):
    """The legitimate path: a major vote adds a member through the Safe's module."""
    safe = town.contracts["CommitteeSafe"]
    data = module_call_data(safe.address, safe.addOwnerWithThreshold.encode_input(tenant.address, 3))
    p = propose(town.assembly, owner_a, chain, matter=COMMITTEE_ELECTION, calls=[(safe, 0, data)])
    assert classified(town, p).calls_major
    vote(town, chain, p, yes=[owner_a, owner_b, owner_c], no=[developer])
    enact(town, chain, p, developer)
    assert tenant.address in safe.getOwners() and safe.getThreshold() == 3


# ---------------------------------------------------------------- 6. ids, queue window


def test_a_squatted_proposal_does_not_block_the_committees(town, chain, owner_a, owner_b, owner_c):
    """Attack 6: an owner who files the committee's planned proposal first does not
    take its id; cancelling the squat changes nothing for the committee."""
    registry = town.registry
    calls = [(registry, 0, registry.set_change_delay.encode_input(7 * 86400))]
    squat = propose(town.assembly, owner_c, chain, matter=RULES_OF_PROCEDURE, calls=calls, text="改规则")
    town.assembly.cancel(squat.id, sender=owner_c)
    args = ([registry.address], [0], [calls[0][2]], RULES_OF_PROCEDURE, "改规则", keccak(text="改规则"),
            chain.pending_timestamp + 2 * 86400, chain.pending_timestamp + 9 * 86400)
    nonce = town.assembly.proposal_nonce(town.safe.address)
    receipt = town.safe.call(town.assembly.propose, *args, signers=[owner_a, owner_b])
    [created] = receipt.decode_logs(town.assembly.ProposalCreated)
    assert created.proposalId != squat.id
    assert created.proposalId == proposal_id(*args[:3], keccak(text="改规则"), town.safe.address, nonce)
    assert town.assembly.proposer(created.proposalId) == town.safe.address
    assert town.assembly.state(created.proposalId) == 0


def test_a_passed_proposal_expires_when_not_queued_in_time(town, chain, owner_a, owner_b, owner_c, developer):
    """Attack 6: a proposal passed once cannot be queued years later."""
    registry = town.registry
    p = propose(town.assembly, owner_a, chain, matter=RULES_OF_PROCEDURE,
                calls=[(registry, 0, registry.set_change_delay.encode_input(7 * 86400))])
    vote(town, chain, p, yes=[owner_a, owner_b, owner_c, developer])
    publish_result(town.assembly, chain, p, sender=owner_a)
    at(chain, p.end + WINDOW + POWER_ASSEMBLY["queue_window"] - 1)
    chain.mine()
    assert town.assembly.state(p.id) == SUCCEEDED
    at(chain, p.end + WINDOW + POWER_ASSEMBLY["queue_window"])
    chain.mine()
    assert town.assembly.state(p.id) == EXPIRED
    with ape.reverts("assembly: queue window closed"):
        town.assembly.queue(*p.calls, sender=owner_a)
    # Its result stays on the record: it passed, it just was not carried out in time.
    assert town.assembly.outcome(p.id)[1]


def test_the_safe_setup_gives_the_assembly_its_module_and_the_guard_and_nothing_else(town, project, chain,
                                                                                     committee):
    """CommitteeSafeSetup.enable_assembly, delegate-called by the Safe at its setup, made
    the timelock its module and the CommitteeGuard (bound to Safe's MultiSendCallOnly) its
    guard; called directly it enables nothing (it is no Safe)."""
    guard = town.contracts["CommitteeGuard"]
    assert guard.multi_send_call_only() == town.contracts["MultiSendCallOnly"].address
    status = committee_safe_status(chain, town.contracts["CommitteeSafe"], town.timelock)
    assert status["module_enabled"] and status["guard"] == guard.address.lower()
    setup = committee.deploy(project.CommitteeSafeSetup)
    with pytest.raises(ContractLogicError):
        setup.enable_assembly(town.timelock.address, guard.address, sender=committee)
