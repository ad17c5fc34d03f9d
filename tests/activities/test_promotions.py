"""MerchantPromotions: prices, buying a slot (approve or permit), payment into public income."""

from __future__ import annotations

import ape
import pytest

from tests.activities.conftest import SOURCE_PROMOTION, h
from tests.utils.permit import sign_permit
from tests.utils.reverts import assert_deploy_reverts

BANNER = 1
PRICE = 50_000  # 500.00 yuan a month
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def priced(promotions, committee, token):
    promotions.set_price(BANNER, PRICE, sender=committee)
    return promotions


def test_constructor_refusals(project, chain, committee, registry, fees):
    assert_deploy_reverts(chain, project.MerchantPromotions, [ZERO, fees.address], committee, "promotions: registry is the zero address")
    assert_deploy_reverts(chain, project.MerchantPromotions, [registry.address, ZERO], committee, "promotions: fees is the zero address")


def test_wiring(promotions, fees, token, registry):
    assert promotions.registry() == registry.address
    assert promotions.fees() == fees.address
    assert promotions.SOURCE_PROMOTION() == SOURCE_PROMOTION
    assert promotions.MAX_MONTHS_AHEAD() == 12
    assert token.balanceOf(promotions) == 0


def test_set_price(promotions, committee, attacker, merchant):
    tx = promotions.set_price(BANNER, PRICE, sender=committee)
    assert [(e.placement, e.price, e.committee) for e in tx.decode_logs(promotions.PriceSet)] == [(BANNER, PRICE, committee.address)]
    assert promotions.price_of(BANNER) == PRICE
    with ape.reverts("promotions: price out of range"):
        promotions.set_price(BANNER, 2**96, sender=committee)
    for intruder in (attacker, merchant):
        with ape.reverts("promotions: assembly only"):
            promotions.set_price(BANNER, 1, sender=intruder)


def test_buy_forwards_to_public_income(priced, fees, token, chain, merchant):
    period = priced.current_period()
    assert period == fees.current_month()
    before = token.balanceOf(merchant)
    tx = priced.buy(BANNER, period + 1, PRICE, sender=merchant)
    [log] = tx.decode_logs(priced.PromotionBought)
    assert (log.placement, log.period, log.merchant, log.price) == (BANNER, period + 1, merchant.address, PRICE)
    assert (log.period_start, log.period_end) == (fees.month_start(period + 1), fees.month_start(period + 2))
    [income] = tx.decode_logs(fees.PublicIncomeReceived)
    assert (income.payer, income.source, income.amount, income.paid_by) == (merchant.address, SOURCE_PROMOTION, PRICE, priced.address)
    assert token.balanceOf(merchant) == before - PRICE
    assert token.balanceOf(priced) == 0
    assert fees.public_income() == PRICE
    assert token.balanceOf(fees) == PRICE
    assert tuple(priced.slot(BANNER, period + 1)) == (merchant.address, PRICE)
    assert tuple(priced.slot(BANNER, period)) == (ZERO, 0)


def test_current_and_last_period_accepted(priced, committee, merchant):
    period = priced.current_period()
    priced.buy(BANNER, period, PRICE, sender=merchant)
    priced.buy(BANNER, period + 12, PRICE, sender=merchant)
    assert priced.slot(BANNER, period + 12)[0] == merchant.address


def test_one_merchant_per_slot(priced, registry, roles, committee, merchant, owner_a, token):
    registry.grantRole(roles["merchant"], owner_a, sender=committee)
    period = priced.current_period() + 1
    priced.buy(BANNER, period, PRICE, sender=merchant)
    with ape.reverts("promotions: slot taken"):
        priced.buy(BANNER, period, PRICE, sender=owner_a)
    with ape.reverts("promotions: slot taken"):
        priced.buy(BANNER, period, PRICE, sender=merchant)
    # Another placement or period is a different slot.
    priced.set_price(2, 10, sender=committee)
    priced.buy(2, period, 10, sender=owner_a)
    priced.buy(BANNER, period + 1, PRICE, sender=owner_a)


def test_buy_refusals(priced, committee, merchant, attacker, owner_a, fees):
    period = priced.current_period()
    for outsider in (attacker, owner_a):
        with ape.reverts("promotions: merchant only"):
            priced.buy(BANNER, period, PRICE, sender=outsider)
    with ape.reverts("promotions: placement not offered"):
        priced.buy(7, period, PRICE, sender=merchant)
    with ape.reverts("promotions: price above the maximum"):
        priced.buy(BANNER, period, PRICE - 1, sender=merchant)
    with ape.reverts("promotions: period already over"):
        priced.buy(BANNER, period - 1, PRICE, sender=merchant)
    with ape.reverts("promotions: period too far ahead"):
        priced.buy(BANNER, period + 13, PRICE, sender=merchant)
    priced.set_price(BANNER, 0, sender=committee)
    with ape.reverts("promotions: placement not offered"):
        priced.buy(BANNER, period, PRICE, sender=merchant)
    assert fees.public_income() == 0


def test_price_change_does_not_touch_sold_slots(priced, committee, merchant):
    period = priced.current_period() + 2
    priced.buy(BANNER, period, PRICE, sender=merchant)
    priced.set_price(BANNER, 2 * PRICE, sender=committee)
    assert tuple(priced.slot(BANNER, period)) == (merchant.address, PRICE)
    tx = priced.buy(BANNER, period + 1, 2 * PRICE, sender=merchant)
    assert tx.decode_logs(priced.PromotionBought)[0].price == 2 * PRICE


def test_revoked_merchant_refused(priced, registry, roles, committee, merchant):
    registry.revokeRole(roles["merchant"], merchant, sender=committee)
    with ape.reverts("promotions: merchant only"):
        priced.buy(BANNER, priced.current_period(), PRICE, sender=merchant)


def test_buy_without_allowance_reverts(priced, token, merchant, fees):
    token.approve(priced, 0, sender=merchant)
    with ape.reverts("erc20: insufficient allowance"):
        priced.buy(BANNER, priced.current_period(), PRICE, sender=merchant)
    assert priced.slot(BANNER, priced.current_period())[0] == ZERO
    assert fees.public_income() == 0


def test_buy_with_permit(priced, token, chain, merchant, fees):
    token.approve(priced, 0, sender=merchant)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, merchant, priced, PRICE, deadline, chain.chain_id)
    period = priced.current_period() + 1
    priced.buy_with_permit(BANNER, period, PRICE, deadline, v, r, s, sender=merchant)
    assert priced.slot(BANNER, period)[0] == merchant.address
    assert fees.public_income() == PRICE and token.balanceOf(priced) == 0
    assert token.allowance(merchant, priced) == 0


def test_permit_signed_by_someone_else_refused(priced, token, chain, merchant, attacker):
    token.approve(priced, 0, sender=merchant)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, attacker, priced, PRICE, deadline, chain.chain_id)
    # The permit is tried, not required: without it there is no allowance, so nothing is bought.
    with ape.reverts("erc20: insufficient allowance"):
        priced.buy_with_permit(BANNER, priced.current_period(), PRICE, deadline, v, r, s, sender=merchant)


def test_a_front_run_permit_does_not_block_the_purchase(priced, token, chain, merchant, attacker):
    """Issue 15, attack 6: someone who copies the merchant's permit from the mempool and
    sends it first used to make the purchase revert; the allowance is there, so it goes through."""
    token.approve(priced, 0, sender=merchant)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, merchant, priced, PRICE, deadline, chain.chain_id)
    token.permit(merchant, priced, PRICE, deadline, v, r, s, sender=attacker)  # the front-run
    priced.buy_with_permit(BANNER, priced.current_period(), PRICE, deadline, v, r, s, sender=merchant)
    assert priced.slot(BANNER, priced.current_period())[0] == merchant.address


def test_period_start_matches_fees_calendar(promotions, fees):
    period = promotions.current_period()
    assert promotions.period_start(period) == fees.month_start(period)
