"""A contract resident re-enters CultureWorks from onERC721Received, during a gift
and during its own (safe) mint: every re-entry is refused by the contract-wide
nonreentrancy lock, and the same call succeeds outside the hook."""

from __future__ import annotations

import ape

from tests.culture.conftest import URI, sha


def test_reentry_into_like_during_a_gift(culture, registry, points, mint, receiver, owner_a, owner_b):
    target, _ = mint(owner_b, "target")
    gifted, _ = mint(owner_a, "gifted")
    payload = culture.like.encode_input(target)
    receiver.arm(payload, sender=owner_a)
    culture.gift(receiver, gifted, sender=owner_a)
    assert culture.ownerOf(gifted) == receiver.address
    assert receiver.attempts() == 1
    assert not receiver.last_reentry_ok()
    household = registry.household_of(receiver)
    assert not culture.liked(household, target)
    assert points.balanceOf(owner_b) == 0
    # The same call from outside the hook is valid: only the lock refused it.
    receiver.call_culture(payload, sender=owner_a)
    assert culture.liked(household, target)
    assert points.balanceOf(owner_b) == 1


def test_reentry_into_mint_during_a_gift(culture, mint, receiver, owner_a):
    gifted, _ = mint(owner_a, "gifted")
    payload = culture.mint_work.encode_input("偷偷", 4, sha("sneaky"), URI)
    receiver.arm(payload, sender=owner_a)
    culture.gift(receiver, gifted, sender=owner_a)
    assert not receiver.last_reentry_ok()
    assert culture.provenance(sha("sneaky"))[0] == 0
    receiver.arm(b"", sender=owner_a)
    receiver.call_culture(payload, sender=owner_a)
    assert culture.provenance(sha("sneaky"))[1] == receiver.address


def test_reentry_into_gift_during_a_gift(culture, mint, receiver, owner_a, owner_b):
    # The receiver first creates a work of its own (not armed), which it could gift.
    own = int.from_bytes(sha("receiver-own"), "big")
    receiver.call_culture(culture.mint_work.encode_input("自己的", 1, sha("receiver-own"), URI), sender=owner_a)
    gifted, _ = mint(owner_a, "gifted")
    payload = culture.gift.encode_input(owner_b, own)
    receiver.arm(payload, sender=owner_a)
    culture.gift(receiver, gifted, sender=owner_a)
    assert not receiver.last_reentry_ok()
    assert culture.ownerOf(own) == receiver.address
    assert culture.balanceOf(receiver) == 2
    receiver.arm(b"", sender=owner_a)
    receiver.call_culture(payload, sender=owner_a)
    assert culture.ownerOf(own) == owner_b.address


def test_reentry_during_safe_mint(culture, registry, points, mint, receiver, owner_a):
    target, _ = mint(owner_a, "target")
    receiver.arm(culture.like.encode_input(target), sender=owner_a)
    receiver.call_culture(culture.mint_work.encode_input("新作", 1, sha("receiver-mint"), URI), sender=owner_a)
    assert culture.ownerOf(int.from_bytes(sha("receiver-mint"), "big")) == receiver.address
    assert receiver.attempts() == 1
    assert not receiver.last_reentry_ok()
    assert not culture.liked(registry.household_of(receiver), target)
    assert points.balanceOf(owner_a) == 0
    # A second mint from inside the first one's hook is refused too.
    receiver.arm(culture.mint_work.encode_input("再来", 1, sha("nested"), URI), sender=owner_a)
    receiver.call_culture(culture.mint_work.encode_input("新作2", 1, sha("receiver-mint-2"), URI), sender=owner_a)
    assert not receiver.last_reentry_ok()
    assert culture.provenance(sha("nested"))[0] == 0


def test_receiver_that_refuses_blocks_gift_and_mint(culture, mint, receiver, owner_a):
    gifted, _ = mint(owner_a, "gifted")
    receiver.set_refuse(True, sender=owner_a)
    with ape.reverts("erc721: transfer to non-IERC721Receiver implementer"):
        culture.gift(receiver, gifted, sender=owner_a)
    with ape.reverts("erc721: transfer to non-IERC721Receiver implementer"):
        receiver.call_culture(culture.mint_work.encode_input("t", 1, sha("refused"), URI), sender=owner_a)
    assert culture.ownerOf(gifted) == owner_a.address
