# SPDX-License-Identifier: AGPL-3.0-only
"""A resident with only a passkey does their own civic acts through the backend's relayer
(issue 18, "every resident flow works with either"): leaves feedback on an activity they
attended, grants and revokes consent to their own data, co-signs an owners' motion, names
and withdraws a delegate, votes as the delegate of owners who chose them, objects to a
preliminary result and to a recovery of their own identity, registers a culture work
(minted to the account, which accepts ERC-721), and pays a merchant in
points (the one points call the relayer pays for: `transfer` to a registered merchant). Each is on the relayer's
allow-list because the contract itself acts only for msg.sender; so each has its
attacker's sibling here: the same function aimed at another resident's activity, grant,
owners or identity is refused by the contract's own reason in the simulation (409,
nothing sent), and the role-only functions of the same contracts are the policy's 403
even when the account holds the role.

One community for the module (fresh, so its six owners give a co-sign threshold of two),
with the contracts these acts need; each test runs in its own chain snapshot."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak

from backend.chain.deploy_activities import deploy_activities
from backend.chain.deploy_assembly import deploy_assembly
from backend.chain.deploy_consent import deploy_suggestions_and_consent
from backend.chain.deploy_culture import deploy_culture
from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import role_id
from backend.chain.relayer import BallotRelayer
from backend.indexer.rpc import RpcClient
from backend.relayer.passkeys import Assertion, PasskeyRefused, PasskeyRelayer
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import FOR, at, open_voting, propose
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

AREA = 9_000
DAY = 86_400
HOUR = 3_600
PHONE = keccak(text="phone")
NOT_ALLOWED = "relayer: call not allowed"


@pytest.fixture(scope="module")
def stage(project, chain, deploy, committee, owner_a, owner_b, owner_c, tenant, developer, provider,
          passkey_stack, passkey_factory):
    """Six owners, one of them a passkey account; fees, activities, consent and the
    assembly deployed on their community; a relayer with a key of its own."""
    community = deploy(name="中继小区")
    registry = community.registry
    key = Passkey(seed=0xAC75)
    passkey_factory.create_account(*key.public_key, sender=committee)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    owners = [(owner_a, "owner_a"), (owner_b, "owner_b"), (owner_c, "owner_c"), (tenant, "tenant"),
              (developer, "developer"), (account, "passkey-acts")]
    registry.register_units([(f"8-1-{101 + i}", AREA, who.address, commitment_for(name))
                             for i, (who, name) in enumerate(owners)], sender=committee)
    registry.grantRole(role_id("provider"), provider.address, sender=committee)
    merchant = Account.create().address
    registry.grantRole(role_id("merchant"), merchant, sender=committee)
    community.points.mint(account.address, 1_000, 1, sender=committee)  # a committee grant
    fees = deploy_fees(project, chain, committee, community)["PropertyFees"]
    deployed = {
        **deploy_activities(project, chain, committee, community, fees),
        **deploy_suggestions_and_consent(project, chain, committee, community),
        **deploy_assembly(project, chain, committee, community, **ASSEMBLY_PARAMS),
        **deploy_culture(project, chain, committee, community),
    }
    sender = Account.create()
    chain.set_balance(sender.address, 10**20)
    rpc = RpcClient(chain.provider.uri, timeout_s=10)
    contracts = {name: c.address for name, c in community.contracts().items()}
    contracts.update({name: c.address for name, c in {**passkey_stack, **deployed}.items()})
    yield {"registry": registry, "points": community.points, "merchant": merchant, "account": account, "key": key,
           "sender": sender.address, "contracts": contracts,
           "relayer": PasskeyRelayer(BallotRelayer(rpc, sender.key.to_0x_hex(), receipt_timeout_s=60)),
           **deployed}
    rpc.close()


def relay(s, chain, target, data):
    account = s["account"]
    target, value, data, nonce, assertion = sign_call(account, s["key"], chain.chain_id, target, data=data)
    relayed = s["relayer"].execute(s["contracts"], account.address, target, value, data, nonce, Assertion(*assertion))
    assert relayed.status == "confirmed"
    return chain.provider.get_receipt(relayed.tx_hash)


def refused(s, chain, target, data, status, code, reason):
    before = chain.provider.get_nonce(s["sender"])
    nonce = s["account"].next_nonce()
    with pytest.raises(PasskeyRefused) as info:
        relay(s, chain, target, data)
    assert (info.value.status, info.value.code, info.value.reason) == (status, code, reason), info.value.message
    # Nothing was sent: the relayer's nonce and the account's are where they were.
    assert chain.provider.get_nonce(s["sender"]) == before
    assert s["account"].next_nonce() == nonce


def test_an_attendee_leaves_feedback_through_the_relayer(stage, chain, committee, owner_c):
    activities, account = stage["CommunityActivities"], stage["account"]
    start = chain.pending_timestamp + DAY
    ids = []
    for title in ("读书会", "太极拳"):
        tx = activities.create_activity(title, keccak(text=title), start, start + 2 * HOUR, 5, 10, owner_c,
                                        sender=committee)
        ids.append(tx.decode_logs(activities.ActivityCreated)[0].activity_id)
    attended, missed = ids
    for activity_id in ids:
        relay(stage, chain, activities, activities.sign_up.encode_input(activity_id))
    at(chain, start)
    activities.check_in(attended, [account.address], sender=owner_c)
    at(chain, start + 2 * HOUR)
    chain.mine()

    receipt = relay(stage, chain, activities, activities.leave_feedback.encode_input(attended, 4, b"\x01" * 32))
    [given] = receipt.decode_logs(activities.FeedbackGiven)
    assert (given.activity_id, given.attendee, given.score) == (attended, account.address, 4)
    assert activities.seat(attended, account.address)[3] == 4
    # Its siblings: once only; an activity the account signed up for but did not attend.
    refused(stage, chain, activities, activities.leave_feedback.encode_input(attended, 5, b"\x00" * 32), 409,
            "would_revert", "activities: feedback already given")
    refused(stage, chain, activities, activities.leave_feedback.encode_input(missed, 5, b"\x00" * 32), 409,
            "would_revert", "activities: did not attend")
    # The organiser's and the committee's functions: the policy's 403.
    for data in (activities.check_in.encode_input(missed, [account.address]),
                 activities.approve_activity.encode_input(missed),
                 activities.cancel_activity.encode_input(missed, b"\x02" * 32),
                 activities.create_activity.encode_input("x", b"\x03" * 32, start + DAY, start + DAY + HOUR, 5, 10,
                                                         account.address)):
        refused(stage, chain, activities, data, 403, "call_not_allowed", NOT_ALLOWED)


def test_a_resident_grants_and_revokes_consent_through_the_relayer(stage, chain, provider, owner_a, attacker):
    consent, account = stage["DataConsent"], stage["account"]
    expiry = chain.pending_timestamp + 7 * DAY
    receipt = relay(stage, chain, consent, consent.grant.encode_input(provider.address, PHONE, expiry, b"\x00" * 32))
    [granted] = receipt.decode_logs(consent.ConsentGranted)
    assert (granted.resident, granted.grantee, granted.scope) == (account.address, provider.address, PHONE)
    assert consent.has_live_grant(account.address, provider.address, PHONE)

    # Another resident's grant of the same grantee and scope is theirs: the account's
    # revoke acts on its own grant only, and a second revoke has nothing left to revoke.
    consent.grant(provider.address, PHONE, expiry, b"\x00" * 32, sender=owner_a)
    receipt = relay(stage, chain, consent, consent.revoke.encode_input(provider.address, PHONE))
    [revoked] = receipt.decode_logs(consent.ConsentRevoked)
    assert (revoked.resident, revoked.grantee) == (account.address, provider.address)
    assert not consent.has_live_grant(account.address, provider.address, PHONE)
    assert consent.has_live_grant(owner_a.address, provider.address, PHONE)
    refused(stage, chain, consent, consent.revoke.encode_input(provider.address, PHONE), 409, "would_revert",
            "consent: nothing to revoke")
    # A grant to a wallet holding no service role: the contract's rule.
    refused(stage, chain, consent, consent.grant.encode_input(attacker.address, PHONE, expiry, b"\x00" * 32), 409,
            "would_revert", "consent: grantee holds no service role")
    # The vault's logging and the committee's logger switch: the policy's 403.
    for data in (consent.log_access.encode_input(owner_a.address, provider.address, PHONE, b"\x04" * 32),
                 consent.set_logger.encode_input(account.address, True)):
        refused(stage, chain, consent, data, 403, "call_not_allowed", NOT_ALLOWED)


def test_an_owner_cosigns_delegates_and_votes_as_a_delegate_through_the_relayer(stage, chain, owner_a, owner_b,
                                                                                  owner_c):
    assembly, account = stage["OwnersAssembly"], stage["account"]
    motion = propose(assembly, owner_a, chain)
    assert assembly.has_cosigned(motion.id, owner_a.address) and not assembly.has_cosigned(motion.id, account.address)
    receipt = relay(stage, chain, assembly, assembly.cosign.encode_input(motion.id))
    [cosigned] = receipt.decode_logs(assembly.ProposalCosigned)
    assert (cosigned.owner, cosigned.cosigners) == (account.address, 2)
    assert assembly.has_cosigned(motion.id, account.address)
    refused(stage, chain, assembly, assembly.cosign.encode_input(motion.id), 409, "would_revert",
            "assembly: not collecting co-signers")

    # A standing delegate named and withdrawn by the account itself.
    receipt = relay(stage, chain, assembly, assembly.set_delegate.encode_input(owner_b.address, 0))
    [named] = receipt.decode_logs(assembly.DelegationSet)
    assert (named.owner, named.delegate) == (account.address, owner_b.address)
    relay(stage, chain, assembly, assembly.revoke_delegation.encode_input(0))
    refused(stage, chain, assembly, assembly.revoke_delegation.encode_input(0), 409, "would_revert",
            "assembly: no delegation")

    # owner_c makes the account its delegate for the motion: the account votes for owner_c,
    # and for nobody who did not choose it.
    assembly.set_delegate(account.address, motion.id, sender=owner_c)
    open_voting(chain, motion)
    refused(stage, chain, assembly, assembly.castVoteAsDelegate.encode_input(motion.id, [owner_c.address, owner_b.address],
                                                                           FOR),
            409, "would_revert", "assembly: not the owner's delegate")
    receipt = relay(stage, chain, assembly, assembly.castVoteAsDelegate.encode_input(motion.id, [owner_c.address], FOR))
    [voted] = receipt.decode_logs(assembly.DelegateVoteCast)
    assert (voted.delegate, voted.owner) == (account.address, owner_c.address)
    assert assembly.hasVoted(motion.id, owner_c.address) and not assembly.hasVoted(motion.id, account.address)
    # Proposing, queueing and executing are not the relayer's to pay for.
    for data in (assembly.propose.encode_input([], [], [], 0, "x", b"\x05" * 32, motion.end + DAY, motion.end + 9 * DAY),
                 assembly.queue.encode_input(*motion.calls), assembly.execute.encode_input(*motion.calls)):
        refused(stage, chain, assembly, data, 403, "call_not_allowed", NOT_ALLOWED)


def test_an_owner_objects_to_a_preliminary_result_through_the_relayer(stage, chain, owner_a):
    assembly, paper, account = stage["OwnersAssembly"], stage["PaperBallots"], stage["account"]
    proposal = propose(assembly, owner_a, chain)
    relay(stage, chain, assembly, assembly.cosign.encode_input(proposal.id))
    at(chain, proposal.end)
    paper.publish_preliminary(proposal.id, sender=owner_a)
    receipt = relay(stage, chain, paper, paper.object_result.encode_input(proposal.id, b"\x06" * 32))
    [objected] = receipt.decode_logs(paper.ResultObjected)
    assert (objected.owner, objected.objections) == (account.address, 1)
    refused(stage, chain, paper, paper.object_result.encode_input(proposal.id, b"\x07" * 32), 409, "would_revert",
            "ballots: already objected")
    # Publishing (anyone's, once) and the tellers' work: the policy's 403.
    for data in (paper.publish_final.encode_input(proposal.id), paper.publish_preliminary.encode_input(proposal.id),
                 paper.declare_collected.encode_input(proposal.id, 1),
                 paper.appoint_tellers.encode_input(proposal.id, [account.address])):
        refused(stage, chain, paper, data, 403, "call_not_allowed", NOT_ALLOWED)


def test_an_owner_objects_to_a_recovery_of_their_own_identity_through_the_relayer(stage, chain, committee, owner_a,
                                                                                   attacker):
    registry, account = stage["registry"], stage["account"]
    _, mine = registry.identity_of(account.address)
    _, theirs = registry.identity_of(owner_a.address)
    registry.request_recovery(account.address, attacker.address, b"\x08" * 32, sender=committee)
    registry.request_recovery(owner_a.address, Account.create().address, b"\x09" * 32, sender=committee)
    eta = registry.pending_recovery(mine).eta
    # Another owner's pending recovery: only that identity's wallet may object.
    refused(stage, chain, registry, registry.object_recovery.encode_input(theirs, b"\x00" * 32), 409, "would_revert",
            "registry: only the identity's wallet")
    receipt = relay(stage, chain, registry, registry.object_recovery.encode_input(mine, b"\x0a" * 32))
    [objected] = receipt.decode_logs(registry.RecoveryObjected)
    assert (objected.identity, objected.wallet) == (mine, account.address)
    assert registry.pending_recovery(mine).eta == eta + registry.change_delay()
    assert not registry.pending_recovery(theirs).objected
    # The committee's side of a recovery: the policy's 403.
    for data in (registry.cancel_recovery.encode_input(mine),
                 registry.request_recovery.encode_input(owner_a.address, account.address, b"\x0b" * 32)):
        refused(stage, chain, registry, data, 403, "call_not_allowed", NOT_ALLOWED)


POINTS_RULE = "relayer: points only to this community's merchants"


def test_a_resident_pays_a_merchant_in_points_through_the_relayer(stage, chain):
    points, account, merchant = stage["points"], stage["account"], stage["merchant"]
    before = (points.balanceOf(account.address), points.balanceOf(merchant))
    receipt = relay(stage, chain, points, points.transfer.encode_input(merchant, 120))
    [moved] = receipt.decode_logs(points.Transfer)
    assert (moved.sender, moved.receiver, moved.value) == (account.address, merchant, 120)
    assert (points.balanceOf(account.address), points.balanceOf(merchant)) == (before[0] - 120, before[1] + 120)
    print(f"\nrelayed passkey points payment (transfer to a merchant, precompile): {receipt.gas_used:,} gas")
    # More than the account holds: the contract's own refusal in the simulation.
    refused(stage, chain, points, points.transfer.encode_input(merchant, before[0]), 409, "would_revert",
            "erc20: transfer amount exceeds balance")


def test_points_calls_other_than_paying_a_merchant_are_refused(stage, chain, committee, deploy, owner_a):
    """transferFrom, approvals, a transfer to a resident (even with free transfer on), to
    another community's merchant, to the account itself, of zero points or with trailing
    bytes: each the policy's 403 naming its rule, nothing sent, no balance moved."""
    points, account, merchant = stage["points"], stage["account"], stage["merchant"]
    other = deploy(name="别的商圈")
    theirs = Account.create().address
    other.registry.grantRole(role_id("merchant"), theirs, sender=committee)
    assert other.points.is_merchant(theirs) and not points.is_merchant(theirs)
    # Free transfer on: the contract would let the account pay any resident; the relayer does not.
    points.set_free_transfer(True, sender=committee)
    held = points.balanceOf(account.address)
    balances = lambda: [points.balanceOf(a) for a in (account.address, merchant, owner_a.address, theirs)]  # noqa: E731
    start = balances()
    pay = points.transfer.encode_input(merchant, 5)
    cases = [
        (points.transfer.encode_input(owner_a.address, 5), "not_a_merchant", POINTS_RULE),
        (points.transfer.encode_input(theirs, 5), "not_a_merchant", POINTS_RULE),
        (points.transfer.encode_input(account.address, 5), "points_payment_not_allowed",
         "relayer: points payment to the account itself"),
        (points.transfer.encode_input(merchant, 0), "points_payment_not_allowed", "relayer: points payment of zero"),
        (pay + b"\0" * 32, "points_payment_not_allowed", "relayer: points payment is not (merchant, amount)"),
        (pay[:-1], "points_payment_not_allowed", "relayer: points payment is not (merchant, amount)"),
        (points.transferFrom.encode_input(account.address, merchant, 5), "call_not_allowed", NOT_ALLOWED),
        (points.approve.encode_input(merchant, held), "call_not_allowed", "relayer: no token approvals"),
        (points.redeem.encode_input(5, b"\x0c" * 32), "call_not_allowed", NOT_ALLOWED),
        (points.mint.encode_input(account.address, 5, 1), "call_not_allowed", NOT_ALLOWED),
    ]
    for data, code, reason in cases:
        refused(stage, chain, points, data, 403, code, reason)
    # Another community's points contract: not a target at all.
    refused(stage, chain, other.points, other.points.transfer.encode_input(theirs, 5), 403, "foreign_contract",
            "relayer: contract outside the community")
    assert balances() == start and points.allowance(account.address, merchant) == 0
    # With the merchant role withdrawn, the same payment is refused too.
    stage["registry"].revokeRole(role_id("merchant"), merchant, sender=committee)
    refused(stage, chain, points, pay, 403, "not_a_merchant", POINTS_RULE)
    assert balances() == start


def test_a_resident_registers_a_culture_work_through_the_relayer(stage, chain, committee, project, passkey_factory):
    """mint_work and mint_work_cid mint to the caller: the signing account holds the work.
    A passkey account of no household is refused by the contract ("culture: members
    only", 409, nothing sent); the committee's CultureWorks functions are the policy's 403."""
    culture, account = stage["CultureWorks"], stage["account"]
    content = keccak(text="阳台上的月季")
    receipt = relay(stage, chain, culture, culture.mint_work.encode_input("月季", 2, content, f"sha256:{content.hex()}"))
    [minted] = receipt.decode_logs(culture.WorkMinted)
    token_id = int.from_bytes(content, "big")
    assert (minted.token_id, minted.creator) == (token_id, account.address)
    assert culture.ownerOf(token_id) == account.address
    print(f"\nrelayed passkey mint_work (precompile): {receipt.gas_used:,} gas")
    cid = bytes([1, 0x55, 0x12, 32]) + keccak(text="meta")  # CIDv1, raw, sha2-256
    content = keccak(text="楼下的银杏")
    receipt = relay(stage, chain, culture, culture.mint_work_cid.encode_input("银杏", 1, content, cid))
    assert culture.ownerOf(int.from_bytes(content, "big")) == account.address
    assert culture.balanceOf(account.address) == 2
    # The same content again: the contract's own rule, nothing sent.
    refused(stage, chain, culture, culture.mint_work.encode_input("again", 2, content, "sha256:x"), 409,
            "would_revert", "culture: content already registered")

    # A passkey account that lives in no household of this community.
    key = Passkey(seed=0xBAD)
    passkey_factory.create_account(*key.public_key, sender=committee)
    outsider = {**stage, "key": key,
                "account": project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))}
    other = keccak(text="outsider")
    refused(outsider, chain, culture, culture.mint_work.encode_input("外人", 2, other, "sha256:y"), 409,
            "would_revert", "culture: members only")
    refused(outsider, chain, culture, culture.mint_work_cid.encode_input("外人", 2, other, cid), 409,
            "would_revert", "culture: members only")
    assert culture.balanceOf(outsider["account"].address) == 0

    # Hiding, exhibitions, the reward and gift settings (the committee's), and the
    # untradeable transfers: the policy's 403, even to the account that holds the work.
    for data in (culture.hide_work.encode_input(token_id, b"\x01" * 32),
                 culture.unhide_work.encode_input(token_id, b"\x01" * 32),
                 culture.create_exhibition.encode_input("展"),
                 culture.add_to_exhibition.encode_input(1, token_id),
                 culture.set_like_reward.encode_input(5, 50),
                 culture.set_gifts_enabled.encode_input(False),
                 culture.gift.encode_input(stage["merchant"], token_id),
                 culture.transferFrom.encode_input(account.address, stage["merchant"], token_id)):
        refused(stage, chain, culture, data, 403, "call_not_allowed", NOT_ALLOWED)
