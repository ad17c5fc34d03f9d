# pragma version 0.4.3
"""
@title HouseholdRegistry
@custom:contract-name HouseholdRegistry
@license GNU Affero General Public License v3.0 only
@notice The source of truth for who belongs to the community and how much each
        owner weighs in the owners' assembly.

        - A unit (专有部分) has a label ("3-2-1201"), an exclusive area in 0.01 m²
          and an owner identity. An owner identity is a salted hash commitment made
          off chain (never a name, phone or ID number) bound to one wallet.
        - Counting follows the Supreme People's Court interpretation of 民法典
          第二百七十八条: one owner identity is one head however many units it holds;
          a developer's unsold units are registered under the developer's single
          identity and therefore count together as one head.
        - Each identity has a dense index (0, 1, 2, …). Its weight (area, unit
          count) and the block it took effect are packed in one word, so the
          assembly answers "weight at snapshot block B" with one storage read when
          nothing changed since B, and by binary search over the history otherwise
          (as OpenZeppelin's Votes does). Totals (area, heads) are checkpointed the
          same way.
        - A household is an owner identity together with the residents linked to
          its units (family, tenants): they are members (earn and spend points,
          request services) but do not vote. A link needs both sides: the unit's
          owner invites a wallet and the wallet accepts in its own transaction. A
          sale of the unit ends the links made under the seller. A wallet keeps
          the household it last belonged to (`household_key`) after it leaves, so
          leaving never starts a fresh points count.
        - One commitment, one person: an owner identity's commitment is never a
          resident's, and a resident commitment belongs to one linked wallet.
        - A sale of a unit and the recovery of a lost wallet are requested by the
          committee (a recovery with the hash of its identity evidence) and take
          effect after `change_delay`, which only the assembly sets. The owner may
          object once, which adds another `change_delay`; only the committee may
          withdraw its request. While a recovery is pending the identity's wallet
          has no vote (`voting_weight` refuses it), and a wallet bound to an
          identity after a proposal's snapshot has no vote on that proposal.
        - Roles follow the Civil Code's order of power (arts. 278-282): the owners'
          assembly (ASSEMBLY_ROLE, held by its timelock) is the root and the admin
          of itself, of the committee, of the property manager and of auditors;
          the committee (a Safe multisig) administers the operational roles it
          grants (cashier, merchant, provider). The deployer holds ASSEMBLY_ROLE
          only while it wires the deployment, then hands it to the timelock.
@custom:security The committee is trusted to register units truthfully and to
                 request recoveries on evidence (its hash is on the record); the
                 chain makes each registration public and each sale or recovery
                 delayed, objectionable once, and not vetoable by a stolen key. Weights read for a block in the past are
                 final; reads for the current or a future block revert, so a vote
                 can never be weighted by state that may still change.
                 ASSEMBLY_ROLE can never be left without a holder, and a committee
                 holder can never also hold a role that is paid or spends (manager,
                 cashier, merchant, provider): the committee cannot pay itself.
"""

from snekmate.auth import access_control
from snekmate.auth.interfaces import IAccessControl

initializes: access_control

exports: (
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
)


interface IMerchantSync:
    def sync_merchant(account: address): nonpayable


# Roles. The assembly administers itself, the committee, the manager and auditors;
# the committee administers the operational roles it grants. Nobody keeps snekmate's
# DEFAULT_ADMIN_ROLE (given up in the constructor).
ASSEMBLY_ROLE: public(constant(bytes32)) = keccak256("linli.role.assembly")
COMMITTEE_ROLE: public(constant(bytes32)) = keccak256("linli.role.committee")
MANAGER_ROLE: public(constant(bytes32)) = keccak256("linli.role.manager")
CASHIER_ROLE: public(constant(bytes32)) = keccak256("linli.role.cashier")
MERCHANT_ROLE: public(constant(bytes32)) = keccak256("linli.role.merchant")
PROVIDER_ROLE: public(constant(bytes32)) = keccak256("linli.role.provider")
AUDITOR_ROLE: public(constant(bytes32)) = keccak256("linli.role.auditor")

# Units per register_units call: a unit with a new owner and a full 32-character label
# costs ~240k gas, so 60 stay under the 16,777,216 gas a transaction may use (EIP-7825,
# Osaka); 100 (~21.6M) did not.
MAX_BATCH: constant(uint256) = 60
MAX_LABEL: constant(uint256) = 32
# Room for 2**32 checkpoints per identity: binary search needs at most 32 steps.
SEARCH_STEPS: constant(uint256) = 32
MIN_CHANGE_DELAY: constant(uint256) = 3600
MAX_CHANGE_DELAY: constant(uint256) = 90 * 86400

MASK32: constant(uint256) = 2**32 - 1
MASK64: constant(uint256) = 2**64 - 1
MAX_AREA: constant(uint256) = 2**64 - 1

# Packed checkpoint word (identity weight or community totals):
#   bits   0..63  block the value took effect
#   bits  64..95  number of superseded checkpoints kept in the history (latest word only)
#   bits  96..127 unit count (identity) or heads (totals)
#   bits 128..255 exclusive area in 0.01 m²
SHIFT_N: constant(uint256) = 64
SHIFT_COUNT: constant(uint256) = 96
SHIFT_AREA: constant(uint256) = 128

# Checkpoint key of the community totals, above any identity index.
TOTALS_KEY: constant(uint256) = 2**32
# Household keys (`household_of`, `household_key`): an owner identity's index + 1
# (1..2**32), shared by the residents linked to its units; 0: no household.

# Packed unit word: bits 0..31 identity index, bits 32..95 area in 0.01 m²,
# bits 96..127 sales so far (a resident's link names the sale it was made under).
SHIFT_UNIT_AREA: constant(uint256) = 32
SHIFT_SALES: constant(uint256) = 96

# Wallet word (`_identity_by_wallet`): bits 0..31 identity index + 1 (0: not an
# owner wallet), bits 32..95 the block it was bound in, bit 96 a recovery of its
# identity is pending. One read tells the assembly all three.
SHIFT_BOUND: constant(uint256) = 32
RECOVERY_PENDING: constant(uint256) = 2**96

# Resident word (`_resident`): bits 0..63 unit id (0: not linked), bits 64..95 the
# unit's sale count when linked (the link ends with the next sale), bits 96..127
# the household (identity + 1) it joined, kept after the link ends.
SHIFT_LINK_SALE: constant(uint256) = 64
SHIFT_HOUSEHOLD: constant(uint256) = 96


struct NewUnit:
    label: String[MAX_LABEL]
    area: uint256
    owner: address
    commitment: bytes32


struct PendingTransfer:
    new_owner: address
    commitment: bytes32
    eta: uint256
    objected: bool


struct PendingRecovery:
    new_wallet: address
    eta: uint256
    evidence_hash: bytes32
    objected: bool


community_name: public(String[64])
# Holders of ASSEMBLY_ROLE (the timelock; the deployer too while it wires): never 0.
assembly_holders: public(uint256)
# Seconds between a committee request (sale, recovery) and the moment it can take effect.
change_delay: public(uint256)
# CommunityPoints, told when the merchant role changes so its transfer rule stays in sync.
points: public(address)
# The developer's identity commitment (its unsold units); informational, counting needs no flag.
developer_commitment: public(bytes32)

unit_count: public(uint256)
_unit_word: HashMap[uint256, uint256]
unit_label: public(HashMap[uint256, String[MAX_LABEL]])
_unit_by_label: HashMap[bytes32, uint256]

identity_count: public(uint256)
# commitment -> index + 1 (0: unknown)
_identity_by_commitment: HashMap[bytes32, uint256]
identity_commitment: public(HashMap[uint256, bytes32])
identity_wallet: public(HashMap[uint256, address])
# wallet -> wallet word (see SHIFT_BOUND): identity index + 1, bound block, recovery flag
_identity_by_wallet: HashMap[address, uint256]

# Checkpoints keyed by identity index; the community totals live under TOTALS_KEY.
_latest: HashMap[uint256, uint256]
_history: HashMap[uint256, HashMap[uint256, uint256]]

# Residents who are not owners: wallet -> resident word (see SHIFT_LINK_SALE), the
# commitment of its latest link, and commitment -> the wallet it was last linked with.
_resident: HashMap[address, uint256]
resident_commitment: public(HashMap[address, bytes32])
_resident_by_commitment: HashMap[bytes32, address]
# unit -> invited wallet -> keccak256(commitment, the unit's sale count): the owner's
# side of a link, waiting for the wallet's acceptance.
_invitation: HashMap[uint256, HashMap[address, bytes32]]

pending_transfer: public(HashMap[uint256, PendingTransfer])
pending_recovery: public(HashMap[uint256, PendingRecovery])


event UnitRegistered:
    unit_id: indexed(uint256)
    label: String[MAX_LABEL]
    area: uint256
    owner: indexed(address)
    commitment: indexed(bytes32)
    identity: uint256
    block_number: uint256

event UnitAreaChanged:
    unit_id: indexed(uint256)
    label: String[MAX_LABEL]
    old_area: uint256
    new_area: uint256
    block_number: uint256

event OwnerWeightChanged:
    identity: indexed(uint256)
    commitment: indexed(bytes32)
    wallet: indexed(address)
    area: uint256
    units: uint256
    block_number: uint256

event TotalsChanged:
    area: uint256
    heads: uint256
    block_number: uint256

event TransferRequested:
    unit_id: indexed(uint256)
    current_owner: indexed(address)
    new_owner: indexed(address)
    commitment: bytes32
    eta: uint256

event TransferObjected:
    unit_id: indexed(uint256)
    owner: indexed(address)
    reason_hash: bytes32
    eta: uint256

event TransferCancelled:
    unit_id: indexed(uint256)
    cancelled_by: indexed(address)

event UnitTransferred:
    unit_id: indexed(uint256)
    previous_owner: indexed(address)
    new_owner: indexed(address)
    label: String[MAX_LABEL]
    area: uint256
    previous_identity: uint256
    new_identity: uint256
    commitment: bytes32
    block_number: uint256

event RecoveryRequested:
    identity: indexed(uint256)
    current_wallet: indexed(address)
    new_wallet: indexed(address)
    evidence_hash: bytes32
    eta: uint256

event RecoveryObjected:
    identity: indexed(uint256)
    wallet: indexed(address)
    reason_hash: bytes32
    eta: uint256

event RecoveryCancelled:
    identity: indexed(uint256)
    cancelled_by: indexed(address)

event WalletRecovered:
    identity: indexed(uint256)
    previous_wallet: indexed(address)
    new_wallet: indexed(address)
    commitment: bytes32
    block_number: uint256

event ResidentInvited:
    unit_id: indexed(uint256)
    wallet: indexed(address)
    commitment: bytes32
    invited_by: indexed(address)

event ResidentLinked:
    unit_id: indexed(uint256)
    wallet: indexed(address)
    commitment: bytes32
    linked_by: address
    household: uint256

event ResidentUnlinked:
    unit_id: indexed(uint256)
    wallet: indexed(address)
    unlinked_by: address

event ChangeDelaySet:
    delay: uint256

event PointsContractSet:
    points: indexed(address)

event DeveloperSet:
    commitment: indexed(bytes32)


@deploy
def __init__(community_name_: String[64], committee: address, change_delay_: uint256):
    """
    @notice Create the registry of one community.
    @param community_name_ The community's name (public, not personal data).
    @param committee The owners' committee (its Safe multisig; any address in tests).
    @param change_delay_ Seconds a sale or wallet recovery waits before it can take effect.
    @dev The deployer holds ASSEMBLY_ROLE until the deploy hands it to the assembly's
         timelock (`grantRole` to the timelock, then `renounceRole`).
    """
    assert committee != empty(address), "registry: committee is the zero address"
    assert change_delay_ >= MIN_CHANGE_DELAY and change_delay_ <= MAX_CHANGE_DELAY, "registry: delay out of range"
    access_control.__init__()
    access_control._grant_role(ASSEMBLY_ROLE, msg.sender)
    self.assembly_holders = 1
    access_control._grant_role(COMMITTEE_ROLE, committee)
    access_control._set_role_admin(ASSEMBLY_ROLE, ASSEMBLY_ROLE)
    access_control._set_role_admin(COMMITTEE_ROLE, ASSEMBLY_ROLE)
    access_control._set_role_admin(MANAGER_ROLE, ASSEMBLY_ROLE)
    access_control._set_role_admin(AUDITOR_ROLE, ASSEMBLY_ROLE)
    access_control._set_role_admin(CASHIER_ROLE, COMMITTEE_ROLE)
    access_control._set_role_admin(MERCHANT_ROLE, COMMITTEE_ROLE)
    access_control._set_role_admin(PROVIDER_ROLE, COMMITTEE_ROLE)
    # Nobody keeps the snekmate default admin: the roles above administer everything.
    access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    self.community_name = community_name_
    self.change_delay = change_delay_
    log ChangeDelaySet(delay=change_delay_)


# ---------------------------------------------------------------- roles


@external
@nonreentrant
def grantRole(role: bytes32, account: address):
    """
    @notice Grant `role` to `account`; the caller must hold the role's admin role
            (the assembly for the assembly, committee, manager and auditor roles; the
            committee for cashier, merchant and provider).
    @dev Wraps snekmate's grantRole so CommunityPoints learns of merchant changes and
         the committee never holds a role that is paid or spends.
    @param role The role identifier.
    @param account The wallet or contract that receives the role.
    """
    assert access_control.hasRole[access_control.getRoleAdmin[role]][msg.sender], "registry: caller is not the role's admin"
    assert account != empty(address), "registry: role for the zero address"
    if role == COMMITTEE_ROLE:
        assert not self._holds_paid_role(account), "registry: the committee cannot hold a paid role"
    elif self._is_paid_role(role):
        assert not access_control.hasRole[COMMITTEE_ROLE][account], "registry: the committee cannot hold a paid role"
    if role == ASSEMBLY_ROLE and not access_control.hasRole[ASSEMBLY_ROLE][account]:
        self.assembly_holders += 1
    access_control._grant_role(role, account)
    self._sync_merchant(role, account)


@external
@nonreentrant
def revokeRole(role: bytes32, account: address):
    """
    @notice Revoke `role` from `account`; the caller must hold the role's admin role.
    @param role The role identifier.
    @param account The wallet or contract that loses the role.
    """
    assert access_control.hasRole[access_control.getRoleAdmin[role]][msg.sender], "registry: caller is not the role's admin"
    self._drop_role(role, account)


@external
@nonreentrant
def renounceRole(role: bytes32, account: address):
    """
    @notice Give up one of your own roles (a committee that resigns, a merchant that
            closes). The assembly's role cannot be left without a holder.
    @param role The role identifier.
    @param account Your own address (a guard against renouncing by mistake).
    """
    assert account == msg.sender, "registry: can only renounce roles for itself"
    self._drop_role(role, account)


@external
def set_points(points_: address):
    """
    @notice Name the CommunityPoints contract to keep in sync with the merchant role.
    @param points_ The CommunityPoints address (zero to stop syncing).
    """
    self._only_assembly()
    self.points = points_
    log PointsContractSet(points=points_)


@external
def set_change_delay(delay: uint256):
    """
    @notice Set the delay of sales and wallet recoveries requested from now on.
    @param delay Seconds, between one hour and 90 days.
    """
    self._only_assembly()
    assert delay >= MIN_CHANGE_DELAY and delay <= MAX_CHANGE_DELAY, "registry: delay out of range"
    self.change_delay = delay
    log ChangeDelaySet(delay=delay)


@external
def set_developer(commitment: bytes32):
    """
    @notice Mark the identity commitment under which the developer's unsold units
            are registered, so pages and reports can show it as the developer.
    @param commitment The developer's identity commitment.
    """
    self._only_committee()
    assert commitment != empty(bytes32), "registry: empty commitment"
    self.developer_commitment = commitment
    log DeveloperSet(commitment=commitment)


# ---------------------------------------------------------------- units


@external
def register_unit(label: String[MAX_LABEL], area: uint256, owner: address, commitment: bytes32) -> uint256:
    """
    @notice Register one unit and its owner.
    @param label The unit's label, e.g. "3-2-1201"; unique in the community.
    @param area Exclusive area in 0.01 m² (> 0).
    @param owner The owner's wallet.
    @param commitment The owner's identity commitment (salted hash made off chain).
    @return The new unit id (1, 2, …).
    """
    self._only_committee()
    unit_id: uint256 = 0
    new_head: uint256 = 0
    unit_id, new_head = self._register(label, area, owner, commitment)
    totals: uint256 = self._latest[TOTALS_KEY]
    self._write_totals(self._area_of(totals) + area, self._count_of(totals) + new_head)
    return unit_id


@external
def register_units(units: DynArray[NewUnit, MAX_BATCH]) -> uint256:
    """
    @notice Register up to 60 units in one transaction (the CSV import uses this).
    @param units The units; every one is checked, and one bad unit reverts all.
    @return The id of the first unit registered.
    """
    self._only_committee()
    assert len(units) > 0, "registry: empty batch"
    first: uint256 = self.unit_count + 1
    added_area: uint256 = 0
    added_heads: uint256 = 0
    for u: NewUnit in units:
        new_head: uint256 = 0
        _: uint256 = 0
        _, new_head = self._register(u.label, u.area, u.owner, u.commitment)
        added_area += u.area
        added_heads += new_head
    # One totals checkpoint per batch, not per unit.
    totals: uint256 = self._latest[TOTALS_KEY]
    self._write_totals(self._area_of(totals) + added_area, self._count_of(totals) + added_heads)
    return first


@external
def set_unit_area(unit_id: uint256, new_area: uint256):
    """
    @notice Correct a unit's exclusive area (e.g. after a re-survey). Votes already
            open keep the area of their snapshot.
    @param unit_id The unit.
    @param new_area The new exclusive area in 0.01 m² (> 0).
    """
    self._only_committee()
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    assert new_area > 0 and new_area <= MAX_AREA, "registry: area out of range"
    idx: uint256 = word & MASK32
    old_area: uint256 = (word >> SHIFT_UNIT_AREA) & MASK64
    self._unit_word[unit_id] = (word & ~(MASK64 << SHIFT_UNIT_AREA)) | (new_area << SHIFT_UNIT_AREA)
    weight: uint256 = self._latest[idx]
    self._write_weight(idx, self._area_of(weight) + new_area - old_area, self._count_of(weight))
    totals: uint256 = self._latest[TOTALS_KEY]
    self._write_totals(self._area_of(totals) + new_area - old_area, self._count_of(totals))
    log UnitAreaChanged(unit_id=unit_id, label=self.unit_label[unit_id], old_area=old_area, new_area=new_area, block_number=block.number)


# ---------------------------------------------------------------- sale of a unit


@external
def request_transfer(unit_id: uint256, new_owner: address, commitment: bytes32):
    """
    @notice Start the transfer of a unit to a new owner (a sale, an inheritance).
            It can take effect after `change_delay`; the current owner may object
            once (another `change_delay`), and only the committee may withdraw it.
    @param unit_id The unit.
    @param new_owner The new owner's wallet.
    @param commitment The new owner's identity commitment.
    """
    self._only_committee()
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    assert new_owner != empty(address), "registry: owner is the zero address"
    assert commitment != empty(bytes32), "registry: empty commitment"
    current_idx: uint256 = word & MASK32
    assert self.identity_commitment[current_idx] != commitment, "registry: already the owner"
    self._check_binding(new_owner, commitment)
    eta: uint256 = block.timestamp + self.change_delay
    self.pending_transfer[unit_id] = PendingTransfer(new_owner=new_owner, commitment=commitment, eta=eta, objected=False)
    log TransferRequested(
        unit_id=unit_id, current_owner=self.identity_wallet[current_idx], new_owner=new_owner, commitment=commitment, eta=eta
    )


@external
def object_transfer(unit_id: uint256, reason_hash: bytes32):
    """
    @notice The unit's owner objects to a pending transfer, once: it can take
            effect `change_delay` later than it would have. An objection cannot
            cancel it: the committee answers it, and may withdraw its request.
    @param unit_id The unit.
    @param reason_hash Hash of the owner's reasons, kept off chain (may be zero).
    """
    pending: PendingTransfer = self.pending_transfer[unit_id]
    assert pending.eta != 0, "registry: no pending transfer"
    assert msg.sender == self.identity_wallet[self._unit_word[unit_id] & MASK32], "registry: only the unit's owner"
    assert not pending.objected, "registry: already objected"
    eta: uint256 = pending.eta + self.change_delay
    self.pending_transfer[unit_id] = PendingTransfer(
        new_owner=pending.new_owner, commitment=pending.commitment, eta=eta, objected=True
    )
    log TransferObjected(unit_id=unit_id, owner=msg.sender, reason_hash=reason_hash, eta=eta)


@external
def cancel_transfer(unit_id: uint256):
    """
    @notice The committee withdraws its pending transfer request.
    @param unit_id The unit.
    """
    self._only_committee()
    assert self.pending_transfer[unit_id].eta != 0, "registry: no pending transfer"
    self.pending_transfer[unit_id] = empty(PendingTransfer)
    log TransferCancelled(unit_id=unit_id, cancelled_by=msg.sender)


@external
def execute_transfer(unit_id: uint256):
    """
    @notice Complete a transfer whose delay has passed; anyone may call. The links
            of the unit's residents, made under the seller, end with it.
    @param unit_id The unit.
    """
    pending: PendingTransfer = self.pending_transfer[unit_id]
    assert pending.eta != 0, "registry: no pending transfer"
    assert block.timestamp >= pending.eta, "registry: transfer delay not over"
    self.pending_transfer[unit_id] = empty(PendingTransfer)
    # The binding may have changed during the delay (another registration, a recovery).
    self._check_binding(pending.new_owner, pending.commitment)

    word: uint256 = self._unit_word[unit_id]
    old_idx: uint256 = word & MASK32
    area: uint256 = (word >> SHIFT_UNIT_AREA) & MASK64
    new_idx: uint256 = self._identity_for(pending.commitment, pending.new_owner)
    # One more sale: every link that names the previous count has ended. 2**32 sales
    # of one unit cannot happen (each waits at least MIN_CHANGE_DELAY).
    sales: uint256 = unsafe_add((word >> SHIFT_SALES) & MASK32, 1)
    self._unit_word[unit_id] = (sales << SHIFT_SALES) | (area << SHIFT_UNIT_AREA) | new_idx

    totals: uint256 = self._latest[TOTALS_KEY]
    heads: uint256 = self._count_of(totals)
    old_weight: uint256 = self._latest[old_idx]
    old_units: uint256 = self._count_of(old_weight) - 1
    self._write_weight(old_idx, self._area_of(old_weight) - area, old_units)
    if old_units == 0:
        heads -= 1
    new_weight: uint256 = self._latest[new_idx]
    new_units: uint256 = self._count_of(new_weight) + 1
    self._write_weight(new_idx, self._area_of(new_weight) + area, new_units)
    if new_units == 1:
        heads += 1
    self._write_totals(self._area_of(totals), heads)

    log UnitTransferred(
        unit_id=unit_id,
        previous_owner=self.identity_wallet[old_idx],
        new_owner=pending.new_owner,
        label=self.unit_label[unit_id],
        area=area,
        previous_identity=old_idx,
        new_identity=new_idx,
        commitment=pending.commitment,
        block_number=block.number,
    )


# ---------------------------------------------------------------- lost wallet


@external
def request_recovery(current_wallet: address, new_wallet: address, evidence_hash: bytes32):
    """
    @notice Start moving an owner identity to a new wallet (lost or stolen key), on
            the committee's identity evidence (the vault's check of the ID number
            against the commitment), whose hash goes on the record. It can take
            effect after `change_delay`. Until it completes or the committee
            withdraws it, `current_wallet` has no vote and cannot delegate.
    @param current_wallet The identity's wallet today.
    @param new_wallet The wallet that will replace it.
    @param evidence_hash Hash of the committee's evidence, kept off chain.
    """
    self._only_committee()
    assert evidence_hash != empty(bytes32), "registry: empty evidence hash"
    word: uint256 = self._identity_by_wallet[current_wallet]
    assert word != 0, "registry: not an owner wallet"
    identity: uint256 = (word & MASK32) - 1
    assert word & RECOVERY_PENDING == 0, "registry: recovery already pending"
    self._check_free_wallet(new_wallet)
    eta: uint256 = block.timestamp + self.change_delay
    self.pending_recovery[identity] = PendingRecovery(new_wallet=new_wallet, eta=eta, evidence_hash=evidence_hash, objected=False)
    self._identity_by_wallet[current_wallet] = word | RECOVERY_PENDING
    log RecoveryRequested(
        identity=identity, current_wallet=current_wallet, new_wallet=new_wallet, evidence_hash=evidence_hash, eta=eta
    )


@external
def object_recovery(identity: uint256, reason_hash: bytes32):
    """
    @notice The identity's wallet objects to a pending recovery, once: it can take
            effect `change_delay` later than it would have. An objection cannot
            cancel it, and the wallet stays without a vote meanwhile.
    @param identity The owner identity index.
    @param reason_hash Hash of the owner's reasons, kept off chain (may be zero).
    """
    pending: PendingRecovery = self.pending_recovery[identity]
    assert pending.eta != 0, "registry: no pending recovery"
    assert msg.sender == self.identity_wallet[identity], "registry: only the identity's wallet"
    assert not pending.objected, "registry: already objected"
    eta: uint256 = pending.eta + self.change_delay
    self.pending_recovery[identity] = PendingRecovery(
        new_wallet=pending.new_wallet, eta=eta, evidence_hash=pending.evidence_hash, objected=True
    )
    log RecoveryObjected(identity=identity, wallet=msg.sender, reason_hash=reason_hash, eta=eta)


@external
def cancel_recovery(identity: uint256):
    """
    @notice The committee withdraws its pending recovery request; the identity's
            wallet has its vote again.
    @param identity The owner identity index.
    """
    self._only_committee()
    assert self.pending_recovery[identity].eta != 0, "registry: no pending recovery"
    self.pending_recovery[identity] = empty(PendingRecovery)
    wallet: address = self.identity_wallet[identity]
    self._identity_by_wallet[wallet] = self._identity_by_wallet[wallet] & ~RECOVERY_PENDING
    log RecoveryCancelled(identity=identity, cancelled_by=msg.sender)


@external
def execute_recovery(identity: uint256):
    """
    @notice Complete a recovery whose delay has passed; anyone may call. The new
            wallet votes from the next proposal made; the old wallet keeps the
            identity's household for points, and its delegations end with it.
    @param identity The owner identity index.
    """
    pending: PendingRecovery = self.pending_recovery[identity]
    assert pending.eta != 0, "registry: no pending recovery"
    assert block.timestamp >= pending.eta, "registry: recovery delay not over"
    self._check_free_wallet(pending.new_wallet)
    self.pending_recovery[identity] = empty(PendingRecovery)
    old_wallet: address = self.identity_wallet[identity]
    self._identity_by_wallet[old_wallet] = 0
    # The old wallet stays counted under this household, never a fresh one.
    self._resident[old_wallet] = (identity + 1) << SHIFT_HOUSEHOLD
    self._identity_by_wallet[pending.new_wallet] = (identity + 1) | (block.number << SHIFT_BOUND)
    self.identity_wallet[identity] = pending.new_wallet
    log WalletRecovered(
        identity=identity,
        previous_wallet=old_wallet,
        new_wallet=pending.new_wallet,
        commitment=self.identity_commitment[identity],
        block_number=block.number,
    )


# ---------------------------------------------------------------- residents


@external
def invite_resident(unit_id: uint256, wallet: address, commitment: bytes32):
    """
    @notice The unit's owner invites a resident who is not an owner (family,
            tenant); the link takes effect when that wallet accepts
            (`accept_residence`). A new invitation of the same wallet replaces it.
    @param unit_id The unit the resident lives in.
    @param wallet The resident's wallet.
    @param commitment The resident's identity commitment (salted hash made off chain).
    """
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    assert msg.sender == self.identity_wallet[word & MASK32], "registry: only the unit's owner"
    assert self._identity_by_wallet[msg.sender] & RECOVERY_PENDING == 0, "registry: recovery pending"
    self._check_free_wallet(wallet)
    self._check_resident_commitment(commitment, wallet)
    self._invitation[unit_id][wallet] = keccak256(abi_encode(commitment, (word >> SHIFT_SALES) & MASK32))
    log ResidentInvited(unit_id=unit_id, wallet=wallet, commitment=commitment, invited_by=msg.sender)


@external
def accept_residence(unit_id: uint256, commitment: bytes32):
    """
    @notice Accept the unit owner's invitation: the caller becomes a resident of the
            unit, in its owner's household.
    @param unit_id The unit named in the invitation.
    @param commitment The commitment named in the invitation.
    """
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    sales: uint256 = (word >> SHIFT_SALES) & MASK32
    invitation: bytes32 = self._invitation[unit_id][msg.sender]
    assert invitation != empty(bytes32) and invitation == keccak256(abi_encode(commitment, sales)), "registry: no such invitation"
    self._invitation[unit_id][msg.sender] = empty(bytes32)
    # Checked again: the wallet or the commitment may have been taken since.
    self._check_free_wallet(msg.sender)
    self._check_resident_commitment(commitment, msg.sender)
    household: uint256 = (word & MASK32) + 1
    # unit ids < 2**64, sales < 2**32, households <= 2**32: each fits its field.
    self._resident[msg.sender] = unit_id | (sales << SHIFT_LINK_SALE) | (household << SHIFT_HOUSEHOLD)
    self.resident_commitment[msg.sender] = commitment
    self._resident_by_commitment[commitment] = msg.sender
    log ResidentLinked(
        unit_id=unit_id, wallet=msg.sender, commitment=commitment, linked_by=self.identity_wallet[word & MASK32], household=household
    )


@external
def unlink_resident(wallet: address):
    """
    @notice Remove a resident from their unit: the resident, the unit's owner or the
            committee may. The wallet stays counted under the household for points.
    @param wallet The resident's wallet.
    """
    unit_id: uint256 = self._live_unit(wallet)
    assert unit_id != 0, "registry: not a linked resident"
    owner: address = self.identity_wallet[self._unit_word[unit_id] & MASK32]
    assert msg.sender == wallet or msg.sender == owner or self._is_committee(msg.sender), "registry: only the resident, the owner or the committee"
    self._resident[wallet] = self._resident[wallet] & ~(2**SHIFT_HOUSEHOLD - 1)
    commitment: bytes32 = self.resident_commitment[wallet]
    self.resident_commitment[wallet] = empty(bytes32)
    if self._resident_by_commitment[commitment] == wallet:
        self._resident_by_commitment[commitment] = empty(address)
    log ResidentUnlinked(unit_id=unit_id, wallet=wallet, unlinked_by=msg.sender)


# ---------------------------------------------------------------- views


@external
@view
def unit(unit_id: uint256) -> (String[MAX_LABEL], uint256, address, bytes32, uint256):
    """
    @notice A unit's label, exclusive area (0.01 m²), owner wallet, owner commitment
            and owner identity index.
    @param unit_id The unit.
    """
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    idx: uint256 = word & MASK32
    return (
        self.unit_label[unit_id],
        (word >> SHIFT_UNIT_AREA) & MASK64,
        self.identity_wallet[idx],
        self.identity_commitment[idx],
        idx,
    )


@external
@view
def unit_area(unit_id: uint256) -> uint256:
    """
    @notice A unit's exclusive area in 0.01 m²; reverts for an unknown unit.
    @param unit_id The unit.
    """
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    return (word >> SHIFT_UNIT_AREA) & MASK64


@external
@view
def unit_owner(unit_id: uint256) -> address:
    """
    @notice A unit's owner wallet; reverts for an unknown unit.
    @param unit_id The unit.
    """
    word: uint256 = self._unit_word[unit_id]
    assert word != 0, "registry: unit not registered"
    return self.identity_wallet[word & MASK32]


@external
@view
def unit_id_of(label: String[MAX_LABEL]) -> uint256:
    """
    @notice The id of the unit with this label, or 0.
    @param label The unit label.
    """
    return self._unit_by_label[keccak256(label)]


@external
@view
def identity_of(wallet: address) -> (bool, uint256):
    """
    @notice Whether `wallet` is bound to an owner identity, and its index.
    @param wallet Any wallet.
    """
    slot: uint256 = self._identity_by_wallet[wallet] & MASK32
    if slot == 0:
        return (False, 0)
    return (True, slot - 1)


@external
@view
def wallet_status(wallet: address) -> (bool, uint256, uint256, bool):
    """
    @notice What the pages say about an owner wallet: whether it is bound to an
            identity, the identity, the block it was bound in (it has no vote on a
            proposal whose snapshot is earlier) and whether a recovery of its
            identity is pending (it has no vote until that ends).
    @param wallet Any wallet.
    @return bound, identity index, bound block, recovery pending
    """
    word: uint256 = self._identity_by_wallet[wallet]
    slot: uint256 = word & MASK32
    if slot == 0:
        return (False, 0, 0, False)
    return (True, slot - 1, (word >> SHIFT_BOUND) & MASK64, word & RECOVERY_PENDING != 0)


@external
@view
def active_identity(wallet: address) -> uint256:
    """
    @notice The identity `wallet` may act for (delegate its vote): reverts for a
            wallet bound to none, or whose identity has a recovery pending.
    @param wallet Any wallet.
    @return The identity index.
    """
    word: uint256 = self._identity_by_wallet[wallet]
    assert word != 0, "registry: not an owner wallet"
    assert word & RECOVERY_PENDING == 0, "registry: recovery pending"
    return (word & MASK32) - 1


@external
@view
def identity_index_of(commitment: bytes32) -> (bool, uint256):
    """
    @notice Whether the commitment is a known owner identity, and its index.
    @param commitment An identity commitment.
    """
    slot: uint256 = self._identity_by_commitment[commitment]
    if slot == 0:
        return (False, 0)
    return (True, slot - 1)


@external
@view
def is_owner(wallet: address) -> bool:
    """
    @notice True if `wallet` is the wallet of an identity that owns at least one unit now.
    @param wallet Any wallet.
    """
    slot: uint256 = self._identity_by_wallet[wallet] & MASK32
    return slot != 0 and self._count_of(self._latest[slot - 1]) > 0


@external
@view
def is_member(wallet: address) -> bool:
    """
    @notice True for a current owner or a linked resident: who may earn and spend
            points and request services.
    @param wallet Any wallet.
    """
    return self._household_of(wallet) != 0


@external
@view
def resident_unit(wallet: address) -> uint256:
    """
    @notice The unit `wallet` lives in as a linked resident, or 0 (never linked,
            unlinked, or its link ended with a sale of the unit).
    @param wallet Any wallet.
    """
    return self._live_unit(wallet)


@external
@view
def resident_by_commitment(commitment: bytes32) -> address:
    """
    @notice The wallet a resident commitment was last linked with (zero if none);
            a commitment is one linked wallet's at a time.
    @param commitment A resident's identity commitment.
    """
    return self._resident_by_commitment[commitment]


@external
@view
def invitation(unit_id: uint256, wallet: address, commitment: bytes32) -> bool:
    """
    @notice Whether the unit's owner has invited `wallet` under `commitment`, since
            the unit's last sale, and the wallet has not accepted yet.
    @param unit_id The unit.
    @param wallet The invited wallet.
    @param commitment The commitment named in the invitation.
    """
    sales: uint256 = (self._unit_word[unit_id] >> SHIFT_SALES) & MASK32
    invitation: bytes32 = self._invitation[unit_id][wallet]
    return invitation != empty(bytes32) and invitation == keccak256(abi_encode(commitment, sales))


@external
@view
def household_of(wallet: address) -> uint256:
    """
    @notice The household a member wallet belongs to now, for one-per-household
            rules (likes). A household is an owner identity (all its units and its
            recovered wallets) and the residents linked to its units.
    @dev Households are `identity + 1` (1..2**32); 0 means not a member now.
    @param wallet Any wallet.
    @return The household key, or 0 for a wallet that is neither an owner nor a
            linked resident.
    """
    return self._household_of(wallet)


@external
@view
def household_key(wallet: address) -> uint256:
    """
    @notice The household `wallet` counts under for good (the points cap, "not
            your own household"): its identity's if it is or was an owner wallet,
            else the household it last joined as a resident, even after it left.
            Leaving, moving out or being replaced by a recovery never gives a
            wallet a household of its own.
    @param wallet Any wallet.
    @return The household key (identity + 1), or 0 for a wallet never in one.
    """
    slot: uint256 = self._identity_by_wallet[wallet] & MASK32
    if slot != 0:
        return slot
    return (self._resident[wallet] >> SHIFT_HOUSEHOLD) & MASK32


@external
@view
def owner_weight(identity: uint256) -> (uint256, uint256, uint256):
    """
    @notice An identity's current exclusive area, unit count and the block it took effect.
    @param identity The owner identity index.
    """
    w: uint256 = self._latest[identity]
    return (self._area_of(w), self._count_of(w), w & MASK64)


@external
@view
def owner_weight_at(identity: uint256, block_number: uint256) -> (uint256, uint256):
    """
    @notice An identity's exclusive area and unit count at the end of a past block.
    @param identity The owner identity index.
    @param block_number A block before the current one.
    """
    assert block_number < block.number, "registry: block not yet mined"
    w: uint256 = self._checkpoint_at(identity, block_number)
    return (self._area_of(w), self._count_of(w))


@external
@view
def voting_weight(wallet: address, block_number: uint256) -> (uint256, uint256):
    """
    @notice What the assembly needs per ballot: the identity index bound to `wallet`
            now and its exclusive area at the end of `block_number` (0 if it owned
            nothing then, so it has no vote). One storage read for the binding and
            one for the weight when it has not changed since the snapshot.
            Refused for a wallet whose identity has a recovery pending, and for a
            wallet bound to its identity after `block_number` (a recovered wallet
            votes from the next proposal; its identity's earlier ballot stands).
    @param wallet The voter's wallet.
    @param block_number The proposal's snapshot block (in the past).
    @return identity index, area in 0.01 m² at the snapshot
    """
    assert block_number < block.number, "registry: block not yet mined"
    word: uint256 = self._identity_by_wallet[wallet]
    assert word != 0, "registry: not an owner wallet"
    assert word & RECOVERY_PENDING == 0, "registry: recovery pending"
    assert (word >> SHIFT_BOUND) & MASK64 <= block_number, "registry: wallet bound after the snapshot"
    identity: uint256 = (word & MASK32) - 1
    return (identity, self._area_of(self._checkpoint_at(identity, block_number)))


@external
@view
def identity_area_at(identity: uint256, block_number: uint256) -> uint256:
    """
    @notice An identity's exclusive area at the end of a past block (0: no vote).
    @param identity The owner identity index.
    @param block_number A block before the current one.
    """
    assert block_number < block.number, "registry: block not yet mined"
    return self._area_of(self._checkpoint_at(identity, block_number))


@external
@view
def totals() -> (uint256, uint256):
    """
    @notice The community's total exclusive area (0.01 m²) and heads now.
    """
    t: uint256 = self._latest[TOTALS_KEY]
    return (self._area_of(t), self._count_of(t))


@external
@view
def totals_at(block_number: uint256) -> (uint256, uint256):
    """
    @notice Total exclusive area and heads at the end of a past block.
    @param block_number A block before the current one.
    """
    assert block_number < block.number, "registry: block not yet mined"
    t: uint256 = self._checkpoint_at(TOTALS_KEY, block_number)
    return (self._area_of(t), self._count_of(t))


# ---------------------------------------------------------------- internal


@internal
@view
def _is_committee(account: address) -> bool:
    return access_control.hasRole[COMMITTEE_ROLE][account]


@internal
@view
def _only_committee():
    assert access_control.hasRole[COMMITTEE_ROLE][msg.sender], "registry: committee only"


@internal
@view
def _only_assembly():
    assert access_control.hasRole[ASSEMBLY_ROLE][msg.sender], "registry: assembly only"


@internal
@pure
def _is_paid_role(role: bytes32) -> bool:
    # Roles that are paid from, or spend, the community's money and points.
    return role == MANAGER_ROLE or role == CASHIER_ROLE or role == MERCHANT_ROLE or role == PROVIDER_ROLE


@internal
@view
def _holds_paid_role(account: address) -> bool:
    return (
        access_control.hasRole[MANAGER_ROLE][account]
        or access_control.hasRole[CASHIER_ROLE][account]
        or access_control.hasRole[MERCHANT_ROLE][account]
        or access_control.hasRole[PROVIDER_ROLE][account]
    )


@internal
def _drop_role(role: bytes32, account: address):
    if role == ASSEMBLY_ROLE and access_control.hasRole[ASSEMBLY_ROLE][account]:
        assert self.assembly_holders > 1, "registry: the assembly cannot be left without a holder"
        self.assembly_holders -= 1
    access_control._revoke_role(role, account)
    self._sync_merchant(role, account)


@internal
def _sync_merchant(role: bytes32, account: address):
    points_: address = self.points
    if role == MERCHANT_ROLE and points_ != empty(address):
        extcall IMerchantSync(points_).sync_merchant(account)


@internal
@view
def _live_unit(wallet: address) -> uint256:
    """
    @dev The unit `wallet` is linked to, if the link was made since the unit's last
         sale; 0 otherwise.
    """
    word: uint256 = self._resident[wallet]
    unit_id: uint256 = word & MASK64
    if unit_id == 0:
        return 0
    if (self._unit_word[unit_id] >> SHIFT_SALES) & MASK32 != (word >> SHIFT_LINK_SALE) & MASK32:
        return 0
    return unit_id


@internal
@view
def _household_of(wallet: address) -> uint256:
    """
    @dev A current owner's identity + 1, else a linked resident's unit owner's, else 0.
    """
    slot: uint256 = self._identity_by_wallet[wallet] & MASK32
    if slot != 0:
        if self._count_of(self._latest[slot - 1]) > 0:
            return slot
        # An owner wallet that sold everything is in no household (and never a resident).
        return 0
    # A live link's household is the one stored with it: the unit's owner then and now
    # (a sale would have ended the link).
    word: uint256 = self._resident[wallet]
    unit_id: uint256 = word & MASK64
    if unit_id != 0 and (self._unit_word[unit_id] >> SHIFT_SALES) & MASK32 == (word >> SHIFT_LINK_SALE) & MASK32:
        return (word >> SHIFT_HOUSEHOLD) & MASK32
    return 0


@internal
@view
def _check_free_wallet(wallet: address):
    assert wallet != empty(address), "registry: wallet is the zero address"
    assert self._identity_by_wallet[wallet] == 0, "registry: wallet is an owner"
    assert self._live_unit(wallet) == 0, "registry: wallet is a linked resident"


@internal
@view
def _check_resident_commitment(commitment: bytes32, wallet: address):
    # One commitment, one person: never an owner identity's, and one linked wallet's.
    assert commitment != empty(bytes32), "registry: empty commitment"
    assert self._identity_by_commitment[commitment] == 0, "registry: commitment is an owner's"
    holder: address = self._resident_by_commitment[commitment]
    assert holder == empty(address) or holder == wallet or self._live_unit(holder) == 0, "registry: commitment is another resident's"


@internal
@view
def _check_binding(wallet: address, commitment: bytes32):
    # A commitment keeps its wallet and a wallet its commitment: an identity is one person.
    slot: uint256 = self._identity_by_commitment[commitment]
    if slot == 0:
        self._check_free_wallet(wallet)
        holder: address = self._resident_by_commitment[commitment]
        assert holder == empty(address) or self._live_unit(holder) == 0, "registry: commitment is a linked resident's"
    else:
        assert self.identity_wallet[slot - 1] == wallet, "registry: commitment bound to another wallet"


@internal
def _identity_for(commitment: bytes32, wallet: address) -> uint256:
    slot: uint256 = self._identity_by_commitment[commitment]
    if slot != 0:
        return slot - 1
    idx: uint256 = self.identity_count
    assert idx < MASK32, "registry: too many identities"
    self.identity_count = idx + 1
    self._identity_by_commitment[commitment] = idx + 1
    self._identity_by_wallet[wallet] = (idx + 1) | (block.number << SHIFT_BOUND)
    self.identity_commitment[idx] = commitment
    self.identity_wallet[idx] = wallet
    return idx


@internal
def _register(label: String[MAX_LABEL], area: uint256, owner: address, commitment: bytes32) -> (uint256, uint256):
    # Returns the unit id and 1 if the owner became a head with this unit (else 0).
    assert len(label) > 0, "registry: empty label"
    assert area > 0 and area <= MAX_AREA, "registry: area out of range"
    assert owner != empty(address), "registry: owner is the zero address"
    assert commitment != empty(bytes32), "registry: empty commitment"
    label_key: bytes32 = keccak256(label)
    assert self._unit_by_label[label_key] == 0, "registry: label already registered"
    self._check_binding(owner, commitment)

    idx: uint256 = self._identity_for(commitment, owner)
    unit_id: uint256 = self.unit_count + 1
    self.unit_count = unit_id
    self._unit_word[unit_id] = (area << SHIFT_UNIT_AREA) | idx
    self.unit_label[unit_id] = label
    self._unit_by_label[label_key] = unit_id

    weight: uint256 = self._latest[idx]
    units: uint256 = self._count_of(weight) + 1
    self._write_weight(idx, self._area_of(weight) + area, units)
    log UnitRegistered(
        unit_id=unit_id, label=label, area=area, owner=owner, commitment=commitment, identity=idx, block_number=block.number
    )
    if units == 1:
        return (unit_id, 1)
    return (unit_id, 0)


@internal
def _checkpoint(key: uint256, area: uint256, count: uint256):
    latest: uint256 = self._latest[key]
    n: uint256 = (latest >> SHIFT_N) & MASK32
    if latest != 0 and (latest & MASK64) != block.number:
        # Keep the superseded value for lookups at earlier blocks; a second change in
        # the same block overwrites, as only the end-of-block state is ever read.
        self._history[key][n] = latest
        n += 1
    self._latest[key] = (area << SHIFT_AREA) | (count << SHIFT_COUNT) | (n << SHIFT_N) | block.number


@internal
def _write_weight(idx: uint256, area: uint256, units: uint256):
    self._checkpoint(idx, area, units)
    log OwnerWeightChanged(
        identity=idx,
        commitment=self.identity_commitment[idx],
        wallet=self.identity_wallet[idx],
        area=area,
        units=units,
        block_number=block.number,
    )


@internal
def _write_totals(area: uint256, heads: uint256):
    self._checkpoint(TOTALS_KEY, area, heads)
    log TotalsChanged(area=area, heads=heads, block_number=block.number)


@internal
@view
def _checkpoint_at(key: uint256, block_number: uint256) -> uint256:
    w: uint256 = self._latest[key]
    if w & MASK64 <= block_number:
        # The common case: nothing changed since the snapshot, one read answers.
        return w
    # Last superseded checkpoint with block <= block_number, or 0 (nothing yet).
    lo: uint256 = 0
    hi: uint256 = (w >> SHIFT_N) & MASK32
    for _: uint256 in range(SEARCH_STEPS + 1):
        if lo >= hi:
            break
        # lo + hi < 2**33: no overflow.
        mid: uint256 = unsafe_div(unsafe_add(lo, hi), 2)
        if self._history[key][mid] & MASK64 <= block_number:
            lo = mid + 1
        else:
            hi = mid
    if lo == 0:
        return 0
    return self._history[key][lo - 1]


@internal
@pure
def _area_of(word: uint256) -> uint256:
    return word >> SHIFT_AREA


@internal
@pure
def _count_of(word: uint256) -> uint256:
    return (word >> SHIFT_COUNT) & MASK32
