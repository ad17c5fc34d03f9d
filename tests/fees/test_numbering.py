"""The numbers PropertyFees and CommunityTreasury give their funds, fee income modes and
emergencies: the indexer, the API and the pages name them by these numbers (the
treasury's fund 2 is the maintenance fund, an emergency 1 is a lift), so a renumbering
must fail here first."""

from __future__ import annotations

from backend.api.routes.fees import EMERGENCIES, FUNDS


def test_funds_modes_and_emergencies_keep_their_numbers(fees_stack):
    fees, treasury = fees_stack["PropertyFees"], fees_stack["CommunityTreasury"]
    # The API names funds and emergencies by these numbers: the contracts must agree with it.
    assert {treasury.FUND_FEE_INCOME(): "fee_income", treasury.FUND_PUBLIC_INCOME(): "public_income",
            treasury.FUND_MAINTENANCE(): "maintenance_fund"} == FUNDS
    assert fees.FUND_MAINTENANCE() == treasury.FUND_MAINTENANCE()
    # 包干制 (lump sum) and 酬金制 (commission), the same in both contracts.
    assert (treasury.MODE_LUMP_SUM(), treasury.MODE_COMMISSION()) == (fees.MODE_LUMP_SUM(), fees.MODE_COMMISSION()) \
        == (1, 2)
    # The emergencies the city's rules list, in their order (0 is none).
    assert {treasury.EMERGENCY_ELEVATOR(): "elevator", treasury.EMERGENCY_ROOF_LEAK(): "roof_leak",
            treasury.EMERGENCY_FIRE_SYSTEM(): "fire_system", treasury.EMERGENCY_WATER_SUPPLY(): "water_supply",
            treasury.EMERGENCY_FACADE(): "facade", treasury.EMERGENCY_OTHER_DANGER(): "other_danger"} == EMERGENCIES
