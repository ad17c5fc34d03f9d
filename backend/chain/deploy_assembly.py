"""Deploy the owners' assembly of a community: its timelock and the assembly itself.

`deploy_assembly` is what the deploy script, the demo seed, the tests and the gas
benchmark all call, so what is tested is what an operator deploys:

1. AssemblyTimelock (snekmate timelock_controller) with the deployer as a
   temporary admin and no roles;
2. OwnersAssembly, reading weights from the community's registry and running
   passed proposals through the timelock; if PropertyFees is given, changing its
   maintenance share is marked a major-matter call (raising the fund, 3/4);
3. the assembly becomes the timelock's proposer, canceller and executor, and the
   deployer renounces the admin role: from then on only a passed proposal changes
   the timelock;
4. if PropertyFees is given, the committee hands the maintenance fund's
   governance to the timelock (`fees.set_governance(timelock)`), so the fund
   moves only by a passed proposal after the timelock delay.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

DAY = 86400

# Defaults follow common practice for owners' assemblies: 15 days' notice before a
# vote (业主大会会议通知), a vote of one to four weeks, a week of 公示.
DEFAULT_ASSEMBLY_PARAMS: dict[str, int] = {
    "timelock_delay": 2 * DAY,
    "min_notice": 15 * DAY,
    "min_voting_period": 7 * DAY,
    "max_voting_period": 28 * DAY,
    "objection_window": 7 * DAY,
}

PROPOSER_ROLE = keccak(text="PROPOSER_ROLE")
EXECUTOR_ROLE = keccak(text="EXECUTOR_ROLE")
CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32

# PropertyFees calls that only a major matter may make (raising the fund).
FEES_MAJOR_SELECTORS = ("set_maintenance_share(uint256)",)


def selector(signature: str) -> bytes:
    """The 4-byte selector of a function signature, e.g. "set_maintenance_share(uint256)"."""
    return keccak(text=signature)[:4]


def deploy_assembly(
    project: Any,
    chain: Any,
    deployer: Any,
    community: Any,
    fees: Any | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Deploy AssemblyTimelock + OwnersAssembly for `community` and wire them.

    Keyword parameters (defaults in DEFAULT_ASSEMBLY_PARAMS): timelock_delay,
    min_notice, min_voting_period, max_voting_period, objection_window (seconds);
    `major_calls`: extra (target, selector bytes) pairs only a major matter may
    call; `committee`: the account that hands PropertyFees' governance to the
    timelock (default: the deployer, who must then be the committee).

    Returns {"AssemblyTimelock": timelock, "OwnersAssembly": assembly}.
    """
    del chain  # same signature as the other deploy helpers; nothing chain-specific here
    unknown = set(params) - set(DEFAULT_ASSEMBLY_PARAMS) - {"major_calls", "committee"}
    if unknown:
        raise TypeError(f"unknown assembly parameter(s): {', '.join(sorted(unknown))}")
    settings = {**DEFAULT_ASSEMBLY_PARAMS, **{k: v for k, v in params.items() if k in DEFAULT_ASSEMBLY_PARAMS}}
    registry = getattr(community, "registry", community)

    timelock = deployer.deploy(project.AssemblyTimelock, settings["timelock_delay"], [], [], deployer.address)

    major_calls = [(getattr(t, "address", t), s) for t, s in params.get("major_calls", [])]
    if fees is not None:
        major_calls += [(fees.address, selector(sig)) for sig in FEES_MAJOR_SELECTORS]

    assembly = deployer.deploy(
        project.OwnersAssembly,
        registry.address,
        timelock.address,
        settings["min_notice"],
        settings["min_voting_period"],
        settings["max_voting_period"],
        settings["objection_window"],
        major_calls,
    )

    for role in (PROPOSER_ROLE, CANCELLER_ROLE, EXECUTOR_ROLE):
        timelock.grantRole(role, assembly.address, sender=deployer)
    timelock.renounceRole(DEFAULT_ADMIN_ROLE, deployer.address, sender=deployer)

    if fees is not None:
        fees.set_governance(timelock.address, sender=params.get("committee") or deployer)

    return {"AssemblyTimelock": timelock, "OwnersAssembly": assembly}
