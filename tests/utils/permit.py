"""EIP-2612 permits signed by a test account, for any snekmate token (its own EIP-712 domain)."""

from eth_account import Account
from eth_account.messages import encode_typed_data

PERMIT_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}


def sign_permit(token, owner, spender, value, deadline, chain_id):
    """(v, r, s) of owner's permit for spender, with the token's current nonce and domain."""
    _fields, name, version, *_rest = token.eip712Domain()
    data = {
        "types": PERMIT_TYPES,
        "primaryType": "Permit",
        "domain": {"name": name, "version": version, "chainId": chain_id, "verifyingContract": token.address},
        "message": {
            "owner": owner.address,
            "spender": getattr(spender, "address", spender),
            "value": value,
            "nonce": token.nonces(owner),
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=data), owner.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
