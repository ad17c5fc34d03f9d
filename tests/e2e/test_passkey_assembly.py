# SPDX-License-Identifier: AGPL-3.0-only
"""An owner with no crypto wallet takes part in the assembly by passkey from the pages
(issue 18): co-signs an owners' motion, names a delegate and withdraws the delegation,
votes as the delegate of owners who chose them, objects to a pending recovery of their
own identity (home page) and to a paper-ballot preliminary result. Each time the passkey
signs in Chromium's virtual authenticator, the relayer sends and pays (the transaction's
sender is the relayer's key, the account holds no ether), and the page shows the effect
once the index has it. Each act also meets one refusal the contract makes, shown in the
page in the resident's words (zh), with nothing sent.

The relayer's side of these calls (policy, the attackers' siblings) is
tests/passkey/test_relayed_acts.py; this module is the pages'. One deployment for the
module, each test in its own chain snapshot."""

from __future__ import annotations

from eth_account import Account
from eth_utils import keccak, to_checksum_address

from backend.chain import demo_activity
from backend.chain.demo import demo_key
from tests.e2e.conftest import DAY, screenshot, wait_indexed
from tests.e2e.test_passkey_acts import _failed as _refused, _settled
from tests.e2e.test_passkey_pages import AREA, phone_page  # noqa: F401
from tests.utils.identity import commitment_for

# The backend's relayer key (the e2e site funds it): every relayed transaction's sender.
RELAYER = demo_activity.relayer_address(demo_key("relayer")).lower()
FOR = 1


def _passkey_owner(page, site, committee, label: str) -> str:
    """Create the passkey in the page (the relayer creates its account), then the
    committee registers the account as the owner of unit `label`."""
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    site["community"].registry.register_units([(label, AREA, account, commitment_for(label))], sender=committee)
    return account


def _watch_relay(page) -> list:
    """Every answer of the passkey relay endpoint the page gets: (status, body)."""
    replies = []
    page.on("response", lambda r: replies.append((r.status, r.json())) if r.url.endswith("/passkeys/calls") else None)
    return replies


def _sent_by_relayer(chain, replies, account: str, targets: list, refusals: list[str]) -> None:
    """The relay answered the calls to `targets` (in order) with the relayer's
    transactions to the account, and refused the others with the contract's `refusals`
    (409, simulated, nothing sent); the account paid no gas."""
    sent = [body for status, body in replies if status == 200]
    assert [body["target"] for body in sent] == [t.address.lower() for t in targets], replies
    for body in sent:
        receipt = chain.provider.get_receipt(body["tx_hash"])
        assert body["relayer"] == RELAYER and receipt.sender.lower() == RELAYER
        assert receipt.receiver.lower() == account.lower() and receipt.status == 1
    refused = [body["detail"] for status, body in replies if status != 200]
    assert [(d["code"], d["reason"]) for d in refused] == [("would_revert", r) for r in refusals], replies
    assert chain.provider.get_balance(account) == 0


def _open(page, path: str) -> None:
    page.evaluate(f"location.hash = '#/'; location.hash = {path!r}")
    page.wait_for_selector("#view[aria-busy=false]")


def _second_tab(page, cdp, authenticator, site, path: str):
    """The same phone's browser, a second tab: the same passkey (its credential copied to
    the tab's virtual authenticator) and the same stored account."""
    tab = page.context.new_page()
    problems = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab_cdp = page.context.new_cdp_session(tab)
    tab_cdp.send("WebAuthn.enable")
    tab_authenticator = tab_cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})["authenticatorId"]
    for credential in cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]:
        tab_cdp.send("WebAuthn.addCredential", {"authenticatorId": tab_authenticator, "credential": credential})
    tab.goto(f"{site['url'].replace('127.0.0.1', 'localhost')}/{path}")
    tab.wait_for_selector("body[data-ready=true]")
    tab.wait_for_selector("#view[aria-busy=false]")
    return tab, problems


def test_a_passkey_owner_cosigns_an_owners_motion(phone_page, site, chain, committee, owner_a):
    """The motion's page offers the co-sign; the passkey signs, the relayer sends, the
    page shows the owner among the co-signers. A second tab opened before it still offers
    the button: its co-sign is refused ("assembly: already co-signed") in words."""
    page, cdp, authenticator, problems = phone_page
    assembly, registry = site["contracts"]["OwnersAssembly"], site["community"].registry
    account = _passkey_owner(page, site, committee, "3-1-101")
    # Eleven owners' identities: a fifth of the heads is three co-signers, so the motion
    # still gathers after the proposer's and the passkey owner's.
    registry.register_units([(f"3-1-{201 + i}", AREA, Account.create().address, commitment_for(f"cosign-{i}"))
                             for i in range(6)], sender=committee)
    motion = demo_activity.owner_proposal(assembly, owner_a, chain)
    wait_indexed(site, chain)
    stale, stale_problems = _second_tab(page, cdp, authenticator, site, f"#/assembly/{motion}")
    stale.get_by_test_id("cosign").wait_for(timeout=30_000)
    replies = _watch_relay(page)
    stale_replies = _watch_relay(stale)

    _open(page, f"#/assembly/{motion}")
    count = page.get_by_test_id("cosign-count")
    assert (count.get_attribute("data-have", timeout=30_000), count.get_attribute("data-need")) == ("1", "3")
    _settled(page, lambda: page.get_by_test_id("cosign").click(timeout=30_000))
    page.get_by_test_id("cosigned").wait_for(timeout=30_000)
    assert page.get_by_test_id("cosign-count").get_attribute("data-have") == "2"
    assert assembly.has_cosigned(motion, account)
    screenshot(page, "passkey-cosigned")

    text = _refused(stale, lambda: stale.get_by_test_id("cosign").click())
    assert "您已经联署过了。" in text, text
    assert assembly.has_cosigned(motion, account)
    _sent_by_relayer(chain, replies, account, [assembly], [])
    _sent_by_relayer(chain, stale_replies, account, [], ["assembly: already co-signed"])
    assert not problems and not stale_problems, problems + stale_problems


def test_a_passkey_owner_names_a_delegate_and_withdraws_the_delegation(phone_page, site, chain, committee, owner_a):
    """The delegation card of a proposal's page: naming oneself is refused in words
    ("assembly: invalid delegate"); naming a neighbour for this proposal shows the
    delegation, withdrawing it shows none."""
    page, _, _, problems = phone_page
    assembly = site["contracts"]["OwnersAssembly"]
    account = _passkey_owner(page, site, committee, "3-2-101")
    proposal = demo_activity.open_proposal(assembly, committee, chain, title="关于更换路灯的议案", length=20 * DAY)
    wait_indexed(site, chain)
    replies = _watch_relay(page)
    _open(page, f"#/assembly/{proposal.id}")
    card = page.get_by_test_id("delegation")
    card.get_by_text("您没有委托他人。").wait_for(timeout=30_000)

    card.locator("input[name=delegate]").fill(account.lower())
    assert "受托人地址无效（不能是空地址或您自己）。" in _refused(page, lambda: card.get_by_test_id("delegate").click())

    card.locator("input[name=delegate]").fill(owner_a.address)
    assert card.locator("select[name=scope]").input_value() == str(proposal.id)
    _settled(page, lambda: card.get_by_test_id("delegate").click())
    mine = page.get_by_test_id("my-delegation")
    mine.filter(has_text=owner_a.address.lower()).wait_for(timeout=30_000)
    assert assembly.delegate_of(account, proposal.id) == owner_a.address
    screenshot(page, "passkey-delegated")

    _settled(page, lambda: mine.locator(f"[data-revoke='{proposal.id}']").click())
    page.get_by_test_id("delegation").get_by_text("您没有委托他人。").wait_for(timeout=30_000)
    assert mine.count() == 0
    assert int(assembly.delegate_of(account, proposal.id), 16) == 0
    _sent_by_relayer(chain, replies, account, [assembly, assembly], ["assembly: invalid delegate"])
    assert not problems, problems


def test_a_passkey_owner_votes_as_the_delegate_of_neighbours(phone_page, site, chain, committee, owner_a, owner_b,
                                                             owner_c):
    """Three owners name the passkey owner their delegate for a proposal; one withdraws
    while the page is open: the delegate's vote for the three is refused in words
    ("assembly: not the owner's delegate"). Opened again, the page offers the two owners
    left; their votes are cast in one relayed call, the ballots show as the delegate's."""
    page, _, _, problems = phone_page
    assembly = site["contracts"]["OwnersAssembly"]
    account = _passkey_owner(page, site, committee, "3-3-101")
    proposal = demo_activity.open_proposal(assembly, committee, chain, title="关于绿化改造的议案", length=20 * DAY)
    for owner in (owner_a, owner_b, owner_c):
        assembly.set_delegate(account, proposal.id, sender=owner)
    wait_indexed(site, chain)
    replies = _watch_relay(page)
    _open(page, f"#/assembly/{proposal.id}")
    form = page.get_by_test_id("delegate-vote")
    form.get_by_text("有 3 位委托您投票的业主还没有投票。").wait_for(timeout=30_000)

    assembly.revoke_delegation(proposal.id, sender=owner_c)
    assert "您不是这位业主的受托人。" in _refused(page, lambda: form.get_by_role("button").click())
    assert not any(assembly.hasVoted(proposal.id, owner) for owner in (owner_a, owner_b, owner_c))

    wait_indexed(site, chain)
    _open(page, f"#/assembly/{proposal.id}")
    form.get_by_text("有 2 位委托您投票的业主还没有投票。").wait_for(timeout=30_000)
    assert form.locator("select[name=support]").input_value() == str(FOR)
    _settled(page, lambda: form.get_by_role("button").click())
    page.get_by_test_id("delegate-done").wait_for(timeout=30_000)
    page.get_by_test_id("delegate-done").filter(has_text="2 位").wait_for()
    assert assembly.hasVoted(proposal.id, owner_a) and assembly.hasVoted(proposal.id, owner_b)
    assert not assembly.hasVoted(proposal.id, owner_c) and not assembly.hasVoted(proposal.id, account)
    ballots = page.get_by_test_id("ballot").filter(has_text=f"由受托人 {account[:6].lower()}")
    ballots.nth(1).wait_for(timeout=30_000)
    assert ballots.count() == 2
    # owner_a's 1-1-101 and 1-1-102, owner_b's 1-1-201: for, by area.
    assert page.get_by_test_id("tally-area").get_attribute("data-for") == str(8_950 + 12_000 + 9_000)
    screenshot(page, "passkey-delegate-vote")
    _sent_by_relayer(chain, replies, account, [assembly], ["assembly: not the owner's delegate"])
    assert not problems, problems


def test_a_passkey_owner_objects_to_a_recovery_of_their_identity(phone_page, site, chain, committee):
    """The home page's notice of a pending recovery of the owner's identity: the
    committee withdraws it while the page is open, so the objection is refused in words
    ("registry: no pending recovery"); asked again, the objection is relayed and the
    notice says it was made (the recovery is delayed by the change delay)."""
    page, _, _, problems = phone_page
    registry = site["community"].registry
    account = _passkey_owner(page, site, committee, "3-4-101")
    _, identity = registry.identity_of(account)
    new_wallet = Account.create().address
    registry.request_recovery(account, new_wallet, keccak(text="lost-phone-1"), sender=committee)
    wait_indexed(site, chain)
    replies = _watch_relay(page)
    _open(page, "#/home")
    card = page.get_by_test_id("recovery-pending")
    card.get_by_test_id("object-recovery").wait_for(timeout=30_000)

    registry.cancel_recovery(identity, sender=committee)
    assert "没有待处理的钱包找回。" in _refused(page, lambda: card.get_by_test_id("object-recovery").click())

    registry.request_recovery(account, new_wallet, keccak(text="lost-phone-2"), sender=committee)
    eta = registry.pending_recovery(identity).eta
    wait_indexed(site, chain)
    _open(page, "#/home")
    _settled(page, lambda: card.get_by_test_id("object-recovery").click(timeout=30_000))
    card.get_by_text("您已提出异议").wait_for(timeout=30_000)
    assert card.get_by_test_id("object-recovery").count() == 0
    pending = registry.pending_recovery(identity)
    assert pending.objected and pending.eta == eta + registry.change_delay()
    screenshot(page, "passkey-recovery-objected")
    _sent_by_relayer(chain, replies, account, [registry], ["registry: no pending recovery"])
    assert not problems, problems


def test_a_passkey_owner_objects_to_a_preliminary_result(phone_page, site, chain, committee, owner_a):
    """A proposal's preliminary result in its objection period: the owner's objection is
    relayed and counted on the page, which then says the owner objected instead of
    offering the form again. A second tab opened before it still has the form: its
    objection is refused in words ("ballots: already objected")."""
    page, cdp, authenticator, problems = phone_page
    assembly, paper = site["contracts"]["OwnersAssembly"], site["contracts"]["PaperBallots"]
    account = _passkey_owner(page, site, committee, "3-5-101")
    proposal = demo_activity.open_proposal(assembly, committee, chain, title="关于公共收益分配的议案", length=DAY)
    chain.pending_timestamp = proposal.end
    paper.publish_preliminary(proposal.id, sender=owner_a)
    wait_indexed(site, chain)
    stale, stale_problems = _second_tab(page, cdp, authenticator, site, f"#/assembly/{proposal.id}")
    stale.get_by_test_id("object-form").wait_for(timeout=30_000)
    replies = _watch_relay(page)
    stale_replies = _watch_relay(stale)
    _open(page, f"#/assembly/{proposal.id}")
    form = page.get_by_test_id("object-form")
    counted = page.get_by_test_id("result-objections")
    assert counted.get_attribute("data-objections", timeout=30_000) == "0"

    form.get_by_test_id("objection-text").fill("纸质票的计票没有公开唱票")
    _settled(page, lambda: form.get_by_test_id("object").click())
    page.locator("[data-testid=result-objections][data-objections='1']").wait_for(timeout=30_000)
    _, mine = site["community"].registry.identity_of(account)
    assert paper.objected(proposal.id, mine)
    page.get_by_test_id("objected").wait_for(timeout=30_000)
    assert "您已对该结果提出异议" in page.get_by_test_id("objected").inner_text()
    assert page.get_by_test_id("object-form").count() == 0
    screenshot(page, "passkey-result-objected")

    stale_form = stale.get_by_test_id("object-form")
    stale_form.get_by_test_id("objection-text").fill("再提一次")
    assert "您已对该结果提出过异议。" in _refused(stale, lambda: stale_form.get_by_test_id("object").click())
    assert paper.objections(proposal.id) == 1
    _sent_by_relayer(chain, replies, account, [paper], [])
    _sent_by_relayer(chain, stale_replies, account, [], ["ballots: already objected"])
    assert not problems, problems
    assert not stale_problems, stale_problems
