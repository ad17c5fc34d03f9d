# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title CultureWorks
@custom:contract-name CultureWorks
@license GNU Affero General Public License v3.0 only
@notice Residents' works (calligraphy, paintings, photographs, stories, ideas) as
        ERC-721 tokens whose id is the sha256 of the work's file.

        - A registered resident mints a work with a title, a kind, the file's
          sha256 and a metadata URI. The token id IS the content hash, so the
          hash can never change, the same file can be registered only once, and
          anyone holding the file can look up who registered it and when
          (`provenance`). The title lives in the `WorkMinted` event only.
        - Works are not tradeable (no sale, no market, per the 2022 industry
          guidance on digital collectibles): `transferFrom`, `safeTransferFrom`,
          `approve` and `setApprovalForAll` always revert, so no marketplace can
          list a work. The one exception is `gift`: the creator may give their
          own work once to another registered resident, while the committee
          leaves gifts switched on. Wallets still show the tokens (ERC-721 and
          metadata views, `tokenURI`).
        - Likes: one per household per work, never from the creator's own
          household. Each like mints `like_rate` points to the creator, up to
          `like_daily_cap` points per creator per Beijing day (UTC+8); likes above
          the cap are recorded and mint nothing. There is no unlike: a like is a
          recorded act, and the points it earned are not taken back.
        - The committee (registry COMMITTEE_ROLE) curates exhibitions, hides (and
          unhides) works that break the community's rules with a reason hash, and
          sets the like reward and the gift switch. A hidden work keeps its token
          and provenance but cannot be liked, gifted or exhibited.
        - Per-token data is one storage word beside snekmate's owner slot: mint
          time, kind, hidden and gifted flags, the URI's length and its first 25
          bytes; the rest of the URI takes 32 bytes per further slot.
        - A URI that is an IPFS CIDv1 (sha2-256) is kept as binary: its prefix
          shares the work word and its digest takes one slot, so it costs the
          storage of a CIDv0 although its text (`ipfs://bafy…`, 66 bytes) is
          longer. `mint_work` does so when the URI is exactly the text IPFS
          prints (multibase base32); `mint_work_cid` takes the binary CID itself
          (less calldata, and a reason when the CID is refused). `tokenURI`,
          `work` and the `WorkMinted` event show the text form either way.
@custom:security Likes mint points (value), so every external function is
                 nonreentrant; `gift`, `mint_work` and `mint_work_cid` call
                 `onERC721Received` on a contract receiver after all effects. The
                 registry and the points contract are trusted. A household's like
                 is checked against the creator's household at like time
                 (`household_key`: the household the creator last belonged to,
                 kept after it leaves), so neither a creator who moved into the
                 liker's household nor one who merely left it can be liked by it;
                 a household's alt wallets are its residents, so they are it. Token ids are sha256 values:
                 they look random but are what a wallet needs to prove a file.
                 tokenURI stays readable for hidden works (the token remains);
                 community pages filter on `is_hidden`. A CID is checked for its
                 form only (version 1, a minimal codec varint, a sha2-256
                 multihash of 32 bytes): the chain cannot tell whether anything is
                 pinned under it, as with any URI, and the codec is not checked
                 against a list, so content types IPFS adds later are accepted.
                 `mint_work` stores a URI as binary only if the contract's own
                 encoding of that binary equals the URI byte for byte (compared
                 by hash at mint), so tokenURI always returns what was minted;
                 the base32 arithmetic uses unchecked operations, each bounded in
                 a comment.
"""

from ethereum.ercs import IERC165
from ethereum.ercs import IERC721
from interfaces import IHouseholdRegistry
from interfaces import ICommunityPoints
from snekmate.auth import ownable
from snekmate.tokens import erc721

implements: IERC165
implements: IERC721

initializes: ownable
initializes: erc721[ownable := ownable]

exports: (
    erc721.name,
    erc721.symbol,
    erc721.balanceOf,
    erc721.ownerOf,
    erc721.getApproved,
    erc721.isApprovedForAll,
)


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
REASON_CULTURE_LIKE: public(constant(uint16)) = 4

# Kinds of work.
KIND_CALLIGRAPHY: public(constant(uint8)) = 0
KIND_PAINTING: public(constant(uint8)) = 1
KIND_PHOTOGRAPH: public(constant(uint8)) = 2
KIND_STORY: public(constant(uint8)) = 3
KIND_IDEA: public(constant(uint8)) = 4
KIND_OTHER: public(constant(uint8)) = 5

MAX_TITLE: public(constant(uint256)) = 96
MAX_URI: public(constant(uint256)) = 120
# The longest binary CID `mint_work_cid` reads. Accepted CIDs are 36..39 bytes; the
# bound leaves room for 512-bit digests so that they are refused with a reason.
MAX_CID: public(constant(uint256)) = 80
MAX_EXHIBITION_TITLE: public(constant(uint256)) = 64

# Beijing time is UTC+8 all year.
UTC_OFFSET: constant(uint256) = 8 * 3600
DAY: constant(uint256) = 86400

# ERC-165 identifiers: ERC-165, ERC-721, ERC-721 metadata (no enumeration, no permit).
_SUPPORTED_INTERFACES: constant(bytes4[3]) = [0x01FFC9A7, 0x80AC58CD, 0x5B5E139F]

MASK7: constant(uint256) = 2**7 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK128: constant(uint256) = 2**128 - 1

# Work word (0 = no such work; minted_at is never 0):
#   bits  0..39  minted at (Unix seconds)      bits 40..42 kind
#   bit  43      hidden                        bit  44     gifted
#   bits 45..51  URI length in bytes           bit  52     URI is a binary CIDv1
#   bits 53..55  unused
#   bits 56..255 the URI's first 25 bytes, left-aligned as in a bytes32
# With bit 52 set the URI bits hold a binary CIDv1 instead of text: bits 45..51 its
# length in bytes (36..39), bits 56..255 its bytes before the digest (version,
# codec, 0x12 0x20: 4..7 bytes, left-aligned, zeros after), and the first tail word
# its sha2-256 digest.
SHIFT_KIND: constant(uint256) = 40
HIDDEN_FLAG: constant(uint256) = 2**43
GIFTED_FLAG: constant(uint256) = 2**44
SHIFT_URI_LEN: constant(uint256) = 45
CID_FLAG: constant(uint256) = 2**52
URI_HEAD_BYTES: constant(uint256) = 25
URI_HEAD_MASK: constant(uint256) = ~(2**56 - 1)
# Up to MAX_URI - URI_HEAD_BYTES = 95 more bytes: 3 words.
URI_TAIL_WORDS: constant(uint256) = 3

# Binary CIDv1 (multiformats): <varint version = 1><varint codec><varint multihash
# code><varint digest length><digest>. Accepted: multihash sha2-256 (0x12) of 32
# bytes, a codec of 1..4 varint bytes (codes below 2**28: dag-pb 0x70, raw 0x55,
# dag-json 0x0129, dag-cbor 0x71, ...). Its text form is "b" (multibase base32) and
# RFC 4648 base32, lower case, without padding.
CID_VERSION: constant(uint256) = 1
CID_MAX_CODEC_BYTES: constant(uint256) = 4
MULTIHASH_SHA2_256: constant(uint256) = 18  # 0x12
SHA2_256_BYTES: constant(uint256) = 32
# The text form: "ipfs://" and the multibase prefix "b"; at most 63 base32 digits.
CID_URI_PREFIX: constant(Bytes[8]) = b"ipfs://b"
MAX_CID_URI: constant(uint256) = 8 + 64
# "ipfs://b" as the top 8 bytes of a word, and the lengths of a CIDv1's text form:
# 8 + ceil(8 * 36 / 5) = 66 to 8 + ceil(8 * 39 / 5) = 71.
CID_URI_PREFIX_WORD: constant(uint256) = 7597685216457469794
CID_URI_MIN: constant(uint256) = 66
CID_URI_MAX: constant(uint256) = 71
# _parse_cid outcomes (0: a CIDv1 this contract keeps).
CID_NOT_V1: constant(uint256) = 1
CID_BAD_CODEC: constant(uint256) = 2
CID_NOT_SHA2_256: constant(uint256) = 3
CID_BAD_DIGEST: constant(uint256) = 4

# Base32 in one word: 20 bytes (160 bits) spread to 32 bytes of 5 bits each by
# halving lanes (256 -> 128 -> 64 -> 32 -> 16 -> 8 bits), then mapped to the
# alphabet "a".."z" (0..25), "2".."7" (26..31) in every byte at once. Each
# BASE32_LANE_k keeps the low half of the lane's content in every lane.
BASE32_LANE_1: constant(uint256) = 2**80 - 1
BASE32_LANE_2: constant(uint256) = (2**40 - 1) * (1 + 2**128)
BASE32_LANE_3: constant(uint256) = (2**20 - 1) * (1 + 2**64 + 2**128 + 2**192)
BASE32_LANE_4: constant(uint256) = (2**10 - 1) * (max_value(uint256) // (2**32 - 1))
BASE32_LANE_5: constant(uint256) = 31 * (max_value(uint256) // (2**16 - 1))
# 0x01 in every byte, and 0x1f (a 5-bit group) in every byte.
BYTE_ONES: constant(uint256) = max_value(uint256) // 255
BYTE_GROUPS: constant(uint256) = 31 * BYTE_ONES
# Group + 0x66 has bit 7 set exactly for groups 26..31; letters are group + "a"
# (0x61), "2".."7" are group + 0x18, i.e. 0x49 less.
BASE32_OVER_25: constant(uint256) = 102 * BYTE_ONES
BASE32_LETTER_A: constant(uint256) = 97 * BYTE_ONES
BASE32_DIGIT_SHIFT: constant(uint256) = 73

# Config word: bits 0..63 points per like, 64..127 daily cap per creator, bit 128 gifts on.
SHIFT_CAP: constant(uint256) = 64
GIFTS_FLAG: constant(uint256) = 2**128

# Creator-day word: bits 0..127 points minted by likes that day, 128..255 the Beijing day.
SHIFT_DAY: constant(uint256) = 128


struct Work:
    creator: address
    owner: address
    kind: uint8
    minted_at: uint256
    hidden: bool
    gifted: bool
    uri: String[MAX_URI]


registry: public(immutable(address))
points: public(immutable(address))

_config: uint256
_work: HashMap[uint256, uint256]
_uri_tail: HashMap[uint256, bytes32[URI_TAIL_WORDS]]
# Written only by a gift: the creator of a work whose owner is now the recipient.
_gift_creator: HashMap[uint256, address]

# household key -> token id -> liked
liked: public(HashMap[uint256, HashMap[uint256, bool]])
_creator_day: HashMap[address, uint256]

exhibition_count: public(uint256)
exhibition_size: public(HashMap[uint256, uint256])
in_exhibition: public(HashMap[uint256, HashMap[uint256, bool]])


event WorkMinted:
    token_id: indexed(uint256)
    creator: indexed(address)
    household: indexed(uint256)
    kind: uint8
    content_hash: bytes32
    title: String[MAX_TITLE]
    uri: String[MAX_URI]

event WorkLiked:
    token_id: indexed(uint256)
    liker: indexed(address)
    household: indexed(uint256)
    creator: address
    points_minted: uint256
    day: uint256
    creator_day_total: uint256

event WorkGifted:
    token_id: indexed(uint256)
    creator: indexed(address)
    recipient: indexed(address)
    recipient_household: uint256

event WorkHidden:
    token_id: indexed(uint256)
    reason_hash: bytes32
    hidden_by: indexed(address)

event WorkUnhidden:
    token_id: indexed(uint256)
    reason_hash: bytes32
    unhidden_by: indexed(address)

event ExhibitionCreated:
    exhibition_id: indexed(uint256)
    title: String[MAX_EXHIBITION_TITLE]
    created_by: indexed(address)

event ExhibitionWorkAdded:
    exhibition_id: indexed(uint256)
    token_id: indexed(uint256)
    size: uint256
    added_by: indexed(address)

event ExhibitionWorkRemoved:
    exhibition_id: indexed(uint256)
    token_id: indexed(uint256)
    size: uint256
    removed_by: indexed(address)

event LikeRewardSet:
    rate: uint256
    daily_cap: uint256
    set_by: indexed(address)

event GiftsSwitched:
    enabled: bool
    set_by: indexed(address)


@deploy
def __init__(registry_: address, points_: address, like_rate: uint256, like_daily_cap: uint256):
    """
    @notice Deploy the culture works of one community.
    @param registry_ The community's HouseholdRegistry (members, households, committee).
    @param points_ The community's CommunityPoints (this contract must be made a minter).
    @param like_rate Points minted to the creator per like.
    @param like_daily_cap Most points a creator earns from likes per Beijing day.
    """
    assert registry_ != empty(address), "culture: registry is the zero address"
    assert points_ != empty(address), "culture: points is the zero address"
    assert like_rate <= MASK64 and like_daily_cap <= MASK64, "culture: reward out of range"
    ownable.__init__()
    erc721.__init__("Linli Culture Works", "LLCW", "", "Linli Culture Works", "1")
    # Authority is the registry's committee role: nobody keeps snekmate's owner or
    # minter role (neither `safe_mint` nor the ownership functions are exported).
    erc721.is_minter[msg.sender] = False
    log erc721.RoleMinterChanged(minter=msg.sender, status=False)
    ownable._transfer_ownership(empty(address))
    registry = registry_
    points = points_
    self._config = like_rate | (like_daily_cap << SHIFT_CAP) | GIFTS_FLAG
    log LikeRewardSet(rate=like_rate, daily_cap=like_daily_cap, set_by=msg.sender)
    log GiftsSwitched(enabled=True, set_by=msg.sender)


# ---------------------------------------------------------------- works


@external
def mint_work(title: String[MAX_TITLE], kind: uint8, content_hash: bytes32, uri: String[MAX_URI]) -> uint256:
    """
    @notice Register a work: the caller (a registered resident) receives a token
            whose id is `content_hash`. If the caller is a contract it must accept
            ERC-721 tokens (`onERC721Received`).
    @param title The work's title (1..96 bytes of UTF-8), kept in the event only.
    @param kind KIND_CALLIGRAPHY 0, PAINTING 1, PHOTOGRAPH 2, STORY 3, IDEA 4, OTHER 5.
    @param content_hash sha256 of the work's file; fixed forever.
    @param uri The metadata URI (1..120 bytes), returned by `tokenURI` byte for
           byte. An IPFS CIDv1 in the text form IPFS prints ("ipfs://b…", lower-
           case base32, sha2-256) is stored as binary, for the storage of a CIDv0.
    @return The token id (the content hash as a number).
    """
    # `mint_work_cid` repeats these rules in this order and the effects below: a
    # change here belongs there too (tests/culture/test_works_cid.py holds them equal).
    household: uint256 = staticcall IHouseholdRegistry(registry).household_of(msg.sender)
    assert household != 0, "culture: members only"
    assert kind <= KIND_OTHER, "culture: unknown kind"
    assert content_hash != empty(bytes32), "culture: empty content hash"
    assert len(title) != 0, "culture: empty title"
    assert len(uri) != 0, "culture: empty uri"
    token_id: uint256 = convert(content_hash, uint256)
    assert self._work[token_id] == 0, "culture: content already registered"

    self._work[token_id] = self._store_uri(token_id, uri) | block.timestamp | (convert(kind, uint256) << SHIFT_KIND)
    # snekmate's owner and balance slots, without its enumeration (works are not
    # enumerable: four more slots per mint); a balance cannot reach 2**256.
    erc721._balances[msg.sender] = unsafe_add(erc721._balances[msg.sender], 1)
    erc721._owners[token_id] = msg.sender
    log IERC721.Transfer(sender=empty(address), receiver=msg.sender, token_id=token_id)
    log WorkMinted(
        token_id=token_id, creator=msg.sender, household=household, kind=kind, content_hash=content_hash, title=title, uri=uri
    )
    # Last, after every effect. snekmate reverts with its own reason when a contract
    # receiver refuses ("erc721: transfer to non-IERC721Receiver implementer").
    assert erc721._check_on_erc721_received(empty(address), msg.sender, token_id, b""), "culture: receiver refused"
    return token_id


@external
def mint_work_cid(title: String[MAX_TITLE], kind: uint8, content_hash: bytes32, cid: Bytes[MAX_CID]) -> uint256:
    """
    @notice Register a work whose metadata file is on IPFS, given the file's
            binary CIDv1: the same as `mint_work` with the URI "ipfs://b…" (the
            CID in multibase base32, as IPFS tools print it), which `tokenURI`,
            `work` and `WorkMinted` show, for the storage of a CIDv0 URI (the work
            word and one slot). If the caller is a contract it must accept ERC-721
            tokens (`onERC721Received`).
    @dev The binary CID is `CID.bytes` in JS multiformats, or the output of
         `ipfs cid format -b base16 <cid>` without its leading "f", as hex.
    @param title The work's title (1..96 bytes of UTF-8), kept in the event only.
    @param kind KIND_CALLIGRAPHY 0, PAINTING 1, PHOTOGRAPH 2, STORY 3, IDEA 4, OTHER 5.
    @param content_hash sha256 of the work's file; fixed forever.
    @param cid The metadata file's binary CIDv1 (36..39 bytes): 0x01, the codec
           as an unsigned varint of 1..4 bytes (0x70 dag-pb, 0x55 raw, 0xa9 0x02
           dag-json, ...), 0x12 0x20 (sha2-256, 32 bytes) and the digest.
    @return The token id (the content hash as a number).
    """
    # mint_work's rules in its order (the CID's form where it checks its URI), and
    # its effects; written out twice because a shared internal call costs every
    # mint_work some 150-500 gas.
    household: uint256 = staticcall IHouseholdRegistry(registry).household_of(msg.sender)
    assert household != 0, "culture: members only"
    assert kind <= KIND_OTHER, "culture: unknown kind"
    assert content_hash != empty(bytes32), "culture: empty content hash"
    assert len(title) != 0, "culture: empty title"
    length: uint256 = len(cid)
    assert length != 0, "culture: empty cid"
    # Zero padding lets extract32 read the first word of a CID shorter than 32 bytes.
    head: uint256 = convert(extract32(concat(cid, empty(bytes32)), 0), uint256)
    outcome: uint256 = 0
    prefix_bytes: uint256 = 0
    outcome, prefix_bytes = self._parse_cid(head, length)
    assert outcome != CID_NOT_V1, "culture: not a CIDv1"
    assert outcome != CID_BAD_CODEC, "culture: unsupported cid codec"
    assert outcome != CID_NOT_SHA2_256, "culture: cid hash is not sha2-256"
    assert outcome != CID_BAD_DIGEST, "culture: cid digest is not 32 bytes"
    token_id: uint256 = convert(content_hash, uint256)
    assert self._work[token_id] == 0, "culture: content already registered"

    # _parse_cid checked length == prefix_bytes + 32: the digest ends the CID.
    digest: bytes32 = extract32(cid, prefix_bytes)
    self._uri_tail[token_id][0] = digest
    uri_bits: uint256 = self._cid_bits(head, prefix_bytes, length)
    self._work[token_id] = uri_bits | block.timestamp | (convert(kind, uint256) << SHIFT_KIND)
    # A balance cannot reach 2**256.
    erc721._balances[msg.sender] = unsafe_add(erc721._balances[msg.sender], 1)
    erc721._owners[token_id] = msg.sender
    log IERC721.Transfer(sender=empty(address), receiver=msg.sender, token_id=token_id)
    # The URI as text, encoded once here for the indexer, which reads it from the log.
    log WorkMinted(
        token_id=token_id,
        creator=msg.sender,
        household=household,
        kind=kind,
        content_hash=content_hash,
        title=title,
        uri=self._cid_uri(uri_bits, digest),
    )
    # Last, after every effect (snekmate reverts itself when the receiver refuses).
    assert erc721._check_on_erc721_received(empty(address), msg.sender, token_id, b""), "culture: receiver refused"
    return token_id


@external
def like(token_id: uint256) -> uint256:
    """
    @notice Like a work, once per household, never a work of one's own household.
            The creator earns `like_rate` points, within the daily cap.
    @param token_id The work.
    @return The points minted to the creator by this like (0 above the cap).
    """
    household: uint256 = staticcall IHouseholdRegistry(registry).household_of(msg.sender)
    assert household != 0, "culture: members only"
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    assert word & HIDDEN_FLAG == 0, "culture: work is hidden"
    creator: address = self._creator(token_id, word)
    # The creator's household for good: one who left this household (or was replaced
    # by a recovery) is still its own.
    assert staticcall IHouseholdRegistry(registry).household_key(creator) != household, "culture: cannot like own household's work"
    assert not self.liked[household][token_id], "culture: household already liked this work"
    self.liked[household][token_id] = True

    cfg: uint256 = self._config
    rate: uint256 = cfg & MASK64
    cap: uint256 = (cfg >> SHIFT_CAP) & MASK64
    # block.timestamp < 2**64: no overflow.
    today: uint256 = unsafe_div(unsafe_add(block.timestamp, UTC_OFFSET), DAY)
    day_word: uint256 = self._creator_day[creator]
    earned: uint256 = 0
    if day_word >> SHIFT_DAY == today:
        earned = day_word & MASK128
    minted: uint256 = 0
    if earned < cap:
        # earned < cap here, so the subtraction cannot underflow.
        minted = min(rate, unsafe_sub(cap, earned))
    if minted > 0:
        # earned + minted <= cap < 2**64: fits the 128-bit field.
        earned = unsafe_add(earned, minted)
        self._creator_day[creator] = (today << SHIFT_DAY) | earned
    log WorkLiked(
        token_id=token_id,
        liker=msg.sender,
        household=household,
        creator=creator,
        points_minted=minted,
        day=today,
        creator_day_total=earned,
    )
    if minted > 0:
        extcall ICommunityPoints(points).mint(creator, minted, REASON_CULTURE_LIKE)
    return minted


@external
def gift(to: address, token_id: uint256):
    """
    @notice Give one's own work, once, to another registered resident. If `to` is
            a contract it must accept ERC-721 tokens (`onERC721Received`).
    @param to The recipient (a registered resident).
    @param token_id The work.
    """
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    assert word & GIFTED_FLAG == 0, "culture: work already gifted"
    # Until its gift the owner is the creator.
    assert erc721._owners[token_id] == msg.sender, "culture: only the creator can gift"
    assert self._config & GIFTS_FLAG != 0, "culture: gifts are switched off"
    assert word & HIDDEN_FLAG == 0, "culture: work is hidden"
    assert to != msg.sender, "culture: cannot gift to yourself"
    recipient_household: uint256 = staticcall IHouseholdRegistry(registry).household_of(to)
    assert recipient_household != 0, "culture: recipient is not a resident"

    self._work[token_id] = word | GIFTED_FLAG
    self._gift_creator[token_id] = msg.sender
    # The sender owns this token, so its balance is >= 1; balances cannot reach 2**256.
    erc721._balances[msg.sender] = unsafe_sub(erc721._balances[msg.sender], 1)
    erc721._balances[to] = unsafe_add(erc721._balances[to], 1)
    erc721._owners[token_id] = to
    log IERC721.Transfer(sender=msg.sender, receiver=to, token_id=token_id)
    log WorkGifted(token_id=token_id, creator=msg.sender, recipient=to, recipient_household=recipient_household)
    # Last, after every effect; snekmate reverts itself when the receiver refuses.
    assert erc721._check_on_erc721_received(msg.sender, to, token_id, b""), "culture: receiver refused"


# ---------------------------------------------------------------- ERC-721 transfers and approvals: refused


@external
@payable
def transferFrom(owner: address, to: address, token_id: uint256):
    """
    @notice Always refused: works are not tradeable (see `gift`).
    @param owner Ignored.
    @param to Ignored.
    @param token_id Ignored.
    """
    raise "culture: works are not tradeable"


@external
@payable
def safeTransferFrom(owner: address, to: address, token_id: uint256, data: Bytes[1_024] = b""):
    """
    @notice Always refused: works are not tradeable (see `gift`).
    @param owner Ignored.
    @param to Ignored.
    @param token_id Ignored.
    @param data Ignored.
    """
    raise "culture: works are not tradeable"


@external
@payable
def approve(to: address, token_id: uint256):
    """
    @notice Always refused: an approval only serves a transfer by someone else,
            i.e. a sale or a market listing, which works do not allow.
    @param to Ignored.
    @param token_id Ignored.
    """
    raise "culture: works are not tradeable"


@external
def setApprovalForAll(operator: address, approved: bool):
    """
    @notice Always refused: operators exist for markets, which works do not allow.
    @param operator Ignored.
    @param approved Ignored.
    """
    raise "culture: works are not tradeable"


# ---------------------------------------------------------------- committee


@external
def hide_work(token_id: uint256, reason_hash: bytes32):
    """
    @notice Hide a work that breaks the community's rules. Its token and provenance
            remain; it can no longer be liked, gifted or exhibited.
    @param token_id The work.
    @param reason_hash Hash of the committee's written reason.
    """
    self._only_committee()
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    assert word & HIDDEN_FLAG == 0, "culture: work already hidden"
    assert reason_hash != empty(bytes32), "culture: empty reason"
    self._work[token_id] = word | HIDDEN_FLAG
    log WorkHidden(token_id=token_id, reason_hash=reason_hash, hidden_by=msg.sender)


@external
def unhide_work(token_id: uint256, reason_hash: bytes32):
    """
    @notice Show a hidden work again.
    @param token_id The work.
    @param reason_hash Hash of the committee's written reason.
    """
    self._only_committee()
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    assert word & HIDDEN_FLAG != 0, "culture: work not hidden"
    assert reason_hash != empty(bytes32), "culture: empty reason"
    self._work[token_id] = word & ~HIDDEN_FLAG
    log WorkUnhidden(token_id=token_id, reason_hash=reason_hash, unhidden_by=msg.sender)


@external
def set_like_reward(rate: uint256, daily_cap: uint256):
    """
    @notice Set the points a like mints to the creator and the most a creator
            earns from likes per Beijing day. A lower cap applies at once: a
            creator already above it earns nothing more that day.
    @param rate Points per like (0: likes mint nothing).
    @param daily_cap Points per creator per day.
    @dev The owners' assembly only: a limit on what the community mints.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "culture: assembly only"
    assert rate <= MASK64 and daily_cap <= MASK64, "culture: reward out of range"
    self._config = (self._config & GIFTS_FLAG) | rate | (daily_cap << SHIFT_CAP)
    log LikeRewardSet(rate=rate, daily_cap=daily_cap, set_by=msg.sender)


@external
def set_gifts_enabled(enabled: bool):
    """
    @notice Switch creators' one-time gifts on or off.
    @param enabled True allows gifts.
    """
    self._only_committee()
    if enabled:
        self._config = self._config | GIFTS_FLAG
    else:
        self._config = self._config & ~GIFTS_FLAG
    log GiftsSwitched(enabled=enabled, set_by=msg.sender)


@external
def create_exhibition(title: String[MAX_EXHIBITION_TITLE]) -> uint256:
    """
    @notice Open a named exhibition the committee curates.
    @param title The exhibition's title (1..64 bytes), kept in the event only.
    @return The exhibition id (1, 2, …).
    """
    self._only_committee()
    assert len(title) != 0, "culture: empty title"
    exhibition_id: uint256 = self.exhibition_count + 1
    self.exhibition_count = exhibition_id
    log ExhibitionCreated(exhibition_id=exhibition_id, title=title, created_by=msg.sender)
    return exhibition_id


@external
def add_to_exhibition(exhibition_id: uint256, token_id: uint256):
    """
    @notice Show a work in an exhibition.
    @param exhibition_id The exhibition.
    @param token_id The work (not hidden).
    """
    self._only_committee()
    self._check_exhibition(exhibition_id)
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    assert word & HIDDEN_FLAG == 0, "culture: work is hidden"
    assert not self.in_exhibition[exhibition_id][token_id], "culture: already in exhibition"
    self.in_exhibition[exhibition_id][token_id] = True
    size: uint256 = self.exhibition_size[exhibition_id] + 1
    self.exhibition_size[exhibition_id] = size
    log ExhibitionWorkAdded(exhibition_id=exhibition_id, token_id=token_id, size=size, added_by=msg.sender)


@external
def remove_from_exhibition(exhibition_id: uint256, token_id: uint256):
    """
    @notice Take a work out of an exhibition.
    @param exhibition_id The exhibition.
    @param token_id The work.
    """
    self._only_committee()
    self._check_exhibition(exhibition_id)
    assert self.in_exhibition[exhibition_id][token_id], "culture: not in exhibition"
    self.in_exhibition[exhibition_id][token_id] = False
    # The work is in the exhibition, so its size is >= 1.
    size: uint256 = unsafe_sub(self.exhibition_size[exhibition_id], 1)
    self.exhibition_size[exhibition_id] = size
    log ExhibitionWorkRemoved(exhibition_id=exhibition_id, token_id=token_id, size=size, removed_by=msg.sender)


# ---------------------------------------------------------------- views


@external
@view
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165: ERC-165, ERC-721 and ERC-721 metadata (not enumerable, no permit).
    @param interface_id The 4-byte interface identifier.
    @return True if supported.
    """
    return interface_id in _SUPPORTED_INTERFACES


@external
@view
def tokenURI(token_id: uint256) -> String[MAX_URI]:
    """
    @notice The metadata URI given at mint (also for hidden works).
    @param token_id The work.
    @return The URI.
    """
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    return self._load_uri(token_id, word)


@external
@view
def work(token_id: uint256) -> Work:
    """
    @notice Everything the chain keeps about a work.
    @param token_id The work.
    @return creator, owner, kind, minted_at, hidden, gifted, uri.
    """
    word: uint256 = self._work[token_id]
    assert word != 0, "culture: unknown work"
    return Work(
        creator=self._creator(token_id, word),
        owner=erc721._owners[token_id],
        kind=convert((word >> SHIFT_KIND) & 7, uint8),
        minted_at=word & MASK40,
        hidden=word & HIDDEN_FLAG != 0,
        gifted=word & GIFTED_FLAG != 0,
        uri=self._load_uri(token_id, word),
    )


@external
@view
def provenance(content_hash: bytes32) -> (uint256, address, uint256):
    """
    @notice Who registered a file and when: hash the file with sha256 and ask.
    @param content_hash The file's sha256.
    @return (token id, creator, minted at); all zero if the hash is not registered.
    """
    token_id: uint256 = convert(content_hash, uint256)
    word: uint256 = self._work[token_id]
    if word == 0:
        return (0, empty(address), 0)
    return (token_id, self._creator(token_id, word), word & MASK40)


@external
@view
def is_hidden(token_id: uint256) -> bool:
    """
    @notice Whether the committee hid a work.
    @param token_id The work (unknown works are not hidden).
    @return True if hidden.
    """
    return self._work[token_id] & HIDDEN_FLAG != 0


@external
@view
def creator_day(creator: address) -> (uint256, uint256):
    """
    @notice Points a creator earned from likes on the Beijing day of their last
            rewarded like.
    @param creator The creator.
    @return (day index since the epoch in Beijing time, points that day).
    """
    word: uint256 = self._creator_day[creator]
    return (word >> SHIFT_DAY, word & MASK128)


@external
@view
def like_reward() -> (uint256, uint256):
    """
    @notice The like reward.
    @return (points per like, daily cap per creator).
    """
    cfg: uint256 = self._config
    return (cfg & MASK64, (cfg >> SHIFT_CAP) & MASK64)


@external
@view
def gifts_enabled() -> bool:
    """
    @notice Whether creators may gift their works.
    @return True if gifts are on.
    """
    return self._config & GIFTS_FLAG != 0


@external
@view
def current_day() -> uint256:
    """
    @notice Today's Beijing day index (days since 1970-01-01 in UTC+8).
    @return The day index.
    """
    return unsafe_div(unsafe_add(block.timestamp, UTC_OFFSET), DAY)


# ---------------------------------------------------------------- internal


@internal
@view
def _creator(token_id: uint256, word: uint256) -> address:
    """
    @dev The creator of a work: its owner until it is gifted.
    @param token_id The work.
    @param word The work's packed word.
    @return The creator.
    """
    if word & GIFTED_FLAG != 0:
        return self._gift_creator[token_id]
    return erc721._owners[token_id]


@internal
def _store_uri(token_id: uint256, uri: String[MAX_URI]) -> uint256:
    """
    @dev Store the URI past its first 25 bytes in 32-byte words (only as many as
         it needs) and return the work word's URI bits: the length and the head.
         A CIDv1 in the text form IPFS prints is kept as binary instead, as
         `mint_work_cid` keeps it.
    @param token_id The work.
    @param uri The URI (1..120 bytes).
    @return The URI part of the work word.
    """
    length: uint256 = len(uri)
    # Zero padding lets extract32 read a full word past the end of the URI.
    padded: Bytes[MAX_URI + 32] = concat(convert(uri, Bytes[MAX_URI]), empty(bytes32))
    first_word: uint256 = convert(extract32(padded, 0), uint256)
    if first_word >> 192 == CID_URI_PREFIX_WORD and length >= CID_URI_MIN and length <= CID_URI_MAX:
        cid_bits: uint256 = self._store_cid_text(token_id, padded, uri)
        if cid_bits != 0:
            return cid_bits
    head: uint256 = first_word & URI_HEAD_MASK
    start: uint256 = URI_HEAD_BYTES
    for i: uint256 in range(URI_TAIL_WORDS):
        if start >= length:
            break
        # start < length, so start + 32 <= len(padded).
        self._uri_tail[token_id][i] = extract32(padded, start)
        start += 32
    return head | (length << SHIFT_URI_LEN)


@internal
def _store_cid_text(token_id: uint256, padded: Bytes[MAX_URI + 32], uri: String[MAX_URI]) -> uint256:
    """
    @dev Keep "ipfs://b…" as a binary CIDv1 if it is one that `mint_work_cid`
         accepts and `_cid_uri` gives back byte for byte (lower-case base32, no
         padding, zero trailing bits); otherwise store nothing, and the caller
         keeps the text.
    @param token_id The work.
    @param padded The URI (66..71 bytes, starting "ipfs://b") and 32 zero bytes.
    @param uri The URI.
    @return The work word's URI bits for the binary CID, or 0 if it stays text.
    """
    # 66 <= len(uri) <= 71 here: 58..63 base32 digits after "ipfs://b" hold 36..39
    # whole bytes (the 1..4 bits left over must be 0: the comparison below checks).
    cid_length: uint256 = unsafe_div(unsafe_mul(unsafe_sub(len(uri), 8), 5), 8)
    # len(padded) >= 66 + 32, so both words are inside it. The zero padding past the
    # URI decodes to bits past the CID's end, which the digest below leaves out.
    first: uint256 = self._base32_decode(convert(extract32(padded, 8), uint256))
    second: uint256 = self._base32_decode(convert(extract32(padded, 40), uint256))
    # The CID's first 32 bytes: the 20 of `first` and 12 of `second`.
    head: uint256 = (first << 96) | (second >> 64)
    outcome: uint256 = 0
    prefix_bytes: uint256 = 0
    outcome, prefix_bytes = self._parse_cid(head, cid_length)
    if outcome != 0:
        return 0
    # The digest is bytes prefix_bytes .. prefix_bytes + 31 of the 40 decoded ones:
    # `first` shifted up by 96 + 8 * prefix_bytes (its prefix falls out of the word)
    # above `second` shifted down by 8 * (8 - prefix_bytes), i.e. 8..32 bits
    # (4 <= prefix_bytes <= 7, so neither subtraction wraps).
    low_shift: uint256 = unsafe_mul(unsafe_sub(8, prefix_bytes), 8)
    digest: bytes32 = convert((first << unsafe_sub(160, low_shift)) | (second >> low_shift), bytes32)
    uri_bits: uint256 = self._cid_bits(head, prefix_bytes, cid_length)
    # Whatever the digits were, tokenURI will show exactly the URI given.
    if keccak256(self._cid_uri(uri_bits, digest)) != keccak256(uri):
        return 0
    self._uri_tail[token_id][0] = digest
    return uri_bits


@internal
@view
def _load_uri(token_id: uint256, word: uint256) -> String[MAX_URI]:
    """
    @dev Rebuild a work's URI from its word and its tail words.
    @param token_id The work.
    @param word The work's packed word.
    @return The URI.
    """
    if word & CID_FLAG != 0:
        return self._cid_uri(word, self._uri_tail[token_id][0])
    length: uint256 = (word >> SHIFT_URI_LEN) & MASK7
    tail: bytes32[URI_TAIL_WORDS] = empty(bytes32[URI_TAIL_WORDS])
    start: uint256 = URI_HEAD_BYTES
    for i: uint256 in range(URI_TAIL_WORDS):
        if start >= length:
            break
        tail[i] = self._uri_tail[token_id][i]
        start += 32
    raw: Bytes[128] = concat(
        slice(convert(word & URI_HEAD_MASK, bytes32), 0, URI_HEAD_BYTES), tail[0], tail[1], tail[2]
    )
    return convert(slice(raw, 0, length), String[MAX_URI])


@internal
@pure
def _parse_cid(head: uint256, length: uint256) -> (uint256, uint256):
    """
    @dev Check a binary CID's form: version 1, a minimal codec varint of 1..4
         bytes, multihash sha2-256 (0x12) of 32 bytes (0x20), and nothing after
         the digest.
    @param head The CID's first 32 bytes (zero-padded if shorter).
    @param length The CID's length in bytes (>= 1).
    @return (0 or the CID_* reason it fails, the bytes before the digest: 4..7).
    """
    if head >> 248 != CID_VERSION:
        return CID_NOT_V1, 0
    # Byte i of the CID is (head >> (248 - 8 * i)) & 0xff; only bytes 0..6 are read.
    code_at: uint256 = 0
    for i: uint256 in range(1, CID_MAX_CODEC_BYTES + 1):
        # i <= 4: the shift is 216..240.
        varint_byte: uint256 = (head >> unsafe_sub(248, unsafe_mul(i, 8))) & 255
        if varint_byte < 128:
            # The last byte of a varint longer than one byte is never 0 (minimal form).
            if varint_byte == 0 and i > 1:
                return CID_BAD_CODEC, 0
            code_at = unsafe_add(i, 1)
            break
    if code_at == 0:
        return CID_BAD_CODEC, 0
    # code_at <= 5: the shifts are 200..232 and 192..224.
    if (head >> unsafe_sub(248, unsafe_mul(code_at, 8))) & 255 != MULTIHASH_SHA2_256:
        return CID_NOT_SHA2_256, 0
    prefix_bytes: uint256 = unsafe_add(code_at, 2)
    if (head >> unsafe_sub(240, unsafe_mul(code_at, 8))) & 255 != SHA2_256_BYTES or length != prefix_bytes + SHA2_256_BYTES:
        return CID_BAD_DIGEST, 0
    return 0, prefix_bytes


@internal
@pure
def _cid_bits(head: uint256, prefix_bytes: uint256, length: uint256) -> uint256:
    """
    @dev The work word's URI bits for a binary CIDv1 checked by `_parse_cid`.
    @param head The CID's first 32 bytes.
    @param prefix_bytes The CID's bytes before the digest (4..7).
    @param length The CID's length in bytes (36..39).
    @return The prefix left-aligned with zeros after it, the length, CID_FLAG.
    """
    # 4 <= prefix_bytes <= 7: the shift is 200..224.
    drop: uint256 = unsafe_sub(256, unsafe_mul(prefix_bytes, 8))
    return ((head >> drop) << drop) | (length << SHIFT_URI_LEN) | CID_FLAG


@internal
@pure
def _cid_uri(uri_bits: uint256, digest: bytes32) -> String[MAX_CID_URI]:
    """
    @dev The text form of a stored binary CIDv1: "ipfs://b" and the CID in RFC 4648
         base32, lower case, without padding.
    @param uri_bits A work word with CID_FLAG (or its URI bits): the CID's length
           and its bytes before the digest.
    @param digest The CID's sha2-256 digest.
    @return The URI (66..71 bytes).
    """
    length: uint256 = (uri_bits >> SHIFT_URI_LEN) & MASK7
    # A stored CID is 36..39 bytes: its prefix is 4..7 bytes, 32..56 bits.
    prefix_bits: uint256 = unsafe_mul(unsafe_sub(length, SHA2_256_BYTES), 8)
    digest_word: uint256 = convert(digest, uint256)
    # The CID zero-padded to 40 bytes, as two 20-byte blocks: the prefix and the
    # digest's first bytes, then the digest's last bytes (shift 104..128) and zeros.
    first: uint256 = ((uri_bits & URI_HEAD_MASK) | (digest_word >> prefix_bits)) >> 96
    second: uint256 = (digest_word << unsafe_sub(160, prefix_bits)) >> 96
    # ceil(8 * length / 5) base32 digits; length <= 39, so at most 63.
    digits: uint256 = unsafe_div(unsafe_add(unsafe_mul(length, 8), 4), 5)
    text: Bytes[MAX_CID_URI] = concat(
        CID_URI_PREFIX, convert(self._base32(first), bytes32), convert(self._base32(second), bytes32)
    )
    # 8 + digits <= 71 < MAX_CID_URI.
    return convert(slice(text, 0, unsafe_add(8, digits)), String[MAX_CID_URI])


@internal
@pure
def _base32(twenty: uint256) -> uint256:
    """
    @dev RFC 4648 base32 (lower case) of 20 bytes: 32 ASCII digits in one word.
    @param twenty The 20 bytes as a number (< 2**160).
    @return The digits, left to right from the word's first byte.
    """
    # Halve every lane until each byte holds one 5-bit group, the first group in
    # the first byte. Shifts are unchecked and every bit moved stays in the word.
    groups: uint256 = (twenty & BASE32_LANE_1) | (((twenty >> 80) & BASE32_LANE_1) << 128)
    groups = (groups & BASE32_LANE_2) | (((groups >> 40) & BASE32_LANE_2) << 64)
    groups = (groups & BASE32_LANE_3) | (((groups >> 20) & BASE32_LANE_3) << 32)
    groups = (groups & BASE32_LANE_4) | (((groups >> 10) & BASE32_LANE_4) << 16)
    groups = (groups & BASE32_LANE_5) | (((groups >> 5) & BASE32_LANE_5) << 8)
    # Every byte is 0..31, so group + 0x66 <= 0x85: no carry between bytes or out of
    # the word. Bit 7 then marks the groups 26..31, which are "2".."7".
    over: uint256 = (unsafe_add(groups, BASE32_OVER_25) >> 7) & BYTE_ONES
    # Per byte: group + 0x61 <= 0x80 (no carry), and 0x49 is taken only from bytes
    # >= 0x7b (no borrow); `over` is 0 or 1 per byte, so over * 0x49 stays per byte.
    return unsafe_sub(unsafe_add(groups, BASE32_LETTER_A), unsafe_mul(over, BASE32_DIGIT_SHIFT))


@internal
@pure
def _base32_decode(digits: uint256) -> uint256:
    """
    @dev The inverse of `_base32`: 32 lower-case base32 digits to 20 bytes. Other
         characters give other bits (wrapping arithmetic), never a revert; callers
         encode the result again and compare.
    @param digits 32 ASCII characters, the first in the word's first byte.
    @return The 20 bytes as a number (< 2**160).
    """
    # Bit 6 is clear in "2".."7" (0x32..0x37) and set in "a".."z" (0x61..0x7a): the
    # group is c & 31, less 1 for a letter, plus 8 for a digit. For those characters
    # no byte borrows from its neighbour; for others the result is masked garbage.
    is_digit: uint256 = (~digits >> 6) & BYTE_ONES
    groups: uint256 = unsafe_sub(unsafe_add(digits & BYTE_GROUPS, unsafe_mul(is_digit, 9)), BYTE_ONES) & BYTE_GROUPS
    # Join lanes pairwise (8 -> 16 -> 32 -> 64 -> 128 -> 256 bits), the reverse of
    # `_base32`'s halving.
    groups = (groups & BASE32_LANE_5) | (((groups >> 8) & BASE32_LANE_5) << 5)
    groups = (groups & BASE32_LANE_4) | (((groups >> 16) & BASE32_LANE_4) << 10)
    groups = (groups & BASE32_LANE_3) | (((groups >> 32) & BASE32_LANE_3) << 20)
    groups = (groups & BASE32_LANE_2) | (((groups >> 64) & BASE32_LANE_2) << 40)
    return (groups & BASE32_LANE_1) | (((groups >> 128) & BASE32_LANE_1) << 80)


@internal
@view
def _check_exhibition(exhibition_id: uint256):
    """
    @dev Revert unless the exhibition exists.
    @param exhibition_id The exhibition.
    """
    assert exhibition_id != 0 and exhibition_id <= self.exhibition_count, "culture: unknown exhibition"


@internal
@view
def _only_committee():
    """
    @dev Revert unless the caller holds the registry's committee role.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, msg.sender), "culture: committee only"
