"""Fixtures for PropertyFees and CommunityTreasury: a populated community with fees, a
settlement token, a first service contract in force, funded residents, a clock in
Beijing months, and a community whose committee is not the assembly.

In the simple fixtures the `committee` account deploys, so it holds both the
registry's ASSEMBLY_ROLE (the deployer's, until a deployment hands it to the
assembly's timelock) and COMMITTEE_ROLE: it acts as the assembly there. Tests that
show the committee is refused something use `split`, where they are different."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from eth_utils import keccak

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community
from tests.fees.model import month_start
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)
from tests.utils.identity import commitment_for
from tests.utils.permit import sign_permit  # noqa: F401  (re-exported for the fee tests)

DAY = 86400
RATE = 250  # 2.50 yuan per m² per month
FUNDS = 10**9  # 10,000,000.00 yuan per resident
LUMP_SUM, COMMISSION = 1, 2  # 包干制, 酬金制
COMMISSION_BPS = 800  # the company's commission under 酬金制: 8 % of expenses
FEE_INCOME, PUBLIC_INCOME, MAINTENANCE = 0, 1, 2
ZERO = "0x" + "0" * 40


def role_id(name: str) -> bytes:
    """A Linli role id, the assembly's and the cashier's included."""
    return keccak(text=f"linli.role.{name}")


class Clock:
    """Move the chain to a Beijing month (time only moves forward)."""

    def __init__(self, chain, fees):
        self.chain, self.fees = chain, fees

    def month(self) -> int:
        return self.fees.current_month()

    def year(self) -> int:
        return self.month() // 12

    def goto(self, month: int, seconds: int = DAY) -> None:
        target = month_start(month) + seconds
        assert target > self.chain.pending_timestamp - 1, "the clock cannot go back"
        self.chain.mine(timestamp=target)

    def advance(self, months: int, seconds: int = DAY) -> int:
        target = self.month() + months
        self.goto(target, seconds)
        return target


@pytest.fixture
def clock(chain, fees):
    return Clock(chain, fees)


@pytest.fixture
def treasury(fees_stack):
    return fees_stack["CommunityTreasury"]


@pytest.fixture
def funded(token, fees, committee, owner_a, owner_b, owner_c, tenant, merchant, developer, attacker, manager):
    """Every actor holds settlement tokens and has approved the fees contract."""
    for who in (owner_a, owner_b, owner_c, tenant, merchant, developer, attacker, manager, committee):
        token.mint(who, FUNDS, sender=committee)
        token.approve(fees, 2**256 - 1, sender=who)
    return token


def propose_contract(fees, who, company, start, rate=RATE, end=None, items=None, mode=COMMISSION,
                     commission=None, doc=None):
    """Propose a service contract; 酬金制 at COMMISSION_BPS unless told otherwise."""
    if commission is None:
        commission = COMMISSION_BPS if mode == COMMISSION else 0
    return fees.propose_service_contract(
        doc or h(f"contract-{start}-{rate}-{mode}"), company, start, end if end is not None else start + 35, rate,
        items if items is not None else [h("cleaning")], mode, commission, sender=who,
    )


@pytest.fixture
def in_force(fees, committee, manager, funded):
    """A first service contract (酬金制, 8 %) at RATE, in force from the billing start month."""
    start = fees.config()[0]
    propose_contract(fees, manager, manager, start, items=[h("cleaning"), h("security")], doc=h("contract-2026"))
    fees.approve_service_contract(1, sender=committee)
    return fees


@pytest.fixture
def lump_sum(fees, committee, manager, funded):
    """A first service contract under 包干制 (fee income is the company's revenue)."""
    start = fees.config()[0]
    propose_contract(fees, manager, manager, start, mode=LUMP_SUM, doc=h("contract-lump-sum"))
    fees.approve_service_contract(1, sender=committee)
    return fees


# ---------------------------------------------------------------- the committee is not the assembly


@pytest.fixture(scope="module")
def split(project, chain, accounts, committee, manager, owner_a, owner_b, provider, attacker):
    """A community where the assembly (the deployer, `committee` account 0, standing in
    for the assembly's timelock) and the committee (a separate account, standing in
    for the committee's Safe) are different, as in production: budgets approved,
    a 酬金制 contract in force, fee income, public income and a maintenance fund."""
    assembly = committee
    board = accounts.generate_test_account()
    assembly.transfer(board, 10**19)
    community = deploy_community(project, chain, assembly, name="分权小区", committee=board)
    registry = community.registry
    if not registry.hasRole(role_id("committee"), board):
        registry.grantRole(role_id("committee"), board, sender=assembly)
    if registry.hasRole(role_id("committee"), assembly):
        registry.revokeRole(role_id("committee"), assembly, sender=assembly)
    assert registry.hasRole(role_id("assembly"), assembly) and not registry.hasRole(role_id("assembly"), board)
    registry.register_units(
        [
            ("2-1-101", 9_000, owner_a.address, commitment_for("owner_a")),
            ("2-1-102", 11_000, owner_b.address, commitment_for("owner_b")),
        ],
        sender=board,
    )
    registry.grantRole(role_id("manager"), manager, sender=assembly)
    # The property company's cashier: records payments received off chain.
    cashier = accounts.generate_test_account()
    assembly.transfer(cashier, 10**19)
    registry.grantRole(role_id("cashier"), cashier, sender=board)
    stack = deploy_fees(project, chain, assembly, community)
    fees, treasury, token = stack["PropertyFees"], stack["CommunityTreasury"], stack["SettlementToken"]
    start = fees.current_month()
    propose_contract(fees, manager, manager, start, doc=h("split-contract"))
    fees.approve_service_contract(1, sender=assembly)
    for who in (owner_a, owner_b, provider, attacker, manager, board):
        token.mint(who, FUNDS, sender=assembly)
        token.approve(fees, 2**256 - 1, sender=who)
    fees.pay(1, 12, 10**12, sender=owner_a)
    fees.pay(2, 12, 10**12, sender=owner_b)
    fees.receive_public_income(provider, 500_000, 1, sender=provider)
    fees.deposit_maintenance(2_000_000, h("首期维修资金"), sender=owner_b)
    return SimpleNamespace(
        assembly=assembly, committee=board, manager=manager, cashier=cashier, registry=registry, points=community.points,
        fees=fees, treasury=treasury, token=token, year=start // 12, month=start,
    )
