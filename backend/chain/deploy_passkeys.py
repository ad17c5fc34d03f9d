"""Deploy the passkey accounts' implementation and factory (once per chain, not per
community: an account belongs to a resident, not to a community's governance).

The tests and bench/gas_passkey.py go through this helper, so what they measure is what
an operator deploys.
"""

from __future__ import annotations

from typing import Any


def deploy_passkeys(project: Any, chain: Any, deployer: Any) -> dict[str, Any]:
    """Deploy PasskeyAccount (the implementation every resident's proxy runs; it probes
    the chain's P256VERIFY precompile in its constructor) and PasskeyAccountFactory.

    Returns {"PasskeyAccount": implementation, "PasskeyAccountFactory": factory}."""
    del chain  # same signature as the other deploy helpers
    implementation = deployer.deploy(project.PasskeyAccount)
    factory = deployer.deploy(project.PasskeyAccountFactory, implementation.address)
    return {"PasskeyAccount": implementation, "PasskeyAccountFactory": factory}
