# pragma version 0.4.3
"""
@title PaperBallots
@custom:contract-name PaperBallots
@license GNU Affero General Public License v3.0 only
@notice Paper and in-person ballots of the owners' assembly (线上线下相结合),
        entered by tellers (监票人, 计票人) and counted by the OwnersAssembly;
        and the published result of each vote (the count's contract).

        - For each proposal the committee (or the assembly itself) appoints at
          least two tellers, each an owner wallet, before the vote closes.
        - A teller enters a paper ballot: the owner identity it names (the
          registry's index, never a name), the choice and the sha256 of the
          ballot's scan. It counts only when a second, different teller confirms
          it by naming the same choice and scan: then this contract hands it to
          the assembly (`castPaperBallot`) with the identity's area at the
          proposal's snapshot, read here from the registry.
        - One identity, one ballot across channels. A paper ballot is the owner's
          own vote: it replaces a ballot their delegate cast, and it is refused
          when the owner voted online themselves ("ballots: owner voted online";
          the assembly refuses it too if that happens between entry and
          confirmation). An identity is entered once per proposal.
        - Ballots are entered and confirmed while the vote is open, so the
          tallies at the close are final. The tellers declare how many paper
          ballots were collected (one declares, another confirms the same
          number); `reconciled` is true only when the confirmed ballots equal
          the confirmed declaration.
        - The result goes the legal way, each step an event and a state
          (`result_state`), for a passed and a defeated proposal alike:
          1. after the close anyone publishes the preliminary result (初步统计
             结果, PreliminaryResult with the tallies); refused while the paper
             count does not add up ("ballots: paper ballots not reconciled") for
             a proposal with tellers appointed, even with no paper ballot (they
             then declare and confirm zero); no requirement without tellers.
             A count that never adds up leaves the vote without a result: it
             must be held again.
          2. the objection period (询异): the proposal's objection window from
             that publication; each owner identity may object once
             (`object_result`, the hash of the text), counted on chain.
          3. after it anyone publishes the final result (FinalResult with the
             tallies and the objections), which this contract records in the
             assembly (`finalize`, callable by this contract only): the flag
             `queue` needs. The tallies cannot change after the close (ballots
             are entered and confirmed while the vote is open), so the final
             result restates the preliminary one; what an objection changes is
             settled off chain (the committee's answer, a court, a new vote).
          Why here and not in the assembly: the assembly had 64 bytes to spare
          under EIP-170 (a `publish_final` of its own alone took ~900); this
          contract already is the one it trusts with the count, so the assembly
          only lost its own result logic: `finalize` answers this contract
          only, and `queue` needs the flag it sets (no new address, no new call).
@custom:security Two tellers are needed for every counted ballot and for the
                 declared count; a teller can never confirm their own entry. The
                 assembly accepts paper ballots only from this contract, which it
                 names at deployment, and this contract talks only to the assembly
                 named once by the deployer while it holds the assembly's role.
                 The scan itself stays off chain under its sha256. Calls go to the
                 registry (static) and the assembly (trusted, fixed), so no
                 reentrancy lock is needed.
"""

from interfaces import IHouseholdRegistry


interface IOwnersAssembly:
    def proposal(proposal_id: uint256) -> (uint256, uint256, uint256, uint8, uint256, uint256, uint256, uint256): view
    def ballot_of(proposal_id: uint256, identity: uint256) -> uint256: view
    def castPaperBallot(proposalId: uint256, identity: uint256, area: uint256, voter: address, support: uint8): nonpayable
    def tally(proposal_id: uint256, support: uint8) -> (uint256, uint256): view
    def outcome(proposal_id: uint256) -> (bool, bool, uint256, uint256): view
    def finalize(proposal_id: uint256, objection_ends: uint256) -> bool: nonpayable


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")

MAX_TELLERS: public(constant(uint256)) = 16
MIN_TELLERS: public(constant(uint256)) = 2
VOTE_AGAINST: constant(uint8) = 0
VOTE_FOR: constant(uint8) = 1
VOTE_ABSTAIN: constant(uint8) = 2
# The assembly's proposal flags: withdrawn, still (or never) co-signed.
F_CANCELED: constant(uint256) = 1
F_GATHERING: constant(uint256) = 8
# result_state
RESULT_NONE: constant(uint8) = 0
RESULT_PRELIMINARY: constant(uint8) = 1  # objection period running
RESULT_OBJECTIONS_CLOSED: constant(uint8) = 2  # the final result may be published
RESULT_FINAL: constant(uint8) = 3
SHIFT_SUPPORT: constant(uint256) = 160
CONFIRMED: constant(uint256) = 2**168
MASK160: constant(uint256) = 2**160 - 1
# The assembly's four-bit record of a ballot: bits 2..3 its channel, 1 a delegate's.
CHANNEL_SHIFT: constant(uint256) = 2
CHANNEL_DELEGATE: constant(uint256) = 1


struct Entry:
    teller: address  # who entered it (zero: no entry)
    support: uint8
    confirmed: bool  # by a second teller (PaperBallotConfirmed names them)
    scan_hash: bytes32


registry: public(immutable(IHouseholdRegistry))
# The OwnersAssembly: named once, by the deployer while it holds the assembly's role.
assembly: public(IOwnersAssembly)

# proposal -> wallet -> appointed teller
is_teller: public(HashMap[uint256, HashMap[address, bool]])
teller_count: public(HashMap[uint256, uint256])
# proposal -> identity -> its paper ballot, packed in one word (one storage write to
# enter, one to confirm): bits 0..159 the teller who entered it (0: none), 160..167
# the choice, bit 168 confirmed; and the sha256 of its scan.
_entries: HashMap[uint256, HashMap[uint256, uint256]]
_scans: HashMap[uint256, HashMap[uint256, bytes32]]
entered: public(HashMap[uint256, uint256])
confirmed: public(HashMap[uint256, uint256])
# proposal -> the number of paper ballots collected, as declared by one teller and
# confirmed by another
declared: public(HashMap[uint256, uint256])
declared_by: public(HashMap[uint256, address])
declaration_confirmed: public(HashMap[uint256, bool])
# proposal -> when its preliminary result was published (0: not yet), when its
# objection period ends, the objections filed in it, whether the final result is out
published_at: public(HashMap[uint256, uint256])
objection_ends: public(HashMap[uint256, uint256])
objections: public(HashMap[uint256, uint256])
final_published: public(HashMap[uint256, bool])
# proposal -> identity -> objected to its preliminary result
objected: public(HashMap[uint256, HashMap[uint256, bool]])


event AssemblySet:
    assembly: address
    set_by: address

event TellersAppointed:
    proposal_id: indexed(uint256)
    tellers: DynArray[address, MAX_TELLERS]
    appointed_by: indexed(address)

event PaperBallotEntered:
    proposal_id: indexed(uint256)
    identity: indexed(uint256)
    support: uint8
    scan_hash: bytes32
    teller: indexed(address)

event PaperBallotConfirmed:
    proposal_id: indexed(uint256)
    identity: indexed(uint256)
    support: uint8
    scan_hash: bytes32
    entered_by: address
    confirmed_by: indexed(address)
    area: uint256
    # The channel of the ballot it replaced (1: a delegate's), 255 when none stood.
    replaced_channel: uint8

event CollectedDeclared:
    proposal_id: indexed(uint256)
    collected: uint256
    teller: indexed(address)

event CollectedConfirmed:
    proposal_id: indexed(uint256)
    collected: uint256
    declared_by: address
    confirmed_by: indexed(address)


event PreliminaryResult:
    proposal_id: indexed(uint256)
    passed: bool
    turnout_met: bool
    for_area: uint256
    for_heads: uint256
    against_area: uint256
    against_heads: uint256
    abstain_area: uint256
    abstain_heads: uint256
    total_area: uint256
    total_heads: uint256
    paper_ballots: uint256
    objection_ends: uint256
    published_by: indexed(address)

event ResultObjected:
    proposal_id: indexed(uint256)
    identity: indexed(uint256)
    text_hash: bytes32
    objections: uint256
    owner: indexed(address)

event FinalResult:
    proposal_id: indexed(uint256)
    passed: bool
    for_area: uint256
    for_heads: uint256
    against_area: uint256
    against_heads: uint256
    abstain_area: uint256
    abstain_heads: uint256
    objections: uint256
    objection_ends: uint256
    published_by: indexed(address)


@deploy
def __init__(registry_: IHouseholdRegistry):
    """
    @notice Create the paper ballots of the community whose registry is `registry_`.
    @param registry_ The HouseholdRegistry (roles, owners, weights).
    """
    assert registry_.address != empty(address), "ballots: registry is the zero address"
    registry = registry_


@external
def set_assembly(assembly_: IOwnersAssembly):
    """
    @notice Name the OwnersAssembly these ballots count in. Once: the deployer names
            it while it holds the assembly's role; nobody can change it afterwards.
    @param assembly_ The community's OwnersAssembly.
    """
    assert staticcall registry.hasRole(ASSEMBLY_ROLE, msg.sender), "ballots: assembly only"
    assert self.assembly.address == empty(address), "ballots: assembly already set"
    assert assembly_.address != empty(address), "ballots: assembly is the zero address"
    self.assembly = assembly_
    log AssemblySet(assembly=assembly_.address, set_by=msg.sender)


@external
def appoint_tellers(proposal_id: uint256, tellers: DynArray[address, MAX_TELLERS]):
    """
    @notice Appoint a proposal's tellers (at least two owners), once, before its
            vote closes; the committee or the assembly.
    @param proposal_id The proposal.
    @param tellers Their owner wallets, each once.
    """
    assert staticcall registry.hasRole(COMMITTEE_ROLE, msg.sender) or staticcall registry.hasRole(
        ASSEMBLY_ROLE, msg.sender
    ), "ballots: committee or assembly only"
    self._check_open(proposal_id, False)
    assert self.teller_count[proposal_id] == 0, "ballots: tellers already appointed"
    assert len(tellers) >= MIN_TELLERS, "ballots: at least two tellers"
    for teller: address in tellers:
        assert staticcall registry.is_owner(teller), "ballots: a teller must be an owner"
        assert not self.is_teller[proposal_id][teller], "ballots: teller named twice"
        self.is_teller[proposal_id][teller] = True
    self.teller_count[proposal_id] = len(tellers)
    log TellersAppointed(proposal_id=proposal_id, tellers=tellers, appointed_by=msg.sender)


@external
def enter_ballot(proposal_id: uint256, identity: uint256, support: uint8, scan_hash: bytes32):
    """
    @notice Enter a paper ballot (a teller); it counts once another teller confirms it.
    @param proposal_id The proposal.
    @param identity The owner identity the ballot names (the registry's index).
    @param support 0 against, 1 for, 2 abstain.
    @param scan_hash The sha256 of the ballot's scan.
    """
    assert self.is_teller[proposal_id][msg.sender], "ballots: not a teller"
    snapshot: uint256 = self._check_open(proposal_id, True)
    assert support <= VOTE_ABSTAIN, "ballots: invalid vote type"
    assert scan_hash != empty(bytes32), "ballots: empty scan hash"
    assert self._entries[proposal_id][identity] == 0, "ballots: identity already entered"
    assert staticcall registry.identity_area_at(identity, snapshot) != 0, "ballots: no vote at the snapshot"
    standing: uint256 = staticcall self.assembly.ballot_of(proposal_id, identity)
    assert standing == 0 or standing >> CHANNEL_SHIFT == CHANNEL_DELEGATE, "ballots: owner voted online"
    self._entries[proposal_id][identity] = convert(msg.sender, uint256) | (convert(support, uint256) << SHIFT_SUPPORT)
    self._scans[proposal_id][identity] = scan_hash
    self.entered[proposal_id] += 1
    log PaperBallotEntered(proposal_id=proposal_id, identity=identity, support=support, scan_hash=scan_hash, teller=msg.sender)


@external
def confirm_ballot(proposal_id: uint256, identity: uint256, support: uint8, scan_hash: bytes32):
    """
    @notice Confirm another teller's entry by naming the same choice and scan; the
            ballot then counts in the assembly.
    @param proposal_id The proposal.
    @param identity The owner identity the ballot names.
    @param support The choice read from the paper (must match the entry).
    @param scan_hash The sha256 of the scan (must match the entry).
    """
    assert self.is_teller[proposal_id][msg.sender], "ballots: not a teller"
    snapshot: uint256 = self._check_open(proposal_id, True)
    word: uint256 = self._entries[proposal_id][identity]
    teller: address = convert(word & MASK160, address)
    assert teller != empty(address), "ballots: no such entry"
    assert teller != msg.sender, "ballots: a teller cannot confirm their own entry"
    assert word & CONFIRMED == 0, "ballots: already confirmed"
    assert (word >> SHIFT_SUPPORT) & 255 == convert(support, uint256) and self._scans[proposal_id][identity] == scan_hash, "ballots: entry differs"
    self._entries[proposal_id][identity] = word | CONFIRMED
    self.confirmed[proposal_id] += 1
    area: uint256 = staticcall registry.identity_area_at(identity, snapshot)
    standing: uint256 = staticcall self.assembly.ballot_of(proposal_id, identity)
    replaced: uint8 = max_value(uint8)
    if standing != 0:
        replaced = convert(standing >> CHANNEL_SHIFT, uint8)
    extcall self.assembly.castPaperBallot(proposal_id, identity, area, staticcall registry.identity_wallet(identity), support)
    log PaperBallotConfirmed(
        proposal_id=proposal_id,
        identity=identity,
        support=support,
        scan_hash=scan_hash,
        entered_by=teller,
        confirmed_by=msg.sender,
        area=area,
        replaced_channel=replaced,
    )


@external
def declare_collected(proposal_id: uint256, collected: uint256):
    """
    @notice Declare how many paper ballots were collected (a teller); another
            teller confirms it. A new declaration replaces an unconfirmed one.
    @param proposal_id The proposal.
    @param collected The number of paper ballots collected.
    """
    assert self.is_teller[proposal_id][msg.sender], "ballots: not a teller"
    assert not self.declaration_confirmed[proposal_id], "ballots: count already confirmed"
    self.declared[proposal_id] = collected
    self.declared_by[proposal_id] = msg.sender
    log CollectedDeclared(proposal_id=proposal_id, collected=collected, teller=msg.sender)


@external
def confirm_collected(proposal_id: uint256, collected: uint256):
    """
    @notice Confirm another teller's declared count by naming the same number.
    @param proposal_id The proposal.
    @param collected The number of paper ballots collected (must match).
    """
    assert self.is_teller[proposal_id][msg.sender], "ballots: not a teller"
    declarer: address = self.declared_by[proposal_id]
    assert declarer != empty(address), "ballots: nothing declared"
    assert declarer != msg.sender, "ballots: a teller cannot confirm their own entry"
    assert not self.declaration_confirmed[proposal_id], "ballots: count already confirmed"
    assert self.declared[proposal_id] == collected, "ballots: entry differs"
    self.declaration_confirmed[proposal_id] = True
    log CollectedConfirmed(proposal_id=proposal_id, collected=collected, declared_by=declarer, confirmed_by=msg.sender)


@external
@view
def reconciled(proposal_id: uint256) -> bool:
    """
    @notice Whether the paper count adds up: a confirmed declaration of the ballots
            collected, equal to the ballots entered and to those confirmed.
    @param proposal_id The proposal.
    @return True when every declared paper ballot was entered and confirmed.
    """
    return self._reconciled(proposal_id)


@external
@view
def settled(proposal_id: uint256) -> bool:
    """
    @notice Whether the preliminary result may be published as far as paper
            ballots go: no tellers appointed (no paper ballot possible), or the
            paper count reconciled.
    @param proposal_id The proposal.
    @return True when nothing about paper ballots stands in the way.
    """
    return self._settled(proposal_id)


@external
def publish_preliminary(proposal_id: uint256) -> bool:
    """
    @notice Publish the preliminary result of a vote that has closed; anyone may,
            once. Refused while the paper count does not add up. The objection
            period starts now and lasts the proposal's objection window.
    @param proposal_id The proposal.
    @return Whether it passed.
    """
    assert self.assembly.address != empty(address), "ballots: assembly not set"
    end: uint256 = 0
    flags: uint256 = 0
    window: uint256 = 0
    rest: uint256[4] = empty(uint256[4])
    matter: uint8 = 0
    rest[0], end, rest[1], matter, flags, rest[2], window, rest[3] = staticcall self.assembly.proposal(proposal_id)
    assert block.timestamp >= end, "ballots: voting not over"
    assert flags & (F_CANCELED | F_GATHERING) == 0, "ballots: proposal never went to the vote"
    assert self.published_at[proposal_id] == 0, "ballots: preliminary result already published"
    assert self._settled(proposal_id), "ballots: paper ballots not reconciled"
    turnout: bool = False
    passed: bool = False
    total_area: uint256 = 0
    total_heads: uint256 = 0
    turnout, passed, total_area, total_heads = staticcall self.assembly.outcome(proposal_id)
    t: uint256[6] = self._tallies(proposal_id)
    ends: uint256 = block.timestamp + window
    self.published_at[proposal_id] = block.timestamp
    self.objection_ends[proposal_id] = ends
    log PreliminaryResult(
        proposal_id=proposal_id,
        passed=passed,
        turnout_met=turnout,
        for_area=t[0],
        for_heads=t[1],
        against_area=t[2],
        against_heads=t[3],
        abstain_area=t[4],
        abstain_heads=t[5],
        total_area=total_area,
        total_heads=total_heads,
        paper_ballots=self.confirmed[proposal_id],
        objection_ends=ends,
        published_by=msg.sender,
    )
    return passed


@external
def object_result(proposal_id: uint256, text_hash: bytes32):
    """
    @notice Object to a preliminary result during its objection period (询异);
            owners only, once per owner identity. Only the hash of the text goes
            on chain; the committee answers it off chain.
    @param proposal_id The proposal.
    @param text_hash Hash of the objection's text.
    """
    assert text_hash != empty(bytes32), "ballots: empty text hash"
    ends: uint256 = self.objection_ends[proposal_id]
    assert ends != 0, "ballots: no preliminary result"
    assert block.timestamp < ends, "ballots: objection period over"
    assert staticcall registry.is_owner(msg.sender), "ballots: owners only"
    bound: bool = False
    identity: uint256 = 0
    bound, identity = staticcall registry.identity_of(msg.sender)
    assert not self.objected[proposal_id][identity], "ballots: already objected"
    self.objected[proposal_id][identity] = True
    n: uint256 = self.objections[proposal_id] + 1
    self.objections[proposal_id] = n
    log ResultObjected(proposal_id=proposal_id, identity=identity, text_hash=text_hash, objections=n, owner=msg.sender)


@external
def publish_final(proposal_id: uint256) -> bool:
    """
    @notice Publish the final result once the objection period is over; anyone
            may, once. It is recorded in the assembly, where a passed proposal may
            then be queued.
    @param proposal_id The proposal.
    @return Whether it passed.
    """
    ends: uint256 = self.objection_ends[proposal_id]
    assert ends != 0, "ballots: no preliminary result"
    assert block.timestamp >= ends, "ballots: objection period not over"
    assert not self.final_published[proposal_id], "ballots: final result already published"
    self.final_published[proposal_id] = True
    passed: bool = extcall self.assembly.finalize(proposal_id, ends)
    t: uint256[6] = self._tallies(proposal_id)
    log FinalResult(
        proposal_id=proposal_id,
        passed=passed,
        for_area=t[0],
        for_heads=t[1],
        against_area=t[2],
        against_heads=t[3],
        abstain_area=t[4],
        abstain_heads=t[5],
        objections=self.objections[proposal_id],
        objection_ends=ends,
        published_by=msg.sender,
    )
    return passed


@external
@view
def result_state(proposal_id: uint256) -> uint8:
    """
    @notice Where a vote's result stands: 0 not published, 1 preliminary result
            (objection period running), 2 objection period over (the final
            result may be published), 3 final result.
    @param proposal_id The proposal.
    @return The result state.
    """
    if self.final_published[proposal_id]:
        return RESULT_FINAL
    ends: uint256 = self.objection_ends[proposal_id]
    if ends == 0:
        return RESULT_NONE
    if block.timestamp < ends:
        return RESULT_PRELIMINARY
    return RESULT_OBJECTIONS_CLOSED


@external
@view
def entry(proposal_id: uint256, identity: uint256) -> Entry:
    """
    @notice An identity's paper ballot on a proposal (teller zero: none).
    @param proposal_id The proposal.
    @param identity The owner identity.
    @return The entry.
    """
    word: uint256 = self._entries[proposal_id][identity]
    return Entry(
        teller=convert(word & MASK160, address),
        support=convert((word >> SHIFT_SUPPORT) & 255, uint8),
        confirmed=word & CONFIRMED != 0,
        scan_hash=self._scans[proposal_id][identity],
    )


@internal
@view
def _reconciled(proposal_id: uint256) -> bool:
    """
    @dev A confirmed declaration equal to the ballots entered and to those confirmed.
    @param proposal_id The proposal.
    @return Whether the paper count adds up.
    """
    n: uint256 = self.declared[proposal_id]
    return self.declaration_confirmed[proposal_id] and self.entered[proposal_id] == n and self.confirmed[proposal_id] == n


@internal
@view
def _settled(proposal_id: uint256) -> bool:
    """
    @dev No tellers (so no paper ballot), or the paper count reconciled.
    @param proposal_id The proposal.
    @return Whether paper ballots allow the result.
    """
    return (self.teller_count[proposal_id] == 0 and self.entered[proposal_id] == 0) or self._reconciled(proposal_id)


@internal
@view
def _tallies(proposal_id: uint256) -> uint256[6]:
    """
    @dev The assembly's tallies: area and heads for, against, abstaining.
    @param proposal_id The proposal.
    @return for area, for heads, against area, against heads, abstain area, abstain heads
    """
    t: uint256[6] = empty(uint256[6])
    t[0], t[1] = staticcall self.assembly.tally(proposal_id, VOTE_FOR)
    t[2], t[3] = staticcall self.assembly.tally(proposal_id, VOTE_AGAINST)
    t[4], t[5] = staticcall self.assembly.tally(proposal_id, VOTE_ABSTAIN)
    return t


@internal
@view
def _check_open(proposal_id: uint256, started: bool) -> uint256:
    """
    @dev Revert unless the assembly is named, the proposal exists (the assembly
         says so) and its vote has not closed (nor, when `started`, not opened).
    @param proposal_id The proposal.
    @param started Whether the vote must have opened.
    @return The proposal's snapshot block.
    """
    assert self.assembly.address != empty(address), "ballots: assembly not set"
    start: uint256 = 0
    end: uint256 = 0
    snapshot: uint256 = 0
    matter: uint8 = 0
    rest: uint256[4] = empty(uint256[4])
    start, end, snapshot, matter, rest[0], rest[1], rest[2], rest[3] = staticcall self.assembly.proposal(proposal_id)
    assert block.timestamp < end, "ballots: voting closed"
    assert not started or block.timestamp >= start, "ballots: voting not started"
    return snapshot
