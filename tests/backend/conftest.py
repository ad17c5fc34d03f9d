"""Backend fixtures: a fresh database per test (SQLite and PostgreSQL) and an indexer
pointed at the same anvil Ape runs the tests on.

The PostgreSQL half runs when LINLI_TEST_DATABASE_URL is set (scripts/ci_postgres.sh
prints it; .ci/run sets it). Ape snapshots and reverts the chain around each test,
so every test starts from an empty database and indexes from the deployment block.
"""

from __future__ import annotations

import os

import pytest

from backend.chain.deployment import deploy_community, manifest_dict
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.db.migrate import alembic_config, upgrade
from backend.indexer.core import Indexer
from backend.indexer.rpc import RpcClient
from tests.backend.helpers import community_activity
from tests.conftest import populate
from tests.utils.databases import fresh_postgresql, fresh_sqlite

PG_URL = os.environ.get("LINLI_TEST_DATABASE_URL")

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="LINLI_TEST_DATABASE_URL not set (run scripts/ci_postgres.sh)"),
    ),
]


def fresh_database_url(kind: str, tmp_path) -> str:
    """An empty database migrated to the newest schema (tests/utils/databases.py)."""
    if kind == "sqlite":
        return fresh_sqlite(tmp_path / "index.db", upgrade)
    return fresh_postgresql(PG_URL, "alembic_version", alembic_config, upgrade)


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def rpc_url(chain):
    return chain.provider.uri


@pytest.fixture
def settings(database_url, rpc_url, tmp_path):
    # The vault's database and key stay in the test's folder, never the project's .linli/.
    return Settings(environment="test", database_url=database_url, rpc_url=rpc_url, finality_depth=8,
                    poll_interval_s=0.05, rpc_max_retries=2, rpc_backoff_s=0.05, rpc_backoff_max_s=0.2,
                    # The district answers' build at the app's start is on in the district's
                    # API tests (test_api_district.py), which wait for it; elsewhere it is a
                    # thread racing each test's own writes for nothing.
                    district_warm_at_start=False,
                    vault_database_url=f"sqlite:///{tmp_path / 'vault.db'}", vault_key_file=tmp_path / "vault.key")


@pytest.fixture
def manifest(populated):
    return manifest_dict(populated, "local")


@pytest.fixture
def make_indexer(engine, settings, rpc_url):
    """Factory: an indexer of a manifest on the test chain; closed after the test."""
    made = []

    def _make(manifest, **overrides):
        config = settings.model_copy(update=overrides)
        rpc = RpcClient(config.rpc_url, timeout_s=5, max_retries=config.rpc_max_retries,
                        backoff_s=config.rpc_backoff_s, backoff_max_s=config.rpc_backoff_max_s)
        indexer = Indexer(manifest, engine, rpc, config, fault_hook=overrides.get("fault_hook"))
        indexer.prepare()
        made.append(rpc)
        return indexer

    yield _make
    for rpc in made:
        rpc.close()


@pytest.fixture
def indexer(make_indexer, manifest):
    return make_indexer(manifest)


@pytest.fixture(scope="session")
def deploy_other(project, chain, committee):
    """Deploy a second community (a district indexes several)."""

    def _deploy(name="第二小区"):
        return deploy_community(project, chain, committee, name=name)

    return _deploy


# The scenes below are built once per module (a few seconds to a minute of transactions
# each) and Ape restores the chain to them before every test: a test's own transactions
# are gone at its end, and each test indexes the scene into its own fresh database. A
# module that uses one of them does not also ask for the function-scoped `populated`
# (which would register the same units again); the cheap per-test community is for the
# modules that need it alone (test_api_absent.py, test_indexer_sales.py, …).
@pytest.fixture(scope="module")
def populated_module(community, registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider,
                     developer, roles):
    """What `populated` builds, once per module."""
    populate(registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer, roles)
    return community


@pytest.fixture(scope="module")
def active(populated_module, chain, registry, points, committee, owner_a, owner_b, owner_c, tenant, merchant, provider,
           attacker, roles):
    community_activity(chain, registry, points, committee, owner_a, owner_b, owner_c, tenant, merchant, provider,
                       attacker, roles)
    return populated_module


@pytest.fixture(scope="module")
def fees_assembly(populated_module, project, chain, committee, manager, owner_a, owner_b, owner_c, developer, tenant,
                  merchant, provider):
    """PropertyFees, CommunityTreasury and OwnersAssembly on the populated community, with
    everything they record: payments (late, on time, prepaid), a points claim, public
    income, a maintenance deposit, the assembly's annual budgets and the committee's
    category budgets, expenses from both funds (酬金制: a commission accrued and paid), a
    payout by decision, emergency caps and an emergency repair, ratings, and proposals —
    one decided and executed through the timelock (a maintenance project and its first
    milestone, with a signed ballot and two delegates), one major still being voted, one
    canceled, one an owner's (co-signed); then a second project approved and closed.
    (Only a 包干制 payment is missing: the contract in force is 酬金制.)"""
    from dataclasses import replace

    from eth_utils import keccak

    from backend.chain.constitution import constitution_entries
    from backend.chain.deploy_assembly import deploy_assembly
    from backend.chain.deploy_fees import deploy_fees
    from tests.assembly.conftest import ASSEMBLY_PARAMS
    from tests.assembly.helpers import AGAINST, FOR, RAISE_FUND, USE_FUND, at, close_voting, open_voting, propose, \
        publish_result, sign_ballot  # noqa: I001
    from tests.fees.model import month_start

    populated = populated_module
    day = 86400
    stack = deploy_fees(project, chain, committee, populated)
    fees, token, treasury = stack["PropertyFees"], stack["SettlementToken"], stack["CommunityTreasury"]
    gov = deploy_assembly(project, chain, committee, populated, **ASSEMBLY_PARAMS)
    assembly = gov["OwnersAssembly"]
    # The constitution's classes of the fees' calls, as a full deployment writes them.
    gov["Constitution"].set_call_class(constitution_entries({"PropertyFees": fees, "CommunityTreasury": treasury}),
                                       sender=committee)
    for who in (owner_a, owner_b, owner_c, merchant, committee):
        token.mint(who, 10**9, sender=committee)
        token.approve(fees, 2**256 - 1, sender=who)
    start = fees.config()[0]
    fees.propose_service_contract(keccak(text="物业服务合同"), manager, start, start + 35, 250,
                                  [keccak(text="cleaning"), keccak(text="security")], 2, 800, sender=manager)
    fees.approve_service_contract(1, sender=committee)
    fees.deposit_maintenance(50_000_00, keccak(text="首期维修资金"), sender=committee)
    chain.mine(timestamp=month_start(start + 2) + 10 * day)
    current = start + 2
    fees.pay(1, 3, 10**9, sender=owner_a)  # two overdue months: a late fee
    fees.pay(3, 1, 10**9, sender=owner_b)
    fees.pay(2, 3, 10**9, sender=owner_a)
    fees.pay(2, 1, 10**9, sender=owner_a)  # prepaid, on time: points accrue
    fees.claim_points([2], sender=owner_a)
    fees.pay(2, 1, 10**9, sender=owner_a)  # accrued, not claimed
    fees.receive_public_income(merchant, 8_000, 1, sender=merchant)
    fees.receive_public_income(owner_c, 2_000, 2, sender=merchant)
    # The committee account still holds the assembly's role here (no hand-over): it
    # approves the annual budgets, then divides them as the committee.
    for fund, amount in ((0, 1_000_000), (1, 200_000)):
        treasury.approve_annual_budget(current // 12, fund, amount, keccak(text=f"预算-{fund}"), sender=committee)
        treasury.allocate_budget(current // 12, fund, 3, amount, sender=committee)
    treasury.record_expense(3, provider, 120_00, keccak(text="invoice-1"), 0, sender=manager)
    treasury.record_expense(3, provider, 50_00, keccak(text="invoice-2"), 1, sender=manager)
    treasury.pay_commission(1, 120_00 * 800 // 10_000, sender=manager)
    treasury.pay_by_decision(1, provider, 1_000, keccak(text="公共收益分配决定"), sender=committee)
    treasury.set_emergency_caps(5_000_00, 10_000_00, sender=committee)
    treasury.pay_emergency_repair(1, provider, 3_000_00, keccak(text="住建局应急批复"), sender=committee)
    fees.rate_service(current - 1, 4, sender=owner_a)
    fees.rate_service(current - 1, 5, sender=owner_c)

    repair = propose(assembly, committee, chain, matter=USE_FUND, title="关于使用专项维修资金维修电梯的议案", calls=[
        (treasury, 0, treasury.approve_maintenance_project.encode_input(provider.address, [12_000_00, 8_000_00],
                                                                        keccak(text="电梯维修合同"))),
        (treasury, 0, treasury.release_milestone.encode_input(1)),
    ])
    share = propose(assembly, committee, chain, matter=RAISE_FUND, title="关于提高维修资金比例的议案", length=20 * day,
                    calls=[(fees, 0, fees.set_maintenance_share.encode_input(2_000))])
    withdrawn = propose(assembly, committee, chain, title="撤回的议案")
    assembly.cancel(withdrawn.id, sender=committee)
    owners = propose(assembly, owner_a, chain, title="业主提出的议案")  # co-signed by its proposer (1/5 of 4 heads)
    assembly.set_delegate(tenant, repair.id, sender=owner_c)
    assembly.set_delegate(merchant, 0, sender=developer)
    assembly.set_delegate(provider, 0, sender=owner_b)
    assembly.revoke_delegation(0, sender=owner_b)
    open_voting(chain, share)  # opens a few seconds after the repair's vote
    assembly.castVote(repair.id, FOR, sender=owner_a)
    signature = sign_ballot(assembly, chain, owner_b, repair.id, FOR)
    assembly.castVoteBySig(repair.id, FOR, owner_b.address, signature, sender=committee)
    assembly.castVoteAsDelegate(repair.id, [owner_c.address], AGAINST, sender=tenant)
    assembly.castVoteAsDelegate(repair.id, [developer.address], FOR, sender=merchant)
    assembly.castVote(share.id, FOR, sender=owner_a)
    assembly.castVote(share.id, AGAINST, sender=owner_c)
    assembly.castVote(share.id, FOR, sender=owner_c)  # owner_c changes their mind: its AGAINST comes off
    assembly.comment(share.id, keccak(text="意见"), True, sender=owner_c)
    close_voting(chain, repair)
    publish_result(assembly, chain, repair, sender=owner_a)
    tx = assembly.queue(*repair.calls, sender=owner_a)
    at(chain, tx.timestamp + ASSEMBLY_PARAMS["timelock_delay"])
    assembly.execute(*repair.calls, sender=owner_a)
    treasury.approve_maintenance_project(provider, [1_000_00, 2_000_00], keccak(text="屋面防水"), sender=committee)
    treasury.close_maintenance_project(2, sender=committee)
    chain.mine()
    community = replace(populated, extra={**stack, **gov})
    return {"community": community, "fees": fees, "token": token, "treasury": treasury, "assembly": assembly,
            "timelock": gov["AssemblyTimelock"], "proposals": {"repair": repair, "share": share,
                                                               "withdrawn": withdrawn, "owners": owners}}


@pytest.fixture(scope="module")
def culture_scene(populated_module, project, chain, committee, owner_a, owner_b, owner_c, tenant, developer, merchant,
                  provider, roles):
    """CultureWorks, CommunityActivities and MerchantPromotions on the populated community,
    with everything they record (tests/backend/culture_scenario.py)."""
    from tests.backend.culture_scenario import culture_activities_scenario

    return culture_activities_scenario(project, chain, populated_module, committee, owner_a, owner_b, owner_c, tenant,
                                       developer, merchant, provider, roles)


@pytest.fixture(scope="module")
def ballots_scene(populated_module, project, chain, committee, owner_a, owner_b, owner_c, developer, tenant, merchant):
    """The assembly and its paper ballots on the populated community, with every way a
    ballot stands (issue 20): owner_a votes against, then changes to for; developer's
    delegate (merchant) votes against, then developer's paper ballot (for) replaces it,
    entered by one teller and confirmed by another; owner_c's delegate (tenant) votes
    against and owner_c's relayed signature (for) replaces it; owner_b's paper ballot
    is entered but never confirmed; the tellers declare two paper ballots collected and
    confirm that count (so it does not reconcile: one was confirmed). Then the vote
    closes and its preliminary result is refused. A second proposal (`settled`), voted
    in the same window, reconciles (one paper ballot, owner_b's, declared and
    confirmed): its preliminary result is published, owner_a objects, and after the
    objection period its final result is published. A third (`deemed`), made after the
    assembly turned the non-voter rule on (指导规则 第二十六条第二款): owner_a and owner_c
    vote for (2 heads of 4, short of the 2/3 turnout); after the close the tellers
    record and confirm owner_b as served, who did not vote: its preliminary and final
    results pass it with owner_b counted for."""
    from dataclasses import replace

    import ape
    from eth_utils import keccak

    from backend.chain.deploy_assembly import deploy_assembly
    from tests.assembly.conftest import ASSEMBLY_PARAMS
    from tests.assembly.helpers import AGAINST, FOR, close_voting, open_voting, propose, sign_ballot

    registry = populated_module.registry
    gov = deploy_assembly(project, chain, committee, populated_module, **ASSEMBLY_PARAMS)
    assembly, paper = gov["OwnersAssembly"], gov["PaperBallots"]
    ids = {who: registry.identity_of(who.address)[1] for who in (owner_a, owner_b, owner_c, developer)}
    p = propose(assembly, committee, chain, title="关于更换小区门禁系统的议案")
    settled = propose(assembly, committee, chain, title="关于增设电动车充电桩的议案")
    rule_on = paper.set_nonvoter_rule(True, sender=committee)  # proposals made from the next block on
    deemed = propose(assembly, committee, chain, title="关于续聘物业服务企业的议案")
    paper.appoint_tellers(p.id, [owner_a.address, owner_c.address], sender=committee)
    paper.appoint_tellers(settled.id, [owner_a.address, owner_c.address], sender=committee)
    paper.appoint_tellers(deemed.id, [owner_a.address, owner_c.address], sender=committee)
    assembly.set_delegate(merchant, p.id, sender=developer)
    assembly.set_delegate(tenant, p.id, sender=owner_c)
    open_voting(chain, deemed)  # proposed just after p and settled: opens the three
    assembly.castVote(p.id, AGAINST, sender=owner_a)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVoteAsDelegate(p.id, [developer.address], AGAINST, sender=merchant)
    assembly.castVoteAsDelegate(p.id, [owner_c.address], AGAINST, sender=tenant)
    assembly.castVoteBySig(p.id, FOR, owner_c.address, sign_ballot(assembly, chain, owner_c, p.id, FOR),
                           sender=committee)
    scans = {who: keccak(text=f"纸质表决票 {who.address}") for who in (developer, owner_b)}
    paper.enter_ballot(p.id, ids[developer], FOR, scans[developer], sender=owner_a)
    paper.confirm_ballot(p.id, ids[developer], FOR, scans[developer], sender=owner_c)
    paper.enter_ballot(p.id, ids[owner_b], AGAINST, scans[owner_b], sender=owner_c)
    paper.declare_collected(p.id, 2, sender=owner_a)
    paper.confirm_collected(p.id, 2, sender=owner_c)
    for who in (owner_a, owner_c, developer):
        assembly.castVote(settled.id, FOR, sender=who)
    settled_scan = keccak(text="纸质表决票 充电桩")
    paper.enter_ballot(settled.id, ids[owner_b], AGAINST, settled_scan, sender=owner_c)
    paper.confirm_ballot(settled.id, ids[owner_b], AGAINST, settled_scan, sender=owner_a)
    paper.declare_collected(settled.id, 1, sender=owner_c)
    paper.confirm_collected(settled.id, 1, sender=owner_a)
    for who in (owner_a, owner_c):
        assembly.castVote(deemed.id, FOR, sender=who)
    paper.declare_collected(deemed.id, 0, sender=owner_a)
    paper.confirm_collected(deemed.id, 0, sender=owner_c)
    close_voting(chain, deemed)  # and the two others, which end a little earlier
    with ape.reverts("ballots: paper ballots not reconciled"):
        paper.publish_preliminary(p.id, sender=committee)
    preliminary = paper.publish_preliminary(settled.id, sender=committee)
    paper.object_result(settled.id, keccak(text="异议：请公开纸质票扫描件"), sender=owner_a)
    service_evidence = keccak(text="送达回执 owner_b")
    paper.record_service(deemed.id, [ids[owner_b]], service_evidence, sender=owner_a)
    paper.confirm_service(deemed.id, 0, [ids[owner_b]], service_evidence, sender=owner_c)
    deemed_preliminary = paper.publish_preliminary(deemed.id, sender=committee)
    chain.pending_timestamp = paper.objection_ends(deemed.id)
    final = paper.publish_final(settled.id, sender=committee)
    deemed_final = paper.publish_final(deemed.id, sender=committee)
    chain.mine()
    community = replace(populated_module, extra={**gov})
    return {"community": community, "assembly": assembly, "paper": paper, "proposal": p, "identities": ids,
            "scans": scans, "settled": settled, "preliminary_tx": preliminary, "final_tx": final,
            "deemed": deemed, "rule_on": rule_on, "deemed_preliminary_tx": deemed_preliminary,
            "deemed_final_tx": deemed_final, "service_evidence": service_evidence}
