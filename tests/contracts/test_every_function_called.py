"""Every external function of every contract under contracts/ has a test that calls it.

"Calls" is read from the tests' source: a function counts as called when a test file
(Python or the pages' browser tests) names it as a call (`.name(`), encodes a call to it
(`.name.encode_input(`, for the assembly's proposals), or names it as a string (a test
that dispatches by name, `getattr(contract, name)`). Moving a test from anvil to the
in-process EVM, or removing one, cannot silently take a function's only caller away.

Limits, honestly: the match is by name, not by contract, so a call of `renounceRole` on
the registry would count for the timelock's too; a call in a branch no test reaches
still counts; and functions called only by other contracts (the timelock's `schedule`,
called by the assembly) count only if a test names them. NOT_CALLED lists what no test
named when this check was written; it may only shrink: a name on it that a test now
calls fails the check until it is taken off.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The deployable contracts (CamelCase; snake_case files are modules they import).
CONTRACTS = sorted(p.stem for p in (ROOT / "contracts").glob("*.vy") if p.stem[0].isupper())

# What no test named when this check was written (mostly public constants and functions
# snekmate modules export). A test for one of them takes it off this list.
NOT_CALLED = {
    "AssemblyTimelock": {
        "CANCELLER_ROLE", "EXECUTOR_ROLE", "IERC1155_TOKENRECEIVER_BATCH_SELECTOR",
        "IERC1155_TOKENRECEIVER_SINGLE_SELECTOR", "IERC721_TOKENRECEIVER_SELECTOR", "PROPOSER_ROLE",
        "get_operation_state", "get_timestamp", "hash_operation_batch", "is_operation", "is_operation_ready",
        "onERC1155BatchReceived", "onERC1155Received", "set_role_admin",
    },
    "CommunityActivities": {"CHECK_IN_TYPEHASH", "STATUS_CANCELLED", "STATUS_OPEN", "STATUS_PROPOSED"},
    "CommunityPoints": {
        "DOMAIN_SEPARATOR", "MAX_HOUSEHOLD_CAP", "REASON_COMMITTEE_GRANT", "REASON_ON_TIME_PAYMENT",
        "REASON_SERVICE_RATING", "REASON_VOTE", "WALLET_HOUSEHOLD",
    },
    "CultureWorks": {
        "KIND_CALLIGRAPHY", "KIND_IDEA", "KIND_OTHER", "KIND_PAINTING", "KIND_PHOTOGRAPH", "KIND_STORY",
        "MAX_EXHIBITION_TITLE", "MAX_TITLE", "MAX_URI",
    },
    "HouseholdRegistry": {
        "AUDITOR_ROLE", "COMMITTEE_ROLE", "MANAGER_ROLE", "MERCHANT_ROLE", "PROVIDER_ROLE", "community_name",
        "identity_commitment", "identity_wallet",
    },
    # The bound of appoint_tellers' list, enforced by the ABI decoder (a 17th teller is a
    # calldata the contract cannot decode); the community has fewer owners to name.
    "PaperBallots": {"MAX_TELLERS"},
    "PropertyFees": {
        "SATISFACTION_WINDOW", "SOURCE_ADVERTISING", "SOURCE_OTHER",
        "SOURCE_PARKING", "SOURCE_SERVICE_FEE",
    },
    "ServiceMarket": {
        "MAX_RATING_POINTS", "STATUS_ACCEPTED", "STATUS_CANCELLED", "STATUS_CONFIRMED", "STATUS_DISPUTED",
        "STATUS_DONE", "STATUS_OPEN", "STATUS_RECLAIMED", "STATUS_RELEASED", "STATUS_RESOLVED",
    },
    "SettlementToken": {"DOMAIN_SEPARATOR", "burn", "burn_from", "renounce_ownership"},
    "SuggestionBox": {"MAX_REWARD_RATE", "STATUS_ACCEPTED", "STATUS_DONE", "STATUS_IN_PROGRESS", "STATUS_RECEIVED"},
}


def _test_sources() -> str:
    here = Path(__file__).resolve()
    files = [p for p in (ROOT / "tests").rglob("*") if p.suffix in (".py", ".js") and p.resolve() != here]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def _called(name: str, sources: str) -> bool:
    pattern = rf"\.{name}\s*\(|\.{name}\.(encode_input|call|transact)\b|[\"']{name}[\"']"
    return re.search(pattern, sources) is not None


@pytest.fixture(scope="module")
def sources():
    return _test_sources()


@pytest.mark.parametrize("contract_name", CONTRACTS)
def test_every_external_function_has_a_caller(contract_name, sources):
    from ape import project

    functions = sorted({abi.name for abi in getattr(project, contract_name).contract_type.abi if abi.type == "function"})
    known = NOT_CALLED.get(contract_name, set())
    uncalled = [name for name in functions if name not in known and not _called(name, sources)]
    assert not uncalled, f"{contract_name}: no test calls {uncalled}"
    now_called = sorted(name for name in known if _called(name, sources))
    assert not now_called, f"{contract_name}: take {now_called} off NOT_CALLED, a test calls them now"
    assert known <= set(functions), f"{contract_name} no longer has {sorted(known - set(functions))}"
