"""Safe's infrastructure once per chain, a new committee Safe, and an existing Safe named
by address: a Safe 1.4.1 is accepted, anything else refused with what it is."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from backend.chain import safe as safe_module
from backend.chain.safe import (
    CANONICAL_ADDRESSES,
    SafeCommittee,
    SafeError,
    accept_safe,
    create_safe,
    deploy_safe_infrastructure,
    load_artifact,
    runtime_code_hash,
    safe_infrastructure_at,
)


def test_infrastructure_is_safes_own_code(chain, safe_infra):
    for name, address in safe_infra.addresses().items():
        assert keccak(bytes(chain.provider.get_code(address))) == runtime_code_hash(name)
    # The npm artifact is byte for byte Safe's canonical SafeL2 (safe-deployments' codeHash).
    assert runtime_code_hash("SafeL2").hex() == "b1f926978a0f44a2c0ec8fe822418ae969bd8c3f18d61e5103100339894f81ff"


def test_infrastructure_is_reused(chain, safe_infra, committee):
    nonce = committee.nonce
    again = deploy_safe_infrastructure(chain, committee, known=safe_infra.addresses())
    assert again.addresses() == safe_infra.addresses()
    assert safe_infrastructure_at(chain, safe_infra.addresses()).addresses() == safe_infra.addresses()
    assert committee.nonce == nonce  # nothing deployed


def test_a_wrong_known_address_is_refused(chain, safe_infra, committee_safe, committee):
    wrong = {**safe_infra.addresses(), "MultiSendCallOnly": safe_infra.proxy_factory.address}
    with pytest.raises(SafeError, match="is not Safe 1.4.1's MultiSendCallOnly"):
        deploy_safe_infrastructure(chain, committee, known=wrong)
    empty = {**safe_infra.addresses(), "SafeL2": committee.address}
    with pytest.raises(SafeError, match="nothing is deployed there"):
        safe_infrastructure_at(chain, empty)


def test_safes_canonical_deployment_is_reused(chain, committee):
    """A chain that already has Safe's canonical deployment (same code at the same
    addresses) gets no second one."""
    for name, address in CANONICAL_ADDRESSES.items():
        chain.provider.set_code(address, load_artifact(name)["deployedBytecode"])
    nonce = committee.nonce
    infrastructure = deploy_safe_infrastructure(chain, committee)
    assert infrastructure.addresses() == CANONICAL_ADDRESSES
    assert committee.nonce == nonce
    assert create_safe(infrastructure, [committee], 1, sender=committee).getThreshold() == 1


def test_a_new_safe_is_set_up(committee_safe, safe_infra, safe_members, chain):
    assert committee_safe.VERSION() == "1.4.1"
    assert set(committee_safe.getOwners()) == {m.address for m in safe_members}
    assert committee_safe.getThreshold() == 2
    # The proxy runs SafeL2 (slot 0) with Safe's fallback handler (its storage slot).
    assert bytes(chain.provider.get_storage(committee_safe.address, 0))[-20:] == bytes.fromhex(safe_infra.singleton.address[2:])
    handler_slot = int.from_bytes(keccak(text="fallback_manager.handler.address"), "big")
    assert bytes(chain.provider.get_storage(committee_safe.address, handler_slot))[-20:] == bytes.fromhex(
        safe_infra.fallback_handler.address[2:]
    )


@pytest.mark.parametrize(
    "members, threshold, reason",
    [
        ([], 1, "at least one member"),
        (["owner_a", "owner_a"], 1, "listed twice"),
        (["owner_a", "owner_b"], 3, "threshold 3 must be between 1 and the number of members"),
        (["owner_a"], 0, "threshold 0 must be between"),
    ],
)
def test_bad_members_are_refused(safe_infra, committee, request, members, threshold, reason):
    with pytest.raises(SafeError, match=reason):
        create_safe(safe_infra, [request.getfixturevalue(m) for m in members], threshold, sender=committee)


def test_the_same_members_get_distinct_safes(safe_infra, safe_members, committee_safe, committee):
    other = create_safe(safe_infra, safe_members, 2, sender=committee)
    assert other.address != committee_safe.address


def test_an_existing_safe_is_accepted(chain, committee_safe, safe_infra, owner_a):
    accepted = accept_safe(chain, committee_safe.address.lower())
    assert accepted.address == committee_safe.address
    helper = SafeCommittee.at(chain, committee_safe.address, safe_infra)
    assert (helper.threshold(), len(helper.owners())) == (2, 3)


def test_a_plain_safe_singleton_is_accepted(chain, safe_infra, committee):
    """A Safe created on the non-L2 singleton (as Safe's interface does on mainnet) is a
    Safe 1.4.1 too."""
    from dataclasses import replace

    plain = committee.deploy(safe_module.container("Safe"))
    created = create_safe(replace(safe_infra, singleton=plain), [committee], 1, sender=committee)
    assert accept_safe(chain, created.address).getThreshold() == 1


def test_an_ordinary_account_is_refused(chain, owner_a):
    with pytest.raises(SafeError, match="has no code .an ordinary account, or nothing.: the committee must be a Safe"):
        accept_safe(chain, owner_a.address)


def test_another_contract_is_refused(chain, committee_target, safe_infra):
    for address in (committee_target.address, safe_infra.proxy_factory.address):
        with pytest.raises(SafeError, match="is a contract but not a Safe 1.4.1 proxy"):
            accept_safe(chain, address)
    # The singleton answers VERSION() "1.4.1" but is no one's Safe.
    with pytest.raises(SafeError, match="not a Safe 1.4.1 proxy"):
        accept_safe(chain, safe_infra.singleton.address)


def test_a_proxy_to_other_code_is_refused(chain, committee_safe, committee_target):
    """SafeProxy's code in front of something that is not Safe 1.4.1."""
    fake = "0x00000000000000000000000000000000005afe01"
    chain.provider.set_code(fake, load_artifact("SafeProxy")["deployedBytecode"])
    chain.provider.set_storage(fake, 0, bytes(12) + bytes.fromhex(committee_target.address[2:]))
    with pytest.raises(SafeError, match="which is not Safe 1.4.1's code"):
        accept_safe(chain, fake)


def test_missing_artifacts_name_npm_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(safe_module, "ARTIFACTS", tmp_path)
    safe_module.load_artifact.cache_clear()
    try:
        with pytest.raises(SafeError, match=r"run `npm ci`"):
            load_artifact("SafeL2")
    finally:
        safe_module.load_artifact.cache_clear()
