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
        - The non-voter rule (指导规则 第二十六条第二款: whether the votes of owners
          who did not vote count with the majority of those who did, as the
          rules of procedure say), off by default and set by the assembly
          (`set_nonvoter_rule`, an ordinary matter). A proposal is counted under
          the rule as it stood at its snapshot block (the block before it was
          made), so a change never touches a proposal already made. When it
          applies, after the close and before the preliminary result the
          tellers record the owners whose service of the notice is proven
          (`record_service`, with the hash of the evidence; counted once
          another teller confirms the same list, `confirm_service`): owners on
          the roll at the snapshot who voted on no channel, each once. The
          preliminary result then adds their area and heads to the side that
          has more than 1/2 of the participating area AND heads (for or
          against; none: nothing is added), as votes cast for it, turnout
          included (DeemedVotes); the assembly reads `deemed_pass` for a
          proposal this alone made pass.
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
import assembly_statute as statute


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
# The proposal flag of the 3/4 rule (its matter or its calls).
F_MAJOR: constant(uint256) = 32
# DeemedVotes.side when neither choice has the majority of those who voted.
NO_SIDE: constant(uint8) = 255
# Owners recorded as served in one call (each costs two registry reads).
MAX_SERVED: public(constant(uint256)) = 100
# service_state
SERVICE_RECORDED: constant(uint8) = 1  # by one teller
SERVICE_CONFIRMED: constant(uint8) = 2  # by a second: counts


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

# The non-voter rule's history: change i packed as (block number << 1) | on, in
# block order (one entry per block, the last call of a block winning); none: off.
nonvoter_rule_changes: public(uint256)
_rule_history: HashMap[uint256, uint256]
# proposal -> identity -> 1 service recorded by one teller, 2 confirmed by another
service_state: public(HashMap[uint256, HashMap[uint256, uint8]])
# proposal -> batch -> the recording teller and keccak256(abi_encode(identities, evidence))
service_batches: public(HashMap[uint256, uint256])
_batch_teller: HashMap[uint256, HashMap[uint256, address]]
_batch_digest: HashMap[uint256, HashMap[uint256, bytes32]]
_batch_confirmed: HashMap[uint256, HashMap[uint256, bool]]
# proposal -> the confirmed served non-voters' area (0.01 m²) and heads
served_area: public(HashMap[uint256, uint256])
served_heads: public(HashMap[uint256, uint256])
# proposal -> passed only because the rule counted served non-voters (read by the assembly)
deemed_pass: public(HashMap[uint256, bool])


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

event NonvoterRuleSet:
    on: bool
    # Proposals whose snapshot is at or after this block are counted under it.
    from_block: uint256
    set_by: indexed(address)

event ServiceRecorded:
    proposal_id: indexed(uint256)
    batch: uint256
    identities: DynArray[uint256, MAX_SERVED]
    evidence_hash: bytes32
    teller: indexed(address)

event ServiceConfirmed:
    proposal_id: indexed(uint256)
    batch: uint256
    identities: DynArray[uint256, MAX_SERVED]
    evidence_hash: bytes32
    area: uint256
    heads: uint256
    entered_by: address
    confirmed_by: indexed(address)

event DeemedVotes:
    proposal_id: indexed(uint256)
    # 1 for, 0 against, 255 none (no choice had more than 1/2 of the area and heads)
    side: uint8
    # added to that side (0 when none)
    area: uint256
    heads: uint256
    # the confirmed served non-voters
    served_area: uint256
    served_heads: uint256
    # the result without them
    passed_without: bool
    turnout_met_without: bool

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
    log NonvoterRuleSet(on=False, from_block=block.number, set_by=msg.sender)


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
def set_nonvoter_rule(on: bool):
    """
    @notice Set the non-voter rule (指导规则 第二十六条第二款): whether the votes of
            owners who did not vote, their service of the notice proven, count with
            the majority of those who voted; the assembly only (a passed
            proposal, an ordinary matter of its rules of procedure). Proposals
            made from the next block on are counted under it; those already made
            keep the rule of their snapshot.
    @param on Whether the rule is in force.
    """
    assert staticcall registry.hasRole(ASSEMBLY_ROLE, msg.sender), "ballots: assembly only"
    n: uint256 = self.nonvoter_rule_changes
    word: uint256 = (block.number << 1) | convert(on, uint256)
    if n != 0 and self._rule_history[n - 1] >> 1 == block.number:
        self._rule_history[n - 1] = word
    else:
        self._rule_history[n] = word
        self.nonvoter_rule_changes = n + 1
    log NonvoterRuleSet(on=on, from_block=block.number, set_by=msg.sender)


@external
@view
def nonvoter_rule() -> bool:
    """
    @notice Whether the non-voter rule is in force for proposals made from now on.
    @return The rule.
    """
    n: uint256 = self.nonvoter_rule_changes
    return n != 0 and self._rule_history[n - 1] & 1 == 1


@external
@view
def nonvoter_rule_change(index: uint256) -> (uint256, bool):
    """
    @notice One change of the non-voter rule.
    @param index 0 .. nonvoter_rule_changes - 1.
    @return the first snapshot block it governs, whether the rule is on
    """
    assert index < self.nonvoter_rule_changes, "ballots: no such change"
    word: uint256 = self._rule_history[index]
    return (word >> 1, word & 1 == 1)


@external
@view
def nonvoter_rule_for(proposal_id: uint256) -> bool:
    """
    @notice Whether a proposal is counted under the non-voter rule: the rule as it
            stood at the proposal's snapshot block, fixed before anyone voted.
    @param proposal_id The proposal (the assembly reverts for an unknown one).
    @return The rule the proposal is counted under.
    """
    assert self.assembly.address != empty(address), "ballots: assembly not set"
    rest: uint256[7] = empty(uint256[7])
    snapshot: uint256 = 0
    matter: uint8 = 0
    rest[0], rest[1], snapshot, matter, rest[2], rest[3], rest[4], rest[5] = staticcall self.assembly.proposal(proposal_id)
    return self._rule_at(snapshot)


@external
def record_service(proposal_id: uint256, identities: DynArray[uint256, MAX_SERVED], evidence_hash: bytes32) -> uint256:
    """
    @notice Record owners whose service of the proposal's notice is proven and who
            did not vote (a teller), after the close and before the preliminary
            result, for a proposal counted under the non-voter rule; they count
            once another teller confirms the same list (`confirm_service`).
    @param proposal_id The proposal.
    @param identities The owner identities (the registry's indexes), each on the
           roll at the snapshot, none that voted, none already recorded.
    @param evidence_hash The hash of the evidence of service (the signed receipts,
           the service list, 送达回执).
    @return The batch number, for `confirm_service`.
    """
    assert self.is_teller[proposal_id][msg.sender], "ballots: not a teller"
    snapshot: uint256 = self._check_counting(proposal_id)
    assert evidence_hash != empty(bytes32), "ballots: empty evidence hash"
    assert len(identities) != 0, "ballots: nobody named"
    for identity: uint256 in identities:
        assert self.service_state[proposal_id][identity] == 0, "ballots: service already recorded"
        assert staticcall registry.identity_area_at(identity, snapshot) != 0, "ballots: no vote at the snapshot"
        assert staticcall self.assembly.ballot_of(proposal_id, identity) == 0 and self._entries[proposal_id][
            identity
        ] == 0, "ballots: owner voted"
        self.service_state[proposal_id][identity] = SERVICE_RECORDED
    batch: uint256 = self.service_batches[proposal_id]
    self.service_batches[proposal_id] = batch + 1
    self._batch_teller[proposal_id][batch] = msg.sender
    self._batch_digest[proposal_id][batch] = keccak256(abi_encode(identities, evidence_hash))
    log ServiceRecorded(proposal_id=proposal_id, batch=batch, identities=identities, evidence_hash=evidence_hash, teller=msg.sender)
    return batch


@external
def confirm_service(proposal_id: uint256, batch: uint256, identities: DynArray[uint256, MAX_SERVED], evidence_hash: bytes32):
    """
    @notice Confirm another teller's record of served non-voters by naming the same
            identities (in the same order) and evidence; their area and heads then
            count under the non-voter rule.
    @param proposal_id The proposal.
    @param batch The record's number.
    @param identities The identities it named.
    @param evidence_hash The evidence's hash it named.
    """
    assert self.is_teller[proposal_id][msg.sender], "ballots: not a teller"
    snapshot: uint256 = self._check_counting(proposal_id)
    teller: address = self._batch_teller[proposal_id][batch]
    assert teller != empty(address), "ballots: no such entry"
    assert teller != msg.sender, "ballots: a teller cannot confirm their own entry"
    assert self._batch_digest[proposal_id][batch] == keccak256(abi_encode(identities, evidence_hash)), "ballots: entry differs"
    assert not self._batch_confirmed[proposal_id][batch], "ballots: already confirmed"
    self._batch_confirmed[proposal_id][batch] = True
    area: uint256 = 0
    for identity: uint256 in identities:
        self.service_state[proposal_id][identity] = SERVICE_CONFIRMED
        area += staticcall registry.identity_area_at(identity, snapshot)
    self.served_area[proposal_id] += area
    self.served_heads[proposal_id] += len(identities)
    log ServiceConfirmed(
        proposal_id=proposal_id,
        batch=batch,
        identities=identities,
        evidence_hash=evidence_hash,
        area=area,
        heads=len(identities),
        entered_by=teller,
        confirmed_by=msg.sender,
    )


@external
@view
def service_batch(proposal_id: uint256, batch: uint256) -> (address, bytes32, bool):
    """
    @notice One record of served non-voters.
    @param proposal_id The proposal.
    @param batch The record's number.
    @return the teller who recorded it (zero: none), keccak256(abi_encode(identities,
            evidence_hash)), whether another teller confirmed it
    """
    return (self._batch_teller[proposal_id][batch], self._batch_digest[proposal_id][batch], self._batch_confirmed[proposal_id][batch])


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
    if self._rule_at(rest[1]):
        turnout, passed = self._deem(proposal_id, flags & F_MAJOR != 0, t, total_area, total_heads, turnout, passed)
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
def _rule_at(snapshot: uint256) -> bool:
    """
    @dev The non-voter rule as it stood at a snapshot block: the last change made
         at or before it (a binary search of the history), off before any.
    @param snapshot A proposal's snapshot block.
    @return Whether the rule is on.
    """
    lo: uint256 = 0
    hi: uint256 = self.nonvoter_rule_changes
    for _: uint256 in range(256):
        if lo >= hi:
            break
        mid: uint256 = (lo + hi) // 2
        if self._rule_history[mid] >> 1 <= snapshot:
            lo = mid + 1
        else:
            hi = mid
    return lo != 0 and self._rule_history[lo - 1] & 1 == 1


@internal
@view
def _check_counting(proposal_id: uint256) -> uint256:
    """
    @dev Revert unless the proposal's vote is over, it went to the vote, its
         preliminary result is not out and it is counted under the non-voter rule.
    @param proposal_id The proposal.
    @return The proposal's snapshot block.
    """
    assert self.assembly.address != empty(address), "ballots: assembly not set"
    end: uint256 = 0
    snapshot: uint256 = 0
    flags: uint256 = 0
    matter: uint8 = 0
    rest: uint256[5] = empty(uint256[5])
    rest[0], end, snapshot, matter, flags, rest[1], rest[2], rest[3] = staticcall self.assembly.proposal(proposal_id)
    assert block.timestamp >= end, "ballots: voting not over"
    assert flags & (F_CANCELED | F_GATHERING) == 0, "ballots: proposal never went to the vote"
    assert self.published_at[proposal_id] == 0, "ballots: preliminary result already published"
    assert self._rule_at(snapshot), "ballots: non-voter rule not in force"
    return snapshot


@internal
def _deem(
    proposal_id: uint256, major: bool, t: uint256[6], total_area: uint256, total_heads: uint256, turnout: bool, passed: bool
) -> (bool, bool):
    """
    @dev The non-voter rule applied at the preliminary result: the confirmed served
         non-voters join the side with more than 1/2 of the participating area AND
         heads, as votes cast for it (turnout included); no such side, nothing.
         Records `deemed_pass` and logs DeemedVotes.
    @param proposal_id The proposal.
    @param major Whether the 3/4 rule applies.
    @param t The ballots' tallies (see `_tallies`).
    @param total_area Exclusive area at the snapshot.
    @param total_heads Owners at the snapshot.
    @param turnout The turnout by the ballots alone.
    @param passed The result by the ballots alone.
    @return (turnout met, passed) with the served non-voters counted
    """
    part_area: uint256 = t[0] + t[2] + t[4]
    part_heads: uint256 = t[1] + t[3] + t[5]
    side: uint8 = NO_SIDE
    if t[0] * 2 > part_area and t[1] * 2 > part_heads:
        side = VOTE_FOR
    elif t[2] * 2 > part_area and t[3] * 2 > part_heads:
        side = VOTE_AGAINST
    area: uint256 = 0
    heads: uint256 = 0
    turnout_with: bool = turnout
    passed_with: bool = passed
    if side != NO_SIDE:
        area = self.served_area[proposal_id]
        heads = self.served_heads[proposal_id]
        d: uint256[6] = t
        i: uint256 = 0
        if side == VOTE_AGAINST:
            i = 2
        d[i] += area
        d[i + 1] += heads
        turnout_with, passed_with = statute._outcome(major, total_area, total_heads, d[0], d[1], d[2], d[3], d[4], d[5])
    # The rule only adds to a majority, so it can turn a defeat into a pass, never the reverse.
    self.deemed_pass[proposal_id] = passed_with and not passed
    log DeemedVotes(
        proposal_id=proposal_id,
        side=side,
        area=area,
        heads=heads,
        served_area=self.served_area[proposal_id],
        served_heads=self.served_heads[proposal_id],
        passed_without=passed,
        turnout_met_without=turnout,
    )
    return (turnout_with, passed_with)


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
