# pragma version 0.4.3
"""
@title assembly_statute
@custom:contract-name assembly_statute
@license GNU Affero General Public License v3.0 only
@notice The counting rules of 民法典 第二百七十八条 for the owners' assembly,
        as stateless functions the assembly (and anyone reading it) applies to
        the tallies of a proposal.

        The nine matters are numbered as the article lists them:
          1 制定和修改业主大会议事规则 (rules of procedure)
          2 制定和修改管理规约 (management covenant)
          3 选举业主委员会或者更换业主委员会成员 (elect or replace the committee)
          4 选聘和解聘物业服务企业或者其他管理人 (hire or dismiss the property company)
          5 使用建筑物及其附属设施的维修资金 (USE the maintenance fund)
          6 筹集建筑物及其附属设施的维修资金 (RAISE the maintenance fund)        — major
          7 改建、重建建筑物及其附属设施 (rebuild or renovate buildings)          — major
          8 改变共有部分的用途或者利用共有部分从事经营活动 (change the use of
            common parts or run a business on them)                               — major
          9 有关共有和共同管理权利的其他重大事项 (other major common matters)

        Every matter needs a turnout of owners holding at least 2/3 of the
        exclusive area AND at least 2/3 of the owners by head. Ordinary matters
        then pass with MORE than 1/2 of the participating area AND more than 1/2
        of the participating heads voting for; major matters need AT LEAST 3/4 of
        both. Abstentions take part (they count in the denominators), absent
        owners do not.

        Every comparison is an integer cross-multiplication, so the boundaries
        are exact fractions: 2/3 of 300 m² is reached by 200 m², not by 199.99.
@custom:security Pure functions only. Operands are sums of registry areas
                 (each below 2**128) and head counts (below 2**32), so the
                 products (at most ×4) cannot overflow uint256; they are
                 still checked arithmetic.
"""


# The nine matters of 民法典 第二百七十八条, in the article's order.
MATTER_RULES_OF_PROCEDURE: constant(uint8) = 1
MATTER_MANAGEMENT_COVENANT: constant(uint8) = 2
MATTER_COMMITTEE_ELECTION: constant(uint8) = 3
MATTER_PROPERTY_COMPANY: constant(uint8) = 4
MATTER_USE_MAINTENANCE_FUND: constant(uint8) = 5
MATTER_RAISE_MAINTENANCE_FUND: constant(uint8) = 6
MATTER_REBUILD: constant(uint8) = 7
MATTER_COMMON_PARTS_USE: constant(uint8) = 8
MATTER_OTHER_COMMON: constant(uint8) = 9

MATTER_COUNT: constant(uint8) = 9


@internal
@pure
def _is_matter(matter: uint8) -> bool:
    """
    @notice True for one of the nine matters (1..9).
    @param matter The matter number.
    @return Whether the number names a statutory matter.
    """
    return matter >= MATTER_RULES_OF_PROCEDURE and matter <= MATTER_COUNT


@internal
@pure
def _is_major(matter: uint8) -> bool:
    """
    @notice True for the matters that need 3/4 (items 6, 7 and 8: raising the
            maintenance fund, rebuilding, changing the use of common parts).
    @param matter The matter number (1..9).
    @return Whether the matter is major.
    """
    return matter >= MATTER_RAISE_MAINTENANCE_FUND and matter <= MATTER_COMMON_PARTS_USE


@internal
@pure
def _turnout_met(part_area: uint256, part_heads: uint256, total_area: uint256, total_heads: uint256) -> bool:
    """
    @notice Owners holding ≥ 2/3 of the area AND ≥ 2/3 of the heads took part.
    @param part_area Area that voted (for + against + abstain), 0.01 m².
    @param part_heads Owners that voted.
    @param total_area The community's exclusive area at the snapshot.
    @param total_heads The community's owners at the snapshot.
    @return Whether the turnout rule is met.
    """
    return part_area * 3 >= total_area * 2 and part_heads * 3 >= total_heads * 2


@internal
@pure
def _approved(major: bool, for_area: uint256, for_heads: uint256, part_area: uint256, part_heads: uint256) -> bool:
    """
    @notice The approval rule, over the participating owners: ordinary > 1/2 of
            area and heads, major ≥ 3/4 of area and heads.
    @dev Nobody participating never approves (0 ≥ 3/4 · 0 would).
    @param major Whether the 3/4 rule applies (a major matter, or a call that needs it).
    @param for_area Area that voted for.
    @param for_heads Owners that voted for.
    @param part_area Area that voted.
    @param part_heads Owners that voted.
    @return Whether the participating owners approved.
    """
    if part_heads == 0:
        return False
    if major:
        return for_area * 4 >= part_area * 3 and for_heads * 4 >= part_heads * 3
    return for_area * 2 > part_area and for_heads * 2 > part_heads


@internal
@pure
def _outcome(
    major: bool,
    total_area: uint256,
    total_heads: uint256,
    for_area: uint256,
    for_heads: uint256,
    against_area: uint256,
    against_heads: uint256,
    abstain_area: uint256,
    abstain_heads: uint256,
) -> (bool, bool):
    """
    @notice Apply the article to final tallies.
    @param major Whether the 3/4 rule applies (see `_is_major`; the assembly also
           applies it to ordinary matters whose calls need it).
    @param total_area Exclusive area at the snapshot.
    @param total_heads Owners at the snapshot.
    @param for_area Area voting for.
    @param for_heads Owners voting for.
    @param against_area Area voting against.
    @param against_heads Owners voting against.
    @param abstain_area Area abstaining.
    @param abstain_heads Owners abstaining.
    @return (turnout met, passed): passed implies turnout met.
    """
    part_area: uint256 = for_area + against_area + abstain_area
    part_heads: uint256 = for_heads + against_heads + abstain_heads
    turnout: bool = self._turnout_met(part_area, part_heads, total_area, total_heads)
    return (turnout, turnout and self._approved(major, for_area, for_heads, part_area, part_heads))
