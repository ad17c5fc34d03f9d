"""Gas of the committee's Safe (Safe 1.4.1), whole-transaction gas on anvil.

    python bench/gas_safe.py            (or: make bench)

Anchor: the same committee call (HouseholdRegistry.grantRole of a fresh account) made
directly by an EOA committee, the way the committee acted before it became a Safe.
A SafeTx here is 2-of-3, signed off chain (EIP-712) and sent by a non-member; the
first SafeTx of a Safe also writes its nonce from zero, so steady state is measured
on a Safe's second transaction. SafeL2 (what Linli deploys, for its events) is shown
beside the plain Safe singleton.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402

from backend.chain.deployment import deploy_community, role_id  # noqa: E402
from backend.chain.safe import (  # noqa: E402
    SafeCommittee,
    container,
    create_safe,
    deploy_safe_infrastructure,
    sign_safe_tx,
)

ROLE = role_id("merchant")  # a role the committee hands out


def row(name: str, gas: int, anchor: int | None = None, note: str = "") -> None:
    if anchor:
        delta = (gas - anchor) / anchor * 100
        print(f"{name:<56} {gas:>10,}   {anchor:>10,}   {delta:>+7.1f} %  {note}")
    else:
        print(f"{name:<56} {gas:>10,}   {'—':>10}   {'':>9}  {note}")


_fresh = iter(range(1, 10**6))


def fresh_accounts(count: int) -> list[str]:
    """Accounts never seen on chain, so every grant writes a fresh slot; derived from a
    counter so calldata (zero bytes are cheaper) is the same on every run."""
    return [Account.from_key(keccak(text=f"gas-safe-{next(_fresh)}")).address for _ in range(count)]


def signed_execute(helper: SafeCommittee, tx, signers, sender):
    return helper.execute(tx, {s.address: sign_safe_tx(tx, s) for s in signers}, sender=sender)


def main() -> None:
    logger.set_level("WARNING")  # the figures, not every confirmation
    deployer, member_a, member_b, member_c, relayer = (accounts.test_accounts[i] for i in (0, 2, 3, 4, 9))
    members = [member_a, member_b, member_c]

    print(f"{'operation':<56} {'gas':>10}   {'anchor':>10}   {'vs':>9}")
    before = deployer.nonce
    infrastructure = deploy_safe_infrastructure(chain, deployer)
    deployments = chain.history[deployer.address][before:]
    for name, receipt in zip(infrastructure.addresses(), deployments):
        row(f"deploy {name} (once per chain)", receipt.gas_used)

    direct = deploy_community(project, chain, deployer, name="bench-direct").registry
    direct.grantRole(ROLE, fresh_accounts(1)[0], sender=deployer)  # warm the registry's first grant
    anchor = direct.grantRole(ROLE, fresh_accounts(1)[0], sender=deployer).gas_used

    plain_singleton = deployer.deploy(container("Safe"))
    results = {}
    for label, infra in (("SafeL2", infrastructure), ("Safe", replace(infrastructure, singleton=plain_singleton))):
        nonce = deployer.nonce
        safe = create_safe(infra, members, 2, sender=deployer)
        created = chain.history[deployer.address][nonce:][0].gas_used
        helper = SafeCommittee(safe, chain, infra)
        registry = deploy_community(project, chain, deployer, name=f"bench-{label}", committee=safe).registry
        first = signed_execute(helper, helper.propose_call(registry.grantRole, ROLE, fresh_accounts(1)[0]), members[:2], relayer)
        steady = signed_execute(helper, helper.propose_call(registry.grantRole, ROLE, fresh_accounts(1)[0]), members[:2], relayer)
        # The last member executes with their own approval instead of a signature (v = 1).
        own = helper.propose_call(registry.grantRole, ROLE, fresh_accounts(1)[0])
        by_member = helper.execute(own, {member_a.address: sign_safe_tx(own, member_a)}, sender=member_b)
        batch = helper.propose_batch([(registry.grantRole, (ROLE, account)) for account in fresh_accounts(3)])
        batched = signed_execute(helper, batch, members[:2], relayer)
        results[label] = (created, first.gas_used, steady.gas_used, by_member.gas_used, batched.gas_used)

    for label in ("SafeL2", "Safe"):
        created, first, steady, by_member, batched = results[label]
        row(f"create a 3-member 2-of-3 Safe ({label})", created)
        row(f"grantRole by 2-of-3 SafeTx, first of the Safe ({label})", first, anchor)
        row(f"grantRole by 2-of-3 SafeTx, steady ({label})", steady, anchor)
        row(f"grantRole, 1 signature + executing member ({label})", by_member, anchor)
        row(f"3 grantRoles, one SafeTx via MultiSendCallOnly ({label})", batched, 3 * anchor, "anchor: 3 direct calls")
    row("grantRole by an EOA committee (the anchor)", anchor)
    steady_l2, steady_plain = results["SafeL2"][2], results["Safe"][2]
    print(f"\nSafeL2's events cost {steady_l2 - steady_plain:,} gas per SafeTx over the plain Safe.")
    print(f"A SafeTx adds {steady_l2 - anchor:,} gas to the call it carries; a batch of 3 adds {results['SafeL2'][4] - 3 * anchor:,} in all.")


if __name__ == "__main__":
    with networks.parse_network_choice("ethereum:local:foundry"):
        main()
