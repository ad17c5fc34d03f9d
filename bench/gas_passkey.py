"""Gas of passkey accounts (issue 18): creating a resident's account, a ballot the
resident signed with a passkey and a month's fee paid the same way (the settlement
token's transferAndCall to PropertyFees, the one token call the relayer pays for),
relayed through the account's `execute`, on a chain with
the P256VERIFY precompile (anvil --hardfork osaka) and on one without (prague: snekmate's
pure-EVM p256 verifies).

    python bench/gas_passkey.py

Same community, assembly and factory as the tests deploy (deploy_community,
deploy_assembly, deploy_passkeys), once per hardfork; whole-transaction gas, medians over
OWNERS residents. Anchors: a castVoteBySig relayed today (an EOA's ECDSA ballot) 54,277,
and OpenZeppelin Governor's castVoteBySig 97,766; for the fee, the same transferAndCall
sent by a wallet (what a MetaMask resident sends), measured here. No transaction may use more than
16,777,216 gas (EIP-7825): the fallback's ballot is checked against it.

Each hardfork gets an anvil of the bench's own, started without `--steps-tracing` (which
Ape's foundry provider passes to the anvil it starts): with it, anvil keeps every EVM step
of every transaction in memory, and a fallback verification is ~600k gas of arithmetic,
hundreds of thousands of steps each; anvil grew by gigabytes a transaction (21 GB after a
minute of the prague run) until it stopped answering: the connection dropped, or a
transaction was never mined, a few fee payments into the prague run. Without it the
prague run stays under a few hundred MB and all residents are measured.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402

from eth_abi import encode  # noqa: E402

from backend.chain import demo_activity  # noqa: E402
from backend.chain.deploy_assembly import deploy_assembly  # noqa: E402
from backend.chain.deploy_fees import deploy_fees  # noqa: E402
from backend.chain.deploy_passkeys import deploy_passkeys  # noqa: E402
from backend.chain.deployment import deploy_community, role_id  # noqa: E402
from tests.assembly.helpers import sign_ballot  # noqa: E402
from tests.passkey.helpers import sign_call  # noqa: E402
from tests.utils.identity import commitment_for  # noqa: E402
from tests.utils.webauthn import Passkey  # noqa: E402

DAY = 86400
PARAMS = {"timelock_delay": 2 * DAY, "min_notice": DAY, "min_voting_period": DAY, "max_voting_period": 30 * DAY,
          "objection_window": 3 * DAY}
OWNERS = 12  # passkey owners, and as many wallet owners voting by signature
FEE_PAYERS = OWNERS  # residents whose month's fee is measured
MNEMONIC = "test test test test test test test test test test test junk"  # Ape's test accounts (ape-config.yaml)
FOR = 1
TODAY_BY_SIG = 54_277
OZ_BY_SIG = 97_766
TRANSACTION_GAS_CAP = 16_777_216


@contextmanager
def own_anvil(hardfork: str):
    """An anvil on a free port with `hardfork`, as Ape starts one (its test accounts, no
    base fee, no gas price) but without `--steps-tracing`; Ape connects to it
    (APE_FOUNDRY_HOST) until the block ends, then it is stopped."""
    binary = shutil.which("anvil")
    if binary is None:
        sys.exit("anvil is not on PATH (node_modules/.bin has it: export PATH=$PWD/node_modules/.bin:$PATH)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    node = subprocess.Popen([binary, "--port", str(port), "--hardfork", hardfork, "--mnemonic", MNEMONIC,
                             "--accounts", "10", "--balance", "10000", "--block-base-fee-per-gas", "0",
                             "--gas-price", "0", "--gas-limit", "1000000000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or node.poll() is not None:
                    raise RuntimeError(f"anvil --hardfork {hardfork} did not start") from None
                time.sleep(0.1)
        os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{port}"
        yield
    finally:
        os.environ.pop("APE_FOUNDRY_HOST", None)
        node.terminate()
        node.wait(timeout=30)


def measure(hardfork: str) -> dict:
    """Deploy everything on a fresh anvil with `hardfork`; the gas of each operation."""
    with own_anvil(hardfork), \
            networks.parse_network_choice("ethereum:local:foundry", provider_settings={"evm_version": hardfork}):
        deployer, relayer = accounts.test_accounts[0], accounts.test_accounts[1]
        community = deploy_community(project, chain, deployer, name="bench")
        assembly = deploy_assembly(project, chain, deployer, community, **PARAMS)["OwnersAssembly"]
        stack = deploy_passkeys(project, chain, deployer)
        factory = stack["PasskeyAccountFactory"]
        keys = [Passkey(seed=1_000 + n) for n in range(OWNERS)]
        wallets = [accounts.test_accounts.generate_test_account() for _ in range(OWNERS)]
        # The accounts' addresses are known before they exist: register them first.
        units = [(f"P-{n}", 9_000 + n, factory.account_address(*key.public_key), commitment_for(f"passkey-{n}"))
                 for n, key in enumerate(keys)]
        units += [(f"W-{n}", 9_000 + n, wallet.address, commitment_for(f"wallet-{n}")) for n, wallet in enumerate(wallets)]
        community.registry.register_units(units, sender=deployer)
        creations = [factory.create_account(*key.public_key, sender=relayer).gas_used for key in keys]
        residents = [project.PasskeyAccount.at(factory.account_address(*key.public_key)) for key in keys]

        start = chain.pending_timestamp + DAY + 60
        created = assembly.propose([], [], [], 9, "更换门禁", b"\x11" * 32, start, start + 7 * DAY, sender=deployer)
        pid = created.decode_logs(assembly.ProposalCreated)[0].proposalId
        chain.pending_timestamp = start
        chain.mine()
        ballot = assembly.castVote.encode_input(pid, FOR)
        by_passkey = [account.execute(*sign_call(account, key, chain.chain_id, assembly, data=ballot), sender=relayer).gas_used
                      for account, key in zip(residents, keys)]
        by_sig = [assembly.castVoteBySig(pid, FOR, w.address, sign_ballot(assembly, chain, w, pid, FOR), sender=relayer).gas_used
                  for w in wallets]
        assert all(assembly.hasVoted(pid, account.address) for account in residents)
        # A second ballot: the account's nonce slot is no longer zero (the first ballot
        # paid 20,000 more to write it), the steady state of a resident's later votes.
        start = chain.pending_timestamp + DAY + 60
        created = assembly.propose([], [], [], 9, "增设充电桩", b"\x22" * 32, start, start + 7 * DAY, sender=deployer)
        second = created.decode_logs(assembly.ProposalCreated)[0].proposalId
        chain.pending_timestamp = start
        chain.mine()
        ballot = assembly.castVote.encode_input(second, FOR)
        later = [account.execute(*sign_call(account, key, chain.chain_id, assembly, data=ballot), sender=relayer).gas_used
                 for account, key in zip(residents, keys)]
        # A month's fee: the oldest unpaid month (overdue, with its late fee), one call.
        fees_stack = deploy_fees(project, chain, deployer, community)
        fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
        company = accounts.test_accounts[2]  # the property company (the committee holds no paid role)
        community.registry.grantRole(role_id("manager"), company.address, sender=deployer)
        demo_activity.start_billing(fees, token, deployer, company,
                                    [account.address for account in residents] + [w.address for w in wallets])

        def month(unit: int) -> tuple[int, bytes]:
            return fees.quote(unit, 1)[4], encode(["uint256", "uint256"], [unit, 1])

        fee_by_passkey = [account.execute(*sign_call(account, key, chain.chain_id, token, data=token.transferAndCall.encode_input(
                              fees.address, *month(n + 1))), sender=relayer).gas_used
                          for n, (account, key) in enumerate(zip(residents[:FEE_PAYERS], keys))]
        for w in wallets[:FEE_PAYERS]:
            chain.set_balance(w.address, 10**18)  # a MetaMask resident pays its own gas
        fee_by_wallet = [token.transferAndCall(fees.address, *month(OWNERS + n + 1), sender=w).gas_used
                         for n, w in enumerate(wallets[:FEE_PAYERS])]
        assert all(fees.statement(n + 1).months_due == fees.statement(OWNERS + n + 1).months_due
                   for n in range(FEE_PAYERS))
        return {
            "fee": int(statistics.median(fee_by_passkey)),
            "fee_wallet": int(statistics.median(fee_by_wallet)),
            "precompile": stack["PasskeyAccount"].HAS_PRECOMPILE(),
            "create": int(statistics.median(creations)),
            "vote": int(statistics.median(by_passkey)),
            "later": int(statistics.median(later)),
            "vote_max": max(by_passkey + later),
            "by_sig": int(statistics.median(by_sig)),
        }


def row(name: str, gas: int | str, anchor: str = "", note: str = "") -> None:
    figure = f"{gas:,}" if isinstance(gas, int) else gas
    print(f"| {name:<62} | {figure:>9} | {anchor:>26} | {note:<24} |")


def main() -> None:
    logger.set_level("WARNING")
    osaka, prague = measure("osaka"), measure("prague")
    assert osaka["precompile"] and not prague["precompile"], (osaka, prague)
    assert prague["vote_max"] < TRANSACTION_GAS_CAP, prague
    print()
    print(f"Passkey accounts on anvil (whole-transaction gas, medians over {OWNERS} residents)")
    row("operation", "gas", "anchor", "note")
    print(f"| {'-' * 62} | {'-' * 9} | {'-' * 26} | {'-' * 24} |")
    row("create a resident's account (factory, minimal proxy)", osaka["create"], "", "once per resident")
    for name, figures in (("precompile, osaka", osaka), ("snekmate p256, prague", prague)):
        for which, vote in (("first", figures["vote"]), ("later", figures["later"])):
            row(f"passkey castVote relayed, {which} ballot ({name})", vote,
                f"today {TODAY_BY_SIG:,} / OZ {OZ_BY_SIG:,}",
                f"{vote / TODAY_BY_SIG:.2f}x today, {vote / OZ_BY_SIG:.2f}x OZ")
    row("castVoteBySig relayed, measured here (osaka)", osaka["by_sig"], f"today {TODAY_BY_SIG:,}")
    for name, figures in (("precompile, osaka", osaka), ("snekmate p256, prague", prague)):
        row(f"passkey month's fee relayed, transferAndCall ({name}, {FEE_PAYERS} residents)", figures["fee"],
            f"wallet {figures['fee_wallet']:,}", f"{figures['fee'] / figures['fee_wallet']:.2f}x a wallet's")
    row("fallback ballot, largest", prague["vote_max"], f"cap {TRANSACTION_GAS_CAP:,}",
        f"{prague['vote_max'] / TRANSACTION_GAS_CAP:.1%} of the cap")
    print()


if __name__ == "__main__":
    main()
