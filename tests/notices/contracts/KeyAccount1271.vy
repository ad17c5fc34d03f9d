# pragma version 0.4.3
"""
@title KeyAccount1271
@license GNU Affero General Public License v3.0 only
@notice A test stand-in for a passkey account: a contract wallet that answers EIP-1271
        `isValidSignature` for digests its one key signed. Only the tests deploy it.
"""

MAGIC: constant(bytes4) = 0x1626ba7e

signer: public(immutable(address))


@deploy
def __init__(signer_: address):
    signer = signer_


@external
@view
def isValidSignature(digest: bytes32, signature: Bytes[65]) -> bytes4:
    r: uint256 = convert(slice(signature, 0, 32), uint256)
    s: uint256 = convert(slice(signature, 32, 32), uint256)
    v: uint8 = convert(slice(signature, 64, 1), uint8)
    if ecrecover(digest, v, r, s) == signer:
        return MAGIC
    return 0xffffffff
