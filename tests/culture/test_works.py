"""CultureWorks: minting, provenance, metadata, transfers refused, gifts, hiding."""

from __future__ import annotations

import ape
import pytest

from tests.culture.conftest import URI, ZERO, assert_registered, sha


# ---------------------------------------------------------------- deploy


def test_deploy_wiring(culture, registry, points, committee):
    assert culture.registry() == registry.address
    assert culture.points() == points.address
    assert points.is_minter(culture.address)
    assert culture.like_reward() == (1, 20)
    assert culture.gifts_enabled()
    assert culture.name() == "Linli Culture Works"
    assert culture.symbol() == "LLCW"
    assert culture.REASON_CULTURE_LIKE() == 4 == points.REASON_CULTURE_LIKE()


@pytest.mark.parametrize(
    "args, reason",
    [
        ((ZERO, "points"), "culture: registry is the zero address"),
        (("registry", ZERO), "culture: points is the zero address"),
    ],
)
def test_deploy_refuses_zero_addresses(project, committee, registry, points, args, reason):
    resolved = [registry.address if a == "registry" else points.address if a == "points" else a for a in args]
    with ape.reverts(reason):
        committee.deploy(project.CultureWorks, *resolved, 1, 20)


def test_deploy_refuses_reward_out_of_range(project, committee, registry, points):
    with ape.reverts("culture: reward out of range"):
        committee.deploy(project.CultureWorks, registry.address, points.address, 2**64, 20)


def test_supports_interface(culture):
    for interface in ("01ffc9a7", "80ac58cd", "5b5e139f"):
        assert culture.supportsInterface(bytes.fromhex(interface))
    # Not enumerable, no EIP-4494 permit, no ERC-4906, and the ERC-165 invalid id.
    for interface in ("780e9d63", "589c5ce2", "49064906", "ffffffff"):
        assert not culture.supportsInterface(bytes.fromhex(interface))


# ---------------------------------------------------------------- mint


def test_mint_registers_the_work(culture, registry, owner_a, chain):
    h = sha("calligraphy-1")
    tx = culture.mint_work("福", 0, h, URI, sender=owner_a)
    token_id = assert_registered(culture, registry, chain, tx, owner_a, h, 0, "福", URI)
    assert culture.ownerOf(token_id) == owner_a.address
    assert culture.balanceOf(owner_a) == 1
    assert registry.household_of(owner_a) == 1


def test_linked_resident_mints_with_the_unit_owners_household(culture, registry, owner_b, tenant):
    tx = culture.mint_work("楼道的猫", 2, sha("photo"), URI, sender=tenant)
    [event] = tx.decode_logs(culture.WorkMinted)
    assert event.household == registry.household_of(owner_b)
    assert culture.balanceOf(tenant) == 1


@pytest.mark.parametrize("kind", range(6))
def test_every_kind(culture, owner_b, kind):
    tx = culture.mint_work("作品", kind, sha(f"kind-{kind}"), URI, sender=owner_b)
    assert culture.work(tx.return_value).kind == kind


@pytest.mark.parametrize("length", [1, 24, 25, 26, 57, 58, 89, 90, 120])
def test_uri_round_trip_at_every_length(culture, owner_a, length):
    uri = "".join(chr(0x21 + (i * 7) % 90) for i in range(length))
    tx = culture.mint_work("t", 1, sha(f"uri-{length}"), uri, sender=owner_a)
    assert culture.tokenURI(tx.return_value) == uri
    assert culture.work(tx.return_value).uri == uri


def test_uri_utf8(culture, owner_a):
    uri = "https://邻里.example/作品/" + "字" * 25
    assert len(uri.encode()) <= 120
    tx = culture.mint_work("t", 1, sha("utf8"), uri, sender=owner_a)
    assert culture.tokenURI(tx.return_value) == uri


def test_uri_over_the_bound_is_refused(culture, owner_a):
    with ape.reverts():
        culture.mint_work("t", 1, sha("long"), "x" * 121, sender=owner_a)


@pytest.mark.parametrize(
    "title, kind, content, uri, reason",
    [
        ("t", 6, "a", URI, "culture: unknown kind"),
        ("t", 255, "a", URI, "culture: unknown kind"),
        ("t", 1, None, URI, "culture: empty content hash"),
        ("", 1, "a", URI, "culture: empty title"),
        ("t", 1, "a", "", "culture: empty uri"),
    ],
)
def test_mint_refusals(culture, owner_a, title, kind, content, uri, reason):
    h = b"\x00" * 32 if content is None else sha(content)
    with ape.reverts(reason):
        culture.mint_work(title, kind, h, uri, sender=owner_a)


@pytest.mark.parametrize("who", ["attacker", "merchant", "committee", "manager"])
def test_non_members_cannot_mint(culture, actors, who):
    with ape.reverts("culture: members only"):
        culture.mint_work("t", 1, sha("x"), URI, sender=actors[who])


def test_same_content_cannot_be_registered_twice(culture, mint, owner_a, owner_b):
    mint(owner_a, "poem")
    for who in (owner_a, owner_b):
        with ape.reverts("culture: content already registered"):
            culture.mint_work("另一个标题", 3, sha("poem"), "ipfs://other", sender=who)


def test_provenance_of_unknown_content_is_empty(culture):
    assert culture.provenance(sha("never")) == (0, ZERO, 0)


def test_views_of_unknown_work_revert(culture):
    token_id = int.from_bytes(sha("never"), "big")
    for view in (culture.tokenURI, culture.work):
        with ape.reverts("culture: unknown work"):
            view(token_id)
    with ape.reverts("erc721: invalid token ID"):
        culture.ownerOf(token_id)
    with ape.reverts("erc721: invalid token ID"):
        culture.getApproved(token_id)
    assert not culture.is_hidden(token_id)


# ---------------------------------------------------------------- transfers and approvals refused


def test_transfers_and_approvals_are_refused(culture, mint, owner_a, owner_b):
    token_id, _ = mint(owner_a, "w")
    with ape.reverts("culture: works are not tradeable"):
        culture.transferFrom(owner_a, owner_b, token_id, sender=owner_a)
    with ape.reverts("culture: works are not tradeable"):
        culture.safeTransferFrom(owner_a, owner_b, token_id, sender=owner_a)
    with ape.reverts("culture: works are not tradeable"):
        culture.safeTransferFrom(owner_a, owner_b, token_id, b"gift", sender=owner_a)
    with ape.reverts("culture: works are not tradeable"):
        culture.approve(owner_b, token_id, sender=owner_a)
    with ape.reverts("culture: works are not tradeable"):
        culture.setApprovalForAll(owner_b, True, sender=owner_a)
    assert culture.ownerOf(token_id) == owner_a.address
    assert culture.getApproved(token_id) == ZERO
    assert not culture.isApprovedForAll(owner_a, owner_b)


# ---------------------------------------------------------------- gift


def test_gift_moves_the_work_once(culture, registry, mint, owner_a, owner_b, tenant):
    token_id, _ = mint(owner_a, "gift")
    tx = culture.gift(tenant, token_id, sender=owner_a)
    assert culture.ownerOf(token_id) == tenant.address
    assert culture.balanceOf(owner_a) == 0
    assert culture.balanceOf(tenant) == 1
    work = culture.work(token_id)
    assert (work.creator, work.owner, work.gifted) == (owner_a.address, tenant.address, True)
    assert culture.provenance(sha("gift"))[1] == owner_a.address
    [transfer] = tx.decode_logs(culture.Transfer)
    assert (transfer.sender, transfer.receiver, transfer.token_id) == (owner_a.address, tenant.address, token_id)
    [event] = tx.decode_logs(culture.WorkGifted)
    assert (event.token_id, event.creator, event.recipient, event.recipient_household) == (
        token_id, owner_a.address, tenant.address, registry.household_of(tenant)
    )
    # Once only: neither the recipient nor the creator can move it again.
    with ape.reverts("culture: work already gifted"):
        culture.gift(owner_b, token_id, sender=tenant)
    with ape.reverts("culture: work already gifted"):
        culture.gift(owner_b, token_id, sender=owner_a)
    with ape.reverts("culture: works are not tradeable"):
        culture.transferFrom(tenant, owner_b, token_id, sender=tenant)


def test_gift_refusals(culture, mint, committee, owner_a, owner_b, attacker, merchant):
    token_id, _ = mint(owner_a, "g")
    with ape.reverts("culture: unknown work"):
        culture.gift(owner_b, token_id + 1, sender=owner_a)
    with ape.reverts("culture: only the creator can gift"):
        culture.gift(owner_b, token_id, sender=owner_b)
    with ape.reverts("culture: only the creator can gift"):
        culture.gift(attacker, token_id, sender=attacker)
    with ape.reverts("culture: cannot gift to yourself"):
        culture.gift(owner_a, token_id, sender=owner_a)
    for outsider in (attacker, merchant, committee):
        with ape.reverts("culture: recipient is not a resident"):
            culture.gift(outsider, token_id, sender=owner_a)
    culture.set_gifts_enabled(False, sender=committee)
    with ape.reverts("culture: gifts are switched off"):
        culture.gift(owner_b, token_id, sender=owner_a)
    culture.set_gifts_enabled(True, sender=committee)
    culture.hide_work(token_id, sha("rule 3"), sender=committee)
    with ape.reverts("culture: work is hidden"):
        culture.gift(owner_b, token_id, sender=owner_a)
    culture.unhide_work(token_id, sha("appeal"), sender=committee)
    culture.gift(owner_b, token_id, sender=owner_a)
    assert culture.ownerOf(token_id) == owner_b.address


def test_gift_switch_events(culture, committee):
    tx = culture.set_gifts_enabled(False, sender=committee)
    [event] = tx.decode_logs(culture.GiftsSwitched)
    assert (event.enabled, event.set_by) == (False, committee.address)
    assert not culture.gifts_enabled()
    tx = culture.set_gifts_enabled(True, sender=committee)
    assert tx.decode_logs(culture.GiftsSwitched)[0].enabled
    assert culture.gifts_enabled()


# ---------------------------------------------------------------- hide


def test_hide_and_unhide(culture, mint, committee, owner_a):
    token_id, _ = mint(owner_a, "h")
    reason = sha("breaks rule 3")
    tx = culture.hide_work(token_id, reason, sender=committee)
    [event] = tx.decode_logs(culture.WorkHidden)
    assert (event.token_id, bytes(event.reason_hash), event.hidden_by) == (token_id, reason, committee.address)
    assert culture.is_hidden(token_id)
    assert culture.work(token_id).hidden
    # The token and its provenance remain.
    assert culture.ownerOf(token_id) == owner_a.address
    assert culture.tokenURI(token_id) == URI
    assert culture.provenance(sha("h"))[0] == token_id
    with ape.reverts("culture: work already hidden"):
        culture.hide_work(token_id, reason, sender=committee)
    tx = culture.unhide_work(token_id, sha("appeal upheld"), sender=committee)
    [event] = tx.decode_logs(culture.WorkUnhidden)
    assert (event.token_id, bytes(event.reason_hash), event.unhidden_by) == (token_id, sha("appeal upheld"), committee.address)
    assert not culture.is_hidden(token_id)
    with ape.reverts("culture: work not hidden"):
        culture.unhide_work(token_id, reason, sender=committee)
    # The packed word keeps its other fields through hide/unhide.
    work = culture.work(token_id)
    assert (work.kind, work.uri, work.gifted) == (1, URI, False)


def test_hide_refusals(culture, mint, committee, owner_a):
    token_id, _ = mint(owner_a, "h2")
    with ape.reverts("culture: unknown work"):
        culture.hide_work(token_id + 1, sha("r"), sender=committee)
    with ape.reverts("culture: unknown work"):
        culture.unhide_work(token_id + 1, sha("r"), sender=committee)
    with ape.reverts("culture: empty reason"):
        culture.hide_work(token_id, b"\x00" * 32, sender=committee)
    culture.hide_work(token_id, sha("r"), sender=committee)
    with ape.reverts("culture: empty reason"):
        culture.unhide_work(token_id, b"\x00" * 32, sender=committee)
