"""Constructor reverts checked through a plain eth_call.

Ape's decoding of a reverted deployment occasionally trips over eth_abi
(InvalidPointer) once many contract types are loaded in one session; an eth_call of
the creation code returns the node's own revert message, which is what users see.
"""

import pytest
from eth_abi import encode
from web3.exceptions import ContractLogicError


def assert_deploy_reverts(chain, container, args, sender, reason):
    """Deploying `container` with `args` from `sender` reverts with exactly `reason`."""
    constructor = container.contract_type.constructor
    types = [str(item.canonical_type) for item in constructor.inputs]
    code = bytes.fromhex(container.contract_type.deployment_bytecode.bytecode[2:])
    data = code + encode(types, [getattr(a, "address", a) for a in args])
    with pytest.raises(ContractLogicError) as info:
        chain.provider.web3.eth.call({"from": sender.address, "data": "0x" + data.hex()})
    assert str(info.value.message).endswith(reason), info.value.message
