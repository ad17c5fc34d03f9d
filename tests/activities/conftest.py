"""Fixtures for CommunityActivities and MerchantPromotions: a populated community with
PropertyFees, the activities and promotions deployed through deploy_activities, an
open activity, check-in codes signed independently of the contract."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from backend.chain.deploy_activities import deploy_activities
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)

HOUR = 3600
DAY = 86400
GRACE = 3600
MAX_POINTS = 100
POINTS = 10
CAPACITY = 3
REASON_ACTIVITY = 5
SOURCE_PROMOTION = 3
FUNDS = 10**9

CHECK_IN_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "CheckIn": [
        {"name": "activityId", "type": "uint256"},
        {"name": "attendee", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ],
}



def sign_code(activities, chain_id: int, signer, activity_id: int, attendee, deadline: int) -> bytes:
    """An organiser's EIP-712 check-in code, built independently of the contract."""
    message = {
        "domain": {
            "name": "Linli CommunityActivities",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": activities.address,
        },
        "types": CHECK_IN_TYPES,
        "primaryType": "CheckIn",
        "message": {"activityId": activity_id, "attendee": getattr(attendee, "address", attendee), "deadline": deadline},
    }
    return bytes(Account.sign_message(encode_typed_data(full_message=message), getattr(signer, "private_key", None) or signer.key).signature)


@pytest.fixture
def stack(project, chain, committee, populated, fees_stack):
    deployed = deploy_activities(project, chain, committee, populated, fees_stack["PropertyFees"], max_points=MAX_POINTS)
    return {**fees_stack, **deployed}


@pytest.fixture
def activities(stack):
    return stack["CommunityActivities"]


@pytest.fixture
def promotions(stack):
    return stack["MerchantPromotions"]


@pytest.fixture
def token(stack, committee, merchant, attacker, owner_a, promotions):
    """Settlement tokens for the merchant (and others), approved to the promotions contract."""
    token = stack["SettlementToken"]
    for who in (merchant, attacker, owner_a):
        token.mint(who, FUNDS, sender=committee)
        token.approve(promotions, 2**256 - 1, sender=who)
    return token


@pytest.fixture
def times(chain):
    """Start and end of a two-hour activity one day from now."""
    start = chain.pending_timestamp + DAY
    return start, start + 2 * HOUR


@pytest.fixture
def create(activities, committee, times):
    """Factory: an open activity created by the committee (owner_c organises by default)."""

    def _create(organiser, capacity=CAPACITY, points=POINTS, start=None, end=None, title="读书会"):
        s = start if start is not None else times[0]
        e = end if end is not None else times[1]
        tx = activities.create_activity(title, h("description"), s, e, capacity, points, organiser, sender=committee)
        return tx.decode_logs(activities.ActivityCreated)[0].activity_id

    return _create


@pytest.fixture
def activity(create, owner_c):
    """An open activity organised by owner_c: capacity 3, 10 points, starts in a day."""
    return create(owner_c)


@pytest.fixture
def clock(chain, activities):
    """Move the chain clock to a moment relative to an activity."""

    class Clock:
        def at(self, timestamp: int) -> None:
            assert timestamp >= chain.pending_timestamp, "the clock cannot go back"
            chain.pending_timestamp = timestamp

        def start(self, activity_id: int, offset: int = 0) -> None:
            self.at(activities.activity(activity_id).start + offset)

        def end(self, activity_id: int, offset: int = 0) -> None:
            self.at(activities.activity(activity_id).end + offset)

    return Clock()
