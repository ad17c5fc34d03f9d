"""deploy_fees wiring and the stand-in settlement token."""

import ape
import pytest

from backend.chain.deploy_fees import FeesWiringError, deploy_fees
from tests.fees.conftest import sign_permit
from tests.utils.reverts import assert_deploy_reverts


def test_deploy_fees_wires_everything(fees_stack, populated, points, registry, committee, clock):
    fees = fees_stack["PropertyFees"]
    token = fees_stack["SettlementToken"]
    treasury = fees_stack["CommunityTreasury"]
    assert set(fees_stack) == {"SettlementToken", "PropertyFees", "CommunityTreasury"}
    # The treasury module is named at deploy, once: no deployment leaves it unset.
    assert fees.treasury() == treasury.address
    assert treasury.fees() == fees.address and treasury.registry() == registry.address
    assert fees.registry() == registry.address
    assert fees.points() == points.address
    assert fees.settlement_token() == token.address
    assert points.is_minter(fees) is True
    assert fees.config()[0] == clock.month()
    assert (token.decimals(), token.symbol(), token.name()) == (2, "dCNY", "Linli CNY Deposit")
    assert token.owner() == committee.address and token.is_minter(committee)


def test_deploy_fees_with_a_given_token(project, chain, committee, populated, fees_stack):
    existing = fees_stack["SettlementToken"]
    again = deploy_fees(project, chain, committee, populated, settlement_token=existing.address)
    assert again["SettlementToken"].address == existing.address
    assert again["PropertyFees"].settlement_token() == existing.address
    again = deploy_fees(project, chain, committee, populated, settlement_token=existing)
    assert again["SettlementToken"] is existing


def test_deploy_fees_needs_the_assembly_role(project, chain, committee, populated, attacker):
    """Only a deployer that still holds the assembly's role can name the treasury module:
    a deployer without it is stopped before it deploys anything half-wired."""
    with pytest.raises(FeesWiringError, match="does not hold the registry's assembly role"):
        deploy_fees(project, chain, attacker, populated)


def test_treasury_constructor_refusals(chain, committee, project):
    assert_deploy_reverts(chain, project.CommunityTreasury, ["0x" + "0" * 40], committee, "treasury: fees is the zero address")


def test_token_minting_is_for_minters_only(token, committee, attacker, owner_a):
    token.mint(owner_a, 12_345, sender=committee)
    assert token.balanceOf(owner_a) == 12_345
    with ape.reverts("erc20: access is denied"):
        token.mint(attacker, 1, sender=attacker)
    with ape.reverts("ownable: caller is not the owner"):
        token.set_minter(attacker, True, sender=attacker)


def test_token_owner_handover(project, chain, committee, owner_a):
    token = committee.deploy(project.SettlementToken, owner_a)
    assert token.owner() == owner_a.address
    assert token.is_minter(owner_a) and not token.is_minter(committee)
    assert_deploy_reverts(chain, project.SettlementToken, ["0x" + "0" * 40], committee, "token: owner is the zero address")


def test_token_permit(token, committee, owner_a, merchant, chain):
    deadline = chain.pending_timestamp + 600
    v, r, s = sign_permit(token, owner_a, merchant, 777, deadline, chain.chain_id)
    token.permit(owner_a, merchant, 777, deadline, v, r, s, sender=merchant)
    assert token.allowance(owner_a, merchant) == 777


def test_constructor_refusals(project, chain, committee, registry, points, token):
    zero = "0x" + "0" * 40
    for args, reason in (([zero, points, token, 0], "fees: registry is the zero address"),
                         ([registry, zero, token, 0], "fees: points is the zero address"),
                         ([registry, points, zero, 0], "fees: token is the zero address")):
        assert_deploy_reverts(chain, project.PropertyFees, args, committee, reason)
    assert_deploy_reverts(chain, project.PropertyFees, [registry, points, token, 2**20], committee, "fees: month out of range")
    fees = committee.deploy(project.PropertyFees, registry, points, token, 2026 * 12)
    assert fees.config()[0] == 2026 * 12
