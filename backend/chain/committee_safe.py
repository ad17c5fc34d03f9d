"""The owners' committee as a Safe the owners' assembly controls.

A committee Safe is born (`create_committee_safe`) with two things Safe itself offers:
- the assembly's timelock as its module, so a passed proposal can add or remove a
  member or change the threshold (`execTransactionFromModule`, a major call);
- CommitteeGuard as its guard, so the members' own transactions cannot: a Safe
  transaction to the Safe itself, or a delegate call other than a batch of plain
  calls through Safe's MultiSendCallOnly, is refused.
Both are set during the Safe's setup (CommitteeSafeSetup, delegate-called by Safe's
`setup` hook), so no transaction of the members ever runs without them.

An existing Safe (a private chain's committee) is checked (`check_committee_safe`);
its members then enable the module and set the guard themselves, the two Safe
transactions `deployment.committee_wiring` prints.
"""

from __future__ import annotations

from typing import Any

from backend.chain.safe import (
    SENTINEL_OWNERS,
    accept_safe,
    create_safe,
    deploy_safe_infrastructure,
)

# Safe 1.4.1 keeps the guard at keccak256("guard_manager.guard.address").
GUARD_STORAGE_SLOT = 0x4A204F620C8C5CCDCA3FD54D003BADD85BA500436A431F0CBDA4F558C93C34C8


def create_committee_safe(project: Any, chain: Any, deployer: Any, community: Any, members: list[Any],
                          threshold: int, known_infrastructure: dict[str, str] | None = None) -> Any:
    """A new committee Safe of `members` and `threshold` with the community's timelock
    as module and a CommitteeGuard as guard. Records the Safe, its guard and Safe's
    infrastructure in `community.extra` (they go into the manifest). Safe's
    infrastructure already on the chain (`known_infrastructure`, e.g. another community
    of the district's) is used, not deployed again."""
    infrastructure = deploy_safe_infrastructure(chain, deployer, known_infrastructure)
    guard = deployer.deploy(project.CommitteeGuard, infrastructure.multi_send.address)
    setup = deployer.deploy(project.CommitteeSafeSetup)
    timelock = community.extra["AssemblyTimelock"]
    data = setup.enable_assembly.encode_input(timelock.address, guard.address)
    safe = create_safe(infrastructure, members, threshold, sender=deployer, setup_to=setup, setup_data=data)
    community.extra.update({
        "CommitteeSafe": safe,
        "CommitteeGuard": guard,
        "SafeL2": infrastructure.singleton,
        "SafeProxyFactory": infrastructure.proxy_factory,
        "CompatibilityFallbackHandler": infrastructure.fallback_handler,
        "MultiSendCallOnly": infrastructure.multi_send,
    })
    return safe


def check_committee_safe(project: Any, chain: Any, address: Any) -> Any:
    """An existing Safe named as the committee, after checking it is a Safe 1.4.1
    (SafeError otherwise)."""
    del project
    return accept_safe(chain, address)


def committee_safe_status(chain: Any, safe: Any, timelock: Any) -> dict[str, Any]:
    """Whether the assembly controls the committee's Safe: its timelock a module, a
    guard set (the guard's address), its members and threshold."""
    guard = int.from_bytes(bytes(chain.provider.get_storage(safe.address, GUARD_STORAGE_SLOT)), "big")
    modules, _next = safe.getModulesPaginated(SENTINEL_OWNERS, 10)
    return {
        "module_enabled": timelock.address in modules,
        "guard": f"0x{guard:040x}" if guard else None,
        "members": list(safe.getOwners()),
        "threshold": safe.getThreshold(),
    }


COMMITTEE_KEYS_ENV = "LINLI_COMMITTEE_KEYS"


class CommitteeSender:
    """`send(method, *args) -> receipt` as the committee (see `committee_caller`), and
    `send.batch([(method, args), …]) -> [receipt]`: with a Safe, the calls go as ONE
    SafeTx (MultiSendCallOnly, all or none); with an EOA committee, one transaction
    each. `safe` is the SafeCommittee or None, `signers` its members signing."""

    def __init__(self, sender: Any, safe: Any = None, signers: list[Any] | None = None):
        self.sender, self.safe, self.signers = sender, safe, signers or []

    def __call__(self, method: Any, *args: Any) -> Any:
        if self.safe is None:
            return method(*args, sender=self.sender)
        return self.safe.call(method, *args, signers=self.signers, sender=self.sender)

    def batch(self, calls: list[tuple[Any, tuple]]) -> list[Any]:
        if self.safe is None:
            return [method(*args, sender=self.sender) for method, args in calls]
        return [self.safe.batch(calls, signers=self.signers, sender=self.sender)]


def committee_caller(chain: Any, registry: Any, manifest: dict[str, Any], sender: Any,
                     member_keys: list[str] | None = None, member_signers: list[Any] | None = None):
    """How a script acts as the committee: directly when `sender` holds the committee
    role (a test's or a local demo's deployer before its hand-over), else as a SafeTx of
    the committee's Safe signed by `member_signers` (accounts, e.g. `--signer` aliases)
    or with `member_keys` (LINLI_COMMITTEE_KEYS: members' private keys), at least the
    threshold, and sent by `sender`.

    Returns a CommitteeSender: `send(method, *args) -> receipt`, `send.batch(calls)`."""
    import os

    from eth_utils import keccak

    from backend.chain.safe import SafeCommittee, SafeError, safe_infrastructure_at

    if registry.hasRole(keccak(text="linli.role.committee"), sender.address):
        return CommitteeSender(sender)
    contracts = manifest["contracts"]
    if "CommitteeSafe" not in contracts:
        raise SafeError(f"{sender.address} is not the committee and the manifest names no committee Safe")
    keys = member_keys if member_keys is not None else [
        k.strip() for k in os.environ.get(COMMITTEE_KEYS_ENV, "").split(",") if k.strip()]
    names = ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSendCallOnly")
    infra = safe_infrastructure_at(chain, {n: contracts[n]["address"] for n in names}) if all(
        n in contracts for n in names) else None
    committee = SafeCommittee.at(chain, contracts["CommitteeSafe"]["address"], infra)
    from ape_accounts.accounts import ApeSigner

    signers = list(member_signers) if member_signers else [
        ApeSigner(private_key=k if k.startswith("0x") else "0x" + k) for k in keys]
    where = "the signers given" if member_signers else COMMITTEE_KEYS_ENV
    members = set(committee.owners())
    strangers = [s.address for s in signers if s.address not in members]
    if strangers:
        raise SafeError(f"{where} include non-members of the committee's Safe: {', '.join(strangers)}")
    if len({s.address for s in signers}) < committee.threshold():
        raise SafeError(f"the committee's Safe needs {committee.threshold()} members' signatures; "
                        f"{where} give {len({s.address for s in signers})}")
    return CommitteeSender(sender, committee, signers)
