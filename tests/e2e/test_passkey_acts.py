# SPDX-License-Identifier: AGPL-3.0-only
"""A resident signed in by passkey likes a work and signs up for an activity from the
pages (issue 18): the culture and activities pages take the passkey path (the passkey
signs, the relayer sends and pays), with the toasts of a wallet's transaction. A module
of its own: the passkey pages' module allows one relayed call per account, these are two.
The attacks on these calls are in test_passkey_pages.py."""

from __future__ import annotations

from hashlib import sha256

from eth_utils import to_checksum_address

from tests.e2e.conftest import DAY, screenshot, wait_indexed
from tests.e2e.test_passkey_pages import AREA, phone_page  # noqa: F401  (the fixture)
from tests.utils.identity import commitment_for


def test_a_passkey_resident_likes_a_work_and_signs_up_through_the_relayer(phone_page, site, chain, committee,
                                                                          owner_a):
    """The culture and activities pages use the passkey path for a resident signed in by
    passkey: the same toasts (pending, then confirmed), the relayer pays, the account holds
    no ether."""
    page, cdp, authenticator, problems = phone_page
    contracts = site["contracts"]
    culture, activities, registry = contracts["CultureWorks"], contracts["CommunityActivities"], site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-101", AREA, account, commitment_for("passkey-culture"))], sender=committee)
    content = sha256(b"passkey-like").digest()
    culture.mint_work("阳台上的月季", 2, content, f"sha256:{content.hex()}", sender=owner_a)
    work_id = int.from_bytes(content, "big")
    now = chain.pending_timestamp
    activities.create_activity("楼道读书会", b"\x05" * 32, now + 3 * DAY, now + 3 * DAY + 3600, 20, 0,
                               committee.address, sender=committee)
    activity_id = activities.activity_count()
    wait_indexed(site, chain)

    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate("location.hash = '#/culture'")
    card = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="0x{content.hex()}"]')
    card.get_by_test_id("like").click(timeout=30_000)
    page.wait_for_selector(".toast[data-state=confirmed]", timeout=30_000)
    household = registry.household_of(account)
    assert culture.liked(household, work_id)
    card = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="0x{content.hex()}"]')
    card.get_by_test_id("liked").wait_for(timeout=30_000)
    screenshot(page, "passkey-like")

    page.evaluate(f"location.hash = '#/activities/{activity_id}'")
    page.locator("[data-testid=sign-up]").click(timeout=30_000)
    page.wait_for_selector("[data-testid=my-state]", timeout=30_000)
    assert activities.seat(activity_id, account)[0]
    assert [call["target"] for call in relayed] == [culture.address.lower(), activities.address.lower()]
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems
