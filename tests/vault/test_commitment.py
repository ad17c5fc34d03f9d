"""The committee checks the vault's ID number and salt against the registry's commitment
without the ID number leaving the vault."""

from __future__ import annotations

import pytest

from backend.identity import identity_commitment, new_salt
from tests.utils.households import link_resident

ID_NUMBER = "31010919850615002X"


@pytest.fixture
def newcomer(accounts, registry, committee, chain):
    """A new owner registered with a realistic ID number's commitment; returns (account, salt)."""
    account = accounts.generate_test_account()
    committee.transfer(account, 10**18)
    salt = new_salt()
    registry.register_unit("2-1-101", 9_500, account.address, identity_commitment(ID_NUMBER, salt), sender=committee)
    return account, salt


def _check(client, base, headers, who):
    return client.get(f"{base}/residents/{who.address.lower()}/commitment", headers=headers)


def test_match_mismatch_no_data(client, base, signed_in, committee, newcomer):
    account, salt = newcomer
    headers = signed_in(committee)
    answer = _check(client, base, headers, account).json()
    assert (answer["result"], answer["registered_as"]) == ("no_data", "owner")
    own = signed_in(account)
    client.put(f"{base}/profile", json={"id_number": ID_NUMBER.lower(), "identity_salt": "0x" + salt.hex()},
               headers=own)
    answer = _check(client, base, headers, account).json()
    assert answer["result"] == "match"  # the commitment normalises case, as the registration did
    assert answer["chain_commitment"] == "0x" + identity_commitment(ID_NUMBER, salt).hex()
    assert ID_NUMBER not in str(answer) and ID_NUMBER.lower() not in str(answer) and salt.hex() not in str(answer)
    client.put(f"{base}/profile", json={"id_number": "310109198506150021"}, headers=own)
    assert _check(client, base, headers, account).json()["result"] == "mismatch"
    client.put(f"{base}/profile", json={"id_number": ID_NUMBER, "identity_salt": "0x" + new_salt().hex()},
               headers=own)
    assert _check(client, base, headers, account).json()["result"] == "mismatch"
    client.put(f"{base}/profile", json={"identity_salt": None}, headers=own)
    assert _check(client, base, headers, account).json()["result"] == "no_data"


def test_linked_resident_and_unregistered(client, base, signed_in, committee, registry, owner_b, accounts):
    tenant = accounts.generate_test_account()
    committee.transfer(tenant, 10**17)  # the resident accepts the link in a transaction of its own
    salt = new_salt()
    link_resident(registry, 3, tenant, identity_commitment("G12345678", salt), owner_b)
    client.put(f"{base}/profile", json={"id_number": "G12345678", "identity_salt": "0x" + salt.hex()},
               headers=signed_in(tenant))
    headers = signed_in(committee)
    answer = _check(client, base, headers, tenant).json()
    assert (answer["result"], answer["registered_as"]) == ("match", "resident")
    stranger = accounts.generate_test_account()
    answer = _check(client, base, headers, stranger).json()
    assert (answer["result"], answer["registered_as"], answer["chain_commitment"]) == ("not_registered", None, None)


@pytest.mark.parametrize("caller", ["newcomer", "owner_a", "manager", "provider", "attacker"])
def test_only_the_committee(client, base, signed_in, newcomer, caller, owner_a, manager, provider, attacker):
    account, _salt = newcomer
    # Fixtures by argument, not request.getfixturevalue: titanoboa's plugin needs them set up in order.
    who = {"newcomer": account, "owner_a": owner_a, "manager": manager, "provider": provider,
           "attacker": attacker}[caller]
    response = _check(client, base, signed_in(who), account)
    assert response.status_code == 403 and "committee" in response.json()["detail"]

