"""A community built by the district's CommunityFactory from the chain's blueprints: four
transactions, each under Osaka's cap, listed in the district in the last; the same
contracts wired the same way as `deploy_full_community` deploys in 43; owners who vote
and a committee Safe that acts. Then each way to misuse the factory, tried and refused.

One deployment per module (a reference community deployed the Python way, the factory,
one built community); Ape reverts the chain after each test."""

from __future__ import annotations

import re
from types import SimpleNamespace

import ape
import pytest
from ape.exceptions import ContractLogicError
from eth_utils import keccak

from backend.chain.committee_safe import committee_safe_status
from backend.chain.community_factory import (
    BLUEPRINTS,
    LISTING,
    FactoryError,
    BuildStopped,
    abandon_build,
    blueprints_of,
    build_community,
    deploy_factory,
    enable_factory,
    expected_codes,
    factory_entries,
    table_hash,
)
from backend.chain.constitution import constitution_entries
from backend.chain.deploy_assembly import CANCELLER_ROLE, DEFAULT_ADMIN_ROLE, EXECUTOR_ROLE, PROPOSER_ROLE
from backend.chain.deployment import ASSEMBLY_ROLE, ROLE_NAMES, deploy_full_community, role_id
from backend.chain.district import community_entries, shared_safe_infrastructure
from backend.chain.safe import SafeCallReverted, SafeCommittee, SafeError, module_call_data, safe_infrastructure_at
from tests.assembly.helpers import COMMITTEE_ELECTION, FOR, at, close_voting, open_voting, propose, publish_result
from tests.district.conftest import STREET
from tests.power.conftest import POWER_ASSEMBLY
from tests.utils.identity import commitment_for

TX_GAS_CAP = 16_777_216  # EIP-7825
MINTERS = ("PropertyFees", "CultureWorks", "CommunityActivities", "ServiceMarket", "SuggestionBox")
ZERO = "0x" + "0" * 40


@pytest.fixture(scope="module")
def built(project, chain, committee, owner_a, owner_b, owner_c, developer, tenant, district):
    """{reference (deployed the Python way), factory, town (built by it), district_id,
    build_id, receipts, deployer}: `committee` deploys and is the factory's deployer; the
    street office (a 2-of-3 Safe) makes the factory its lister. (`tenant` too: a session
    fixture first set up inside a test would break Ape's isolation.)"""
    members = [owner_a, owner_b, owner_c]
    reference = deploy_full_community(project, chain, committee, name="参照小区", committee_members=members,
                                      committee_threshold=2, assembly_params=POWER_ASSEMBLY)
    known = {name: reference.extra[name].address for name in
             ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSendCallOnly")}
    factory = deploy_factory(project, chain, committee, district.registry, safe_infrastructure=known,
                             passkey_factory=reference.extra["PasskeyAccountFactory"])
    enable_factory(district.registry, factory, [committee], district.send)
    result = build_community(project, chain, factory, committee, name="四平小区", street=STREET,
                             committee_members=members, committee_threshold=2, assembly_params=POWER_ASSEMBLY)
    return SimpleNamespace(reference=reference, factory=factory, town=result.community, district_id=result.district_id,
                           build_id=result.build_id, receipts=result.receipts, deployer=committee)


def _pending_build(factory, deployer, name="待建小区"):
    """A build begun by `deployer` (step 1 done); its id."""
    receipt = factory.begin(name, STREET, 3 * 86400, sender=deployer)
    return int(receipt.decode_logs(factory.CommunityBuildBegun)[0].build_id)


# ---------------------------------------------------------------- the build


def test_four_transactions_each_under_the_cap_list_the_community(built, district):
    gas = [receipt.gas_used for receipt in built.receipts]
    print(f"\nfactory build: {len(gas)} transactions, {sum(gas):,} gas: " + ", ".join(f"{g:,}" for g in gas))
    assert len(gas) == 4
    assert max(gas) <= TX_GAS_CAP
    registry = district.registry
    assert registry.community_of(built.town.registry.address) == built.district_id
    entry = registry.community(built.district_id)
    assert (entry.name, entry.street, entry.registry) == ("四平小区", STREET, built.town.registry.address)
    assert entry.deploy_block == built.receipts[0].block_number
    assert built.factory.build_of(built.town.registry.address) == built.build_id
    assert built.factory.build(built.build_id).step == 4
    assert built.factory.DISTRICT() == registry.address and built.factory.build_count() == built.build_id == 1


def test_it_lists_the_same_contracts_as_the_python_deploy(built):
    names = [name for name, _ in community_entries(built.town)]
    assert sorted(names) == sorted(name for name, _ in community_entries(built.reference))
    assert sorted(names) == sorted(LISTING)
    shared = ("PasskeyAccount", "PasskeyAccountFactory", "SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler",
              "MultiSendCallOnly")
    for name, address in community_entries(built.town):
        same = address == built.reference.contracts()[name].address
        assert same == (name in shared), name


def test_it_is_wired_as_the_python_deploy_and_the_factory_keeps_nothing(built, chain):
    """Every role, ownership, minter and link the Python deploy sets, read on both
    communities; the factory (and its deployer) hold none of them."""
    factory, deployer = built.factory.address, built.deployer.address
    for community in (built.reference, built.town):
        c = community.contracts()
        registry, points, timelock, assembly = c["HouseholdRegistry"], c["CommunityPoints"], c["AssemblyTimelock"], \
            c["OwnersAssembly"]
        safe = c["CommitteeSafe"].address
        assert registry.hasRole(ASSEMBLY_ROLE, timelock.address) and registry.assembly_holders() == 1
        assert registry.hasRole(role_id("committee"), safe)
        assert points.owner() == timelock.address
        for name in MINTERS:
            assert points.is_minter(c[name].address), name
        for role in (PROPOSER_ROLE, CANCELLER_ROLE, EXECUTOR_ROLE):
            assert timelock.hasRole(role, assembly.address)
        assert c["PaperBallots"].assembly() == assembly.address
        assert c["PropertyFees"].treasury() == c["CommunityTreasury"].address
        assert c["PropertyFees"].settlement_token() == c["SettlementToken"].address
        assert c["ServiceMarket"].fees() == c["PropertyFees"].address
        assert c["MerchantPromotions"].fees() == c["PropertyFees"].address
        assert c["NoticeBoard"].assembly() == assembly.address
        assert c["OwnersAssembly"].timelock() == timelock.address
        assert c["CultureWorks"].like_reward() == built.reference.extra["CultureWorks"].like_reward()
        assert c["CommunityActivities"].max_points() == built.reference.extra["CommunityActivities"].max_points()
        assert c["SuggestionBox"].reward_rate() == built.reference.extra["SuggestionBox"].reward_rate()
        status = committee_safe_status(chain, c["CommitteeSafe"], timelock)
        assert status["module_enabled"] and status["guard"] == c["CommitteeGuard"].address.lower()
        assert status["threshold"] == 2 and len(status["members"]) == 3
        for holder in (factory, deployer):
            for name in ROLE_NAMES:
                assert not registry.hasRole(role_id(name), holder), (name, holder)
            assert not registry.hasRole(DEFAULT_ADMIN_ROLE, holder)
            for role in (DEFAULT_ADMIN_ROLE, PROPOSER_ROLE, CANCELLER_ROLE, EXECUTOR_ROLE):
                assert not timelock.hasRole(role, holder)
            assert not points.is_minter(holder)
        # The stand-in token is the deployer's (it mints the local chain's money), never the factory's.
        assert c["SettlementToken"].owner() == deployer and not c["SettlementToken"].is_minter(factory)


def test_its_constitution_table_is_the_python_deploys(built):
    """Every entry constitution_entries computes, read back from both communities'
    Constitution contracts, entry by entry."""
    ref, town = built.reference.contracts(), built.town.contracts()
    by_address = {contract.address: name for name, contract in ref.items()}
    entries = constitution_entries(ref)
    assert len(entries) == len(factory_entries(True)) > 20
    for target, selector, by_arg, arg, call_class in entries:
        name = by_address[target]
        assert ref["Constitution"].entry(target, selector, by_arg, arg) == call_class
        assert town["Constitution"].entry(town[name].address, selector, by_arg, arg) == call_class, (name, selector)


def test_its_owners_vote_and_its_committee_acts(built, chain, owner_a, owner_b, owner_c, developer, tenant):
    """The committee Safe registers the units; a major vote of the owners adds a member to
    the committee through the timelock (the Safe's module); the guard refuses the members
    adding one themselves."""
    c = built.town.contracts()
    infra = safe_infrastructure_at(chain, {name: c[name].address for name in
                                           ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler",
                                            "MultiSendCallOnly")})
    safe = SafeCommittee(c["CommitteeSafe"], chain, infra)
    owners = [owner_a, owner_b, owner_c, developer]
    units = [(f"2-1-{101 + i}", 10_000, o.address, commitment_for(f"factory-{i}")) for i, o in enumerate(owners)]
    safe.call(c["HouseholdRegistry"].register_units, units, signers=[owner_a, owner_b])
    chain.mine()
    assembly = c["OwnersAssembly"]
    data = module_call_data(safe.address, c["CommitteeSafe"].addOwnerWithThreshold.encode_input(tenant.address, 3))
    p = propose(assembly, owner_a, chain, matter=COMMITTEE_ELECTION, calls=[(c["CommitteeSafe"], 0, data)])
    open_voting(chain, p)
    for who in (owner_a, owner_b, owner_c):
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)
    publish_result(assembly, chain, p, sender=developer)
    queued = assembly.queue(*p.calls, sender=developer)
    at(chain, queued.timestamp + POWER_ASSEMBLY["timelock_delay"])
    assembly.execute(*p.calls, sender=developer)
    assert tenant.address in c["CommitteeSafe"].getOwners() and c["CommitteeSafe"].getThreshold() == 3
    guard_says = "committee: the assembly sets the committee's members"
    with pytest.raises((SafeCallReverted, ContractLogicError), match=guard_says):
        safe.call(c["CommitteeSafe"].addOwnerWithThreshold, developer.address, 3, signers=[owner_a, owner_b, owner_c])
    assert developer.address not in c["CommitteeSafe"].getOwners()


def test_the_blueprints_are_the_projects_code(built, project, chain):
    """Each blueprint's code on the chain is this project's initcode (ERC-5202 preamble, or
    a code store's half); a blueprint called directly runs nothing (0xFE is INVALID)."""
    codes = expected_codes(project)
    blueprints = built.factory.BLUEPRINTS()
    for field_name, _ in BLUEPRINTS:
        address = getattr(blueprints, field_name)
        assert keccak(bytes(chain.provider.get_code(address))) == keccak(codes[field_name]), field_name
    initcode = bytes(project.OwnersAssembly.contract_type.deployment_bytecode.to_bytes())
    head = chain.provider.web3.eth.call({"to": blueprints.assembly_head, "data": "0x"})
    tail = chain.provider.web3.eth.call({"to": blueprints.assembly_tail, "data": "0x1234"})
    assert bytes(head) + bytes(tail) == initcode
    with pytest.raises(Exception):
        chain.provider.web3.eth.call({"to": blueprints.registry, "data": "0x"})


# ---------------------------------------------------------------- attacks


@pytest.mark.parametrize("who", ["attacker", "owner_a", "developer"])
def test_only_a_deployer_the_street_office_named_begins_a_build(built, request, who):
    account = request.getfixturevalue(who)
    with ape.reverts("factory: not a deployer of the district"):
        built.factory.begin("冒名小区", STREET, 3 * 86400, sender=account)


@pytest.mark.parametrize("who", ["attacker", "committee", "owner_a"])
def test_only_the_street_office_names_deployers(built, request, attacker, who):
    """The deployer itself, a member of the street office's Safe alone, anyone: refused.
    Only the Safe (the district's owner) names one."""
    account = request.getfixturevalue(who)
    with ape.reverts("factory: street office only"):
        built.factory.set_deployer(attacker.address, True, sender=account)
    with ape.reverts("factory: street office only"):
        built.factory.set_deployer(built.deployer.address, False, sender=account)


@pytest.mark.parametrize("who", ["attacker", "committee", "owner_a"])
def test_only_the_street_office_names_listers_and_a_lister_only_lists(built, district, request, attacker, who):
    account = request.getfixturevalue(who)
    with ape.reverts("district: street office only"):
        district.registry.set_lister(attacker.address, True, sender=account)
    factory = built.factory.address
    assert district.registry.is_lister(factory)
    with pytest.raises(SafeCallReverted, match="district: lister empty"):
        district.send(district.registry.set_lister, ZERO, True)


def test_a_lister_cannot_retire_nor_name_listers(built, district, chain, attacker):
    """A lister (here an account the street office named, standing for the factory) adds
    communities and does nothing else."""
    district.send(district.registry.set_lister, attacker.address, True)
    with ape.reverts("district: street office only"):
        district.registry.retire_community(built.district_id, b"\x01" * 32, sender=attacker)
    with ape.reverts("district: street office only"):
        district.registry.set_lister(attacker.address, False, sender=attacker)
    district.send(district.registry.set_lister, attacker.address, False)
    with ape.reverts("district: street office only"):
        district.registry.add_community(*district.entry(district.jiaxing), sender=attacker)


def test_a_build_goes_on_only_by_its_deployer_and_in_order(built, district, attacker, tenant):
    factory = built.factory
    district.send(factory.set_deployer, attacker.address, True)
    build_id = _pending_build(factory, built.deployer)
    # Another deployer of the same district cannot take over someone's build …
    with ape.reverts("factory: not this build's deployer"):
        factory.build_money(build_id, 86400, sender=attacker)
    # … nor can anyone skip a step, nor repeat one.
    with ape.reverts("factory: step out of order"):
        factory.build_assembly(build_id, 86400, 86400, 30 * 86400, 3 * 86400, 10 * 86400, sender=built.deployer)
    with ape.reverts("factory: step out of order"):
        factory.finish(build_id, ZERO, [tenant.address], 1, ZERO, [], sender=built.deployer)
    factory.build_money(build_id, 86400, sender=built.deployer)
    with ape.reverts("factory: step out of order"):
        factory.build_money(build_id, 86400, sender=built.deployer)
    with ape.reverts("factory: no such build"):
        factory.build_money(999, 86400, sender=built.deployer)
    # A finished build is never built again.
    with ape.reverts("factory: step out of order"):
        factory.finish(built.build_id, ZERO, [tenant.address], 1, ZERO, [], sender=built.deployer)


def test_a_deployer_the_street_office_stops_cannot_go_on(built, district):
    factory = built.factory
    build_id = _pending_build(factory, built.deployer)
    district.send(factory.set_deployer, built.deployer.address, False)
    with ape.reverts("factory: not a deployer of the district"):
        factory.build_money(build_id, 86400, sender=built.deployer)


def test_a_taken_name_is_refused_before_anything_is_built(built):
    with ape.reverts("factory: name taken in the district"):
        built.factory.begin("四平小区", STREET, 3 * 86400, sender=built.deployer)
    with pytest.raises(FactoryError, match="not a deployer"):
        build_community(None, None, built.factory, _Named(ZERO), name="x", street="y", committee_members=[ZERO])


class _Named:
    def __init__(self, address):
        self.address = address


def _built_to_step_three(factory, deployer, name):
    build_id = _pending_build(factory, deployer, name)
    factory.build_money(build_id, 2 * 86400, sender=deployer)
    factory.build_assembly(build_id, 86400, 86400, 30 * 86400, 3 * 86400, 10 * 86400, sender=deployer)
    return build_id


def _with(entries, selector, arg, call_class):
    """`entries` with the class of (selector, arg) set to `call_class`."""
    changed = [(t, sel, by, a, call_class if (bytes(sel), bytes(a)) == (selector, arg) else c)
               for t, sel, by, a, c in entries]
    assert changed != entries
    return changed


@pytest.mark.parametrize("attack", ["committee forever", "assembly to a key", "outside contract", "one entry less"])
def test_the_constitution_table_is_the_districts_not_the_deployers(built, owner_a, owner_b, attack):
    """Attacks by an approved deployer on the rules the owners will live by: forbid
    replacing the committee (a forbidden entry stays forbidden), make handing the
    assembly's role to one key an ordinary matter, class a call of the shared passkey
    factory, drop an entry. Each table is refused; the build waits at step 3."""
    factory, deployer = built.factory, built.deployer
    build_id = _built_to_step_three(factory, deployer, "越权小区")
    grant = keccak(text="grantRole(bytes32,address)")[:4]
    entries = factory_entries(True)
    if attack == "committee forever":
        entries = _with(entries, grant, role_id("committee"), 3)
    elif attack == "assembly to a key":
        entries = _with(entries, grant, ASSEMBLY_ROLE, 1)
    elif attack == "outside contract":
        index = LISTING.index("PasskeyAccountFactory")
        entries = entries + [(f"0x{index:040x}", b"\x12\x34\x56\x78", False, b"\x00" * 32, 1)]
    else:
        entries = entries[1:]
    with ape.reverts("factory: constitution table is not the district's"):
        factory.finish(build_id, ZERO, [owner_a.address, owner_b.address], 2, ZERO, entries, sender=deployer)
    assert factory.build(build_id).step == 3


@pytest.mark.parametrize("target", ["PasskeyAccountFactory", "SafeL2", "outside"])
def test_even_a_table_the_street_office_approved_names_only_the_communitys_contracts(
        built, project, district, owner_a, owner_b, target):
    """Defence in depth: a factory whose table (approved by the street office) names the
    shared passkey factory, Safe's singleton or a number past the listing still refuses it
    when it resolves the targets."""
    factory, deployer = built.factory, built.deployer
    index = LISTING.index(target) if target in LISTING else len(LISTING)
    table = factory_entries(True) + [(f"0x{index:040x}", b"\x12\x34\x56\x78", False, b"\x00" * 32, 1)]
    rules = list(factory.RULES())
    rules[1] = table_hash(table)
    lax = deployer.deploy(project.CommunityFactory, district.registry.address, factory.BLUEPRINTS(),
                          factory.INFRASTRUCTURE(), tuple(rules))
    district.send(district.registry.set_lister, lax.address, True)
    district.send(lax.set_deployer, deployer.address, True)
    build_id = _built_to_step_three(lax, deployer, "宽松小区")
    with ape.reverts("factory: constitution entry about another contract"):
        lax.finish(build_id, ZERO, [owner_a.address, owner_b.address], 2, ZERO, table, sender=deployer)


def test_a_name_is_reserved_from_the_first_step_until_listed_or_abandoned(built, district, attacker, owner_a):
    factory, deployer = built.factory, built.deployer
    build_id = _pending_build(factory, deployer, "占名小区")
    assert factory.reserved_by(keccak(text="占名小区")) == build_id
    with ape.reverts("factory: name reserved by another build"):
        factory.begin("占名小区", STREET, 3 * 86400, sender=deployer)
    with ape.reverts("factory: not this build's deployer"):
        factory.abandon(build_id, sender=attacker)
    with ape.reverts("factory: no such build"):
        factory.abandon(999, sender=deployer)
    receipt = factory.abandon(build_id, sender=deployer)
    assert receipt.decode_logs(factory.CommunityBuildAbandoned)[0].abandoned_by == deployer.address
    assert factory.build(build_id).step == 5 and factory.reserved_by(keccak(text="占名小区")) == 0
    with ape.reverts("factory: step out of order"):
        factory.build_money(build_id, 86400, sender=deployer)
    with ape.reverts("factory: step out of order"):
        factory.abandon(build_id, sender=deployer)
    # The name is free again; the street office too may abandon a build; a listed one, never.
    again = _pending_build(factory, deployer, "占名小区")
    district.send(factory.abandon, again)
    assert factory.build(again).step == 5
    with ape.reverts("factory: step out of order"):
        factory.abandon(built.build_id, sender=deployer)


def test_a_stopped_build_is_resumed_or_abandoned(built, project, chain, district, owner_a, owner_b, owner_c):
    """The street office lists the name itself while a build of it waits: the build's
    last step is refused, the operator is told the build's id, and abandons it; a build
    that stopped after its first step is resumed by id to the end."""
    # A factory of its own: the contracts its builds create are at addresses no other test
    # builds at (Ape keeps what it learnt of an address across the tests' chain reverts).
    deployer = built.deployer
    factory = deployer.deploy(project.CommunityFactory, district.registry.address, built.factory.BLUEPRINTS(),
                              built.factory.INFRASTRUCTURE(), built.factory.RULES())
    enable_factory(district.registry, factory, [deployer], district.send)
    members = [owner_a, owner_b, owner_c]
    build_id = _pending_build(factory, deployer, "嘉兴小区")
    district.send(district.registry.add_community, *district.entry(district.jiaxing))
    with pytest.raises(BuildStopped, match=f"--resume {build_id}") as stopped:
        build_community(project, chain, factory, deployer, name="嘉兴小区", street=STREET, committee_members=members,
                        resume=build_id)
    assert stopped.value.steps_done == 3 and "district: name taken" in str(stopped.value)
    factory.abandon(build_id, sender=deployer)
    resumed = _pending_build(factory, deployer, "续建小区")
    done = build_community(project, chain, factory, deployer, name="续建小区", street=STREET,
                           committee_members=members, resume=resumed)
    assert len(done.receipts) == 3 and factory.build(resumed).step == 4
    with pytest.raises(FactoryError, match="not an unfinished build"):
        build_community(project, chain, factory, deployer, name="续建小区", street=STREET,
                        committee_members=members, resume=resumed)


def test_abandon_build_refuses_before_sending_and_frees_the_name(built, project, chain, district, attacker, tenant,
                                                                  owner_a, owner_b, owner_c):
    """`abandon_build` (`ape run district abandon`): a stranger, another deployer, an
    unknown build or name, a listed build and an abandoned one are each refused with what
    is wrong, nothing sent; another deployer's build is the street office's to abandon,
    and the Safe transaction the refusal names does it. A new build of a reserved name is
    refused naming the command; once abandoned, the name begins again."""
    factory, deployer = built.factory, built.deployer
    district.send(factory.set_deployer, tenant.address, True)
    mine = _pending_build(factory, deployer, "弃建小区")
    theirs = _pending_build(factory, tenant, "他建小区")
    accounts = (deployer, tenant, attacker)
    nonces = [a.nonce for a in accounts]
    for who, kwargs, reason in (
        (attacker, {"name": "弃建小区"}, f"{attacker.address} is not the deployer of build {mine} "),
        (tenant, {"build_id": mine}, f"{tenant.address} is not the deployer of build {mine} "),
        (deployer, {"name": "他建小区"}, f"{deployer.address} is not the deployer of build {theirs} "),
        (deployer, {"name": "无此小区"}, "no build of the factory at 0x[0-9a-fA-F]{40} is named '无此小区'"),
        (deployer, {"build_id": 99}, "has no build 99"),
        (deployer, {"name": "四平小区"}, f"build {built.build_id} .* is finished and listed"),
        (deployer, {"build_id": built.build_id}, "is finished and listed in the district: a listed community is never"),
    ):
        with pytest.raises(FactoryError, match=reason):
            abandon_build(project, factory, who, **kwargs)
    members = [owner_a, owner_b, owner_c]
    with pytest.raises(FactoryError, match=f"reserved by the factory's unfinished build {mine}: .*"
                                           f"`ape run district abandon --id {mine}`"):
        build_community(project, chain, factory, deployer, name="弃建小区", street=STREET,
                        committee_members=members)
    assert [a.nonce for a in accounts] == nonces

    done = abandon_build(project, factory, deployer, name=" 弃建小区 ")
    assert (done.build_id, done.name) == (mine, "弃建小区")
    assert done.receipt.decode_logs(factory.CommunityBuildAbandoned)[0].abandoned_by == deployer.address
    assert factory.build(mine).step == 5 and factory.reserved_by(keccak(text="弃建小区")) == 0
    nonce = deployer.nonce
    for kwargs in ({"name": "弃建小区"}, {"build_id": mine}):
        with pytest.raises(FactoryError, match=f"build {mine} .* is already abandoned"):
            abandon_build(project, factory, deployer, **kwargs)
    assert deployer.nonce == nonce
    again = _pending_build(factory, deployer, "弃建小区")
    assert factory.reserved_by(keccak(text="弃建小区")) == again

    # Another deployer's build: the refusal names the street office's Safe and the call to make.
    with pytest.raises(FactoryError) as refused:
        abandon_build(project, factory, deployer, build_id=theirs)
    message = str(refused.value)
    assert f"through its Safe {district.office.address}" in message
    target, data = re.search(r"transaction to (0x[0-9a-fA-F]{40}), value 0, data (0x[0-9a-f]+)", message).groups()
    tx = district.office.propose(target, bytes.fromhex(data[2:]))
    district.office.execute(tx, {s.address: district.office.sign(tx, s) for s in (owner_a, owner_b)}, deployer)
    assert factory.build(theirs).step == 5 and factory.reserved_by(keccak(text="他建小区")) == 0
    # As the street office (`--street-office`): any deployer's build.
    other = _pending_build(factory, tenant, "他建小区")
    done = abandon_build(project, factory, deployer, name="他建小区", send=district.send)
    assert done.build_id == other and factory.build(other).step == 5


def test_a_factory_with_the_chains_token_and_an_existing_safe_committee(built, project, chain, district):
    """A private chain's factory names its settlement token: every community settles in
    it (a deployer naming another is refused before anything is sent). An existing Safe
    1.4.1 (here the street office's own, standing for a committee's) is the committee:
    no guard, no Safe infrastructure listed, the Safe's members wire it themselves."""
    factory, deployer = built.factory, built.deployer
    token = built.reference.extra["SettlementToken"]
    rules = list(factory.RULES())
    rules[0] = token.address
    private = deployer.deploy(project.CommunityFactory, district.registry.address, factory.BLUEPRINTS(),
                              factory.INFRASTRUCTURE(), tuple(rules))
    enable_factory(district.registry, private, [deployer], district.send)
    with pytest.raises(FactoryError, match="settle in"):
        build_community(project, chain, private, deployer, name="私链小区", street=STREET,
                        committee=district.office.address, settlement_token=built.town.extra["SettlementToken"])
    done = build_community(project, chain, private, deployer, name="私链小区", street=STREET,
                           committee=district.office.address, settlement_token=token)
    contracts = done.community.contracts()
    assert contracts["PropertyFees"].settlement_token() == token.address == contracts["SettlementToken"].address
    assert contracts["CommitteeSafe"].address == district.office.address
    assert "CommitteeGuard" not in contracts and "SafeL2" not in contracts
    assert contracts["HouseholdRegistry"].hasRole(role_id("committee"), district.office.address)


def test_finish_refuses_a_bad_committee(built, district, owner_a, owner_b, attacker):
    factory, deployer = built.factory, built.deployer
    build_id = _built_to_step_three(factory, deployer, "无委小区")
    members = [owner_a.address, owner_b.address]
    entries = factory_entries(True)
    with ape.reverts("factory: threshold out of range"):
        factory.finish(build_id, ZERO, members, 3, ZERO, entries, sender=deployer)
    with ape.reverts("factory: threshold out of range"):
        factory.finish(build_id, ZERO, members, 0, ZERO, entries, sender=deployer)
    with ape.reverts("factory: name an existing Safe or new members, not both"):
        factory.finish(build_id, ZERO, members, 2, attacker.address, entries, sender=deployer)
    # An account, a contract that is no Safe, the factory itself, a SafeProxy running an
    # attacker's code as its singleton: none is a committee.
    proxies = built.town.extra["SafeProxyFactory"]
    created = proxies.createProxyWithNonce(district.registry.address, b"", 7, sender=attacker)
    fake = created.decode_logs(proxies.ProxyCreation)[0].proxy
    for committee in (attacker.address, district.registry.address, factory.address, fake):
        with ape.reverts("factory: the committee is neither new members nor a Safe"):
            factory.finish(build_id, ZERO, [], 0, committee, factory_entries(False), sender=deployer)


def test_a_factory_the_street_office_did_not_name_lists_nothing(built, project, chain, attacker, district):
    """An attacker's own factory for the district, on the same blueprints: it names no
    deployer (only the street office could) and is no lister."""
    factory = built.factory
    rogue = attacker.deploy(project.CommunityFactory, district.registry.address, factory.BLUEPRINTS(),
                            factory.INFRASTRUCTURE(), factory.RULES())
    with ape.reverts("factory: street office only"):
        rogue.set_deployer(attacker.address, True, sender=attacker)
    with ape.reverts("factory: not a deployer of the district"):
        rogue.begin("假小区", STREET, 3 * 86400, sender=attacker)
    assert not district.registry.is_lister(rogue.address)


def test_the_next_factory_reuses_the_chains_blueprints(built, project, chain, committee, district):
    """Blueprints are once per chain: a second factory (another district's, here the same
    one's) named with the first's deploys none again."""
    known = blueprints_of(built.factory)
    infra = shared_safe_infrastructure(district.registry)
    before = committee.nonce
    second = deploy_factory(project, chain, committee, district.registry, safe_infrastructure=infra,
                            passkey_factory=built.reference.extra["PasskeyAccountFactory"], blueprints=known)
    assert committee.nonce - before == 2  # CommitteeSafeSetup and the factory
    assert second.BLUEPRINTS() == built.factory.BLUEPRINTS()


def test_a_setting_out_of_range_is_refused_with_the_contracts_own_reason(built):
    """The constructors' checks reach the deployer through the factory: a change delay
    the registry refuses, an assembly period OwnersAssembly refuses (created from its two
    code stores), each with its reason, and the build stays where it was."""
    factory, deployer = built.factory, built.deployer
    with ape.reverts("registry: delay out of range"):
        factory.begin("急售小区", STREET, 60, sender=deployer)
    build_id = _pending_build(factory, deployer, "短期小区")
    factory.build_money(build_id, 2 * 86400, sender=deployer)
    with ape.reverts() as caught:
        factory.build_assembly(build_id, 0, 0, 0, 0, 0, sender=deployer)
    assert str(caught.value.message).startswith("assembly:"), caught.value.message
    assert factory.build(build_id).step == 2


def test_a_committee_that_is_no_safe_is_refused_before_anything_is_sent(built, project, chain, attacker, owner_a):
    """The off-chain checks the contract-by-contract deploy makes: a contract that is no
    Safe 1.4.1 named as the committee, a member listed twice, a threshold above the
    members; the deployer sends nothing."""
    nonce = built.deployer.nonce
    for kwargs, reason in (
        ({"committee": built.factory.address}, "Safe"),
        ({"committee_members": [owner_a, owner_a], "committee_threshold": 1}, "listed twice"),
        ({"committee_members": [owner_a, attacker], "committee_threshold": 3}, "threshold"),
    ):
        with pytest.raises(SafeError, match=reason):
            build_community(project, chain, built.factory, built.deployer, name="查验小区", street=STREET, **kwargs)
    assert built.deployer.nonce == nonce


# ---------------------------------------------------------------- every privileged function, every wrong party

STEP_CALLS = {
    "build_money": lambda f, b, m: (f.build_money, b, 86400),
    "build_assembly": lambda f, b, m: (f.build_assembly, b, 86400, 86400, 30 * 86400, 3 * 86400, 10 * 86400),
    "finish": lambda f, b, m: (f.finish, b, ZERO, m, 2, ZERO, factory_entries(True)),
    "abandon": lambda f, b, m: (f.abandon, b),
}


@pytest.mark.parametrize("function", list(STEP_CALLS))
def test_a_builds_steps_refuse_every_party_but_its_deployer(built, district, owner_a, owner_b, attacker, function):
    """Each step of someone's build (and its abandonment), called by a stranger, a member of
    the street office's Safe alone, another deployer of the district, and (for a step) the
    street office's Safe itself: refused, the build untouched."""
    factory, deployer = built.factory, built.deployer
    district.send(factory.set_deployer, attacker.address, True)
    build_id = _pending_build(factory, deployer, "他人小区")
    if function in ("build_assembly", "finish"):
        factory.build_money(build_id, 2 * 86400, sender=deployer)
    if function == "finish":
        factory.build_assembly(build_id, 86400, 86400, 30 * 86400, 3 * 86400, 10 * 86400, sender=deployer)
    step = factory.build(build_id).step
    method, *args = STEP_CALLS[function](factory, build_id, [owner_a.address, owner_b.address])
    for who in (attacker, owner_a, owner_b):  # a deployer that is not this build's, two staff members alone
        with ape.reverts("factory: not this build's deployer"):
            method(*args, sender=who)
    if function != "abandon":  # the street office may abandon a build, never build it
        with pytest.raises(SafeCallReverted, match="not this build's deployer"):
            district.send(method, *args)
    assert factory.build(build_id).step == step


def test_the_role_tests_cover_every_state_changing_function_of_the_factory(built):
    """begin and set_deployer are refused to each wrong party above (a deployer not named,
    the street office's members alone, the deployer itself naming one)."""
    found = {abi.name for abi in built.factory.contract_type.abi
             if abi.type == "function" and abi.stateMutability not in ("view", "pure")}
    assert found == {"begin", "set_deployer", *STEP_CALLS}
