# pragma version 0.4.3
"""
@title fees_calendar
@custom:contract-name fees_calendar
@license GNU Affero General Public License v3.0 only
@notice Calendar months in Beijing time (UTC+8) for the fee schedule.

        A month is an integer index `year * 12 + (month - 1)`: January 2026 is
        24_312, December 2026 is 24_323. Indices subtract to give month counts,
        so dues are `months × monthly amount` with no date table on chain.

        The conversion is Howard Hinnant's `civil_from_days` / `days_from_civil`
        (proleptic Gregorian, eras of 400 years = 146_097 days), rewritten for
        months only: counting years from 1 March makes the leap day the last day
        of the year, so the month index falls out without a branch.
@custom:security Valid for timestamps from 1970 to 2**64 seconds; every intermediate
                 value is far below 2**128, which is why the arithmetic is unchecked.
"""

# Beijing time is UTC+8 all year (no daylight saving).
UTC_OFFSET: constant(uint256) = 8 * 3600
DAY: constant(uint256) = 86400
# Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
EPOCH_SHIFT: constant(uint256) = 719_468
DAYS_PER_ERA: constant(uint256) = 146_097
# The first month whose Beijing start is not before the Unix epoch: February 1970.
FIRST_MONTH: constant(uint256) = 1970 * 12 + 1


@internal
@pure
def _month_of(timestamp: uint256) -> uint256:
    """
    @dev The Beijing-time calendar month index of a Unix timestamp.
    @param timestamp Seconds since the Unix epoch (below 2**64).
    @return year * 12 + (month - 1).
    """
    # timestamp < 2**64, so every sum and product below stays under 2**80.
    z: uint256 = unsafe_add(unsafe_div(unsafe_add(timestamp, UTC_OFFSET), DAY), EPOCH_SHIFT)
    era: uint256 = unsafe_div(z, DAYS_PER_ERA)
    # day of era in [0, 146_096]
    doe: uint256 = unsafe_sub(z, unsafe_mul(era, DAYS_PER_ERA))
    # year of era in [0, 399]: the divisions remove leap days; doe >= doe/1460 - doe/36524 + doe/146096
    yoe: uint256 = unsafe_div(
        unsafe_sub(unsafe_add(unsafe_sub(doe, unsafe_div(doe, 1460)), unsafe_div(doe, 36524)), unsafe_div(doe, 146096)),
        365,
    )
    # day of the March-based year in [0, 365]; doe >= days before year yoe
    doy: uint256 = unsafe_sub(doe, unsafe_sub(unsafe_add(unsafe_mul(365, yoe), unsafe_div(yoe, 4)), unsafe_div(yoe, 100)))
    # month of the March-based year in [0, 11] (0 = March, 10 = January, 11 = February)
    mp: uint256 = unsafe_div(unsafe_add(unsafe_mul(5, doy), 2), 153)
    # March of year y is index y*12 + 2; January and February (mp 10, 11) of the
    # next civil year are (y + 1)*12 + mp - 10 = y*12 + mp + 2 too: no branch.
    return unsafe_add(unsafe_mul(unsafe_add(yoe, unsafe_mul(era, 400)), 12), unsafe_add(mp, 2))


@internal
@pure
def _month_start(month: uint256) -> uint256:
    """
    @dev The Unix timestamp of 00:00 Beijing time on the first day of a month.
    @param month A month index from February 1970 (FIRST_MONTH) to year 2**32.
    @return Seconds since the Unix epoch.
    """
    assert month >= FIRST_MONTH and month < 2**36, "fees: month out of range"
    # Shift so that March is month 0 of its year; month >= 2 so no underflow.
    shifted: uint256 = unsafe_sub(month, 2)
    year: uint256 = unsafe_div(shifted, 12)
    mp: uint256 = unsafe_sub(shifted, unsafe_mul(year, 12))
    era: uint256 = unsafe_div(year, 400)
    yoe: uint256 = unsafe_sub(year, unsafe_mul(era, 400))
    # days from 0000-03-01 to the first of the month; all terms < 2**50
    days: uint256 = unsafe_add(
        unsafe_add(unsafe_mul(era, DAYS_PER_ERA), unsafe_sub(unsafe_add(unsafe_mul(yoe, 365), unsafe_div(yoe, 4)), unsafe_div(yoe, 100))),
        unsafe_div(unsafe_add(unsafe_mul(153, mp), 2), 5),
    )
    # month >= FIRST_MONTH makes days * DAY >= EPOCH_SHIFT * DAY + UTC_OFFSET: checked subtraction kept anyway.
    return (days - EPOCH_SHIFT) * DAY - UTC_OFFSET
