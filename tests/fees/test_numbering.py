"""The numbers PropertyFees and CommunityTreasury give their funds, fee income modes and
emergencies: the indexer, the API and the pages name them by these numbers (the
treasury's fund 2 is the maintenance fund, an emergency 1 is a lift), so a renumbering
must fail here first."""

from __future__ import annotations


def test_funds_modes_and_emergencies_keep_their_numbers(fees_stack):
    fees, treasury = fees_stack["PropertyFees"], fees_stack["CommunityTreasury"]
    assert (treasury.FUND_FEE_INCOME(), treasury.FUND_PUBLIC_INCOME(), treasury.FUND_MAINTENANCE()) == (0, 1, 2)
    assert fees.FUND_MAINTENANCE() == treasury.FUND_MAINTENANCE()
    # 包干制 (lump sum) and 酬金制 (commission), the same in both contracts.
    assert (treasury.MODE_LUMP_SUM(), treasury.MODE_COMMISSION()) == (fees.MODE_LUMP_SUM(), fees.MODE_COMMISSION()) \
        == (1, 2)
    # The emergencies the city's rules list, in their order (0 is none).
    assert [treasury.EMERGENCY_ELEVATOR(), treasury.EMERGENCY_ROOF_LEAK(), treasury.EMERGENCY_FIRE_SYSTEM(),
            treasury.EMERGENCY_WATER_SUPPLY(), treasury.EMERGENCY_FACADE(), treasury.EMERGENCY_OTHER_DANGER()] == \
        [1, 2, 3, 4, 5, 6]
