"""Fixtures for the SuggestionBox: a populated community with the box deployed by
the committee (so the box is a points minter) at the default reward."""

from __future__ import annotations

import pytest

from backend.chain.deploy_consent import DEFAULT_SUGGESTION_REWARD, deploy_suggestions_and_consent
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)

SUBMITTED, RECEIVED, ACCEPTED, IN_PROGRESS, DONE, DECLINED = 1, 2, 3, 4, 5, 6
REWARD = DEFAULT_SUGGESTION_REWARD
REASON_SUGGESTION_ACCEPTED = 7

# The allowed moves, written out independently of the contract's bit table.
ALLOWED = {
    (SUBMITTED, RECEIVED),
    (SUBMITTED, ACCEPTED),
    (SUBMITTED, DECLINED),
    (RECEIVED, ACCEPTED),
    (RECEIVED, DECLINED),
    (ACCEPTED, IN_PROGRESS),
    (ACCEPTED, DONE),
    (IN_PROGRESS, IN_PROGRESS),
    (IN_PROGRESS, DONE),
}



@pytest.fixture
def stack(project, chain, committee, populated):
    return deploy_suggestions_and_consent(project, chain, committee, populated)


@pytest.fixture
def box(stack):
    return stack["SuggestionBox"]


@pytest.fixture
def submitted(box, owner_a):
    """Suggestion 1, by owner_a, category 2."""
    box.submit(2, h("more bicycle parking"), sender=owner_a)
    return 1
