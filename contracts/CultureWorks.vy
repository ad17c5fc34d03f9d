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
@custom:security Likes mint points (value), so every external function is
                 nonreentrant; `gift` and `mint_work` call `onERC721Received` on a
                 contract receiver after all effects. The registry and the points
                 contract are trusted. A household's like is checked against the
                 creator's household at like time (`household_of`), so a creator who
                 moved into the liker's household cannot be liked by it. Token
                 ids are sha256 values: they look random but are what a wallet
                 needs to prove a file. tokenURI stays readable for hidden works
                 (the token remains); community pages filter on `is_hidden`.
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
#   bits 45..51  URI length in bytes           bits 52..55 unused
#   bits 56..255 the URI's first 25 bytes, left-aligned as in a bytes32
SHIFT_KIND: constant(uint256) = 40
HIDDEN_FLAG: constant(uint256) = 2**43
GIFTED_FLAG: constant(uint256) = 2**44
SHIFT_URI_LEN: constant(uint256) = 45
URI_HEAD_BYTES: constant(uint256) = 25
URI_HEAD_MASK: constant(uint256) = ~(2**56 - 1)
# Up to MAX_URI - URI_HEAD_BYTES = 95 more bytes: 3 words.
URI_TAIL_WORDS: constant(uint256) = 3

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
    @param uri The metadata URI (1..120 bytes), returned by `tokenURI`.
    @return The token id (the content hash as a number).
    """
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
    assert staticcall IHouseholdRegistry(registry).household_of(creator) != household, "culture: cannot like own household's work"
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
    """
    self._only_committee()
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
    @param token_id The work.
    @param uri The URI (1..120 bytes).
    @return The URI part of the work word.
    """
    length: uint256 = len(uri)
    # Zero padding lets extract32 read a full word past the end of the URI.
    padded: Bytes[MAX_URI + 32] = concat(convert(uri, Bytes[MAX_URI]), empty(bytes32))
    head: uint256 = convert(extract32(padded, 0), uint256) & URI_HEAD_MASK
    start: uint256 = URI_HEAD_BYTES
    for i: uint256 in range(URI_TAIL_WORDS):
        if start >= length:
            break
        # start < length, so start + 32 <= len(padded).
        self._uri_tail[token_id][i] = extract32(padded, start)
        start += 32
    return head | (length << SHIFT_URI_LEN)


@internal
@view
def _load_uri(token_id: uint256, word: uint256) -> String[MAX_URI]:
    """
    @dev Rebuild a work's URI from its word and its tail words.
    @param token_id The work.
    @param word The work's packed word.
    @return The URI.
    """
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
