"""Fixtures of the passkey accounts' tests: the implementation and the factory (they
belong to the chain, not to a community), a resident's passkey and the account it
controls, and a relayer that pays the gas.

The contracts are deployed once per module, not per session: a session fixture first set
up inside another folder's module snapshot (tests/assembly before tests/passkey) was
reverted with that snapshot while pytest kept its cached contracts, and every later test
met an address with no code. A module fixture is set up inside its own module's snapshot
and lives exactly as long."""

from __future__ import annotations

import pytest

from backend.chain.deploy_passkeys import deploy_passkeys
from tests.utils.webauthn import Passkey


@pytest.fixture(scope="module")
def passkey_stack(project, chain, committee):
    return deploy_passkeys(project, chain, committee)


@pytest.fixture(scope="module")
def passkey_factory(passkey_stack):
    return passkey_stack["PasskeyAccountFactory"]


@pytest.fixture(scope="session")
def phone():
    """The resident's first passkey (deterministic, so failures reproduce)."""
    return Passkey(seed=0x1A2B3C)


@pytest.fixture(scope="session")
def new_phone():
    return Passkey(seed=0x4D5E6F)


@pytest.fixture(scope="session")
def stranger_phone():
    return Passkey(seed=0x777)


@pytest.fixture(scope="session")
def relayer(accounts):
    """Pays the gas of what residents' accounts signed (the backend's relayer key)."""
    return accounts[8]


@pytest.fixture(scope="module")
def passkey_account(project, passkey_factory, phone, relayer):
    passkey_factory.create_account(*phone.public_key, sender=relayer)
    return project.PasskeyAccount.at(passkey_factory.account_address(*phone.public_key))

