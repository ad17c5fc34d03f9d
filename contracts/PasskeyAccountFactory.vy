# pragma version 0.4.3
"""
@title PasskeyAccountFactory
@custom:contract-name PasskeyAccountFactory
@license GNU Affero General Public License v3.0 only
@notice Creates a resident's PasskeyAccount as a minimal proxy (EIP-1167, 45 bytes
        of code) at an address that depends only on this factory, the
        implementation and the first passkey's public key (CREATE2 with salt
        keccak256(x, y)), so the address is known, and can be registered, before
        the account's first transaction.
@custom:security Anyone may create an account (the relayer does): the proxy is
                 created and given its key (x, y) in one transaction, so whoever
                 calls can only create the account that key controls, at the one
                 address `account_address(x, y)`; nobody can take that address for
                 another key. Creating an existing account returns it unchanged. The
                 factory holds and moves no value, hence no reentrancy lock.
"""


interface IPasskeyAccount:
    def initialize(x: uint256, y: uint256): nonpayable


# Vyper's `create_minimal_proxy_to` init code around the implementation's address.
PROXY_PREFIX: constant(Bytes[19]) = x"602d3d8160093d39f3363d3d373d3d3d363d73"
PROXY_SUFFIX: constant(Bytes[15]) = x"5af43d82803e903d91602b57fd5bf3"


# The PasskeyAccount every proxy runs.
IMPLEMENTATION: public(immutable(address))
# keccak256 of the proxies' init code (the same for every account).
PROXY_INIT_CODE_HASH: public(immutable(bytes32))


event AccountCreated:
    account: indexed(address)
    key_id: indexed(bytes32)
    x: uint256
    y: uint256


@deploy
def __init__(implementation: address):
    """
    @param implementation The deployed PasskeyAccount implementation.
    """
    IMPLEMENTATION = implementation
    PROXY_INIT_CODE_HASH = keccak256(concat(PROXY_PREFIX, convert(implementation, bytes20), PROXY_SUFFIX))


@external
def create_account(x: uint256, y: uint256) -> address:
    """
    @notice Create the account of the passkey (x, y), or return it if it exists.
    @param x The passkey's public key, x coordinate.
    @param y The passkey's public key, y coordinate.
    @return address The account, always `account_address(x, y)`.
    """
    account: address = self._account_address(x, y)
    if account.codesize > 0:
        return account
    created: address = create_minimal_proxy_to(IMPLEMENTATION, salt=self._salt(x, y))
    extcall IPasskeyAccount(created).initialize(x, y)
    log AccountCreated(account=created, key_id=self._salt(x, y), x=x, y=y)
    return created


@external
@view
def account_address(x: uint256, y: uint256) -> address:
    """
    @notice Where the account of the passkey (x, y) is, or will be, created.
    @param x The passkey's public key, x coordinate.
    @param y The passkey's public key, y coordinate.
    @return address The account's address.
    """
    return self._account_address(x, y)


@internal
@view
def _account_address(x: uint256, y: uint256) -> address:
    return convert(
        slice(keccak256(concat(x"ff", convert(self, bytes20), self._salt(x, y), PROXY_INIT_CODE_HASH)), 12, 20),
        address,
    )


@internal
@pure
def _salt(x: uint256, y: uint256) -> bytes32:
    # Same as the account's key id for (x, y).
    return keccak256(abi_encode(x, y))
