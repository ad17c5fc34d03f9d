"""Gas of SuggestionBox and DataConsent: submit, answer, accept with points, grant,
renew, revoke, log an access.

Run (a plain Python script):
    cd /work/main && export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/gas_suggestions_consent.py

It starts anvil through Ape, deploys through the same helpers as the tests
(deploy_community, deploy_suggestions_and_consent), and prints a table: operation,
gas measured, goal / anchor. Anchor: a bare transaction costs 21,000 gas; one new
storage word 22,100 (cold SSTORE from zero), an event ~1,500-2,500.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, chain, networks, project  # noqa: E402

from backend.chain.deploy_consent import deploy_suggestions_and_consent  # noqa: E402
from backend.chain.deployment import deploy_community, role_id  # noqa: E402
from tests.utils.identity import commitment_for  # noqa: E402

RECEIVED, ACCEPTED, IN_PROGRESS, DONE, DECLINED = 2, 3, 4, 5, 6
DAY = 86400
PHONE = keccak(text="phone")
ADDRESS = keccak(text="address")


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        committee, manager, owner_a, owner_b, provider, vault = (accounts.test_accounts[i] for i in (0, 1, 2, 3, 7, 9))
        community = deploy_community(project, chain, committee, name="bench")
        registry = community.registry
        registry.register_units(
            [
                ("1-1-101", 8_950, owner_a.address, commitment_for("owner_a")),
                ("1-1-201", 9_000, owner_b.address, commitment_for("owner_b")),
            ],
            sender=committee,
        )
        registry.grantRole(role_id("manager"), manager, sender=committee)
        registry.grantRole(role_id("provider"), provider, sender=committee)
        stack = deploy_suggestions_and_consent(project, chain, committee, community, vault_logger=vault)
        box, consent = stack["SuggestionBox"], stack["DataConsent"]

        rows: list[tuple[str, int, str]] = []

        # ------------------------------------------------ suggestions
        tx = box.submit(1, keccak(text="s1"), sender=owner_a)
        rows.append(("submit a suggestion (first ever)", tx.gas_used, "3 new words + event"))
        tx = box.submit(1, keccak(text="s2"), sender=owner_a)
        rows.append(("submit a suggestion (steady state)", tx.gas_used, "<= 100,000"))
        tx = box.answer(2, RECEIVED, b"\x00" * 32, sender=manager)
        rows.append(("answer: received, no response text", tx.gas_used, "<= 45,000"))
        tx = box.answer(2, ACCEPTED, keccak(text="r2"), sender=manager)
        rows.append(("answer: accept + points mint (holder's first points)", tx.gas_used, "-"))
        tx = box.answer(1, ACCEPTED, keccak(text="r1"), sender=manager)
        rows.append(("answer: accept + points mint (steady state)", tx.gas_used, "<= 100,000"))
        tx = box.answer(1, IN_PROGRESS, keccak(text="r1b"), sender=committee)
        rows.append(("answer: in progress by the committee (response rewritten)", tx.gas_used, "-"))
        tx = box.answer(1, DONE, keccak(text="r1c"), sender=manager)
        rows.append(("answer: done (response rewritten)", tx.gas_used, "<= 50,000"))
        box.submit(1, keccak(text="s3"), sender=owner_a)
        tx = box.answer(3, DECLINED, keccak(text="r3"), sender=manager)
        rows.append(("answer: declined with reasons (new response word)", tx.gas_used, "-"))

        # ------------------------------------------------ consent
        expiry = chain.pending_timestamp + 30 * DAY
        tx = consent.grant(provider, PHONE, expiry, keccak(text="request 12"), sender=owner_a)
        rows.append(("grant a scope (new grant word)", tx.gas_used, "<= 65,000 (22,100 of it the new word)"))
        tx = consent.log_access(owner_a, provider, PHONE, keccak(text="call"), sender=vault)
        rows.append(("log access by the vault (logger)", tx.gas_used, "<= 40,000 (no storage write)"))
        tx = consent.log_access(owner_a, provider, PHONE, keccak(text="call 2"), sender=provider)
        rows.append(("log access by the grantee itself", tx.gas_used, "<= 40,000 (no storage write)"))
        tx = consent.renew(provider, PHONE, expiry + 30 * DAY, sender=owner_a)
        rows.append(("renew a grant", tx.gas_used, "-"))
        tx = consent.revoke(provider, PHONE, sender=owner_a)
        rows.append(("revoke a grant", tx.gas_used, "<= 40,000"))
        tx = consent.grant(provider, PHONE, expiry, keccak(text="request 13"), sender=owner_a)
        rows.append(("grant again after revoke (word rewritten, version 2)", tx.gas_used, "-"))
        tx = consent.grant(provider, ADDRESS, expiry, keccak(text="request 13"), sender=owner_a)
        rows.append(("grant a second scope to the same grantee", tx.gas_used, "-"))

        width = max(len(r[0]) for r in rows)
        print(f"\nSuggestionBox and DataConsent gas (whole transaction, anvil, {chain.chain_id=})\n")
        print(f"{'operation':<{width}}  {'gas':>9}  goal / anchor")
        print(f"{'-' * width}  {'-' * 9}  {'-' * 30}")
        for name, gas, goal in rows:
            print(f"{name:<{width}}  {gas:>9,}  {goal}")


if __name__ == "__main__":
    main()
