"""The like rule keyed to the household for good (issue 16, attack 3): an owner's alt
wallets liked the owner's works for points, and a wallet that left a household could
like that household's works. A household is an owner identity with its units'
residents, and a creator stays its household's after it leaves."""

from __future__ import annotations

import ape
import pytest

from tests.utils.households import link_resident
from tests.utils.identity import commitment_for


@pytest.fixture
def alts(accounts, chain, registry, owner_a):
    """Two alt wallets of owner_a, linked (with their consent: owner_a holds them) to its unit 1."""
    made = [accounts.generate_test_account() for _ in range(2)]
    for n, wallet in enumerate(made):
        chain.set_balance(wallet.address, 10**20)
        link_resident(registry, 1, wallet, commitment_for(f"owner_a-alt-{n}"), owner_a)
    return made


def test_an_owners_alt_wallets_cannot_like_its_works(culture, registry, points, mint, owner_a, alts):
    token, _ = mint(owner_a, "家乡的河")
    for alt in alts:
        with ape.reverts("culture: cannot like own household's work"):
            culture.like(token, sender=alt)
    # Unlinked, an alt is no member: it likes nothing.
    registry.unlink_resident(alts[0], sender=alts[0])
    with ape.reverts("culture: members only"):
        culture.like(token, sender=alts[0])
    assert points.balanceOf(owner_a) == 0


def test_a_creator_who_left_is_still_its_households(culture, registry, points, mint, owner_b, tenant):
    """The tenant made a work while living in owner_b's unit, then moved out: owner_b's
    household still may not like it."""
    token, _ = mint(tenant, "楼道里的春天")
    registry.unlink_resident(tenant, sender=tenant)
    with ape.reverts("culture: cannot like own household's work"):
        culture.like(token, sender=owner_b)
    assert points.balanceOf(tenant) == 0


def test_the_alts_work_is_the_owners_households_work(culture, mint, owner_a, owner_b, alts):
    token, _ = mint(alts[0], "钓鱼")
    with ape.reverts("culture: cannot like own household's work"):
        culture.like(token, sender=owner_a)
    with ape.reverts("culture: cannot like own household's work"):
        culture.like(token, sender=alts[1])
    # Another household may.
    assert culture.like(token, sender=owner_b).return_value > 0
