# pragma version 0.4.3
# pragma optimize codesize
# (codesize: with vote changes and paper ballots the gas-optimised runtime no longer
# fits EIP-170's 24,576 bytes; it costs castVote about 260 gas, bench/gas_assembly.py)
"""
@title OwnersAssembly
@custom:contract-name OwnersAssembly
@license GNU Affero General Public License v3.0 only
@notice The owners' assembly (业主大会) of one community: proposals, ballots,
        delegation, signed ballots, the objection window (公示) and execution of
        passed proposals through the assembly's timelock.

        - A proposal names one of the nine matters of 民法典 第二百七十八条
          (`assembly_statute`), a title, the hash of its full text (kept off
          chain), its voting window (timestamps) and the calls to run if it
          passes. Its id hashes the calls, the document, the proposer and the
          proposer's nonce (`proposal_id` in backend/chain/deploy_assembly.py
          computes it off chain), so nobody can file another's
          proposal first and block it.
        - Weights are read from the HouseholdRegistry at the snapshot block: the
          last block mined before the proposal was created, so strictly before
          voting can start and final the moment the proposal exists. One owner
          identity = one head with the identity's exclusive area.
        - The committee (registry COMMITTEE_ROLE) proposes directly; any owner
          may propose, and the proposal goes to the vote once owners holding
          the co-signer threshold (1/5 of the heads at the snapshot unless the
          assembly's rules lower it) have co-signed it before voting
          starts (otherwise it expires). Only its proposer may withdraw a
          proposal, and only before voting starts: the committee cannot cancel
          an owners' motion.
        - A ballot (0 against, 1 for, 2 abstain) costs O(1): a four-bit record per
          identity (its choice and channel; 64 identities per storage word, keyed
          by the registry's dense identity index) and one packed tally word per
          choice (area << 32 | heads). The record is also the replay guard of
          signed ballots, so there is no nonce.
        - Channels: 0 the owner's wallet in its own transaction, 1 a delegate,
          2 a paper ballot (entered and confirmed by two tellers in PaperBallots,
          the only caller of `castPaperBallot`), 3 the owner's signature relayed
          by anyone. An owner may change their ballot from their wallet until
          the close, and their own ballot (any channel but a delegate's) replaces
          one their delegate cast: the old ballot's area and head come off its
          tally, the new one goes on (VoteChanged says which). A signed ballot
          carries no nonce, so it never replaces the owner's own ballot (a replay
          would undo a change). A delegate's ballot never replaces one; an online
          ballot never replaces a paper one (the tellers' record) and a paper
          ballot never replaces the owner's online one: an identity counts once.
        - Delegation (委托投票) per proposal or standing until revoked; the
          per-proposal delegate wins over the standing one. A delegation is the
          delegating wallet's: when a recovery moves the identity to a new
          wallet, the old wallet's delegations end with it.
        - The registry refuses the vote of a wallet whose identity has a recovery
          pending, and of a wallet bound to its identity after the proposal's
          snapshot (its identity's earlier ballot stands); those reasons reach
          the voter as the registry gives them.
        - After voting ends the result goes the legal way, in PaperBallots (the
          count's contract, which this one already trusts): a preliminary result
          (初步统计结果), refused while the tellers' paper count does not add up;
          an objection period of the proposal's objection window from its
          publication; then the final result, which PaperBallots records here
          through `finalize` (its only caller; ProposalTallied). A proposal
          the ballots defeat still passes when PaperBallots' preliminary result
          passed it by the community's non-voter rule (`deemed_pass`, 指导规则
          第二十六条第二款: served non-voters counted with the majority). A passed
          proposal is announced (state 8) until its final result, then
          succeeded (4): anyone may queue it in the timelock within the queue
          window (counted from the close plus the window, else it expires), and
          after the timelock's delay anyone may execute it. Owners may record
          comments and objections (text hashes) during voting and while it is
          announced. (Why there: this contract had 64 bytes to spare under
          EIP-170, and a result step of its own cost ~900; what it keeps is one
          flag, set only by PaperBallots, and `queue` refusing before it.)
        - A proposal's majority follows from what its calls do, whatever matter
          number was written on it: every (target, selector) — refined by the
          first argument where that decides, as the role of `grantRole` — has a
          class in the constitution table: ordinary, major or forbidden. A call
          the table does not list counts as major. A proposal is counted by the
          strictest of its written matter and its calls; a forbidden call (one
          that would hand the assembly's power to a key: its own role, the
          timelock's roles) is refused outright, and no vote can lift that.
@custom:security The assembly holds no funds: `execute` hands the calls to the
                 timelock, which pays any value from its own balance; `queue`
                 and `execute` are nonreentrant and mark the proposal before
                 calling out. Other functions only make static calls to the
                 registry. Proposal ids include the proposer and its nonce, so
                 the same calls may be proposed again (a re-vote) and nobody can
                 squat another's id. Signatures: ecrecover malleability
                 is harmless because replay is stopped by the identity's ballot
                 record (a signed ballot never replaces the owner's own), not by
                 the signature. Paper ballots are trusted to PaperBallots, fixed
                 at deployment, which reads their area from the registry and
                 needs two tellers for each. The committee is trusted
                 to register owners truthfully (see HouseholdRegistry).
"""

from interfaces import IHouseholdRegistry
from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator
from snekmate.utils.interfaces import IERC5267
import assembly_statute as statute

implements: IERC5267

initializes: eip712_domain_separator

exports: eip712_domain_separator.eip712Domain


interface IAssemblyTimelock:
    def schedule(
        target: address, amount: uint256, payload: Bytes[MAX_CALLDATA], predecessor: bytes32, salt: bytes32, delay: uint256
    ): nonpayable
    def execute(target: address, amount: uint256, payload: Bytes[MAX_CALLDATA], predecessor: bytes32, salt: bytes32): payable
    def get_minimum_delay() -> uint256: view


# Vote types, as OpenZeppelin's GovernorCountingSimple.
VOTE_AGAINST: constant(uint8) = 0
VOTE_FOR: constant(uint8) = 1
VOTE_ABSTAIN: constant(uint8) = 2

# Proposal states: 0..7 as OpenZeppelin's IGovernor.ProposalState, then Linli's own.
STATE_PENDING: constant(uint8) = 0
STATE_ACTIVE: constant(uint8) = 1
STATE_CANCELED: constant(uint8) = 2
STATE_DEFEATED: constant(uint8) = 3
STATE_SUCCEEDED: constant(uint8) = 4  # passed and the final result published: may be queued
STATE_QUEUED: constant(uint8) = 5
STATE_EXPIRED: constant(uint8) = 6  # an owners' proposal not co-signed by the threshold in time
STATE_EXECUTED: constant(uint8) = 7
STATE_ANNOUNCED: constant(uint8) = 8  # passed, final result not yet published (公示)
STATE_GATHERING: constant(uint8) = 9  # an owners' proposal collecting co-signers

COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")

# Classes of a call (the Constitution's): ordinary, major, forbidden.
CLASS_ORDINARY: constant(uint8) = 1
CLASS_MAJOR: constant(uint8) = 2
CLASS_FORBIDDEN: constant(uint8) = 3

BALLOT_TYPEHASH: public(constant(bytes32)) = keccak256("Ballot(uint256 proposalId,uint8 support,address voter)")

MAX_CALLS: constant(uint256) = 8
MAX_CALLDATA: constant(uint256) = 1024
MAX_TITLE: constant(uint256) = 256
MAX_DELEGATED: constant(uint256) = 64
DAY: constant(uint256) = 86400
MAX_QUEUE_WINDOW_DAYS: constant(uint256) = 255

MASK8: constant(uint256) = 2**8 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK48: constant(uint256) = 2**48 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK160: constant(uint256) = 2**160 - 1

# Ballot channels, in each identity's four-bit record (bits 0..1 choice + 1, 2..3 channel).
CHANNEL_OWN: constant(uint256) = 0  # the owner's wallet, in its own transaction
CHANNEL_DELEGATE: constant(uint256) = 1
CHANNEL_PAPER: constant(uint256) = 2
CHANNEL_SIGNED: constant(uint256) = 3  # the owner's signature, relayed by anyone

# Packed proposal word (one storage read per ballot):
#   bits   0..39  voting starts (timestamp, inclusive)
#   bits  40..79  voting ends (timestamp, exclusive)
#   bits  80..127 snapshot block
#   bits 128..135 matter (1..9)
#   bits 136..143 flags
#   bits 144..175 co-signers (owners' proposals)
#   bits 176..207 objection window in seconds, fixed at creation
#   bits 208..247 timelock eta (timestamp), once queued
#   bits 248..255 queue window in days, fixed at creation
SHIFT_END: constant(uint256) = 40
SHIFT_SNAPSHOT: constant(uint256) = 80
SHIFT_MATTER: constant(uint256) = 128
SHIFT_FLAGS: constant(uint256) = 136
SHIFT_COSIGNERS: constant(uint256) = 144
SHIFT_WINDOW: constant(uint256) = 176
SHIFT_ETA: constant(uint256) = 208
SHIFT_QUEUE: constant(uint256) = 248

F_CANCELED: constant(uint256) = 1
F_QUEUED: constant(uint256) = 2
F_EXECUTED: constant(uint256) = 4
F_GATHERING: constant(uint256) = 8
F_FINALIZED: constant(uint256) = 16  # the final result (set by PaperBallots only)
F_MAJOR: constant(uint256) = 32  # counted by the 3/4 rule (its matter or its calls)

# Voting rules word: five 40-bit fields (seconds): min notice, min voting period,
# max voting period, objection window, queue window.
SHIFT_RULE_MIN_VOTING: constant(uint256) = 40
SHIFT_RULE_MAX_VOTING: constant(uint256) = 80
SHIFT_RULE_OBJECTION: constant(uint256) = 120
SHIFT_RULE_QUEUE: constant(uint256) = 160

# The co-signer threshold's ceiling: 1/5 of the heads, in basis points.
MAX_COSIGN_BPS: constant(uint256) = 2_000

# Packed tally word per choice: area (0.01 m²) above bit 32, heads below.
SHIFT_TALLY_AREA: constant(uint256) = 32


interface IConstitution:
    def class_of(target: address, calldata_: Bytes[MAX_CALLDATA]) -> uint8: view


interface IPaperBallots:
    def deemed_pass(proposal_id: uint256) -> bool: view


registry: public(immutable(IHouseholdRegistry))
timelock: public(immutable(IAssemblyTimelock))
constitution: public(immutable(IConstitution))
# The PaperBallots contract, the only caller of `castPaperBallot` (its tellers are
# appointed by the assembly there); fixed at deployment.
paper_ballots: public(immutable(address))

# Voting rules, read together by `propose` so packed in one word (see SHIFT_RULE_*);
# changed only by a passed proposal (through the timelock).
_rules: uint256

# The share of heads (basis points) whose co-signatures send an owners' proposal to the
# vote: 1/5 unless the assembly's rules (议事规则) lower it; never above 1/5, the share of
# owners whose motion the committee must put to a meeting (物业管理条例 第十三条).
cosign_threshold_bps: public(uint256)
# owners' proposal -> co-signers it needs, fixed when it was made
_cosign_required: HashMap[uint256, uint256]

# proposer -> proposals made so far (part of the next proposal's id)
proposal_nonce: public(HashMap[address, uint256])
# proposal -> its proposer (bits 0..159, the only one who may withdraw it) and that
# proposer's nonce (bits 160..255): with the calls, what the id hashes, so queue and
# execute check the calls they are given against the id with this one word.
_origin: HashMap[uint256, uint256]

_core: HashMap[uint256, uint256]
# proposal -> choice -> area << 32 | heads
_tally: HashMap[uint256, HashMap[uint256, uint256]]
# proposal -> identity // 64 -> four bits per identity: choice + 1 (0: no ballot), channel << 2
_ballots: HashMap[uint256, HashMap[uint256, uint256]]
# proposal -> identity // 256 -> bitmap of identities that co-signed
_cosigned: HashMap[uint256, HashMap[uint256, uint256]]

# owner wallet -> standing delegate; proposal -> owner wallet -> delegate for that
# proposal. Keyed by the wallet, so a recovery to a new wallet ends them all.
_standing_delegate: HashMap[address, address]
_proposal_delegate: HashMap[uint256, HashMap[address, address]]



event ProposalCreated:
    proposalId: uint256
    proposer: address
    targets: DynArray[address, MAX_CALLS]
    values: DynArray[uint256, MAX_CALLS]
    signatures: DynArray[String[1], MAX_CALLS]
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS]
    voteStart: uint256
    voteEnd: uint256
    description: String[MAX_TITLE]

event ProposalDetails:
    proposalId: indexed(uint256)
    proposer: indexed(address)
    matter: uint8
    major: bool
    doc_hash: bytes32
    snapshot_block: uint256
    total_area: uint256
    total_heads: uint256
    cosigners_required: uint256
    objection_window: uint256

event ProposalCosigned:
    proposalId: indexed(uint256)
    owner: indexed(address)
    identity: uint256
    cosigners: uint256
    required: uint256
    supported: bool

event VoteCast:
    voter: indexed(address)
    proposalId: uint256
    support: uint8
    weight: uint256
    reason: String[1]

event VoteTallied:
    proposalId: indexed(uint256)
    support: uint8
    area: uint256
    heads: uint256

event VoteChanged:
    proposalId: indexed(uint256)
    voter: indexed(address)
    identity: uint256
    previous_support: uint8
    previous_channel: uint8
    support: uint8
    channel: uint8

event DelegateVoteCast:
    proposalId: indexed(uint256)
    delegate: indexed(address)
    owner: indexed(address)
    identity: uint256

event DelegationSet:
    owner: indexed(address)
    delegate: indexed(address)
    proposalId: indexed(uint256)
    identity: uint256
    previous: address

event DelegationRevoked:
    owner: indexed(address)
    delegate: indexed(address)
    proposalId: indexed(uint256)
    identity: uint256

event ProposalCommented:
    proposalId: indexed(uint256)
    author: indexed(address)
    identity: uint256
    objection: bool
    text_hash: bytes32

event ProposalTallied:
    proposalId: indexed(uint256)
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
    objection_ends: uint256

event ProposalQueued:
    proposalId: uint256
    etaSeconds: uint256

event ProposalExecuted:
    proposalId: uint256

event ProposalCanceled:
    proposalId: uint256

event VotingRulesSet:
    min_notice: uint256
    min_voting_period: uint256
    max_voting_period: uint256
    objection_window: uint256
    queue_window: uint256

event CosignThresholdSet:
    bps: uint256

event ProposalClassified:
    proposalId: indexed(uint256)
    nonce: uint256
    matter_major: bool
    calls_major: bool
    # The first call that made it major (zero when none did).
    major_target: address
    major_selector: bytes4
    # Seconds after its objection window to queue it once passed, else it expires.
    queue_window: uint256


@deploy
def __init__(
    registry_: IHouseholdRegistry,
    timelock_: IAssemblyTimelock,
    min_notice_: uint256,
    min_voting_period_: uint256,
    max_voting_period_: uint256,
    objection_window_: uint256,
    queue_window_: uint256,
    constitution_: IConstitution,
    paper_ballots_: address,
):
    """
    @notice Create the assembly of the community whose registry is `registry_`.
    @param registry_ The HouseholdRegistry (weights, totals, committee role).
    @param timelock_ The AssemblyTimelock that runs passed proposals; the assembly
           must be its proposer and executor (deploy_assembly wires this).
    @param min_notice_ Seconds between a proposal and the start of its vote (公告).
    @param min_voting_period_ Shortest voting window in seconds (≥ 1 hour).
    @param max_voting_period_ Longest voting window in seconds.
    @param objection_window_ Seconds a passed proposal is announced (公示) before
           it can be queued.
    @param queue_window_ Seconds after the objection window within which a passed
           proposal must be queued, else it expires (whole days, 1..255).
    @param constitution_ The Constitution: the class of each call a proposal makes.
    @param paper_ballots_ The PaperBallots contract whose confirmed ballots count.
    """
    assert registry_.address != empty(address), "assembly: registry is the zero address"
    assert timelock_.address != empty(address), "assembly: timelock is the zero address"
    eip712_domain_separator.__init__("Linli OwnersAssembly", "1")
    registry = registry_
    timelock = timelock_
    assert constitution_.address != empty(address), "assembly: constitution is the zero address"
    constitution = constitution_
    assert paper_ballots_ != empty(address), "assembly: paper ballots is the zero address"
    paper_ballots = paper_ballots_
    self._set_rules(min_notice_, min_voting_period_, max_voting_period_, objection_window_, queue_window_)
    self.cosign_threshold_bps = MAX_COSIGN_BPS
    log CosignThresholdSet(bps=MAX_COSIGN_BPS)


# ---------------------------------------------------------------- proposals


@external
def propose(
    targets: DynArray[address, MAX_CALLS],
    values: DynArray[uint256, MAX_CALLS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS],
    matter: uint8,
    title: String[MAX_TITLE],
    doc_hash: bytes32,
    vote_start: uint256,
    vote_end: uint256,
) -> uint256:
    """
    @notice Put a matter to the assembly. The committee's proposals go to the vote
            as they are; an owner's proposal needs co-signers holding the co-signer
            threshold of the heads (1/5 unless lowered; the proposer counts) before `vote_start`.
    @param targets Contracts to call if the proposal passes (may be empty).
    @param values Native value of each call, paid by the timelock.
    @param calldatas ABI-encoded call of each target.
    @param matter One of the nine matters of 民法典 第二百七十八条 (1..9).
    @param title A short public title (the full text lives off chain).
    @param doc_hash Hash of the full text of the proposal.
    @param vote_start Timestamp voting opens (≥ now + min_notice).
    @param vote_end Timestamp voting closes (exclusive).
    @return The proposal id (OpenZeppelin hashProposal with doc_hash, then the
            proposer and its nonce; deploy_assembly.proposal_id off chain).
    """
    assert statute._is_matter(matter), "assembly: unknown matter"
    n: uint256 = len(targets)
    assert len(values) == n and len(calldatas) == n, "assembly: calls length mismatch"
    assert len(title) > 0, "assembly: empty title"
    assert doc_hash != empty(bytes32), "assembly: empty document hash"
    rules: uint256 = self._rules
    assert vote_start >= block.timestamp + (rules & MASK40), "assembly: voting starts too soon"
    assert vote_end >= vote_start + ((rules >> SHIFT_RULE_MIN_VOTING) & MASK40), "assembly: voting period too short"
    assert vote_end <= vote_start + ((rules >> SHIFT_RULE_MAX_VOTING) & MASK40), "assembly: voting period too long"
    # The objection window and the timelock delay follow vote_end; keep all in 40 bits.
    assert vote_end <= MASK40 // 2, "assembly: time out of range"

    # The majority follows from what the calls do, whatever matter was written.
    matter_major: bool = statute._is_major(matter)
    major_target: address = empty(address)
    major_selector: bytes4 = empty(bytes4)
    for i: uint256 in range(n, bound=MAX_CALLS):
        call_class: uint8 = self._class_of(targets[i], calldatas[i])
        assert call_class != CLASS_FORBIDDEN, "assembly: no vote may make this call"
        if call_class != CLASS_ORDINARY and major_target == empty(address):
            major_target = targets[i]
            if len(calldatas[i]) >= 4:
                major_selector = convert(slice(calldatas[i], 0, 4), bytes4)
    calls_major: bool = major_target != empty(address)

    nonce: uint256 = self.proposal_nonce[msg.sender]
    self.proposal_nonce[msg.sender] = nonce + 1
    calls_hash: bytes32 = self._hash_calls(targets, values, calldatas, doc_hash)
    proposal_id: uint256 = self._proposal_id(calls_hash, msg.sender, nonce)
    # nonce < 2**96: a proposer would need more proposals than blocks to reach it.
    self._origin[proposal_id] = convert(msg.sender, uint256) | (nonce << 160)

    snapshot: uint256 = block.number - 1
    total_area: uint256 = 0
    total_heads: uint256 = 0
    total_area, total_heads = staticcall registry.totals_at(snapshot)
    assert total_heads > 0, "assembly: no owners at the snapshot"

    flags: uint256 = 0
    cosigners: uint256 = 0
    required: uint256 = 0
    identity: uint256 = 0
    if not staticcall registry.hasRole(COMMITTEE_ROLE, msg.sender):
        ok: bool = False
        area: uint256 = 0
        ok, identity, area = self._try_weight(msg.sender, snapshot)
        assert ok and area != 0, "assembly: committee or owners only"
        # ceil(heads × bps / 10,000): heads < 2**32 and bps <= 2,000, no overflow.
        required = unsafe_div(unsafe_add(unsafe_mul(total_heads, self.cosign_threshold_bps), 9_999), 10_000)
        self._cosign_required[proposal_id] = required
        cosigners = 1
        self._cosigned[proposal_id][identity >> 8] = 1 << (identity & 255)
        if cosigners < required:
            flags = F_GATHERING
    if matter_major or calls_major:
        flags |= F_MAJOR

    window: uint256 = (rules >> SHIFT_RULE_OBJECTION) & MASK40
    self._core[proposal_id] = (
        vote_start
        | (vote_end << SHIFT_END)
        | (snapshot << SHIFT_SNAPSHOT)
        | (convert(matter, uint256) << SHIFT_MATTER)
        | (flags << SHIFT_FLAGS)
        | (cosigners << SHIFT_COSIGNERS)
        | (window << SHIFT_WINDOW)
        | ((((rules >> SHIFT_RULE_QUEUE) & MASK40) // DAY) << SHIFT_QUEUE)
    )

    signatures: DynArray[String[1], MAX_CALLS] = []
    for i: uint256 in range(n, bound=MAX_CALLS):
        signatures.append("")
    log ProposalCreated(
        proposalId=proposal_id,
        proposer=msg.sender,
        targets=targets,
        values=values,
        signatures=signatures,
        calldatas=calldatas,
        voteStart=vote_start,
        voteEnd=vote_end,
        description=title,
    )
    log ProposalDetails(
        proposalId=proposal_id,
        proposer=msg.sender,
        matter=matter,
        major=matter_major or calls_major,
        doc_hash=doc_hash,
        snapshot_block=snapshot,
        total_area=total_area,
        total_heads=total_heads,
        cosigners_required=required,
        objection_window=window,
    )
    log ProposalClassified(
        proposalId=proposal_id,
        nonce=nonce,
        matter_major=matter_major,
        calls_major=calls_major,
        major_target=major_target,
        major_selector=major_selector,
        queue_window=(((rules >> SHIFT_RULE_QUEUE) & MASK40) // DAY) * DAY,
    )
    if required != 0:
        log ProposalCosigned(
            proposalId=proposal_id,
            owner=msg.sender,
            identity=identity,
            cosigners=cosigners,
            required=required,
            supported=cosigners >= required,
        )
    return proposal_id


@external
def cosign(proposal_id: uint256):
    """
    @notice Co-sign an owner's proposal; it goes to the vote once owners holding
            the threshold fixed at its creation have co-signed, before voting starts.
    @param proposal_id The proposal.
    """
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    assert self._state(proposal_id, core) == STATE_GATHERING, "assembly: not collecting co-signers"
    snapshot: uint256 = (core >> SHIFT_SNAPSHOT) & MASK48
    identity: uint256 = self._vote_weight(msg.sender, snapshot)[0]
    key: uint256 = identity >> 8
    bit: uint256 = 1 << (identity & 255)
    word: uint256 = self._cosigned[proposal_id][key]
    assert word & bit == 0, "assembly: already co-signed"
    self._cosigned[proposal_id][key] = word | bit

    required: uint256 = self._cosign_required[proposal_id]
    cosigners: uint256 = ((core >> SHIFT_COSIGNERS) & MASK32) + 1
    core = (core & ~(MASK32 << SHIFT_COSIGNERS)) | (cosigners << SHIFT_COSIGNERS)
    if cosigners >= required:
        core = core & ~(F_GATHERING << SHIFT_FLAGS)
    self._core[proposal_id] = core
    log ProposalCosigned(
        proposalId=proposal_id,
        owner=msg.sender,
        identity=identity,
        cosigners=cosigners,
        required=required,
        supported=cosigners >= required,
    )


@external
def cancel(proposal_id: uint256):
    """
    @notice Withdraw a proposal before its vote starts; only its proposer may (an
            owners' motion stands whatever the committee thinks of it).
    @param proposal_id The proposal.
    """
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    assert convert(self._origin[proposal_id] & MASK160, address) == msg.sender, "assembly: proposer only"
    state: uint8 = self._state(proposal_id, core)
    assert state == STATE_PENDING or state == STATE_GATHERING, "assembly: voting has started"
    self._core[proposal_id] = core | (F_CANCELED << SHIFT_FLAGS)
    log ProposalCanceled(proposalId=proposal_id)


# ---------------------------------------------------------------- ballots


@external
def castVote(proposalId: uint256, support: uint8) -> uint256:
    """
    @notice Vote for your own owner identity: 0 against, 1 for, 2 abstain. Voting
            again before the close changes your ballot; your ballot replaces the
            one your delegate cast for you.
    @param proposalId The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @return The area (0.01 m²) counted.
    """
    snapshot: uint256 = self._open_snapshot(proposalId, support)
    identity: uint256 = 0
    area: uint256 = 0
    identity, area = self._vote_weight(msg.sender, snapshot)
    self._count(proposalId, identity, area, support, msg.sender, CHANNEL_OWN)
    return area


@external
def castVoteBySig(proposalId: uint256, support: uint8, voter: address, signature: Bytes[65]) -> uint256:
    """
    @notice Count a ballot the owner signed (EIP-712 `Ballot(uint256 proposalId,
            uint8 support,address voter)` in this contract's domain); anyone may
            relay it and pay the gas. It counts only where the owner has no ballot
            of their own (a delegate's it replaces), which stops replay.
    @param proposalId The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param voter The owner wallet that signed.
    @param signature The 65-byte (or 64-byte EIP-2098) signature.
    @return The area (0.01 m²) counted.
    """
    snapshot: uint256 = self._open_snapshot(proposalId, support)
    digest: bytes32 = self._ballot_digest(proposalId, support, voter)
    assert ecdsa._recover_sig(digest, signature) == voter, "assembly: invalid signature"
    identity: uint256 = 0
    area: uint256 = 0
    identity, area = self._vote_weight(voter, snapshot)
    self._count(proposalId, identity, area, support, voter, CHANNEL_SIGNED)
    return area


@external
def castVoteAsDelegate(proposalId: uint256, owners: DynArray[address, MAX_DELEGATED], support: uint8) -> uint256:
    """
    @notice Vote as the delegate of several owners at once (委托投票). An owner who
            already has a ballot (their own, or this delegate's) keeps it, and the
            whole call is refused so the delegate can see it.
    @param proposalId The proposal.
    @param owners Wallets of the owners who delegated this proposal to the caller.
    @param support 0 against, 1 for, 2 abstain.
    @return The total area (0.01 m²) counted.
    """
    assert len(owners) > 0, "assembly: no owners given"
    snapshot: uint256 = self._open_snapshot(proposalId, support)
    total: uint256 = 0
    for owner: address in owners:
        identity: uint256 = 0
        area: uint256 = 0
        assert self._delegate_of(owner, proposalId) == msg.sender, "assembly: not the owner's delegate"
        identity, area = self._vote_weight(owner, snapshot)
        self._count(proposalId, identity, area, support, owner, CHANNEL_DELEGATE)
        log DelegateVoteCast(proposalId=proposalId, delegate=msg.sender, owner=owner, identity=identity)
        total += area
    return total


@external
def castPaperBallot(proposalId: uint256, identity: uint256, area: uint256, voter: address, support: uint8):
    """
    @notice Count a paper ballot two tellers confirmed; PaperBallots only, which
            reads the identity's area at the snapshot and its wallet from the
            registry (kept there so the assembly stays under EIP-170). It is the
            owner's own vote: it replaces a delegate's ballot and is refused when
            the owner voted online themselves.
    @param proposalId The proposal.
    @param identity The owner identity the ballot names (the registry's index).
    @param area The identity's area at the proposal's snapshot (> 0).
    @param voter The identity's wallet, logged as the voter.
    @param support 0 against, 1 for, 2 abstain.
    """
    assert msg.sender == paper_ballots, "assembly: paper ballots only"
    self._open_snapshot(proposalId, support)
    self._count(proposalId, identity, area, support, voter, CHANNEL_PAPER)


# ---------------------------------------------------------------- delegation


@external
def set_delegate(delegatee: address, proposal_id: uint256):
    """
    @notice Authorise `delegatee` to vote for your owner identity, for one proposal
            or (proposal_id 0) until revoked. A delegate may hold many owners' votes.
    @dev Not named `delegate`: that name is taken by wallet tooling (EIP-7702).
    @param delegatee The wallet that may vote for you (need not be an owner).
    @param proposal_id The proposal, or 0 for a standing delegation.
    """
    # Refused while a recovery of the caller's identity is pending.
    identity: uint256 = staticcall registry.active_identity(msg.sender)
    assert delegatee != empty(address) and delegatee != msg.sender, "assembly: invalid delegate"
    previous: address = empty(address)
    if proposal_id == 0:
        previous = self._standing_delegate[msg.sender]
        self._standing_delegate[msg.sender] = delegatee
    else:
        self._check_not_over(proposal_id)
        previous = self._proposal_delegate[proposal_id][msg.sender]
        self._proposal_delegate[proposal_id][msg.sender] = delegatee
    log DelegationSet(owner=msg.sender, delegate=delegatee, proposalId=proposal_id, identity=identity, previous=previous)


@external
def revoke_delegation(proposal_id: uint256):
    """
    @notice Withdraw a delegation (proposal_id 0: the standing one).
    @param proposal_id The proposal, or 0 for the standing delegation.
    """
    identity: uint256 = self._identity(msg.sender)
    previous: address = empty(address)
    if proposal_id == 0:
        previous = self._standing_delegate[msg.sender]
        self._standing_delegate[msg.sender] = empty(address)
    else:
        previous = self._proposal_delegate[proposal_id][msg.sender]
        self._proposal_delegate[proposal_id][msg.sender] = empty(address)
    assert previous != empty(address), "assembly: no delegation"
    log DelegationRevoked(owner=msg.sender, delegate=previous, proposalId=proposal_id, identity=identity)


# ---------------------------------------------------------------- discussion


@external
def comment(proposal_id: uint256, text_hash: bytes32, objection: bool):
    """
    @notice Put a comment or an objection on the record of a proposal, during
            voting or while it is announced (公示). Only the hash of the text goes
            on chain; the text itself is kept off chain.
    @param proposal_id The proposal.
    @param text_hash Hash of the comment's text.
    @param objection True for an objection, False for a comment.
    """
    assert text_hash != empty(bytes32), "assembly: empty text hash"
    assert staticcall registry.is_owner(msg.sender), "assembly: owners only"
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    state: uint8 = self._state(proposal_id, core)
    assert state == STATE_ACTIVE or state == STATE_ANNOUNCED, "assembly: not open for comments"
    log ProposalCommented(
        proposalId=proposal_id,
        author=msg.sender,
        identity=self._identity(msg.sender),
        objection=objection,
        text_hash=text_hash,
    )


# ---------------------------------------------------------------- result and execution


@external
def finalize(proposal_id: uint256, objection_ends: uint256) -> bool:
    """
    @notice Record the final result of a proposal whose vote has ended, once:
            PaperBallots only (`publish_final`, anyone may call it), after the
            preliminary result and its objection period, which it keeps. A passed
            proposal may then be queued.
    @param proposal_id The proposal.
    @param objection_ends When the preliminary result's objection period ended.
    @return Whether it passed.
    """
    assert msg.sender == paper_ballots, "assembly: paper ballots only"
    core: uint256 = self._core[proposal_id]
    assert (core >> SHIFT_FLAGS) & F_FINALIZED == 0, "assembly: already finalized"
    self._core[proposal_id] = core | (F_FINALIZED << SHIFT_FLAGS)
    return self._log_result(proposal_id, core, objection_ends)


@external
@nonreentrant
def queue(
    proposal_id: uint256,
    targets: DynArray[address, MAX_CALLS],
    values: DynArray[uint256, MAX_CALLS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS],
    doc_hash: bytes32,
) -> uint256:
    """
    @notice Schedule a passed proposal's calls in the timelock once its final
            result is published and before its queue window closes; anyone may. Call i
            is the timelock operation
            `hash_operation(target, value, calldata, 0x0, keccak256(abi_encode(proposalId, i)))`.
    @param proposal_id The proposal.
    @param targets The proposal's targets.
    @param values The proposal's values.
    @param calldatas The proposal's calldata.
    @param doc_hash The proposal's document hash.
    @return The proposal id.
    """
    core: uint256 = self._checked_core(proposal_id, targets, values, calldatas, doc_hash)
    state: uint8 = self._state(proposal_id, core)
    assert state != STATE_QUEUED and state != STATE_EXECUTED, "assembly: already queued"
    assert state != STATE_PENDING and state != STATE_GATHERING and state != STATE_ACTIVE, "assembly: voting not over"
    assert state != STATE_ANNOUNCED, "assembly: no final result"
    assert state != STATE_EXPIRED or (core >> SHIFT_FLAGS) & F_GATHERING != 0, "assembly: queue window closed"
    assert state == STATE_SUCCEEDED, "assembly: proposal not passed"
    assert len(targets) > 0, "assembly: nothing to execute"
    delay: uint256 = staticcall timelock.get_minimum_delay()
    eta: uint256 = block.timestamp + delay
    assert eta <= MASK40, "assembly: time out of range"
    self._core[proposal_id] = core | (F_QUEUED << SHIFT_FLAGS) | (eta << SHIFT_ETA)
    # One single-call operation per call: snekmate's batch functions copy 255-slot
    # arrays of Bytes[1024] into memory (~1.6M gas); atomicity comes from `execute`,
    # which runs every call of the proposal in one transaction.
    for i: uint256 in range(len(targets), bound=MAX_CALLS):
        extcall timelock.schedule(targets[i], values[i], calldatas[i], empty(bytes32), self._salt(proposal_id, i), delay)
    log ProposalQueued(proposalId=proposal_id, etaSeconds=eta)
    return proposal_id


@external
@nonreentrant
def execute(
    proposal_id: uint256,
    targets: DynArray[address, MAX_CALLS],
    values: DynArray[uint256, MAX_CALLS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS],
    doc_hash: bytes32,
) -> uint256:
    """
    @notice Run a queued proposal's calls through the timelock once its delay is
            over, all in this one transaction (one failing call reverts them all);
            anyone may. Value is paid from the timelock's balance.
    @param proposal_id The proposal.
    @param targets The proposal's targets.
    @param values The proposal's values.
    @param calldatas The proposal's calldata.
    @param doc_hash The proposal's document hash.
    @return The proposal id.
    """
    core: uint256 = self._checked_core(proposal_id, targets, values, calldatas, doc_hash)
    flags: uint256 = (core >> SHIFT_FLAGS) & MASK8
    assert flags & F_EXECUTED == 0, "assembly: already executed"
    assert flags & F_QUEUED != 0, "assembly: proposal not queued"
    assert block.timestamp >= (core >> SHIFT_ETA) & MASK40, "assembly: timelock delay not over"
    self._core[proposal_id] = core | (F_EXECUTED << SHIFT_FLAGS)
    for i: uint256 in range(len(targets), bound=MAX_CALLS):
        extcall timelock.execute(targets[i], values[i], calldatas[i], empty(bytes32), self._salt(proposal_id, i))
    log ProposalExecuted(proposalId=proposal_id)
    return proposal_id


# ---------------------------------------------------------------- governance of the assembly


@external
def set_voting_rules(
    min_notice_: uint256,
    min_voting_period_: uint256,
    max_voting_period_: uint256,
    objection_window_: uint256,
    queue_window_: uint256,
):
    """
    @notice Change the voting rules for proposals made from now on; only the
            assembly (its timelock: a passed proposal, which this call makes major).
    @param min_notice_ Seconds between a proposal and the start of its vote.
    @param min_voting_period_ Shortest voting window in seconds (≥ 1 hour).
    @param max_voting_period_ Longest voting window in seconds.
    @param objection_window_ Seconds of the objection window (公示).
    @param queue_window_ Seconds after the objection window to queue a passed
           proposal (whole days, 1..255).
    """
    self._only_assembly()
    self._set_rules(min_notice_, min_voting_period_, max_voting_period_, objection_window_, queue_window_)


@external
def set_cosign_threshold(bps: uint256):
    """
    @notice Set the share of heads whose co-signatures send an owners' proposal to
            the vote, for proposals made from now on; only the assembly (a rule of
            its procedure, 议事规则). It may lower the default 1/5, never raise it.
    @param bps Basis points of the heads at the proposal's snapshot (1..2,000).
    """
    self._only_assembly()
    assert bps >= 1 and bps <= MAX_COSIGN_BPS, "assembly: co-signer threshold out of range"
    self.cosign_threshold_bps = bps
    log CosignThresholdSet(bps=bps)




# ---------------------------------------------------------------- views


@external
@view
def min_notice() -> uint256:
    """
    @notice Seconds between a proposal and the start of its vote (公告).
    @return The minimum notice.
    """
    return self._rules & MASK40


@external
@view
def min_voting_period() -> uint256:
    """
    @notice The shortest voting window, in seconds.
    @return The minimum voting period.
    """
    return (self._rules >> SHIFT_RULE_MIN_VOTING) & MASK40


@external
@view
def max_voting_period() -> uint256:
    """
    @notice The longest voting window, in seconds.
    @return The maximum voting period.
    """
    return (self._rules >> SHIFT_RULE_MAX_VOTING) & MASK40


@external
@view
def objection_window() -> uint256:
    """
    @notice Seconds a passed proposal made from now on is announced (公示) before
            it can be queued.
    @return The objection window.
    """
    return (self._rules >> SHIFT_RULE_OBJECTION) & MASK40


@external
@view
def queue_window() -> uint256:
    """
    @notice Seconds after its objection window within which a passed proposal
            made from now on must be queued, else it expires.
    @return The queue window.
    """
    return (self._rules >> SHIFT_RULE_QUEUE) & MASK40


@external
@view
def call_class(target: address, calldata_: Bytes[MAX_CALLDATA]) -> uint8:
    """
    @notice The class of a call a proposal makes: 1 ordinary, 2 major, 3 forbidden.
    @param target The call's target.
    @param calldata_ The call's calldata (selector and arguments).
    @return The class.
    """
    return self._class_of(target, calldata_)


@external
@view
def proposer(proposal_id: uint256) -> address:
    """
    @notice Who made the proposal (the only one who may withdraw it).
    @param proposal_id The proposal.
    @return The proposer.
    """
    return convert(self._origin[proposal_id] & MASK160, address)


@external
@view
def state(proposalId: uint256) -> uint8:
    """
    @notice The proposal's state: 0 pending, 1 active, 2 canceled, 3 defeated,
            4 succeeded (final result published; may be queued), 5 queued,
            6 expired (not co-signed in time, or not queued in time), 7 executed,
            8 announced (passed; preliminary result and objection period, until
            the final result), 9 gathering co-signers.
    @param proposalId The proposal.
    @return The state number.
    """
    core: uint256 = self._core[proposalId]
    assert core != 0, "assembly: unknown proposal"
    return self._state(proposalId, core)




@external
@view
def proposal(proposal_id: uint256) -> (uint256, uint256, uint256, uint8, uint256, uint256, uint256, uint256):
    """
    @notice A proposal's stored fields.
    @param proposal_id The proposal.
    @return vote start, vote end (exclusive), snapshot block, matter, flags
            (1 canceled, 2 queued, 4 executed, 8 gathering, 16 final result),
            co-signers, objection window (s), timelock eta (0 until queued).
    """
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    return (
        core & MASK40,
        (core >> SHIFT_END) & MASK40,
        (core >> SHIFT_SNAPSHOT) & MASK48,
        convert((core >> SHIFT_MATTER) & MASK8, uint8),
        (core >> SHIFT_FLAGS) & MASK8,
        (core >> SHIFT_COSIGNERS) & MASK32,
        (core >> SHIFT_WINDOW) & MASK32,
        (core >> SHIFT_ETA) & MASK40,
    )


@external
@view
def proposalSnapshot(proposalId: uint256) -> uint256:
    """
    @notice The registry block whose weights count for this proposal.
    @param proposalId The proposal.
    @return The snapshot block number.
    """
    return (self._core[proposalId] >> SHIFT_SNAPSHOT) & MASK48


@external
@view
def proposalDeadline(proposalId: uint256) -> uint256:
    """
    @notice When voting closes (timestamp, exclusive).
    @param proposalId The proposal.
    @return The timestamp.
    """
    return (self._core[proposalId] >> SHIFT_END) & MASK40


@external
@view
def proposalEta(proposalId: uint256) -> uint256:
    """
    @notice When a queued proposal may be executed (0 if not queued).
    @param proposalId The proposal.
    @return The timestamp.
    """
    return (self._core[proposalId] >> SHIFT_ETA) & MASK40


@external
@view
def proposalVotes(proposalId: uint256) -> (uint256, uint256, uint256):
    """
    @notice Area (0.01 m²) against, for and abstaining, as OpenZeppelin's
            GovernorCountingSimple orders them.
    @param proposalId The proposal.
    @return against area, for area, abstain area
    """
    return (
        self._tally[proposalId][convert(VOTE_AGAINST, uint256)] >> SHIFT_TALLY_AREA,
        self._tally[proposalId][convert(VOTE_FOR, uint256)] >> SHIFT_TALLY_AREA,
        self._tally[proposalId][convert(VOTE_ABSTAIN, uint256)] >> SHIFT_TALLY_AREA,
    )


@external
@view
def tally(proposal_id: uint256, support: uint8) -> (uint256, uint256):
    """
    @notice Area (0.01 m²) and heads of one choice.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @return area, heads
    """
    word: uint256 = self._tally[proposal_id][convert(support, uint256)]
    return (word >> SHIFT_TALLY_AREA, word & MASK32)


@external
@view
def outcome(proposal_id: uint256) -> (bool, bool, uint256, uint256):
    """
    @notice The statute applied to the current tallies (final once voting ended).
    @param proposal_id The proposal.
    @return turnout met, passed, total area and total heads at the snapshot
    """
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    total_area: uint256 = 0
    total_heads: uint256 = 0
    total_area, total_heads = staticcall registry.totals_at((core >> SHIFT_SNAPSHOT) & MASK48)
    turnout: bool = False
    passed: bool = False
    turnout, passed = self._outcome(proposal_id, core, total_area, total_heads)
    return (turnout, passed, total_area, total_heads)


@external
@view
def hasVoted(proposalId: uint256, account: address) -> bool:
    """
    @notice Whether the owner identity bound to `account` has a ballot counted.
    @param proposalId The proposal.
    @param account An owner wallet (False for any other).
    @return Whether it voted (in person, by signature or by delegate).
    """
    bound: bool = False
    identity: uint256 = 0
    bound, identity = staticcall registry.identity_of(account)
    if not bound:
        return False
    return (self._ballots[proposalId][identity >> 6] >> ((identity & 63) << 2)) & 15 != 0


@external
@view
def ballot_of(proposal_id: uint256, identity: uint256) -> uint256:
    """
    @notice The ballot standing for an owner identity.
    @param proposal_id The proposal.
    @param identity The owner identity (the registry's index).
    @return 0 for none, else (support + 1) | channel << 2 (channel 0 the owner's
            wallet, 1 a delegate, 2 paper, 3 a relayed signature).
    """
    return (self._ballots[proposal_id][identity >> 6] >> ((identity & 63) << 2)) & 15


@external
@view
def has_cosigned(proposal_id: uint256, account: address) -> bool:
    """
    @notice Whether the owner identity bound to `account` co-signed the proposal.
    @param proposal_id The proposal.
    @param account An owner wallet.
    @return Whether it co-signed.
    """
    bound: bool = False
    identity: uint256 = 0
    bound, identity = staticcall registry.identity_of(account)
    if not bound:
        return False
    return self._cosigned[proposal_id][identity >> 8] & (1 << (identity & 255)) != 0


@external
@view
def delegate_of(owner: address, proposal_id: uint256) -> address:
    """
    @notice Who may vote for `owner` on a proposal: the per-proposal delegate, else
            the standing one (proposal_id 0: the standing one only).
    @param owner An owner wallet.
    @param proposal_id The proposal, or 0.
    @return The delegate, or the zero address (also for a wallet no longer bound to
            an identity: its delegations ended with it).
    """
    if not (staticcall registry.identity_of(owner))[0]:
        return empty(address)
    if proposal_id == 0:
        return self._standing_delegate[owner]
    return self._delegate_of(owner, proposal_id)




@external
@view
def ballot_digest(proposal_id: uint256, support: uint8, voter: address) -> bytes32:
    """
    @notice The EIP-712 digest a voter signs for `castVoteBySig`.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param voter The owner wallet.
    @return The digest.
    """
    return self._ballot_digest(proposal_id, support, voter)


# ---------------------------------------------------------------- internal


@internal
def _set_rules(
    min_notice_: uint256,
    min_voting_period_: uint256,
    max_voting_period_: uint256,
    objection_window_: uint256,
    queue_window_: uint256,
):
    """
    @dev Check and store the voting rules (one packed word) and log them.
    @param min_notice_ Seconds between a proposal and the start of its vote.
    @param min_voting_period_ Shortest voting window (≥ 1 hour).
    @param max_voting_period_ Longest voting window (≤ 365 days).
    @param objection_window_ Seconds of the objection window (≤ 365 days).
    @param queue_window_ Seconds to queue a passed proposal (whole days, 1..255).
    """
    assert min_notice_ <= 365 * DAY, "assembly: notice too long"
    assert min_voting_period_ >= 3600, "assembly: voting period too short"
    assert max_voting_period_ >= min_voting_period_ and max_voting_period_ <= 365 * DAY, "assembly: voting period too long"
    assert objection_window_ <= 365 * DAY, "assembly: objection window too long"
    assert queue_window_ >= DAY and queue_window_ <= MAX_QUEUE_WINDOW_DAYS * DAY and queue_window_ % DAY == 0, "assembly: queue window out of range"
    # Each value is at most 365 days (< 2**25), far inside its 40 bits.
    self._rules = (
        min_notice_
        | (min_voting_period_ << SHIFT_RULE_MIN_VOTING)
        | (max_voting_period_ << SHIFT_RULE_MAX_VOTING)
        | (objection_window_ << SHIFT_RULE_OBJECTION)
        | (queue_window_ << SHIFT_RULE_QUEUE)
    )
    log VotingRulesSet(
        min_notice=min_notice_,
        min_voting_period=min_voting_period_,
        max_voting_period=max_voting_period_,
        objection_window=objection_window_,
        queue_window=queue_window_,
    )


@internal
@view
def _class_of(target: address, calldata_: Bytes[MAX_CALLDATA]) -> uint8:
    """
    @dev The class of one call. The assembly's, the constitution's and the
         timelock's own functions are fixed here, not in the table: only the voting
         rules and the table may be changed (major), the co-signer threshold
         lowered (ordinary), and the timelock's roles and
         queue never by a proposal. Every other call: the Constitution's table.
    @param target The call's target.
    @param calldata_ The call's calldata.
    @return 1 ordinary, 2 major, 3 forbidden.
    """
    selector: bytes4 = empty(bytes4)
    if len(calldata_) >= 4:
        selector = convert(slice(calldata_, 0, 4), bytes4)
    if target == self:
        if selector == method_id("set_voting_rules(uint256,uint256,uint256,uint256,uint256)", output_type=bytes4):
            return CLASS_MAJOR
        # A rule of procedure that can only lower the bar for owners' motions.
        if selector == method_id("set_cosign_threshold(uint256)", output_type=bytes4):
            return CLASS_ORDINARY
        return CLASS_FORBIDDEN
    if target == constitution.address:
        if selector == method_id("set_call_class((address,bytes4,bool,bytes32,uint8)[])", output_type=bytes4):
            return CLASS_MAJOR
        return CLASS_FORBIDDEN
    if target == timelock.address:
        if selector == method_id("update_delay(uint256)", output_type=bytes4):
            return CLASS_MAJOR
        return CLASS_FORBIDDEN
    return staticcall constitution.class_of(target, calldata_)


@internal
@pure
def _hash_calls(
    targets: DynArray[address, MAX_CALLS],
    values: DynArray[uint256, MAX_CALLS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS],
    doc_hash: bytes32,
) -> bytes32:
    """
    @dev The hash of a proposal's calls and document (OpenZeppelin Governor's
         hashProposal layout, with the document hash as description hash).
    @param targets The proposal's targets.
    @param values The proposal's values.
    @param calldatas The proposal's calldata.
    @param doc_hash The proposal's document hash.
    @return The hash.
    """
    return keccak256(abi_encode(targets, values, calldatas, doc_hash))


@internal
@pure
def _proposal_id(calls_hash: bytes32, proposer_: address, nonce: uint256) -> uint256:
    """
    @dev A proposal's id: its calls, its proposer and the proposer's nonce.
    @param calls_hash `_hash_calls` of the proposal.
    @param proposer_ Who proposes it.
    @param nonce The proposer's nonce.
    @return The id.
    """
    return convert(keccak256(abi_encode(calls_hash, proposer_, nonce)), uint256)


@internal
@view
def _checked_core(
    proposal_id: uint256,
    targets: DynArray[address, MAX_CALLS],
    values: DynArray[uint256, MAX_CALLS],
    calldatas: DynArray[Bytes[MAX_CALLDATA], MAX_CALLS],
    doc_hash: bytes32,
) -> uint256:
    """
    @dev The proposal's packed word, once the calls given are the ones voted on.
    @param proposal_id The proposal.
    @param targets The proposal's targets.
    @param values The proposal's values.
    @param calldatas The proposal's calldata.
    @param doc_hash The proposal's document hash.
    @return The packed word.
    """
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    origin: uint256 = self._origin[proposal_id]
    calls_hash: bytes32 = self._hash_calls(targets, values, calldatas, doc_hash)
    assert self._proposal_id(calls_hash, convert(origin & MASK160, address), origin >> 160) == proposal_id, "assembly: not the proposal's calls"
    return core


@internal
@view
def _only_assembly():
    """
    @dev The registry's ASSEMBLY_ROLE: the timelock (the deployer while it wires).
    """
    assert staticcall registry.hasRole(ASSEMBLY_ROLE, msg.sender), "assembly: assembly only"


@internal
@pure
def _salt(proposal_id: uint256, index: uint256) -> bytes32:
    """
    @dev The timelock salt of a proposal's call number `index`.
    @param proposal_id The proposal.
    @param index The call's position (0-based).
    @return The salt.
    """
    return keccak256(abi_encode(proposal_id, index))


@internal
@view
def _ballot_digest(proposal_id: uint256, support: uint8, voter: address) -> bytes32:
    """
    @dev The EIP-712 digest of Ballot(proposalId, support, voter) in this domain.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param voter The owner wallet.
    @return The digest.
    """
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(BALLOT_TYPEHASH, proposal_id, support, voter))
    )


@internal
@view
def _try_weight(wallet: address, snapshot: uint256) -> (bool, uint256, uint256):
    """
    @dev registry.voting_weight in one static call; a wallet bound to no identity
         makes the registry revert, which becomes (False, 0, 0) so callers give
         the assembly's own reason.
    @param wallet The wallet.
    @param snapshot The snapshot block (in the past).
    @return bound, identity index, area at the snapshot
    """
    ok: bool = False
    response: Bytes[64] = b""
    ok, response = raw_call(
        registry.address,
        abi_encode(wallet, snapshot, method_id=method_id("voting_weight(address,uint256)")),
        max_outsize=64,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not ok or len(response) != 64:
        return (False, 0, 0)
    identity: uint256 = 0
    area: uint256 = 0
    identity, area = abi_decode(response, (uint256, uint256))
    return (True, identity, area)


@internal
@view
def _vote_weight(wallet: address, snapshot: uint256) -> (uint256, uint256):
    """
    @dev The identity and snapshot area of a wallet that has a vote; reverts otherwise
         (the registry's own reasons: not an owner wallet, recovery pending, wallet
         bound after the snapshot).
    @param wallet The wallet.
    @param snapshot The snapshot block.
    @return identity index, area at the snapshot (> 0)
    """
    identity: uint256 = 0
    area: uint256 = 0
    identity, area = staticcall registry.voting_weight(wallet, snapshot)
    assert area != 0, "assembly: no vote at the snapshot"
    return (identity, area)


@internal
@view
def _identity(wallet: address) -> uint256:
    """
    @dev The identity bound to `wallet` now; reverts for any other wallet.
    @param wallet The wallet.
    @return The identity index.
    """
    bound: bool = False
    identity: uint256 = 0
    bound, identity = staticcall registry.identity_of(wallet)
    assert bound, "assembly: not an owner wallet"
    return identity


@internal
@view
def _delegate_of(owner: address, proposal_id: uint256) -> address:
    """
    @dev The per-proposal delegate of an owner wallet, else its standing delegate.
    @param owner The owner wallet.
    @param proposal_id The proposal.
    @return The delegate (zero if none).
    """
    d: address = self._proposal_delegate[proposal_id][owner]
    if d == empty(address):
        d = self._standing_delegate[owner]
    return d


@internal
@view
def _check_not_over(proposal_id: uint256):
    """
    @dev Revert unless the proposal exists and its vote has not ended.
    @param proposal_id The proposal.
    """
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    state: uint8 = self._state(proposal_id, core)
    assert state == STATE_PENDING or state == STATE_GATHERING or state == STATE_ACTIVE, "assembly: voting is over"


@internal
@view
def _open_snapshot(proposal_id: uint256, support: uint8) -> uint256:
    """
    @dev The checks every ballot shares, on one storage read: valid choice, known
         proposal, not canceled, co-signed, inside the voting window.
    @param proposal_id The proposal.
    @param support The choice.
    @return The proposal's snapshot block.
    """
    assert support <= VOTE_ABSTAIN, "assembly: invalid vote type"
    core: uint256 = self._core[proposal_id]
    assert core != 0, "assembly: unknown proposal"
    flags: uint256 = core >> SHIFT_FLAGS
    if flags & (F_CANCELED | F_GATHERING) != 0:
        assert flags & F_CANCELED == 0, "assembly: proposal canceled"
        raise "assembly: proposal lacks co-signers"
    assert block.timestamp >= core & MASK40, "assembly: voting not started"
    assert block.timestamp < (core >> SHIFT_END) & MASK40, "assembly: voting closed"
    return (core >> SHIFT_SNAPSHOT) & MASK48


@internal
def _count(proposal_id: uint256, identity: uint256, area: uint256, support: uint8, voter: address, channel: uint256):
    """
    @dev Count one identity's ballot: write its four-bit record (64 identities per
         word, also the replay guard of signed ballots) and add area and one head
         to the choice's packed tally word; a ballot it replaces comes off its
         own choice's word first. Logs VoteCast and VoteTallied (and, for a
         replaced ballot, VoteChanged and the old choice's VoteTallied).
    @param proposal_id The proposal.
    @param identity The voter's identity index.
    @param area The identity's area at the snapshot (the same for every ballot of it).
    @param support The choice.
    @param voter The owner wallet logged as voter.
    @param channel CHANNEL_OWN, CHANNEL_DELEGATE, CHANNEL_PAPER or CHANNEL_SIGNED.
    """
    key: uint256 = identity >> 6
    offset: uint256 = (identity & 63) << 2
    word: uint256 = self._ballots[proposal_id][key]
    standing: uint256 = (word >> offset) & 15
    weight: uint256 = (area << SHIFT_TALLY_AREA) | 1
    if standing != 0:
        previous_channel: uint256 = standing >> 2
        # Only the owner's own ballot replaces one: theirs from their wallet, or
        # their delegate's; a signature (no nonce) replaces a delegate's only.
        assert channel != CHANNEL_DELEGATE and (channel != CHANNEL_SIGNED or previous_channel == CHANNEL_DELEGATE), "assembly: already voted"
        assert previous_channel != CHANNEL_PAPER, "assembly: voted on paper"
        assert channel == CHANNEL_OWN or previous_channel == CHANNEL_DELEGATE, "assembly: owner voted online"
        # standing is 1..15, so its choice is 0..2 (written below as support + 1).
        previous: uint256 = unsafe_sub(standing & 3, 1)
        # The standing ballot's weight is in its tally word: no underflow.
        old_tally: uint256 = unsafe_sub(self._tally[proposal_id][previous], weight)
        self._tally[proposal_id][previous] = old_tally
        log VoteTallied(proposalId=proposal_id, support=convert(previous, uint8), area=old_tally >> SHIFT_TALLY_AREA, heads=old_tally & MASK32)
        log VoteChanged(
            proposalId=proposal_id,
            voter=voter,
            identity=identity,
            previous_support=convert(previous, uint8),
            previous_channel=convert(previous_channel, uint8),
            support=support,
            channel=convert(channel, uint8),
        )
    choice: uint256 = convert(support, uint256)
    self._ballots[proposal_id][key] = (word & ~(15 << offset)) | ((choice + 1 | channel << 2) << offset)
    # One word per choice: area above bit 32, one more head below it.
    tally: uint256 = self._tally[proposal_id][choice] + weight
    self._tally[proposal_id][choice] = tally
    log VoteCast(voter=voter, proposalId=proposal_id, support=support, weight=area, reason="")
    log VoteTallied(proposalId=proposal_id, support=support, area=tally >> SHIFT_TALLY_AREA, heads=tally & MASK32)


@internal
@view
def _state(proposal_id: uint256, core: uint256) -> uint8:
    """
    @dev The proposal's state from its packed word (and, after the vote, the tallies).
    @param proposal_id The proposal.
    @param core The proposal's packed word (non-zero).
    @return The state number.
    """
    flags: uint256 = (core >> SHIFT_FLAGS) & MASK8
    if flags & F_EXECUTED != 0:
        return STATE_EXECUTED
    if flags & F_CANCELED != 0:
        return STATE_CANCELED
    if flags & F_QUEUED != 0:
        return STATE_QUEUED
    if block.timestamp < core & MASK40:
        if flags & F_GATHERING != 0:
            return STATE_GATHERING
        return STATE_PENDING
    if flags & F_GATHERING != 0:
        return STATE_EXPIRED
    vote_end: uint256 = (core >> SHIFT_END) & MASK40
    if block.timestamp < vote_end:
        return STATE_ACTIVE
    total_area: uint256 = 0
    total_heads: uint256 = 0
    total_area, total_heads = staticcall registry.totals_at((core >> SHIFT_SNAPSHOT) & MASK48)
    if not self._outcome(proposal_id, core, total_area, total_heads)[1]:
        return STATE_DEFEATED
    # Passed: announced until PaperBallots publishes the final result, which
    # follows the preliminary result and its objection period (≥ the window).
    if block.timestamp >= vote_end + ((core >> SHIFT_WINDOW) & MASK32) + (core >> SHIFT_QUEUE) * DAY:
        return STATE_EXPIRED
    if flags & F_FINALIZED == 0:
        return STATE_ANNOUNCED
    return STATE_SUCCEEDED


@internal
@view
def _outcome(proposal_id: uint256, core: uint256, total_area: uint256, total_heads: uint256) -> (bool, bool):
    """
    @dev The statute applied to the proposal's three tally words.
    @param proposal_id The proposal.
    @param core The proposal's packed word.
    @param total_area Exclusive area at the snapshot.
    @param total_heads Owners at the snapshot.
    @return (turnout met, passed)
    """
    # Passed by the non-voter rule (PaperBallots' preliminary result counted served
    # non-voters with the majority of those who voted, 指导规则 第二十六条第二款).
    if staticcall IPaperBallots(paper_ballots).deemed_pass(proposal_id):
        return (True, True)
    t_for: uint256 = self._tally[proposal_id][convert(VOTE_FOR, uint256)]
    t_against: uint256 = self._tally[proposal_id][convert(VOTE_AGAINST, uint256)]
    t_abstain: uint256 = self._tally[proposal_id][convert(VOTE_ABSTAIN, uint256)]
    return statute._outcome(
        (core >> SHIFT_FLAGS) & F_MAJOR != 0,
        total_area,
        total_heads,
        t_for >> SHIFT_TALLY_AREA,
        t_for & MASK32,
        t_against >> SHIFT_TALLY_AREA,
        t_against & MASK32,
        t_abstain >> SHIFT_TALLY_AREA,
        t_abstain & MASK32,
    )


@internal
def _log_result(proposal_id: uint256, core: uint256, objection_ends: uint256) -> bool:
    """
    @dev Log the final tallies and result (ProposalTallied).
    @param proposal_id The proposal.
    @param core The proposal's packed word.
    @param objection_ends When the objection period ended.
    @return Whether the proposal passed.
    """
    total_area: uint256 = 0
    total_heads: uint256 = 0
    total_area, total_heads = staticcall registry.totals_at((core >> SHIFT_SNAPSHOT) & MASK48)
    turnout: bool = False
    passed: bool = False
    turnout, passed = self._outcome(proposal_id, core, total_area, total_heads)
    t_for: uint256 = self._tally[proposal_id][convert(VOTE_FOR, uint256)]
    t_against: uint256 = self._tally[proposal_id][convert(VOTE_AGAINST, uint256)]
    t_abstain: uint256 = self._tally[proposal_id][convert(VOTE_ABSTAIN, uint256)]
    log ProposalTallied(
        proposalId=proposal_id,
        passed=passed,
        turnout_met=turnout,
        for_area=t_for >> SHIFT_TALLY_AREA,
        for_heads=t_for & MASK32,
        against_area=t_against >> SHIFT_TALLY_AREA,
        against_heads=t_against & MASK32,
        abstain_area=t_abstain >> SHIFT_TALLY_AREA,
        abstain_heads=t_abstain & MASK32,
        total_area=total_area,
        total_heads=total_heads,
        objection_ends=objection_ends,
    )
    return passed
