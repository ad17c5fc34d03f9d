# pragma version 0.4.3
"""
@title CultureReceiverAttacker
@notice Test-only resident contract: receives works and, from onERC721Received,
        tries to re-enter CultureWorks with a call prepared by the test (like,
        mint_work, gift). It records whether the re-entry succeeded and returns the
        ERC-721 magic value, so the outer call completes and the test can inspect.
        Compiled by tests/culture/conftest.py (not part of the project's contracts).
"""

culture: public(address)
payload: public(Bytes[640])
attempts: public(uint256)
last_reentry_ok: public(bool)
last_reentry_data: public(Bytes[256])
refuse: public(bool)


@deploy
def __init__(culture_: address):
    """
    @notice Point the attacker at a CultureWorks.
    @param culture_ The CultureWorks address.
    """
    self.culture = culture_


@external
def arm(payload_: Bytes[640]):
    """
    @notice Prepare the calldata sent back to CultureWorks from the receive hook
            (empty: do not re-enter).
    @param payload_ The calldata.
    """
    self.payload = payload_


@external
def set_refuse(refuse_: bool):
    """
    @notice Make the hook return a wrong value (a receiver that refuses tokens).
    @param refuse_ True to refuse.
    """
    self.refuse = refuse_


@external
def call_culture(data: Bytes[640]):
    """
    @notice Call CultureWorks as this contract (mint, like, gift); reverts bubble up.
    @param data The calldata.
    """
    raw_call(self.culture, data)


@external
def call_any(target: address, data: Bytes[640]):
    """
    @notice Call any contract as this contract (to accept a residence); reverts bubble up.
    @param target The contract.
    @param data The calldata.
    """
    raw_call(target, data)


@external
def onERC721Received(operator: address, owner: address, token_id: uint256, data: Bytes[1_024]) -> bytes4:
    """
    @notice The ERC-721 receive hook: try the prepared re-entry, record the outcome.
    @param operator The caller of the transfer or mint.
    @param owner The previous owner (zero on mint).
    @param token_id The token.
    @param data Extra data.
    @return The ERC-721 magic value (or a wrong one when refusing).
    """
    if self.refuse:
        return 0xDEADBEEF
    if len(self.payload) != 0:
        ok: bool = False
        response: Bytes[256] = b""
        ok, response = raw_call(self.culture, self.payload, max_outsize=256, revert_on_failure=False)
        self.attempts += 1
        self.last_reentry_ok = ok
        self.last_reentry_data = response
    return method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)
