"""民法典 第二百七十八条, table-driven: every boundary is an exact fraction.

Two tables: the pure counting rule (`statute_outcome`, large numbers at the exact
boundary), and real assemblies where owners with chosen areas vote through the
contract and the proposal's state after the vote is what the article says.
Each expectation is written by hand and also checked against an independent
model in Python `Fraction`s (tests/assembly/helpers.statute).
"""

from __future__ import annotations

import pytest

from tests.assembly.helpers import (
    ABSTAIN,
    AGAINST,
    ANNOUNCED,
    COMMITTEE_ELECTION,
    DEFEATED,
    FOR,
    OTHER_COMMON,
    RAISE_FUND,
    REBUILD,
    USE_FUND,
    close_voting,
    open_voting,
    propose,
    publish_result,
    register,
    statute,
)

# ---------------------------------------------------------------- pure rule

BIG = 3 * 10**12  # a total divisible by 3 and 4, so 2/3 and 3/4 are exact

# (name, matter, total_area, total_heads, for (area, heads), against, abstain, turnout, passed)
PURE_CASES = [
    ("turnout exactly 2/3 area and heads", USE_FUND, BIG, 300, (BIG * 2 // 3, 200), (0, 0), (0, 0), True, True),
    ("turnout area one unit under 2/3", USE_FUND, BIG, 300, (BIG * 2 // 3 - 1, 200), (0, 0), (0, 0), False, False),
    ("turnout heads one under 2/3", USE_FUND, BIG, 300, (BIG * 2 // 3, 199), (0, 0), (0, 0), False, False),
    ("2/3 of an area not divisible by 3", USE_FUND, 10, 3, (7, 2), (0, 0), (0, 0), True, True),
    ("just under 2/3 of an area not divisible by 3", USE_FUND, 10, 3, (6, 2), (0, 0), (0, 0), False, False),
    ("ordinary: area exactly 1/2 fails", USE_FUND, 1000, 4, (500, 3), (500, 1), (0, 0), True, False),
    ("ordinary: area 1/2 + 1 passes", USE_FUND, 1000, 4, (501, 3), (499, 1), (0, 0), True, True),
    ("ordinary: heads exactly 1/2 fail", USE_FUND, 1000, 4, (900, 2), (100, 2), (0, 0), True, False),
    ("ordinary: abstentions are participation", USE_FUND, 1000, 4, (500, 2), (0, 0), (500, 2), True, False),
    ("ordinary: abstention turns a pass into a fail", USE_FUND, 1000, 5, (600, 3), (200, 1), (200, 1), True, True),
    ("major: exactly 3/4 of area and heads passes", RAISE_FUND, BIG, 400, (BIG * 3 // 4, 300), (BIG // 4, 100), (0, 0), True, True),
    ("major: area one unit under 3/4 fails", RAISE_FUND, BIG, 400, (BIG * 3 // 4 - 1, 300), (BIG // 4 + 1, 100), (0, 0), True, False),
    ("major: heads one under 3/4 fail", REBUILD, BIG, 400, (BIG * 3 // 4, 299), (BIG // 4, 101), (0, 0), True, False),
    ("major: abstentions count against 3/4", REBUILD, 400, 4, (300, 3), (0, 0), (100, 1), True, True),
    ("major: 3/5 is enough for ordinary only", RAISE_FUND, 500, 5, (300, 3), (100, 1), (100, 1), True, False),
    ("same ballots, ordinary matter", USE_FUND, 500, 5, (300, 3), (100, 1), (100, 1), True, True),
    ("turnout not met never passes", USE_FUND, 1000, 10, (600, 6), (0, 0), (0, 0), False, False),
    ("nobody voted", RAISE_FUND, 1000, 10, (0, 0), (0, 0), (0, 0), False, False),
]


@pytest.fixture
def constitution(project, assembly):
    return project.Constitution.at(assembly.constitution())


@pytest.mark.parametrize("case", PURE_CASES, ids=[c[0] for c in PURE_CASES])
def test_statute_rule(constitution, case):
    _, matter, total_area, total_heads, f, a, x, turnout, passed = case
    got = constitution.statute_outcome(matter, total_area, total_heads, f[0], f[1], a[0], a[1], x[0], x[1])
    assert tuple(got) == (turnout, passed)


def test_statute_rule_unknown_matter(constitution):
    import ape

    for matter in (0, 10):
        with ape.reverts("constitution: unknown matter"):
            constitution.statute_outcome(matter, 1, 1, 1, 1, 0, 0, 0, 0)


def test_major_matters_are_items_6_7_8(constitution):
    assert [constitution.is_major_matter(m) for m in range(1, 10)] == [False] * 5 + [True] * 3 + [False]


# ---------------------------------------------------------------- real assemblies

F, A, X, N = FOR, AGAINST, ABSTAIN, None  # N: does not vote

# (name, matter, owners' unit areas, each owner's ballot, turnout, passed)
VOTE_CASES = [
    ("heads just under 2/3 (area exactly 2/3)", USE_FUND, [[400], [100], [100], [100], [100], [100]], [F, F, F, N, N, N], False, False),
    ("heads and area exactly 2/3", USE_FUND, [[300], [100], [100], [100], [100], [200]], [F, F, F, F, N, N], True, True),
    ("area just under 2/3 (heads 5/6)", USE_FUND, [[400], [100], [100], [100], [100], [100]], [N, F, F, F, F, F], False, False),
    ("area one hundredth of a m² under 2/3", OTHER_COMMON, [[100], [99], [101]], [F, F, N], False, False),
    ("area exactly 2/3 of 300", OTHER_COMMON, [[100], [100], [100]], [F, F, N], True, True),
    ("ordinary: exactly 1/2 fails", COMMITTEE_ELECTION, [[100], [100], [100], [100]], [F, F, A, A], True, False),
    ("ordinary: area above 1/2 but heads exactly 1/2", USE_FUND, [[101], [100], [100], [99]], [F, F, A, A], True, False),
    ("ordinary: above 1/2 of both", USE_FUND, [[100], [100], [100], [100]], [F, F, F, A], True, True),
    ("abstentions count as participation", USE_FUND, [[100], [100], [100], [100]], [F, F, X, X], True, False),
    ("abstention with a majority for", USE_FUND, [[100], [100], [100], [100]], [F, F, X, N], True, True),
    ("major: exactly 3/4 passes", RAISE_FUND, [[100], [100], [100], [100]], [F, F, F, A], True, True),
    ("major: area just under 3/4", RAISE_FUND, [[100], [100], [99], [101]], [F, F, F, A], True, False),
    ("major: heads under 3/4 with area exactly 3/4", REBUILD, [[400], [100], [100], [100], [100]], [F, F, F, A, A], True, False),
    ("major: abstention counts against 3/4", RAISE_FUND, [[100], [100], [100], [100], [100]], [F, F, F, A, X], True, False),
    ("same ballots pass as an ordinary matter", USE_FUND, [[100], [100], [100], [100], [100]], [F, F, F, A, X], True, True),
    ("one owner with four units is one head", USE_FUND, [[100, 100, 100, 100], [100], [100], [100], [100]], [F, A, A, F, N], True, False),
    ("developer's unsold units: big area, one head, outvoted by heads", USE_FUND, [[1000, 1000, 1000], [100], [100], [100]], [F, A, A, N], True, False),
    ("developer's unsold units with one owner for", USE_FUND, [[1000, 1000, 1000], [100], [100], [100]], [F, F, A, N], True, True),
]


@pytest.mark.parametrize("case", VOTE_CASES, ids=[c[0] for c in VOTE_CASES])
def test_statute_by_vote(case, assembly, registry, committee, voters, developer, chain):
    name, matter, areas, ballots, turnout, passed = case
    wallets = list(voters[: len(areas)])
    if name.startswith("developer"):
        wallets[0] = developer  # the developer's unsold units, one identity
    town = register(registry, committee, wallets, areas, prefix="case")
    # The independent model agrees with the hand-written expectation.
    cast = [(o.area, b) for o, b in zip(town.owners, ballots, strict=True) if b is not None]
    assert statute(matter, town.total_area, town.heads, cast) == (turnout, passed)

    p = propose(assembly, committee, chain, matter=matter)
    open_voting(chain, p)
    for owner, ballot in zip(town.owners, ballots, strict=True):
        if ballot is not None:
            assembly.castVote(p.id, ballot, sender=owner.account)
    close_voting(chain, p)

    assert tuple(assembly.outcome(p.id)) == (turnout, passed, town.total_area, town.heads)
    assert assembly.state(p.id) == (ANNOUNCED if passed else DEFEATED)
    tx = publish_result(assembly, chain, p, sender=committee)
    [log] = tx.decode_logs(assembly.ProposalTallied)
    assert (log.passed, log.turnout_met) == (passed, turnout)
    assert (log.total_area, log.total_heads) == (town.total_area, town.heads)
    assert log.for_area == sum(a for a, b in cast if b == FOR)
    assert log.for_heads == sum(1 for _, b in cast if b == FOR)
    assert log.abstain_heads == sum(1 for _, b in cast if b == ABSTAIN)
    assert log.objection_ends == tx.timestamp  # the final result, right as the objection period ended
