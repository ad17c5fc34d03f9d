"""The factory puts each passkey's account at the one address its public key names, for
anyone who asks, and nobody can take that address for another key."""

from __future__ import annotations

import ape
from eth_utils import keccak, to_checksum_address
from eth_abi import encode

from tests.passkey.helpers import sign_call
from tests.utils.webauthn import Passkey

PROXY_PREFIX = bytes.fromhex("602d3d8160093d39f3363d3d373d3d3d363d73")
PROXY_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")


def create2_address(factory: str, implementation: str, x: int, y: int) -> str:
    """CREATE2 of Vyper's minimal proxy, computed without the contract."""
    init_code = PROXY_PREFIX + bytes.fromhex(implementation[2:]) + PROXY_SUFFIX
    salt = keccak(encode(["uint256", "uint256"], [x, y]))
    return to_checksum_address(keccak(b"\xff" + bytes.fromhex(factory[2:]) + salt + keccak(init_code))[12:])


def test_the_address_is_known_before_the_account_exists(project, passkey_factory, passkey_stack, chain, relayer):
    key = Passkey(seed=101)
    expected = create2_address(passkey_factory.address, passkey_stack["PasskeyAccount"].address, *key.public_key)
    assert passkey_factory.account_address(*key.public_key) == expected
    assert len(chain.provider.get_code(expected)) == 0
    tx = passkey_factory.create_account(*key.public_key, sender=relayer)
    [created] = tx.decode_logs(passkey_factory.AccountCreated)
    assert (created.account, created.x, created.y) == (expected, *key.public_key)
    assert tx.return_value == expected
    account = project.PasskeyAccount.at(expected)
    assert account.is_passkey(*key.public_key) and account.passkey_count() == 1


def test_creating_twice_returns_the_same_account(project, passkey_factory, passkey_account, phone, new_phone, chain, relayer, attacker):
    # The account has changed since (a second key): creating again leaves it as it is.
    passkey_account.execute(*sign_call(passkey_account, phone, chain.chain_id, passkey_account,
                                       data=passkey_account.add_passkey.encode_input(*new_phone.public_key)), sender=relayer)
    tx = passkey_factory.create_account(*phone.public_key, sender=attacker)
    assert tx.return_value == passkey_account.address
    assert tx.decode_logs(passkey_factory.AccountCreated) == []
    assert passkey_account.passkey_count() == 2 and passkey_account.next_nonce() == 1


def test_a_front_run_creation_still_gives_the_resident_the_account(project, passkey_factory, chain, relayer, attacker, tenant):
    """Whoever creates the account first, it is the key's: the attacker's transaction only
    pays for the resident's account."""
    key, attackers_key = Passkey(seed=202), Passkey(seed=303)
    passkey_factory.create_account(*key.public_key, sender=attacker)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    assert account.is_passkey(*key.public_key) and not account.is_passkey(*attackers_key.public_key)
    assert passkey_factory.account_address(*attackers_key.public_key) != account.address
    chain.set_balance(account.address, 10**18)
    with ape.reverts("passkey: unknown key"):
        account.execute(*sign_call(account, attackers_key, chain.chain_id, attacker, value=1), sender=attacker)
    account.execute(*sign_call(account, key, chain.chain_id, tenant, value=1), sender=relayer)


def test_a_point_off_the_curve_gets_no_account(passkey_factory, phone, chain, relayer):
    x, y = phone.public_key
    address = passkey_factory.account_address(x, y + 1)
    with ape.reverts("passkey: not a P-256 point"):
        passkey_factory.create_account(x, y + 1, sender=relayer)
    assert len(chain.provider.get_code(address)) == 0


def test_the_account_is_a_45_byte_proxy_to_the_implementation(passkey_account, passkey_stack, chain):
    code = bytes(chain.provider.get_code(passkey_account.address))
    assert len(code) == 45
    assert bytes.fromhex(passkey_stack["PasskeyAccount"].address[2:]) in code


def test_the_factory_names_its_implementation_and_proxy_code(passkey_factory, passkey_stack):
    implementation = passkey_stack["PasskeyAccount"].address
    assert passkey_factory.IMPLEMENTATION() == implementation
    init_code = PROXY_PREFIX + bytes.fromhex(implementation[2:]) + PROXY_SUFFIX
    assert passkey_factory.PROXY_INIT_CODE_HASH() == keccak(init_code)
