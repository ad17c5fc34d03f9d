"""Fixtures for DataConsent: a populated community with the consent register
deployed with a vault account as its logger."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from backend.chain.deploy_consent import deploy_suggestions_and_consent
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)

DAY = 86400
MAX_GRANT_DURATION = 366 * DAY
PHONE = keccak(text="phone")
ADDRESS = keccak(text="address")
ID_NUMBER = keccak(text="id_number")



@pytest.fixture(scope="session")
def vault_account(accounts):
    return accounts.generate_test_account()


@pytest.fixture
def vault(vault_account, committee):
    """The vault's account (the logger), funded for gas."""
    committee.transfer(vault_account, 10**19)
    return vault_account


@pytest.fixture
def consent(project, chain, committee, populated, vault):
    return deploy_suggestions_and_consent(project, chain, committee, populated, vault_logger=vault)["DataConsent"]


@pytest.fixture
def granted(consent, chain, owner_a, provider):
    """owner_a grants the provider the phone scope for 7 days; returns the expiry."""
    expiry = chain.pending_timestamp + 7 * DAY
    consent.grant(provider, PHONE, expiry, h("request 12"), sender=owner_a)
    return expiry
