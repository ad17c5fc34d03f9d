# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title SuggestionBox
@custom:contract-name SuggestionBox
@license GNU Affero General Public License v3.0 only
@notice Residents' suggestions and feedback (意见反馈), and how each was handled.

        - A member of the community (an owner or a linked resident) submits a
          suggestion: a category (numbered off chain) and the hash of its text; the
          text itself stays off chain.
        - The committee or the property manager answers with a status and,
          optionally, the hash of a written response. The allowed moves are:

              SUBMITTED   -> RECEIVED | ACCEPTED | DECLINED
              RECEIVED    -> ACCEPTED | DECLINED
              ACCEPTED    -> IN_PROGRESS | DONE
              IN_PROGRESS -> IN_PROGRESS (a progress report) | DONE
              DONE, DECLINED: closed, nothing moves out of them

          A decline must carry a response hash (the reasons given to the resident).
        - Every change is an event carrying the submission time, the answer time and
          the seconds elapsed, so how fast and how each suggestion was handled is
          public.
        - Accepting a suggestion mints `reward_rate` points to its submitter
          (reason REASON_SUGGESTION_ACCEPTED). ACCEPTED can be entered only once,
          so a suggestion earns points at most once, and CommunityPoints clips
          what one household receives for suggestions in a year to the
          assembly's `suggestion_cap` (MintClipped says so).
        - One storage word per suggestion holds submitter, status, category and both
          timestamps; the text hash and the latest response hash take a word each.
@custom:security The committee and the manager are trusted to answer honestly; the
                 chain only makes every answer public and final. A compromised
                 answerer can accept suggestions to mint `reward_rate` points per
                 suggestion, bounded by MAX_REWARD_RATE, by the suggestion cap per
                 household and year, and visible in the events.
                 Members can submit without limit (spam is handled off chain by
                 declining). This contract must be a points minter for acceptances
                 to pay; a points contract that refuses the mint blocks acceptance.
"""

from interfaces import IHouseholdRegistry
from interfaces import ICommunityPoints


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
MANAGER_ROLE: constant(bytes32) = keccak256("linli.role.manager")

REASON_SUGGESTION_ACCEPTED: public(constant(uint16)) = 7
MAX_REWARD_RATE: public(constant(uint256)) = 1_000_000

# Statuses. 0 is "no such suggestion".
STATUS_SUBMITTED: public(constant(uint8)) = 1
STATUS_RECEIVED: public(constant(uint8)) = 2
STATUS_ACCEPTED: public(constant(uint8)) = 3
STATUS_IN_PROGRESS: public(constant(uint8)) = 4
STATUS_DONE: public(constant(uint8)) = 5
STATUS_DECLINED: public(constant(uint8)) = 6

# Allowed moves: bit (from * 8 + to) is set when `from -> to` is allowed.
TRANSITIONS: constant(uint256) = (
    (1 << (1 * 8 + 2)) | (1 << (1 * 8 + 3)) | (1 << (1 * 8 + 6))
    | (1 << (2 * 8 + 3)) | (1 << (2 * 8 + 6))
    | (1 << (3 * 8 + 4)) | (1 << (3 * 8 + 5))
    | (1 << (4 * 8 + 4)) | (1 << (4 * 8 + 5))
)

# Suggestion word: bits 0..159 submitter, 160..167 status, 168..175 category,
# 176..215 submitted at, 216..255 last changed at (timestamps fit 40 bits until year 36812).
SHIFT_STATUS: constant(uint256) = 160
SHIFT_CATEGORY: constant(uint256) = 168
SHIFT_SUBMITTED: constant(uint256) = 176
SHIFT_UPDATED: constant(uint256) = 216
MASK8: constant(uint256) = 2**8 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK160: constant(uint256) = 2**160 - 1


struct Suggestion:
    submitter: address
    category: uint8
    status: uint8
    submitted_at: uint256
    updated_at: uint256
    text_hash: bytes32
    response_hash: bytes32


registry: public(immutable(address))
points: public(immutable(address))

suggestion_count: public(uint256)
reward_rate: public(uint256)

_suggestion: HashMap[uint256, uint256]
_text_hash: HashMap[uint256, bytes32]
_response_hash: HashMap[uint256, bytes32]


event SuggestionSubmitted:
    suggestion_id: indexed(uint256)
    submitter: indexed(address)
    category: indexed(uint8)
    text_hash: bytes32
    submitted_at: uint256

event SuggestionAnswered:
    suggestion_id: indexed(uint256)
    submitter: indexed(address)
    answered_by: indexed(address)
    category: uint8
    previous_status: uint8
    status: uint8
    response_hash: bytes32
    submitted_at: uint256
    answered_at: uint256
    elapsed: uint256
    points: uint256

event RewardRateSet:
    previous: uint256
    rate: uint256
    set_by: indexed(address)


@deploy
def __init__(registry_: address, points_: address, reward_rate_: uint256):
    """
    @notice Deploy the suggestion box of one community.
    @param registry_ The community's HouseholdRegistry (members and roles).
    @param points_ The community's CommunityPoints (this contract must be made a minter).
    @param reward_rate_ The points an accepted suggestion earns (0: none).
    """
    assert registry_ != empty(address), "suggestions: registry is the zero address"
    assert points_ != empty(address), "suggestions: points is the zero address"
    assert reward_rate_ <= MAX_REWARD_RATE, "suggestions: reward rate out of range"
    registry = registry_
    points = points_
    self.reward_rate = reward_rate_
    log RewardRateSet(previous=0, rate=reward_rate_, set_by=msg.sender)


@external
def submit(category: uint8, text_hash: bytes32) -> uint256:
    """
    @notice Submit a suggestion. Only members of the community (owners and linked
            residents) may submit.
    @param category The category (non-zero; the numbering is kept off chain).
    @param text_hash The hash of the suggestion's text (non-zero).
    @return The suggestion id (1, 2, …).
    """
    assert category != 0, "suggestions: category required"
    assert text_hash != empty(bytes32), "suggestions: empty text hash"
    assert staticcall IHouseholdRegistry(registry).is_member(msg.sender), "suggestions: members only"
    suggestion_id: uint256 = self.suggestion_count + 1
    self.suggestion_count = suggestion_id
    self._suggestion[suggestion_id] = (
        convert(msg.sender, uint256)
        | (convert(STATUS_SUBMITTED, uint256) << SHIFT_STATUS)
        | (convert(category, uint256) << SHIFT_CATEGORY)
        | (block.timestamp << SHIFT_SUBMITTED)
        | (block.timestamp << SHIFT_UPDATED)
    )
    self._text_hash[suggestion_id] = text_hash
    log SuggestionSubmitted(
        suggestion_id=suggestion_id, submitter=msg.sender, category=category, text_hash=text_hash, submitted_at=block.timestamp
    )
    return suggestion_id


@external
def answer(suggestion_id: uint256, status: uint8, response_hash: bytes32):
    """
    @notice Move a suggestion to `status`, with the hash of a written response.
            Only the committee or the property manager answers. Accepting pays the
            submitter `reward_rate` points.
    @param suggestion_id The suggestion.
    @param status The new status (STATUS_RECEIVED … STATUS_DECLINED), allowed from
           the current one (see `can_move`).
    @param response_hash The hash of the response text; zero for none, except
           that a decline needs one. A non-zero hash replaces the stored one.
    """
    assert self._is_answerer(msg.sender), "suggestions: committee or manager only"
    word: uint256 = self._suggestion[suggestion_id]
    assert word != 0, "suggestions: unknown suggestion"
    previous: uint256 = (word >> SHIFT_STATUS) & MASK8
    assert previous != convert(STATUS_DONE, uint256) and previous != convert(STATUS_DECLINED, uint256), "suggestions: suggestion is closed"
    to: uint256 = convert(status, uint256)
    assert to >= convert(STATUS_RECEIVED, uint256) and to <= convert(STATUS_DECLINED, uint256), "suggestions: unknown status"
    assert (TRANSITIONS >> (previous * 8 + to)) & 1 == 1, "suggestions: transition not allowed"
    if status == STATUS_DECLINED:
        assert response_hash != empty(bytes32), "suggestions: a decline needs a response"

    self._suggestion[suggestion_id] = (
        (word & ~((MASK8 << SHIFT_STATUS) | (MASK40 << SHIFT_UPDATED)))
        | (to << SHIFT_STATUS)
        | (block.timestamp << SHIFT_UPDATED)
    )
    if response_hash != empty(bytes32):
        self._response_hash[suggestion_id] = response_hash

    submitter: address = convert(convert(word & MASK160, uint160), address)
    submitted_at: uint256 = (word >> SHIFT_SUBMITTED) & MASK40
    reward: uint256 = 0
    if status == STATUS_ACCEPTED:
        reward = self.reward_rate
        if reward != 0:
            # What was minted: the household's suggestion cap may clip it.
            reward = extcall ICommunityPoints(points).mint(submitter, reward, REASON_SUGGESTION_ACCEPTED)

    log SuggestionAnswered(
        suggestion_id=suggestion_id,
        submitter=submitter,
        answered_by=msg.sender,
        category=convert((word >> SHIFT_CATEGORY) & MASK8, uint8),
        previous_status=convert(previous, uint8),
        status=status,
        response_hash=response_hash,
        submitted_at=submitted_at,
        answered_at=block.timestamp,
        # A block's timestamp is never below an earlier block's, so this cannot underflow.
        elapsed=unsafe_sub(block.timestamp, submitted_at),
        points=reward,
    )


@external
def set_reward_rate(rate: uint256):
    """
    @notice Set the points an accepted suggestion earns (the owners' assembly: a
            limit on what the community mints).
    @param rate Points per accepted suggestion, at most MAX_REWARD_RATE; 0 pays none.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "suggestions: assembly only"
    assert rate <= MAX_REWARD_RATE, "suggestions: reward rate out of range"
    previous: uint256 = self.reward_rate
    self.reward_rate = rate
    log RewardRateSet(previous=previous, rate=rate, set_by=msg.sender)


@external
@view
def suggestion(suggestion_id: uint256) -> Suggestion:
    """
    @notice A suggestion's current state.
    @param suggestion_id The suggestion.
    @return Submitter, category, status, submission and last change times, text
            hash and latest response hash.
    """
    word: uint256 = self._suggestion[suggestion_id]
    assert word != 0, "suggestions: unknown suggestion"
    return Suggestion(
        submitter=convert(convert(word & MASK160, uint160), address),
        category=convert((word >> SHIFT_CATEGORY) & MASK8, uint8),
        status=convert((word >> SHIFT_STATUS) & MASK8, uint8),
        submitted_at=(word >> SHIFT_SUBMITTED) & MASK40,
        updated_at=(word >> SHIFT_UPDATED) & MASK40,
        text_hash=self._text_hash[suggestion_id],
        response_hash=self._response_hash[suggestion_id],
    )


@external
@view
def status_of(suggestion_id: uint256) -> uint8:
    """
    @notice A suggestion's current status; 0 for an unknown id.
    @param suggestion_id The suggestion.
    """
    return convert((self._suggestion[suggestion_id] >> SHIFT_STATUS) & MASK8, uint8)


@external
@pure
def can_move(from_status: uint8, to_status: uint8) -> bool:
    """
    @notice Whether an answer may move a suggestion from `from_status` to `to_status`.
    @param from_status The current status.
    @param to_status The proposed status.
    """
    if from_status > STATUS_DECLINED or to_status > STATUS_DECLINED:
        return False
    return (TRANSITIONS >> (convert(from_status, uint256) * 8 + convert(to_status, uint256))) & 1 == 1


@internal
@view
def _is_answerer(account: address) -> bool:
    """
    @notice True for the property manager or a committee member.
    @param account The caller.
    """
    if staticcall IHouseholdRegistry(registry).hasRole(MANAGER_ROLE, account):
        return True
    return staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, account)
