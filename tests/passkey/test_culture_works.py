# SPDX-License-Identifier: AGPL-3.0-only
"""A passkey account holds culture works (issue 18, "owners without a crypto wallet"):
CultureWorks mints a work to its caller, and gives one, with ERC-721's safe-transfer
check, so a contract receiver must answer `onERC721Received`. The account answers it,
whether it registers a work itself (a call its passkey signed, text URI or binary CID)
or a neighbour gives it one. The hook is pure: called by anyone, with any data (even an
`execute` call's bytes), it only answers the selector; the account's nonce, keys, ether
and works stay where they were.

One community for the module, each test in its own chain snapshot."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_culture import deploy_culture
from tests.culture.conftest import URI, cid_v1, sha
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

AREA = 9_000
RECEIVED = bytes.fromhex("150b7a02")  # onERC721Received(address,address,uint256,bytes)


@pytest.fixture(scope="module")
def gallery(project, chain, deploy, committee, owner_a, passkey_factory):
    """A community with CultureWorks; owner_a (a wallet) and a passkey account own units."""
    community = deploy(name="作品小区")
    key = Passkey(seed=0xA27)
    passkey_factory.create_account(*key.public_key, sender=committee)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    community.registry.register_units([("3-1-101", AREA, owner_a.address, commitment_for("owner_a")),
                                       ("3-1-102", AREA, account.address, commitment_for("passkey-artist"))],
                                      sender=committee)
    culture = deploy_culture(project, chain, committee, community)["CultureWorks"]
    return {"culture": culture, "account": account, "key": key, "registry": community.registry}


def test_an_account_registers_a_work_its_passkey_signed_and_holds_it(gallery, chain, relayer):
    culture, account, key = gallery["culture"], gallery["account"], gallery["key"]
    for text, data in (
        ("阳台上的月季", culture.mint_work.encode_input("月季", 2, sha("阳台上的月季"), URI)),
        ("楼下的银杏", culture.mint_work_cid.encode_input("银杏", 1, sha("楼下的银杏"), cid_v1(sha("meta")))),
    ):
        tx = account.execute(*sign_call(account, key, chain.chain_id, culture, data=data), sender=relayer)
        token_id = int.from_bytes(sha(text), "big")
        [minted] = tx.decode_logs(culture.WorkMinted)
        assert (minted.token_id, minted.creator) == (token_id, account.address)
        assert culture.ownerOf(token_id) == account.address
        assert culture.work(token_id).creator == account.address
    assert culture.balanceOf(account.address) == 2 and account.next_nonce() == 2


def test_an_account_accepts_a_work_a_neighbour_gives_it(gallery, owner_a):
    culture, account = gallery["culture"], gallery["account"]
    content = sha("春联")
    culture.mint_work("春联", 0, content, f"sha256:{content.hex()}", sender=owner_a)
    token_id = int.from_bytes(content, "big")
    tx = culture.gift(account.address, token_id, sender=owner_a)
    [moved] = tx.decode_logs(culture.Transfer)
    assert (moved.sender, moved.receiver, moved.token_id) == (owner_a.address, account.address, token_id)
    assert culture.ownerOf(token_id) == account.address and culture.work(token_id).gifted


def test_the_hook_is_pure_it_moves_and_runs_nothing(gallery, project, chain, attacker, relayer):
    """Anyone may call onERC721Received with any arguments: it answers the selector and
    nothing else happens, even when its data is a signed `execute` of the account's."""
    culture, account, key = gallery["culture"], gallery["account"], gallery["key"]
    chain.set_balance(account.address, 10**18)
    signed = sign_call(account, key, chain.chain_id, attacker, value=10**17)
    execute_bytes = account.execute.encode_input(*signed)
    before = (account.next_nonce(), account.passkey_count(), chain.provider.get_balance(account.address))
    answer = account.onERC721Received(attacker, attacker, 1, execute_bytes)
    assert bytes(answer) == RECEIVED
    tx = account.onERC721Received.transact(attacker, attacker, 1, execute_bytes, sender=attacker)
    assert tx.logs == []
    assert (account.next_nonce(), account.passkey_count(), chain.provider.get_balance(account.address)) == before
    # The signed call is still the one its passkey signed, usable once, by anyone.
    account.execute(*signed, sender=relayer)
    assert account.next_nonce() == before[0] + 1
    # Ether sent with the hook is refused (it is not payable), so it is no way in either.
    with ape.reverts():
        account.onERC721Received.transact(attacker, attacker, 1, b"", sender=attacker, value=1)
