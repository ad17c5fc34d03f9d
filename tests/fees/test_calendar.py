"""Beijing-time month index on chain against Python's datetime."""

import ape
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fees.model import month_of, month_start

FIRST_MONTH = 1970 * 12 + 1
LAST_TS = 253_402_300_799 - 8 * 3600  # 9999-12-31 23:59:59 Beijing


def boundary_months():
    # Every month of leap and century years (2000, 2100, 2400 and their neighbours)
    # and a spread of others, Feb 1970 .. Dec 9999.
    years = {1970, 1971, 1972, 1999, 2000, 2001, 2024, 2025, 2026, 2027, 2028, 2099, 2100, 2101, 2399, 2400, 9999}
    months = {y * 12 + m for y in years for m in range(12)}
    months.discard(1970 * 12)
    return sorted(months)


def test_month_boundaries_match_datetime(fees):
    for month in boundary_months():
        start = fees.month_start(month)
        assert start == month_start(month), month
        assert fees.month_of(start) == month
        if month > FIRST_MONTH:
            assert fees.month_of(start - 1) == month - 1
        # 28 days in is always inside the month, and the last second before the next one too.
        assert fees.month_of(start + 28 * 86400 - 1) == month


def test_month_of_epoch_and_offset(fees):
    # 1970-01-01 00:00 UTC is 08:00 in Beijing: January 1970.
    assert fees.month_of(0) == 1970 * 12
    # 2026-01-31 16:00 UTC is 2026-02-01 00:00 in Beijing.
    assert fees.month_of(1769875200) == 2026 * 12 + 1
    assert fees.month_of(1769875199) == 2026 * 12


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=LAST_TS))
def test_month_of_matches_datetime(fees, timestamp):
    assert fees.month_of(timestamp) == month_of(timestamp)


@given(st.integers(min_value=FIRST_MONTH, max_value=9999 * 12 + 11))
def test_month_start_roundtrip(fees, month):
    start = fees.month_start(month)
    assert start == month_start(month)
    assert fees.month_of(start) == month


def test_month_start_refuses_before_february_1970(fees):
    with ape.reverts("fees: month out of range"):
        fees.month_start(FIRST_MONTH - 1)
    assert fees.month_start(FIRST_MONTH) == month_start(FIRST_MONTH)


def test_month_of_refuses_huge_timestamp(fees):
    with ape.reverts("fees: timestamp out of range"):
        fees.month_of(2**64)


def test_current_month_follows_the_chain(fees, chain, clock):
    assert fees.current_month() == month_of(chain.blocks.head.timestamp)
    target = clock.month() + 13
    clock.goto(target)
    assert fees.current_month() == target
