"""Deploy the owners' assembly of a community: its timelock, its constitution and the
assembly itself.

`deploy_assembly` is what the deploy script, the demo seed, the tests and the gas
benchmark all call, so what is tested is what an operator deploys:

1. AssemblyTimelock (snekmate timelock_controller) with the deployer as a
   temporary admin and no roles;
2. Constitution: the table of what each call a proposal makes needs (ordinary,
   major, forbidden), written by `deployment.write_constitution` once every
   contract exists;
3. PaperBallots (tellers' paper ballots), then OwnersAssembly, reading weights from
   the community's registry, classes from the constitution, paper ballots from
   PaperBallots only, and running passed proposals through the timelock; the
   deployer (holding the assembly's role) names the assembly in PaperBallots, once;
4. the assembly becomes the timelock's proposer, canceller and executor, and the
   deployer renounces the timelock's admin role: from then on only a passed
   proposal changes the timelock;
5. the timelock joins the registry's ASSEMBLY_ROLE (the deployer, which holds it
   while wiring, grants it; `deployment.hand_over` later removes the deployer's).
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

DAY = 86400

# Defaults follow common practice for owners' assemblies: 15 days' notice before a
# vote (业主大会会议通知), a vote of one to four weeks, a week of 公示, then 30 days
# to queue a passed proposal before it expires.
DEFAULT_ASSEMBLY_PARAMS: dict[str, int] = {
    "timelock_delay": 2 * DAY,
    "min_notice": 15 * DAY,
    "min_voting_period": 7 * DAY,
    "max_voting_period": 28 * DAY,
    "objection_window": 7 * DAY,
    "queue_window": 30 * DAY,
}

PROPOSER_ROLE = keccak(text="PROPOSER_ROLE")
EXECUTOR_ROLE = keccak(text="EXECUTOR_ROLE")
CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
ASSEMBLY_ROLE = keccak(text="linli.role.assembly")


def proposal_id(targets: list, values: list, calldatas: list, doc_hash: bytes, proposer: str, nonce: int) -> int:
    """A proposal's id as OwnersAssembly computes it: its calls and document (OpenZeppelin
    Governor's hashProposal layout, the document hash as description hash), its proposer
    and the proposer's nonce (`proposal_nonce`) when proposing. Computed here, not by a
    view of the contract, which has no byte to spare under EIP-170."""
    from eth_abi import encode

    targets = [getattr(t, "address", t) for t in targets]
    calls = keccak(encode(["address[]", "uint256[]", "bytes[]", "bytes32"],
                          [targets, list(values), [bytes(c) for c in calldatas], bytes(doc_hash)]))
    return int.from_bytes(keccak(encode(["bytes32", "address", "uint256"], [calls, proposer, nonce])), "big")


def timelock_salt(proposal: int, index: int) -> bytes:
    """The timelock salt of a proposal's call number `index` (0-based): its operation is
    the timelock's hash_operation(target, value, calldata, 0x0, salt)."""
    from eth_abi import encode

    return keccak(encode(["uint256", "uint256"], [proposal, index]))


def selector(signature: str) -> bytes:
    """The 4-byte selector of a function signature, e.g. "set_maintenance_share(uint256)"."""
    return keccak(text=signature)[:4]


def deploy_assembly(
    project: Any,
    chain: Any,
    deployer: Any,
    community: Any,
    **params: Any,
) -> dict[str, Any]:
    """Deploy AssemblyTimelock + Constitution + OwnersAssembly for `community` and wire them.

    Keyword parameters (defaults in DEFAULT_ASSEMBLY_PARAMS): timelock_delay,
    min_notice, min_voting_period, max_voting_period, objection_window,
    queue_window (seconds). The deployer must hold the registry's ASSEMBLY_ROLE.

    Returns {"AssemblyTimelock": timelock, "Constitution": constitution,
    "PaperBallots": paper_ballots, "OwnersAssembly": assembly}.
    """
    del chain  # same signature as the other deploy helpers; nothing chain-specific here
    unknown = set(params) - set(DEFAULT_ASSEMBLY_PARAMS)
    if unknown:
        raise TypeError(f"unknown assembly parameter(s): {', '.join(sorted(unknown))}")
    settings = {**DEFAULT_ASSEMBLY_PARAMS, **params}
    registry = getattr(community, "registry", community)

    timelock = deployer.deploy(project.AssemblyTimelock, settings["timelock_delay"], [], [], deployer.address)
    constitution = deployer.deploy(project.Constitution, registry.address)
    paper_ballots = deployer.deploy(project.PaperBallots, registry.address)
    assembly = deployer.deploy(
        project.OwnersAssembly,
        registry.address,
        timelock.address,
        settings["min_notice"],
        settings["min_voting_period"],
        settings["max_voting_period"],
        settings["objection_window"],
        settings["queue_window"],
        constitution.address,
        paper_ballots.address,
    )
    paper_ballots.set_assembly(assembly.address, sender=deployer)

    for role in (PROPOSER_ROLE, CANCELLER_ROLE, EXECUTOR_ROLE):
        timelock.grantRole(role, assembly.address, sender=deployer)
    timelock.renounceRole(DEFAULT_ADMIN_ROLE, deployer.address, sender=deployer)
    registry.grantRole(ASSEMBLY_ROLE, timelock.address, sender=deployer)

    return {"AssemblyTimelock": timelock, "Constitution": constitution, "PaperBallots": paper_ballots,
            "OwnersAssembly": assembly}
