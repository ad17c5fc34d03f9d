# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title PasskeyAccount
@custom:contract-name PasskeyAccount
@license GNU Affero General Public License v3.0 only
@notice A resident's account controlled by the passkeys (WebAuthn, P-256) of their
        phone or computer, so an owner without a crypto wallet can vote, pay and sign.

        - One account per resident, created by PasskeyAccountFactory as a minimal
          proxy to this contract at an address derived from the first passkey's
          public key (CREATE2), so the account exists before its first transaction
          and is registered in HouseholdRegistry like any wallet.
        - `execute(target, value, data, nonce, assertion)` makes one call that a
          passkey signed: the WebAuthn challenge is the EIP-712 hash of
          `Call(address target,uint256 value,bytes data,uint256 nonce)` in this
          account's domain (name "Linli PasskeyAccount", version "1", the chain id,
          verifyingContract = the account), so a signature is good for one call,
          once, on one account and one chain. Anyone may submit it (the relayer pays
          the gas); the account's own ETH is not needed.
        - The assertion is what the browser returns: authenticatorData (flags UP and
          UV must be set), clientDataJSON with `"type":"webauthn.get"` at
          `type_index` and `"challenge":"<base64url of the hash>"` at
          `challenge_index` (the verifiers of Coinbase's Smart Wallet and Daimo check
          the bytes at known positions instead of parsing JSON), r and s with s at
          most n/2, and the key (x, y) that signed. The message the authenticator
          signed is sha256(authenticatorData || sha256(clientDataJSON)).
        - Verification uses the P256VERIFY precompile (EIP-7951, address 0x100) when
          the chain has it, otherwise snekmate's pure-EVM `p256`. Which one is decided
          once, when this implementation is deployed, by asking the precompile about
          a known valid signature: an empty answer for a valid signature means there
          is no precompile (the precompile answers empty for an invalid one too, so
          a per-call fallback could not tell the two apart).
        - A second passkey (a new phone) is added, and a key removed (never the last),
          only by a call the account itself makes, i.e. one a passkey signed.
        - EIP-1271: `isValidSignature(hash, signature)` answers 0x1626ba7e when
          `signature` is the ABI-encoded assertion of one of the account's passkeys
          whose challenge is the EIP-712 hash of `PasskeyMessage(bytes32 hash)` in
          this account's domain (Coinbase's replay-safe wrapping: a key shared by
          two accounts cannot sign for both at once).
        - ERC-721: `onERC721Received` accepts an NFT sent with the safe-transfer
          check (a culture work the resident registers or is gifted); it is pure.
@custom:security The implementation itself holds no key and refuses `initialize`, so it
                 can never act; proxies cannot be upgraded. The JSON checks rely on the
                 signed clientDataJSON being built by the browser, as every on-chain
                 WebAuthn verifier does. A lost phone is not recovered here: the
                 registry's wallet recovery moves the units to a new account. The
                 reentrancy lock covers `execute`; adding and removing keys is marked
                 reentrant because it can only be reached through `execute` itself.
"""

from snekmate.utils import p256


struct WebAuthnAssertion:
    authenticator_data: Bytes[MAX_AUTHENTICATOR_DATA]
    client_data_json: Bytes[MAX_CLIENT_DATA_JSON]
    challenge_index: uint256
    type_index: uint256
    r: uint256
    s: uint256
    x: uint256
    y: uint256


MAX_AUTHENTICATOR_DATA: constant(uint256) = 256
MAX_CLIENT_DATA_JSON: constant(uint256) = 1024
MAX_CALL_DATA: constant(uint256) = 8192
MAX_RETURN_DATA: constant(uint256) = 1024

# EIP-7951's P256VERIFY: 160 bytes hash || r || s || x || y in, 32-byte 1 out on success,
# nothing on failure.
P256_VERIFY: constant(address) = 0x0000000000000000000000000000000000000100
# Half the curve order: a higher s is the other half of a malleable pair.
HALF_N: constant(uint256) = 57896044605178124381348723474703786764998477612067880171211129530534256022184

FLAG_USER_PRESENT: constant(uint256) = 1
FLAG_USER_VERIFIED: constant(uint256) = 4

TYPE_GET: constant(Bytes[21]) = b'"type":"webauthn.get"'
CHALLENGE_KEY: constant(Bytes[13]) = b'"challenge":"'
CHALLENGE_LENGTH: constant(uint256) = 57  # '"challenge":"' + 43 base64url characters + '"'

# Lanes of the base64url encoding (see `_base64url`).
ONES_20: constant(uint256) = 5731378969925109483151705226338364782964441345
ONES_3: constant(uint256) = 65793
MASK_120: constant(uint256) = 1329227995784915872903807060280344575
LANE_BYTE_3: constant(uint256) = 359666418645643253780635319917496986921221488640
LANE_BYTE_2: constant(uint256) = 1404946947834543960080606718427722605161021440
LANE_BYTE_1: constant(uint256) = 5488074014978687344064869993858291426410240
LANE_BYTE_0: constant(uint256) = 21437789121010497437753398413508950884415

EIP712_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
NAME_HASH: constant(bytes32) = keccak256("Linli PasskeyAccount")
VERSION_HASH: constant(bytes32) = keccak256("1")
CALL_TYPEHASH: constant(bytes32) = keccak256("Call(address target,uint256 value,bytes data,uint256 nonce)")
MESSAGE_TYPEHASH: constant(bytes32) = keccak256("PasskeyMessage(bytes32 hash)")

EIP1271_MAGIC: constant(bytes4) = 0x1626ba7e
EIP1271_INVALID: constant(bytes4) = 0xffffffff

# A valid P-256 signature (made once with Python's `cryptography`) to probe the precompile.
PROBE_HASH: constant(bytes32) = 0x82e15cd78aa61da77c3f029907a36e0cc84020e060652fc291d0d5c925ba89f8
PROBE_R: constant(uint256) = 88444853336051446921946765685160805570988652605701961711950309021889649924412
PROBE_S: constant(uint256) = 50570334162946974692263512104302647848729681088692858051477252270290630472377
PROBE_X: constant(uint256) = 96327084773388075914005392855364048128263744327015827356770754633294072431710
PROBE_Y: constant(uint256) = 104819756293221736461064309274210476529685507827666049389707784118146052516321


# True when this chain has the P256VERIFY precompile (probed at deployment).
HAS_PRECOMPILE: public(immutable(bool))
# The implementation's own address: proxies run this code at their own address.
IMPLEMENTATION: immutable(address)

# The nonce the next signed call must carry.
next_nonce: public(uint256)
# How many passkeys control the account.
passkey_count: public(uint256)
# keccak256(x, y) -> whether that public key controls the account.
_passkeys: HashMap[bytes32, bool]


event PasskeyAdded:
    key_id: indexed(bytes32)
    x: uint256
    y: uint256

event PasskeyRemoved:
    key_id: indexed(bytes32)
    x: uint256
    y: uint256

event Executed:
    target: indexed(address)
    value: uint256
    nonce: uint256


@deploy
def __init__():
    """
    @dev Deployed once per chain as the implementation behind every resident's
         proxy; probes the precompile so each call knows which verifier to use.
    """
    IMPLEMENTATION = self
    ok: bool = False
    answer: Bytes[32] = b""
    ok, answer = raw_call(
        P256_VERIFY,
        abi_encode(PROBE_HASH, PROBE_R, PROBE_S, PROBE_X, PROBE_Y),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    HAS_PRECOMPILE = ok and len(answer) == 32 and convert(answer, uint256) == 1


@external
def initialize(x: uint256, y: uint256):
    """
    @notice Give a new proxy its first passkey (the factory does it in the
            transaction that creates the proxy, so nobody can come in between).
    @param x The passkey's public key, x coordinate.
    @param y The passkey's public key, y coordinate.
    """
    assert self != IMPLEMENTATION, "passkey: the implementation holds no keys"
    assert self.passkey_count == 0, "passkey: already initialized"
    self._add_passkey(x, y)


@external
@payable
def execute(target: address, amount: uint256, data: Bytes[MAX_CALL_DATA], call_nonce: uint256,
            assertion: WebAuthnAssertion) -> Bytes[MAX_RETURN_DATA]:
    """
    @notice Make the call a passkey signed; anyone may submit it.
    @dev A call that reverts reverts the whole transaction with its reason, so the
         nonce is only spent by calls that happened.
    @param target The contract or wallet called.
    @param amount The wei sent with the call (from the account's balance).
    @param data The calldata.
    @param call_nonce The account's nonce the passkey signed (must be `next_nonce`).
    @param assertion The WebAuthn assertion over the call's EIP-712 hash.
    @return Bytes The call's return data (up to 1,024 bytes).
    """
    assert call_nonce == self.next_nonce, "passkey: wrong nonce"
    self._check_assertion(self._call_hash(target, amount, data, call_nonce), assertion)
    self.next_nonce = call_nonce + 1
    success: bool = False
    response: Bytes[MAX_RETURN_DATA] = b""
    success, response = raw_call(target, data, max_outsize=MAX_RETURN_DATA, value=amount, revert_on_failure=False)
    if not success:
        raw_revert(response)
    log Executed(target=target, value=amount, nonce=call_nonce)
    return response


@external
@reentrant
def add_passkey(x: uint256, y: uint256):
    """
    @notice Add a passkey (a new phone); only through a call a passkey signed.
    @param x The new public key, x coordinate.
    @param y The new public key, y coordinate.
    """
    assert msg.sender == self, "passkey: only the account itself"
    self._add_passkey(x, y)


@external
@reentrant
def remove_passkey(x: uint256, y: uint256):
    """
    @notice Remove a passkey (a phone given away); never the last one.
    @param x The public key, x coordinate.
    @param y The public key, y coordinate.
    """
    assert msg.sender == self, "passkey: only the account itself"
    key_id: bytes32 = self._key_id(x, y)
    assert self._passkeys[key_id], "passkey: unknown key"
    assert self.passkey_count > 1, "passkey: cannot remove the last key"
    self._passkeys[key_id] = False
    self.passkey_count -= 1
    log PasskeyRemoved(key_id=key_id, x=x, y=y)


@external
@view
def isValidSignature(hash: bytes32, signature: Bytes[2048]) -> bytes4:
    """
    @notice EIP-1271: whether one of the account's passkeys signed `hash`.
    @dev A malformed assertion reverts with its reason; a well-formed one by an
         unknown key or with a wrong signature answers 0xffffffff.
    @param hash The digest signed (e.g. a notice's EIP-712 Acknowledgement).
    @param signature The ABI-encoded WebAuthnAssertion whose challenge is
           `message_hash(hash)`.
    @return bytes4 0x1626ba7e when valid, 0xffffffff otherwise.
    """
    assertion: WebAuthnAssertion = abi_decode(signature, WebAuthnAssertion)
    message: bytes32 = self._check_format(self._message_hash(hash), assertion)
    if not self._passkeys[self._key_id(assertion.x, assertion.y)] or assertion.s > HALF_N:
        return EIP1271_INVALID
    if not self._p256_valid(message, assertion):
        return EIP1271_INVALID
    return EIP1271_MAGIC


@external
@view
def is_passkey(x: uint256, y: uint256) -> bool:
    """
    @notice Whether the public key (x, y) controls the account.
    """
    return self._passkeys[self._key_id(x, y)]


@external
@view
def call_hash(target: address, amount: uint256, data: Bytes[MAX_CALL_DATA], call_nonce: uint256) -> bytes32:
    """
    @notice The challenge a passkey signs for `execute(target, amount, data, call_nonce, …)`.
    """
    return self._call_hash(target, amount, data, call_nonce)


@external
@view
def message_hash(hash: bytes32) -> bytes32:
    """
    @notice The challenge a passkey signs for `isValidSignature(hash, …)`.
    """
    return self._message_hash(hash)


@external
@view
def domain_separator() -> bytes32:
    """
    @notice The account's EIP-712 domain separator.
    """
    return self._domain_separator()


@external
@pure
def onERC721Received(operator: address, sender: address, token_id: uint256, data: Bytes[1_024]) -> bytes4:
    """
    @notice ERC-721's receiver hook: the account accepts an NFT sent to it with the
            safe-transfer check (a culture work the resident registers through
            CultureWorks.mint_work, or one gifted to them).
    @dev Pure: it reads and writes nothing and calls nothing, so a token contract
         calling it (even in the middle of `execute`) can neither move the account's
         assets nor run a call; it only answers the selector. ERC-1155 is not accepted:
         nothing in the project mints it.
    @param operator Who sent the token (the mint's zero address or the giver).
    @param sender The previous owner (the zero address for a mint).
    @param token_id The token.
    @param data Extra data of the transfer (ignored).
    @return bytes4 The selector of onERC721Received, 0x150b7a02.
    """
    return method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)


@external
@payable
@reentrant
def __default__():
    """
    @notice Receive ETH (a refund or a gift); changes nothing else.
    """
    pass


@internal
def _add_passkey(x: uint256, y: uint256):
    assert p256._ec_aff_is_valid_pubkey(x, y), "passkey: not a P-256 point"
    key_id: bytes32 = self._key_id(x, y)
    assert not self._passkeys[key_id], "passkey: key already added"
    self._passkeys[key_id] = True
    self.passkey_count += 1
    log PasskeyAdded(key_id=key_id, x=x, y=y)


@internal
@view
def _check_assertion(challenge: bytes32, assertion: WebAuthnAssertion):
    """Revert with the rule that fails unless a passkey of this account signed `challenge`."""
    assert self._passkeys[self._key_id(assertion.x, assertion.y)], "passkey: unknown key"
    message: bytes32 = self._check_format(challenge, assertion)
    assert assertion.s <= HALF_N, "passkey: high s"
    assert self._p256_valid(message, assertion), "passkey: invalid signature"


@internal
@view
def _check_format(challenge: bytes32, assertion: WebAuthnAssertion) -> bytes32:
    """Check the WebAuthn wrapping around `challenge`; return the digest the key signed."""
    # rpIdHash (32 bytes), flags (1), signCount (4)
    assert len(assertion.authenticator_data) >= 37, "passkey: authenticator data too short"
    flags: uint256 = convert(slice(assertion.authenticator_data, 32, 1), uint256)
    assert flags & FLAG_USER_PRESENT != 0, "passkey: user not present"
    assert flags & FLAG_USER_VERIFIED != 0, "passkey: user not verified"

    size: uint256 = len(assertion.client_data_json)
    # Compared as `index <= size - length` so a huge index cannot overflow into a panic.
    assert size >= 21 and assertion.type_index <= size - 21, "passkey: type out of range"
    assert slice(assertion.client_data_json, assertion.type_index, 21) == TYPE_GET, "passkey: not an assertion"
    assert size >= CHALLENGE_LENGTH and assertion.challenge_index <= size - CHALLENGE_LENGTH, \
        "passkey: challenge out of range"
    expected: Bytes[CHALLENGE_LENGTH] = concat(CHALLENGE_KEY, self._base64url(challenge), b'"')
    assert slice(assertion.client_data_json, assertion.challenge_index, CHALLENGE_LENGTH) == expected, "passkey: wrong challenge"

    return sha256(concat(assertion.authenticator_data, sha256(assertion.client_data_json)))


@internal
@view
def _p256_valid(message: bytes32, assertion: WebAuthnAssertion) -> bool:
    if HAS_PRECOMPILE:
        ok: bool = False
        answer: Bytes[32] = b""
        ok, answer = raw_call(
            P256_VERIFY,
            abi_encode(message, assertion.r, assertion.s, assertion.x, assertion.y),
            max_outsize=32,
            is_static_call=True,
            revert_on_failure=False,
        )
        return ok and len(answer) == 32 and convert(answer, uint256) == 1
    return p256._verify_sig(message, assertion.r, assertion.s, assertion.x, assertion.y)


@internal
@pure
def _base64url(digest: bytes32) -> Bytes[43]:
    """
    @dev The 43 unpadded base64url characters of 32 bytes, as WebAuthn puts the
         challenge in clientDataJSON. It runs on every signed call, so it works on
         whole words (SWAR) rather than a character at a time (a loop of 43 cost
         ~13,000 gas; snekmate's general `base64._encode` builds 4-character
         strings): bytes 0-14 and 15-29 give 20 characters each, bytes 30-31 the
         last 3.
    """
    word: uint256 = convert(digest, uint256)
    first: uint256 = self._sextet_chars(self._spread_sextets(word >> 136), ONES_20)
    second: uint256 = self._sextet_chars(self._spread_sextets((word >> 16) & MASK_120), ONES_20)
    last: uint256 = word & 65535
    # 16 bits and two zero bits of padding: 3 sextets.
    tail: uint256 = self._sextet_chars((((last >> 10) & 63) << 16) | (((last >> 4) & 63) << 8) | ((last & 15) << 2), ONES_3)
    return concat(
        slice(convert(first, bytes32), 12, 20), slice(convert(second, bytes32), 12, 20), slice(convert(tail, bytes32), 29, 3)
    )


@internal
@pure
def _spread_sextets(bits: uint256) -> uint256:
    """
    @dev 120 bits (5 groups of 24) to 20 bytes of one sextet each, most significant
         first: each group goes to a 32-bit lane, then its 4 sextets to the lane's
         4 bytes. No shift moves bits out of their lane (a group is 24 bits).
    """
    lanes: uint256 = (bits & 16777215) | (((bits >> 24) & 16777215) << 32) | (((bits >> 48) & 16777215) << 64) \
        | (((bits >> 72) & 16777215) << 96) | (((bits >> 96) & 16777215) << 128)
    return ((lanes << 6) & LANE_BYTE_3) | ((lanes << 4) & LANE_BYTE_2) | ((lanes << 2) & LANE_BYTE_1) \
        | (lanes & LANE_BYTE_0)


@internal
@pure
def _sextet_chars(sextets: uint256, ones: uint256) -> uint256:
    """
    @dev The base64url character of every byte of `sextets` (each < 64) in the lanes
         `ones` marks: A-Z from 65, a-z from 97, 0-9 from 48, '-' 45, '_' 95. A byte
         b is above k when b + 127 - k reaches 128; no lane carries into the next
         (b + 102 < 256) and no subtraction borrows (b >= 52 before the 75 is
         taken, b >= 62 before the 13), hence the unsafe arithmetic.
    """
    high: uint256 = 128 * ones
    above_25: uint256 = (unsafe_add(sextets, 102 * ones) & high) >> 7
    above_51: uint256 = (unsafe_add(sextets, 76 * ones) & high) >> 7
    above_61: uint256 = (unsafe_add(sextets, 66 * ones) & high) >> 7
    above_62: uint256 = (unsafe_add(sextets, 65 * ones) & high) >> 7
    chars: uint256 = unsafe_add(unsafe_add(unsafe_add(sextets, 65 * ones), 6 * above_25), 49 * above_62)
    return unsafe_sub(unsafe_sub(chars, 75 * above_51), 13 * above_61)


@internal
@view
def _call_hash(target: address, amount: uint256, data: Bytes[MAX_CALL_DATA], call_nonce: uint256) -> bytes32:
    return self._typed(keccak256(abi_encode(CALL_TYPEHASH, target, amount, keccak256(data), call_nonce)))


@internal
@view
def _message_hash(hash: bytes32) -> bytes32:
    return self._typed(keccak256(abi_encode(MESSAGE_TYPEHASH, hash)))


@internal
@view
def _typed(struct_hash: bytes32) -> bytes32:
    return keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))


@internal
@view
def _domain_separator() -> bytes32:
    # Built each time: `self` is the proxy's address, not the implementation's.
    return keccak256(abi_encode(EIP712_DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, self))


@internal
@pure
def _key_id(x: uint256, y: uint256) -> bytes32:
    return keccak256(abi_encode(x, y))
