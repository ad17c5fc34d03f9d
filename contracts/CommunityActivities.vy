# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title CommunityActivities
@custom:contract-name CommunityActivities
@license GNU Affero General Public License v3.0 only
@notice Community activities (社区活动): creation, sign-up, check-in, attendance
        points and feedback.

        - The committee (registry COMMITTEE_ROLE) creates an activity and names
          its organiser; a registered resident (registry `is_member`) proposes
          one, organises it, and it opens once the committee approves it. An
          activity has a title (short text, no personal data), a description
          hash, a start and an end (timestamps), a capacity and the points an
          attendee earns, bounded by the committee's `max_points`.
        - Residents sign up and cancel while sign-up is open (until the start);
          the capacity is enforced.
        - Check-in: the organiser checks attendees in (in batches), or anyone
          relays a check-in code: the organiser's EIP-712 signature of
          `CheckIn(uint256 activityId,address attendee,uint256 deadline)` in this
          contract's domain. Only signed-up residents, only from `start -
          CHECK_IN_GRACE` to `end + CHECK_IN_GRACE`. The first check-in mints the
          activity's points once (CommunityPoints reason 5, REASON_ACTIVITY),
          except to the organiser and its household (registry `household_key`,
          decided at sign-up): nobody earns points at an activity of their own.
        - After the end, each attendee leaves feedback once: a score 1-5 and a
          text hash; count and sum are public, every score is an event.
        - The organiser or the committee cancels an activity (or a proposal)
          before it starts, as long as nobody has been checked in.
        - Gas: an activity's hot fields (times, capacity, counts, points, status)
          are one storage word, the organiser and the feedback totals a second;
          a resident's state in an activity (signed up, attended, feedback, score)
          is one word.
@custom:security Mints points, so every external function is nonreentrant and
                 state is written before `points.mint` is called. The organiser is
                 trusted to check in only people who came: a dishonest organiser
                 can mint at most `points × capacity` for one activity, which the
                 `CheckedIn` events make visible, and the committee bounds
                 `points`. Check-in codes are bound to one attendee, one activity
                 and a deadline; replay is stopped by the attendee's attended bit,
                 not by the signature, so ECDSA malleability is harmless. Codes must
                 be signed by an EOA organiser (no EIP-1271). Membership is checked
                 at sign-up only: a resident who moves out before the activity can
                 still be checked in.
"""

from interfaces import IHouseholdRegistry
from interfaces import ICommunityPoints
from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator
from snekmate.utils.interfaces import IERC5267

implements: IERC5267

initializes: eip712_domain_separator

exports: eip712_domain_separator.eip712Domain


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
REASON_ACTIVITY: public(constant(uint16)) = 5

CHECK_IN_TYPEHASH: public(constant(bytes32)) = keccak256("CheckIn(uint256 activityId,address attendee,uint256 deadline)")
# Check-in opens this long before the start and closes this long after the end.
CHECK_IN_GRACE: public(constant(uint256)) = 3600

MAX_TITLE: constant(uint256) = 64
MAX_BATCH: constant(uint256) = 100
MAX_SCORE: constant(uint256) = 5

STATUS_PROPOSED: public(constant(uint8)) = 1
STATUS_OPEN: public(constant(uint8)) = 2
STATUS_CANCELLED: public(constant(uint8)) = 3

MASK8: constant(uint256) = 2**8 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK160: constant(uint256) = 2**160 - 1

# Activity word (read once by sign-up and check-in):
#   bits   0..39  start (timestamp)          bits  40..79  end (timestamp)
#   bits  80..111 capacity                   bits 112..143 signed up
#   bits 144..175 checked in                 bits 176..207 points per attendee
#   bits 208..215 status (0 = no such activity)
SHIFT_END: constant(uint256) = 40
SHIFT_CAPACITY: constant(uint256) = 80
SHIFT_SIGNED: constant(uint256) = 112
SHIFT_ATTENDED: constant(uint256) = 144
SHIFT_POINTS: constant(uint256) = 176
SHIFT_STATUS: constant(uint256) = 208

# Second word: bits 0..159 organiser, 160..191 feedback count, 192..255 feedback score sum.
SHIFT_FB_COUNT: constant(uint256) = 160
SHIFT_FB_SUM: constant(uint256) = 192

# Seat word per (activity, wallet): flags and the feedback score in bits 8..15.
SEAT_SIGNED: constant(uint256) = 1
SEAT_ATTENDED: constant(uint256) = 2
SEAT_FEEDBACK: constant(uint256) = 4
# Signed up from the organiser's own household: checked in, but earns no points.
SEAT_NO_POINTS: constant(uint256) = 8
SHIFT_SCORE: constant(uint256) = 8


struct Activity:
    start: uint256
    end: uint256
    capacity: uint256
    signed_up: uint256
    checked_in: uint256
    points: uint256
    status: uint8
    organiser: address
    feedback_count: uint256
    feedback_sum: uint256


registry: public(immutable(address))
points: public(immutable(address))

max_points: public(uint256)
activity_count: public(uint256)

_activity: HashMap[uint256, uint256]
_organiser: HashMap[uint256, uint256]
_seat: HashMap[uint256, HashMap[address, uint256]]


event ActivityCreated:
    activity_id: indexed(uint256)
    organiser: indexed(address)
    created_by: indexed(address)
    title: String[MAX_TITLE]
    description_hash: bytes32
    start: uint256
    end: uint256
    capacity: uint256
    points: uint256
    status: uint8

event ActivityApproved:
    activity_id: indexed(uint256)
    committee: indexed(address)

event ActivityCancelled:
    activity_id: indexed(uint256)
    cancelled_by: indexed(address)
    reason_hash: bytes32

event SignedUp:
    activity_id: indexed(uint256)
    resident: indexed(address)
    signed_up: uint256

event SignUpCancelled:
    activity_id: indexed(uint256)
    resident: indexed(address)
    signed_up: uint256

event CheckedIn:
    activity_id: indexed(uint256)
    attendee: indexed(address)
    checked_in_by: indexed(address)
    points: uint256
    by_code: bool

event FeedbackGiven:
    activity_id: indexed(uint256)
    attendee: indexed(address)
    score: uint8
    text_hash: bytes32

event MaxPointsChanged:
    max_points: uint256
    committee: indexed(address)


@deploy
def __init__(registry_: address, points_: address, max_points_: uint256):
    """
    @notice Deploy the activities of one community.
    @param registry_ The community's HouseholdRegistry (committee role, residents).
    @param points_ The community's CommunityPoints (this contract must be made a minter).
    @param max_points_ The initial maximum of points per attendee of one activity.
    """
    assert registry_ != empty(address), "activities: registry is the zero address"
    assert points_ != empty(address), "activities: points is the zero address"
    assert max_points_ <= MASK32, "activities: points out of range"
    eip712_domain_separator.__init__("Linli CommunityActivities", "1")
    registry = registry_
    points = points_
    self.max_points = max_points_
    log MaxPointsChanged(max_points=max_points_, committee=msg.sender)


# ---------------------------------------------------------------- creation


@external
def create_activity(
    title: String[MAX_TITLE],
    description_hash: bytes32,
    start: uint256,
    end: uint256,
    capacity: uint256,
    points_each: uint256,
    organiser: address,
) -> uint256:
    """
    @notice Create an open activity (committee).
    @param title A short title (public; no personal data).
    @param description_hash sha256 of the full description, kept off chain.
    @param start Start (timestamp, in the future); sign-up closes then.
    @param end End (timestamp, after the start).
    @param capacity Places (1 .. 2**32 - 1).
    @param points_each Points per attendee (at most `max_points`; 0 for none).
    @param organiser Who checks attendees in and signs check-in codes.
    @return The new activity's id (from 1).
    """
    assert self._is_committee(msg.sender), "activities: committee only"
    assert organiser != empty(address), "activities: organiser is the zero address"
    return self._create(title, description_hash, start, end, capacity, points_each, organiser, STATUS_OPEN)


@external
def propose_activity(
    title: String[MAX_TITLE],
    description_hash: bytes32,
    start: uint256,
    end: uint256,
    capacity: uint256,
    points_each: uint256,
) -> uint256:
    """
    @notice Propose an activity that the caller, a registered resident, will
            organise; it opens for sign-up once the committee approves it.
    @param title A short title (public; no personal data).
    @param description_hash sha256 of the full description, kept off chain.
    @param start Start (timestamp, in the future); sign-up closes then.
    @param end End (timestamp, after the start).
    @param capacity Places (1 .. 2**32 - 1).
    @param points_each Points per attendee (at most `max_points`; 0 for none).
    @return The new activity's id (from 1).
    """
    assert staticcall IHouseholdRegistry(registry).is_member(msg.sender), "activities: residents only"
    return self._create(title, description_hash, start, end, capacity, points_each, msg.sender, STATUS_PROPOSED)


@external
def approve_activity(activity_id: uint256):
    """
    @notice Approve a resident's proposed activity, opening sign-up (committee).
            The points must still be within the current `max_points`.
    @param activity_id The proposed activity.
    """
    assert self._is_committee(msg.sender), "activities: committee only"
    word: uint256 = self._activity[activity_id]
    status: uint256 = (word >> SHIFT_STATUS) & MASK8
    assert status != 0, "activities: unknown activity"
    assert status == convert(STATUS_PROPOSED, uint256), "activities: not a proposal"
    assert block.timestamp < word & MASK40, "activities: already started"
    assert (word >> SHIFT_POINTS) & MASK32 <= self.max_points, "activities: points above the maximum"
    self._activity[activity_id] = (word & ~(MASK8 << SHIFT_STATUS)) | (convert(STATUS_OPEN, uint256) << SHIFT_STATUS)
    log ActivityApproved(activity_id=activity_id, committee=msg.sender)


@external
def cancel_activity(activity_id: uint256, reason_hash: bytes32):
    """
    @notice Cancel an activity or a proposal before it starts and before anyone
            is checked in (the organiser or the committee).
    @param activity_id The activity.
    @param reason_hash Hash of the reason given to the residents.
    """
    word: uint256 = self._activity[activity_id]
    status: uint256 = (word >> SHIFT_STATUS) & MASK8
    assert status != 0, "activities: unknown activity"
    assert status != convert(STATUS_CANCELLED, uint256), "activities: already cancelled"
    organiser: address = convert(self._organiser[activity_id] & MASK160, address)
    assert msg.sender == organiser or self._is_committee(msg.sender), "activities: organiser or committee only"
    assert block.timestamp < word & MASK40, "activities: already started"
    assert (word >> SHIFT_ATTENDED) & MASK32 == 0, "activities: attendance already recorded"
    self._activity[activity_id] = (word & ~(MASK8 << SHIFT_STATUS)) | (convert(STATUS_CANCELLED, uint256) << SHIFT_STATUS)
    log ActivityCancelled(activity_id=activity_id, cancelled_by=msg.sender, reason_hash=reason_hash)


@external
def set_max_points(max_points_: uint256):
    """
    @notice Set the maximum points per attendee for new activities (the owners'
            assembly: a limit on what the community mints).
    @param max_points_ The new maximum (at most 2**32 - 1).
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "activities: assembly only"
    assert max_points_ <= MASK32, "activities: points out of range"
    self.max_points = max_points_
    log MaxPointsChanged(max_points=max_points_, committee=msg.sender)


# ---------------------------------------------------------------- sign-up


@external
def sign_up(activity_id: uint256):
    """
    @notice Take a place in an open activity before it starts (registered residents).
    @param activity_id The activity.
    """
    word: uint256 = self._open_word(activity_id)
    assert block.timestamp < word & MASK40, "activities: sign-up closed"
    assert self._seat[activity_id][msg.sender] & SEAT_SIGNED == 0, "activities: already signed up"
    household: uint256 = staticcall IHouseholdRegistry(registry).household_of(msg.sender)
    assert household != 0, "activities: residents only"
    signed: uint256 = (word >> SHIFT_SIGNED) & MASK32
    assert signed < (word >> SHIFT_CAPACITY) & MASK32, "activities: full"
    # signed < capacity <= 2**32 - 1, so the count stays inside its 32 bits.
    signed = unsafe_add(signed, 1)
    self._activity[activity_id] = (word & ~(MASK32 << SHIFT_SIGNED)) | (signed << SHIFT_SIGNED)
    seat: uint256 = SEAT_SIGNED
    organiser: address = convert(self._organiser[activity_id] & MASK160, address)
    if msg.sender == organiser or household == staticcall IHouseholdRegistry(registry).household_key(organiser):
        seat = SEAT_SIGNED | SEAT_NO_POINTS
    self._seat[activity_id][msg.sender] = seat
    log SignedUp(activity_id=activity_id, resident=msg.sender, signed_up=signed)


@external
def cancel_sign_up(activity_id: uint256):
    """
    @notice Give up one's place before the activity starts (not once checked in).
    @param activity_id The activity.
    """
    word: uint256 = self._open_word(activity_id)
    assert block.timestamp < word & MASK40, "activities: sign-up closed"
    seat: uint256 = self._seat[activity_id][msg.sender]
    assert seat & SEAT_SIGNED != 0, "activities: not signed up"
    assert seat & SEAT_ATTENDED == 0, "activities: already checked in"
    # The seat was counted at sign-up, so the count is at least 1.
    signed: uint256 = unsafe_sub((word >> SHIFT_SIGNED) & MASK32, 1)
    self._activity[activity_id] = (word & ~(MASK32 << SHIFT_SIGNED)) | (signed << SHIFT_SIGNED)
    self._seat[activity_id][msg.sender] = 0
    log SignUpCancelled(activity_id=activity_id, resident=msg.sender, signed_up=signed)


# ---------------------------------------------------------------- check-in


@external
def check_in(activity_id: uint256, attendees: DynArray[address, MAX_BATCH]):
    """
    @notice The organiser checks signed-up residents in; each earns the
            activity's points once. The whole batch is refused if one of them
            is not signed up or already checked in.
    @param activity_id The activity.
    @param attendees Up to 100 signed-up residents.
    """
    assert len(attendees) > 0, "activities: no attendees"
    word: uint256 = self._check_in_word(activity_id)
    assert msg.sender == convert(self._organiser[activity_id] & MASK160, address), "activities: organiser only"
    amount: uint256 = (word >> SHIFT_POINTS) & MASK32
    earned: DynArray[uint256, MAX_BATCH] = []
    for attendee: address in attendees:
        earned.append(self._mark_attended(activity_id, attendee, amount))
    # Each attendee holds one of at most `capacity` seats, so the count stays inside 32 bits.
    attended: uint256 = unsafe_add((word >> SHIFT_ATTENDED) & MASK32, len(attendees))
    self._activity[activity_id] = (word & ~(MASK32 << SHIFT_ATTENDED)) | (attended << SHIFT_ATTENDED)
    for i: uint256 in range(len(attendees), bound=MAX_BATCH):
        if earned[i] != 0:
            extcall ICommunityPoints(points).mint(attendees[i], earned[i], REASON_ACTIVITY)
        log CheckedIn(activity_id=activity_id, attendee=attendees[i], checked_in_by=msg.sender, points=earned[i], by_code=False)


@external
def check_in_with_code(activity_id: uint256, attendee: address, deadline: uint256, signature: Bytes[65]):
    """
    @notice Check a signed-up resident in with a code the organiser signed
            (EIP-712 `CheckIn(uint256 activityId,address attendee,uint256 deadline)`);
            anyone may relay it. The attendee earns the activity's points once.
    @param activity_id The activity.
    @param attendee The signed-up resident the code was issued to.
    @param deadline The code's expiry (timestamp, inclusive).
    @param signature The organiser's 65-byte (or 64-byte EIP-2098) signature.
    """
    assert block.timestamp <= deadline, "activities: code expired"
    word: uint256 = self._check_in_word(activity_id)
    organiser: address = convert(self._organiser[activity_id] & MASK160, address)
    digest: bytes32 = self._check_in_digest(activity_id, attendee, deadline)
    assert ecdsa._recover_sig(digest, signature) == organiser, "activities: invalid code"
    amount: uint256 = self._mark_attended(activity_id, attendee, (word >> SHIFT_POINTS) & MASK32)
    # One more attendee holding one of at most `capacity` seats: stays inside 32 bits.
    attended: uint256 = unsafe_add((word >> SHIFT_ATTENDED) & MASK32, 1)
    self._activity[activity_id] = (word & ~(MASK32 << SHIFT_ATTENDED)) | (attended << SHIFT_ATTENDED)
    if amount != 0:
        extcall ICommunityPoints(points).mint(attendee, amount, REASON_ACTIVITY)
    log CheckedIn(activity_id=activity_id, attendee=attendee, checked_in_by=msg.sender, points=amount, by_code=True)


# ---------------------------------------------------------------- feedback


@external
def leave_feedback(activity_id: uint256, score: uint8, text_hash: bytes32):
    """
    @notice After the activity ends, an attendee scores it 1-5 once, with the
            hash of an optional text (kept off chain).
    @param activity_id The activity.
    @param score 1 (poor) to 5 (excellent).
    @param text_hash Hash of the feedback text (zero for none).
    """
    assert score >= 1 and convert(score, uint256) <= MAX_SCORE, "activities: score out of range"
    word: uint256 = self._activity[activity_id]
    assert (word >> SHIFT_STATUS) & MASK8 != 0, "activities: unknown activity"
    assert block.timestamp >= (word >> SHIFT_END) & MASK40, "activities: not ended yet"
    seat: uint256 = self._seat[activity_id][msg.sender]
    assert seat & SEAT_ATTENDED != 0, "activities: did not attend"
    assert seat & SEAT_FEEDBACK == 0, "activities: feedback already given"
    self._seat[activity_id][msg.sender] = seat | SEAT_FEEDBACK | (convert(score, uint256) << SHIFT_SCORE)
    second: uint256 = self._organiser[activity_id]
    # At most 2**32 - 1 attendees give feedback once each with a score <= 5:
    # the count fits 32 bits and the sum 64 bits, so neither field overflows.
    count: uint256 = unsafe_add((second >> SHIFT_FB_COUNT) & MASK32, 1)
    total: uint256 = unsafe_add(second >> SHIFT_FB_SUM, convert(score, uint256))
    self._organiser[activity_id] = (second & MASK160) | (count << SHIFT_FB_COUNT) | (total << SHIFT_FB_SUM)
    log FeedbackGiven(activity_id=activity_id, attendee=msg.sender, score=score, text_hash=text_hash)


# ---------------------------------------------------------------- views


@external
@view
def activity(activity_id: uint256) -> Activity:
    """
    @notice An activity's state (status 0 = no such activity).
    @param activity_id The activity.
    @return The decoded activity.
    """
    word: uint256 = self._activity[activity_id]
    second: uint256 = self._organiser[activity_id]
    return Activity(
        start=word & MASK40,
        end=(word >> SHIFT_END) & MASK40,
        capacity=(word >> SHIFT_CAPACITY) & MASK32,
        signed_up=(word >> SHIFT_SIGNED) & MASK32,
        checked_in=(word >> SHIFT_ATTENDED) & MASK32,
        points=(word >> SHIFT_POINTS) & MASK32,
        status=convert((word >> SHIFT_STATUS) & MASK8, uint8),
        organiser=convert(second & MASK160, address),
        feedback_count=(second >> SHIFT_FB_COUNT) & MASK32,
        feedback_sum=second >> SHIFT_FB_SUM,
    )


@external
@view
def seat(activity_id: uint256, wallet: address) -> (bool, bool, bool, uint8):
    """
    @notice A wallet's state in an activity.
    @param activity_id The activity.
    @param wallet The resident.
    @return signed up, checked in, feedback given, feedback score (0 if none)
    """
    word: uint256 = self._seat[activity_id][wallet]
    return (
        word & SEAT_SIGNED != 0,
        word & SEAT_ATTENDED != 0,
        word & SEAT_FEEDBACK != 0,
        convert((word >> SHIFT_SCORE) & MASK8, uint8),
    )


@external
@view
def check_in_digest(activity_id: uint256, attendee: address, deadline: uint256) -> bytes32:
    """
    @notice The EIP-712 digest an organiser signs as a check-in code.
    @param activity_id The activity.
    @param attendee The signed-up resident.
    @param deadline The code's expiry (timestamp).
    @return The digest.
    """
    return self._check_in_digest(activity_id, attendee, deadline)


# ---------------------------------------------------------------- internal


@internal
def _create(
    title: String[MAX_TITLE],
    description_hash: bytes32,
    start: uint256,
    end: uint256,
    capacity: uint256,
    points_each: uint256,
    organiser: address,
    status: uint8,
) -> uint256:
    """
    @dev Validate and store a new activity, and log it.
    @param title The title.
    @param description_hash The description hash.
    @param start Start (timestamp).
    @param end End (timestamp).
    @param capacity Places.
    @param points_each Points per attendee.
    @param organiser The organiser.
    @param status STATUS_OPEN (committee) or STATUS_PROPOSED (resident).
    @return The new id.
    """
    assert len(title) > 0, "activities: title required"
    assert start > block.timestamp, "activities: starts in the past"
    assert end > start, "activities: ends before it starts"
    assert end <= MASK40, "activities: time out of range"
    assert capacity > 0 and capacity <= MASK32, "activities: capacity out of range"
    assert points_each <= self.max_points, "activities: points above the maximum"
    activity_id: uint256 = self.activity_count + 1
    self.activity_count = activity_id
    self._activity[activity_id] = (
        start
        | (end << SHIFT_END)
        | (capacity << SHIFT_CAPACITY)
        | (points_each << SHIFT_POINTS)
        | (convert(status, uint256) << SHIFT_STATUS)
    )
    self._organiser[activity_id] = convert(organiser, uint256)
    log ActivityCreated(
        activity_id=activity_id,
        organiser=organiser,
        created_by=msg.sender,
        title=title,
        description_hash=description_hash,
        start=start,
        end=end,
        capacity=capacity,
        points=points_each,
        status=status,
    )
    return activity_id


@internal
@view
def _is_committee(account: address) -> bool:
    """
    @dev Whether `account` holds the registry's committee role.
    @param account The wallet.
    @return True for a committee member.
    """
    return staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, account)


@internal
@view
def _open_word(activity_id: uint256) -> uint256:
    """
    @dev The activity word of an open activity; refuses unknown, proposed and
         cancelled ones.
    @param activity_id The activity.
    @return The packed activity word.
    """
    word: uint256 = self._activity[activity_id]
    status: uint256 = (word >> SHIFT_STATUS) & MASK8
    assert status != 0, "activities: unknown activity"
    assert status == convert(STATUS_OPEN, uint256), "activities: not open"
    return word


@internal
@view
def _check_in_word(activity_id: uint256) -> uint256:
    """
    @dev The activity word of an open activity whose check-in window
         [start - grace, end + grace] contains the current time.
    @param activity_id The activity.
    @return The packed activity word.
    """
    word: uint256 = self._open_word(activity_id)
    assert block.timestamp + CHECK_IN_GRACE >= word & MASK40, "activities: check-in not open yet"
    assert block.timestamp <= ((word >> SHIFT_END) & MASK40) + CHECK_IN_GRACE, "activities: check-in closed"
    return word


@internal
def _mark_attended(activity_id: uint256, attendee: address, amount: uint256) -> uint256:
    """
    @dev Set the attended bit of a signed-up resident who is not checked in yet.
    @param activity_id The activity.
    @param attendee The resident.
    @param amount The activity's points per attendee.
    @return The points this attendee earns: `amount`, or 0 from the organiser's household.
    """
    seat: uint256 = self._seat[activity_id][attendee]
    assert seat & SEAT_SIGNED != 0, "activities: not signed up"
    assert seat & SEAT_ATTENDED == 0, "activities: already checked in"
    self._seat[activity_id][attendee] = seat | SEAT_ATTENDED
    if seat & SEAT_NO_POINTS != 0:
        return 0
    return amount


@internal
@view
def _check_in_digest(activity_id: uint256, attendee: address, deadline: uint256) -> bytes32:
    """
    @dev The EIP-712 digest of CheckIn(activityId, attendee, deadline) in this domain.
    @param activity_id The activity.
    @param attendee The resident.
    @param deadline The code's expiry.
    @return The digest.
    """
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(CHECK_IN_TYPEHASH, activity_id, attendee, deadline))
    )
