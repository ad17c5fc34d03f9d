# pragma version 0.4.3
"""
@title DataConsent
@custom:contract-name DataConsent
@license GNU Affero General Public License v3.0 only
@notice Residents' consent to the use of their personal data, and the log of every
        use. The data itself lives off chain in the backend's vault; only grants,
        scopes and hashes are on chain.

        - A resident (an owner or a linked resident) grants a grantee access to a
          named scope of their data (`scope` = keccak256 of the field's name, e.g.
          keccak256("phone")) until an expiry, for a purpose reference (e.g. a
          service request id, or a hash of a description).
        - Grantees are the community's service parties: a wallet that holds the
          provider, manager, merchant or committee role in the registry (checked in
          that order; the first role found is recorded with the grant). A grant to
          any other address is refused, so a resident cannot be phished into
          consenting to an unknown party, and a party that loses its role loses
          access at once: a grant is live only while its grantee still holds the
          recorded role.
        - A grant lasts at most MAX_GRANT_DURATION (a year and a day); the resident
          renews a live grant (new expiry, same version) or grants again (a new
          version that supersedes the old one), and revokes at any time. A grant
          is live from its block until `expiry` exclusive, unless revoked.
        - Every access is logged on chain with `log_access`, by the grantee itself
          or by a logger (the vault's account, appointed by the committee), and
          only against a live grant: the log names resident, grantee, scope, grant
          version, the purpose of this access and when, so the resident can audit
          who read what, when and why.
        - One storage word per (resident, grantee, scope) holds expiry, grant time,
          revocation time, version and the grantee's role; logging an access writes
          no storage at all (the event is the record).
@custom:security The chain cannot stop a grantee who read the data from keeping it;
                 it makes every served read attributable. The vault is trusted to
                 log before it answers and to authenticate the grantee; a logger can
                 log accesses for any live grant but not create one, so a
                 compromised logger can only add log lines, never unlock data the
                 resident did not grant. The committee is trusted to appoint
                 loggers and to give roles only to real service parties. The
                 contract moves no value and makes only static calls to the
                 registry, so it carries no reentrancy lock.
"""

from interfaces import IHouseholdRegistry
from interfaces import IDataConsent

implements: IDataConsent


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
MANAGER_ROLE: constant(bytes32) = keccak256("linli.role.manager")
MERCHANT_ROLE: constant(bytes32) = keccak256("linli.role.merchant")
PROVIDER_ROLE: constant(bytes32) = keccak256("linli.role.provider")

MAX_GRANT_DURATION: public(constant(uint256)) = 366 * 86400

# Role codes kept in a grant word.
ROLE_PROVIDER: constant(uint256) = 1
ROLE_MANAGER: constant(uint256) = 2
ROLE_MERCHANT: constant(uint256) = 3
ROLE_COMMITTEE: constant(uint256) = 4

# Grant word: bits 0..39 expiry, 40..79 granted at, 80..119 revoked at (0: not revoked),
# 120..151 version (1 for the first grant, +1 for every new grant), 152..159 role code.
# Timestamps fit 40 bits until year 36812. A zero word: never granted.
SHIFT_GRANTED: constant(uint256) = 40
SHIFT_REVOKED: constant(uint256) = 80
SHIFT_VERSION: constant(uint256) = 120
SHIFT_ROLE: constant(uint256) = 152
MASK8: constant(uint256) = 2**8 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK40: constant(uint256) = 2**40 - 1


struct Grant:
    version: uint256
    expiry: uint256
    granted_at: uint256
    revoked_at: uint256
    grantee_role: bytes32
    live: bool


registry: public(immutable(address))

is_logger: public(HashMap[address, bool])

# resident -> grantee -> scope -> grant word
_grant: HashMap[address, HashMap[address, HashMap[bytes32, uint256]]]


event ConsentGranted:
    resident: indexed(address)
    grantee: indexed(address)
    scope: indexed(bytes32)
    version: uint256
    expiry: uint256
    granted_at: uint256
    reference: bytes32
    grantee_role: bytes32
    replaces: uint256

event ConsentRenewed:
    resident: indexed(address)
    grantee: indexed(address)
    scope: indexed(bytes32)
    version: uint256
    previous_expiry: uint256
    expiry: uint256
    renewed_at: uint256

event ConsentRevoked:
    resident: indexed(address)
    grantee: indexed(address)
    scope: indexed(bytes32)
    version: uint256
    expiry: uint256
    revoked_at: uint256

event AccessLogged:
    resident: indexed(address)
    grantee: indexed(address)
    scope: indexed(bytes32)
    version: uint256
    purpose_hash: bytes32
    accessed_at: uint256
    logged_by: address

event LoggerSet:
    account: indexed(address)
    enabled: bool
    set_by: indexed(address)


@deploy
def __init__(registry_: address, logger: address):
    """
    @notice Deploy the consent register of one community.
    @param registry_ The community's HouseholdRegistry (members and roles).
    @param logger The vault's account, appointed logger at once; the zero
           address for none (the committee appoints one later).
    """
    assert registry_ != empty(address), "consent: registry is the zero address"
    registry = registry_
    if logger != empty(address):
        self.is_logger[logger] = True
        log LoggerSet(account=logger, enabled=True, set_by=msg.sender)


@external
def grant(grantee: address, scope: bytes32, expiry: uint256, reference: bytes32) -> uint256:
    """
    @notice Grant `grantee` access to `scope` of the caller's data until `expiry`.
            A live grant for the same grantee and scope is superseded by this one
            (a new version). Only members of the community grant.
    @param grantee A wallet holding the provider, manager, merchant or committee role.
    @param scope The data scope, keccak256 of its name (non-zero).
    @param expiry The end of the grant (unix seconds, exclusive): after now and at
           most MAX_GRANT_DURATION from now.
    @param reference What the grant is for (e.g. a service request id); zero for none.
    @return The new grant's version.
    """
    assert scope != empty(bytes32), "consent: empty scope"
    assert grantee != msg.sender, "consent: cannot grant to yourself"
    self._check_expiry(expiry)
    assert staticcall IHouseholdRegistry(registry).is_member(msg.sender), "consent: residents only"
    role: uint256 = self._role_code(grantee)
    assert role != 0, "consent: grantee holds no service role"

    word: uint256 = self._grant[msg.sender][grantee][scope]
    previous: uint256 = (word >> SHIFT_VERSION) & MASK32
    assert previous < MASK32, "consent: version overflow"
    replaces: uint256 = 0
    if self._live(word, grantee):
        replaces = previous
    # Cannot overflow: previous < MASK32 was just checked.
    version: uint256 = unsafe_add(previous, 1)
    self._grant[msg.sender][grantee][scope] = (
        expiry | (block.timestamp << SHIFT_GRANTED) | (version << SHIFT_VERSION) | (role << SHIFT_ROLE)
    )
    log ConsentGranted(
        resident=msg.sender,
        grantee=grantee,
        scope=scope,
        version=version,
        expiry=expiry,
        granted_at=block.timestamp,
        reference=reference,
        grantee_role=self._role_id(role),
        replaces=replaces,
    )
    return version


@external
def renew(grantee: address, scope: bytes32, expiry: uint256):
    """
    @notice Move the expiry of the caller's live grant (same version, same
            reference); it may also shorten it.
    @param grantee The grantee.
    @param scope The data scope.
    @param expiry The new end (after now, at most MAX_GRANT_DURATION from now).
    """
    word: uint256 = self._grant[msg.sender][grantee][scope]
    assert self._live(word, grantee), "consent: no live grant"
    self._check_expiry(expiry)
    self._grant[msg.sender][grantee][scope] = (word & ~MASK40) | expiry
    log ConsentRenewed(
        resident=msg.sender,
        grantee=grantee,
        scope=scope,
        version=(word >> SHIFT_VERSION) & MASK32,
        previous_expiry=word & MASK40,
        expiry=expiry,
        renewed_at=block.timestamp,
    )


@external
def revoke(grantee: address, scope: bytes32):
    """
    @notice Revoke the caller's grant to `grantee` for `scope`, at once. Works on
            any unexpired, unrevoked grant, also while the grantee has lost its
            role (it could get the role back). Members who left the community
            can still revoke.
    @param grantee The grantee.
    @param scope The data scope.
    """
    word: uint256 = self._grant[msg.sender][grantee][scope]
    expiry: uint256 = word & MASK40
    assert word != 0 and (word >> SHIFT_REVOKED) & MASK40 == 0 and block.timestamp < expiry, "consent: nothing to revoke"
    self._grant[msg.sender][grantee][scope] = word | (block.timestamp << SHIFT_REVOKED)
    log ConsentRevoked(
        resident=msg.sender,
        grantee=grantee,
        scope=scope,
        version=(word >> SHIFT_VERSION) & MASK32,
        expiry=expiry,
        revoked_at=block.timestamp,
    )


@external
def log_access(resident: address, grantee: address, scope: bytes32, purpose_hash: bytes32) -> uint256:
    """
    @notice Record that `grantee` accessed `scope` of `resident`'s data, for
            `purpose_hash`. Called by the grantee itself or by a logger (the
            vault, before it answers); refused without a live grant.
    @param resident The resident whose data is read.
    @param grantee The party reading it.
    @param scope The data scope read.
    @param purpose_hash Why (hash of the purpose, e.g. of "call about request 12"); non-zero.
    @return The version of the grant the access was made under.
    """
    assert msg.sender == grantee or self.is_logger[msg.sender], "consent: grantee or logger only"
    assert purpose_hash != empty(bytes32), "consent: purpose required"
    word: uint256 = self._grant[resident][grantee][scope]
    assert self._live(word, grantee), "consent: no live grant"
    version: uint256 = (word >> SHIFT_VERSION) & MASK32
    log AccessLogged(
        resident=resident,
        grantee=grantee,
        scope=scope,
        version=version,
        purpose_hash=purpose_hash,
        accessed_at=block.timestamp,
        logged_by=msg.sender,
    )
    return version


@external
def set_logger(account: address, enabled: bool):
    """
    @notice Appoint or remove a logger (the owners' assembly only): the vault's
            account, which logs accesses on behalf of grantees.
    @param account The logger's address.
    @param enabled True to appoint, False to remove.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "consent: assembly only"
    assert account != empty(address), "consent: logger is the zero address"
    self.is_logger[account] = enabled
    log LoggerSet(account=account, enabled=enabled, set_by=msg.sender)


@external
@view
def has_live_grant(resident: address, grantee: address, scope: bytes32) -> bool:
    """
    @notice True when `grantee` may access `scope` of `resident`'s data now: a
            grant exists, is not revoked, `block.timestamp < expiry`, and the
            grantee still holds the role recorded with the grant.
    @param resident The resident.
    @param grantee The party.
    @param scope The data scope.
    """
    return self._live(self._grant[resident][grantee][scope], grantee)


@external
@view
def grant_of(resident: address, grantee: address, scope: bytes32) -> Grant:
    """
    @notice The latest grant of `resident` to `grantee` for `scope` (all zero if none).
    @param resident The resident.
    @param grantee The party.
    @param scope The data scope.
    @return Version, expiry, grant time, revocation time (0: not revoked), the
            grantee's role id recorded with the grant, and whether it is live now.
    """
    word: uint256 = self._grant[resident][grantee][scope]
    return Grant(
        version=(word >> SHIFT_VERSION) & MASK32,
        expiry=word & MASK40,
        granted_at=(word >> SHIFT_GRANTED) & MASK40,
        revoked_at=(word >> SHIFT_REVOKED) & MASK40,
        grantee_role=self._role_id((word >> SHIFT_ROLE) & MASK8),
        live=self._live(word, grantee),
    )


@internal
@view
def _live(word: uint256, grantee: address) -> bool:
    """
    @notice Whether a grant word is live now for `grantee`.
    @param word The grant word.
    @param grantee The grantee, whose recorded role is checked in the registry.
    """
    if word == 0 or (word >> SHIFT_REVOKED) & MASK40 != 0 or block.timestamp >= word & MASK40:
        return False
    return staticcall IHouseholdRegistry(registry).hasRole(self._role_id((word >> SHIFT_ROLE) & MASK8), grantee)


@internal
@view
def _check_expiry(expiry: uint256):
    """
    @notice Refuse an expiry that is not in the future or is too far.
    @param expiry The proposed expiry.
    """
    assert expiry > block.timestamp, "consent: expiry not in the future"
    assert expiry <= block.timestamp + MAX_GRANT_DURATION, "consent: expiry too far"


@internal
@view
def _role_code(account: address) -> uint256:
    """
    @notice The first service role `account` holds: provider, manager, merchant,
            committee; 0 for none.
    @param account The prospective grantee.
    """
    if staticcall IHouseholdRegistry(registry).hasRole(PROVIDER_ROLE, account):
        return ROLE_PROVIDER
    if staticcall IHouseholdRegistry(registry).hasRole(MANAGER_ROLE, account):
        return ROLE_MANAGER
    if staticcall IHouseholdRegistry(registry).hasRole(MERCHANT_ROLE, account):
        return ROLE_MERCHANT
    if staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, account):
        return ROLE_COMMITTEE
    return 0


@internal
@pure
def _role_id(code: uint256) -> bytes32:
    """
    @notice The registry role id of a role code (zero for 0).
    @param code A role code (ROLE_*).
    """
    if code == ROLE_PROVIDER:
        return PROVIDER_ROLE
    if code == ROLE_MANAGER:
        return MANAGER_ROLE
    if code == ROLE_MERCHANT:
        return MERCHANT_ROLE
    if code == ROLE_COMMITTEE:
        return COMMITTEE_ROLE
    return empty(bytes32)
