"""What an operator does on a private chain that is not the tests' anvil, run as its own
process against that chain (tests/scripts/test_private_chain.py starts the chain; Ape
connects to LINLI_PRIVATE_CHAIN_URL as to any node, the deployer signs with
LINLI_DEPLOYER_KEY as on a real chain):

    python -m tests.scripts.private_chain token
        deploys a settlement token (a real chain has one already) and prints its address;
    python -m tests.scripts.private_chain vote MANIFEST OWNER_KEY RELAYER_KEY
        the committee's Safe (LINLI_COMMITTEE_KEYS) files a proposal, its vote opens, the
        owner signs a ballot and the backend's relayer sends it; prints what the chain
        counted, as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace


def main(argv: list[str]) -> None:
    from ape import chain, networks, project
    from ape_accounts.accounts import ApeSigner

    with networks.parse_network_choice(os.environ["LINLI_PRIVATE_CHAIN_URL"]):
        deployer = ApeSigner(private_key=os.environ["LINLI_DEPLOYER_KEY"])
        if argv[0] == "token":
            token = deployer.deploy(project.SettlementToken, deployer.address)
            print(json.dumps({"token": token.address}))
            return
        _vote(chain, project, deployer, Path(argv[1]), argv[2], argv[3])


def _vote(chain, project, deployer, manifest_file: Path, owner_key: str, relayer_key: str) -> None:
    from eth_account import Account

    from backend.chain.committee_safe import committee_caller
    from backend.chain.deploy_assembly import DEFAULT_ASSEMBLY_PARAMS
    from backend.chain.deployment import read_manifest
    from backend.chain.relayer import BallotRelayer
    from backend.indexer.rpc import RpcClient
    from tests.assembly.helpers import FOR, OTHER_COMMON, doc, sign_ballot

    manifest = read_manifest(manifest_file)
    contracts = manifest["contracts"]
    registry = project.HouseholdRegistry.at(contracts["HouseholdRegistry"]["address"])
    assembly = project.OwnersAssembly.at(contracts["OwnersAssembly"]["address"])
    send = committee_caller(chain, registry, manifest, deployer)

    title, doc_hash = "关于在私链上表决的议案", doc("关于在私链上表决的议案 / 全文")
    start = chain.blocks.head.timestamp + assembly.min_notice() + 60
    end = start + DEFAULT_ASSEMBLY_PARAMS["min_voting_period"]
    safe = contracts["CommitteeSafe"]["address"]
    nonce = assembly.proposal_nonce(safe)
    send(assembly.propose, [], [], [], OTHER_COMMON, title, doc_hash, start, end)
    from backend.chain.deploy_assembly import proposal_id as hash_proposal

    proposal_id = hash_proposal([], [], [], doc_hash, safe, nonce)
    # The notice period passes (anvil's clock; a real chain waits the 15 days).
    chain.provider.make_request("evm_setNextBlockTimestamp", [start])
    chain.provider.make_request("evm_mine", [])

    owner = Account.from_key(owner_key)
    signer = SimpleNamespace(address=owner.address, private_key=owner_key)
    signature = sign_ballot(assembly, chain, signer, proposal_id, FOR)
    # The chain charges nothing for gas: the relayer offers no tip (LINLI_RELAYER_PRIORITY_FEE_WEI=0).
    relayer = BallotRelayer(RpcClient(chain.provider.uri), relayer_key, receipt_timeout_s=60, priority_fee_wei=0)
    relayed = relayer.relay(assembly.address, registry.address, proposal_id, FOR, owner.address, signature)
    print(json.dumps({
        "proposal_id": str(proposal_id),
        "status": relayed.status,
        "area": relayed.area,
        "tally_for": list(assembly.tally(proposal_id, FOR)),
        "voted": assembly.hasVoted(proposal_id, owner.address),
        "relayer": relayer.address,
        "relayer_balance": chain.provider.get_balance(relayer.address),
        "tx_hash": relayed.tx_hash,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
