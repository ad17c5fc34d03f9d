# pragma version 0.4.3
"""
@title NoticeBoard
@custom:contract-name NoticeBoard
@license GNU Affero General Public License v3.0 only
@notice The community's document library, its notice board (公告) and the anchors
        of owners' receipts of notices (送达).

        - Documents (管理规约, 议事规则, minutes, service contracts, audit reports,
          budgets, …) are files the backend stores under their SHA-256; the
          committee registers each here with its kind and title, and may later
          withdraw one (superseded): the event keeps it on record.
        - A notice is a text the backend stores under its SHA-256, published here
          by the committee (or, for an owners' motion, by its proposer) to the
          whole community, one building or the owners, with the documents it
          carries. A proposal's notice is accepted only while at least the
          assembly's notice period (`min_notice`, 15 days by default) is left
          before its vote opens, and its event carries the frozen roll: the
          snapshot block and the total area and heads that are the denominators.
        - An owner acknowledges a notice by signing the EIP-712
          `Acknowledgement(uint256 notice,bytes32 content,address owner,uint256
          acknowledgedAt)` in this contract's domain, without gas; an account
          contract (a passkey account) signs through EIP-1271. The backend keeps
          the signed receipts and an anchorer puts the Merkle root of each batch
          here. A receipt's leaf is keccak256(keccak256(abi_encode(notice,
          content, owner, acknowledgedAt, keccak256(signature)))), pairs hashed
          sorted (OpenZeppelin's convention), so anyone holding a receipt and its
          proof can show that it was given, and when it was anchored at the latest.
@custom:security Signatures are not checked here: a root only commits to the
                 receipts the backend accepted, and a proof convinces only together
                 with the owner's signature over the digest, which the verifier
                 checks itself (scripts/verify_receipt.py). A dishonest anchorer can
                 withhold receipts but not forge one. The contract moves no value and
                 makes only static calls to the registry and the assembly, so it
                 carries no reentrancy lock. No personal data: documents and notices
                 are hashes and short public titles.
"""

from interfaces import IHouseholdRegistry
from snekmate.utils import eip712_domain_separator
from snekmate.utils.interfaces import IERC5267

implements: IERC5267

initializes: eip712_domain_separator

exports: eip712_domain_separator.eip712Domain


interface IOwnersAssembly:
    def proposal(proposal_id: uint256) -> (uint256, uint256, uint256, uint8, uint256, uint256, uint256, uint256): view
    def proposer(proposal_id: uint256) -> address: view
    def min_notice() -> uint256: view

interface IRegistryTotals:
    def totals_at(block_number: uint256) -> (uint256, uint256): view


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")

ACKNOWLEDGEMENT_TYPEHASH: public(constant(bytes32)) = keccak256(
    "Acknowledgement(uint256 notice,bytes32 content,address owner,uint256 acknowledgedAt)"
)

# Document kinds: 1 管理规约 (statute), 2 议事规则 (rules of procedure), 3 minutes,
# 4 service contract, 5 audit report, 6 budget, 7 proposal text or attachment, 8 other.
MAX_DOCUMENT_KIND: public(constant(uint8)) = 8
# Notice kinds: 1 a proposal's notice (convening the vote), 2 fees, 3 outage,
# 4 activity, 5 general.
NOTICE_PROPOSAL: constant(uint8) = 1
MAX_NOTICE_KIND: public(constant(uint8)) = 5
# Audiences: 1 the whole community, 2 one building, 3 the owners.
AUDIENCE_BUILDING: constant(uint8) = 2
AUDIENCE_OWNERS: constant(uint8) = 3
MAX_DOCUMENTS: public(constant(uint256)) = 16
MAX_TITLE: constant(uint256) = 120
MAX_BUILDING: constant(uint256) = 16
# A proof longer than this would be a batch of more than 2**32 receipts.
MAX_PROOF: constant(uint256) = 32

# Document word: bits 0..7 kind, 8..47 registered at, 48..87 withdrawn at (0: in force).
SHIFT_REGISTERED: constant(uint256) = 8
SHIFT_WITHDRAWN: constant(uint256) = 48
MASK8: constant(uint256) = 2**8 - 1
MASK40: constant(uint256) = 2**40 - 1


registry: public(immutable(address))
assembly: public(immutable(address))

is_anchorer: public(HashMap[address, bool])

# sha256 of the file -> document word (0: not registered)
_document: HashMap[bytes32, uint256]

notice_count: public(uint256)
# notice id -> its text's sha256 (the content an acknowledgement names)
notice_content: public(HashMap[uint256, bytes32])
# proposal id -> the id of its notice (0: none yet)
proposal_notice: public(HashMap[uint256, uint256])

batch_count: public(uint256)
# batch -> Merkle root of the receipts it anchors; root -> batch (0: never anchored)
batch_root: public(HashMap[uint256, bytes32])
batch_of_root: public(HashMap[bytes32, uint256])


event DocumentRegistered:
    doc_hash: indexed(bytes32)
    kind: uint8
    title: String[MAX_TITLE]
    registered_by: indexed(address)
    registered_at: uint256

event DocumentWithdrawn:
    doc_hash: indexed(bytes32)
    reason_hash: bytes32
    withdrawn_by: indexed(address)
    withdrawn_at: uint256

event NoticePublished:
    notice_id: indexed(uint256)
    content_hash: bytes32
    kind: uint8
    audience: uint8
    building: String[MAX_BUILDING]
    title: String[MAX_TITLE]
    documents: DynArray[bytes32, MAX_DOCUMENTS]
    publisher: indexed(address)
    published_at: uint256

event ProposalNoticed:
    notice_id: indexed(uint256)
    proposal_id: indexed(uint256)
    vote_start: uint256
    vote_end: uint256
    snapshot_block: uint256
    total_area: uint256
    total_heads: uint256
    min_notice: uint256

event ReceiptsAnchored:
    batch: indexed(uint256)
    root: bytes32
    receipts: uint256
    first_acknowledged_at: uint256
    last_acknowledged_at: uint256
    anchored_by: indexed(address)

event AnchorerSet:
    account: indexed(address)
    enabled: bool
    set_by: indexed(address)


@deploy
def __init__(registry_: address, assembly_: address, anchorer: address):
    """
    @notice Deploy the notice board of one community.
    @param registry_ The community's HouseholdRegistry (roles, totals).
    @param assembly_ The community's OwnersAssembly (proposals, notice period).
    @param anchorer The backend's account that anchors receipt batches; the zero
           address for none (the assembly appoints one later).
    """
    assert registry_ != empty(address), "notices: registry is the zero address"
    assert assembly_ != empty(address), "notices: assembly is the zero address"
    registry = registry_
    assembly = assembly_
    eip712_domain_separator.__init__("Linli NoticeBoard", "1")
    if anchorer != empty(address):
        self.is_anchorer[anchorer] = True
        log AnchorerSet(account=anchorer, enabled=True, set_by=msg.sender)


@external
def register_document(doc_hash: bytes32, kind: uint8, title: String[MAX_TITLE]):
    """
    @notice Register a document of the community's library (committee only).
    @param doc_hash The SHA-256 of the file, as the backend stores it.
    @param kind 1 statute, 2 rules of procedure, 3 minutes, 4 service contract,
           5 audit report, 6 budget, 7 proposal text or attachment, 8 other.
    @param title A short public title (no personal data).
    """
    self._only_committee()
    assert doc_hash != empty(bytes32), "notices: empty document hash"
    assert kind != 0 and kind <= MAX_DOCUMENT_KIND, "notices: unknown document kind"
    assert len(title) != 0, "notices: empty title"
    assert self._document[doc_hash] == 0, "notices: document already registered"
    self._document[doc_hash] = convert(kind, uint256) | (block.timestamp << SHIFT_REGISTERED)
    log DocumentRegistered(doc_hash=doc_hash, kind=kind, title=title, registered_by=msg.sender,
                           registered_at=block.timestamp)


@external
def withdraw_document(doc_hash: bytes32, reason_hash: bytes32):
    """
    @notice Withdraw a registered document (superseded or annulled; committee only).
            It stays on record with the time it was withdrawn.
    @param doc_hash The document.
    @param reason_hash The SHA-256 of the reason's text (public texts); zero for none.
    """
    self._only_committee()
    word: uint256 = self._document[doc_hash]
    assert word != 0, "notices: unknown document"
    assert (word >> SHIFT_WITHDRAWN) & MASK40 == 0, "notices: document already withdrawn"
    self._document[doc_hash] = word | (block.timestamp << SHIFT_WITHDRAWN)
    log DocumentWithdrawn(doc_hash=doc_hash, reason_hash=reason_hash, withdrawn_by=msg.sender,
                          withdrawn_at=block.timestamp)


@external
def publish_notice(
    content_hash: bytes32,
    kind: uint8,
    audience: uint8,
    building: String[MAX_BUILDING],
    title: String[MAX_TITLE],
    proposal_id: uint256,
    documents: DynArray[bytes32, MAX_DOCUMENTS],
) -> uint256:
    """
    @notice Publish a notice. The committee publishes any; a proposal's proposer
            publishes its own proposal's notice. A proposal's notice goes to the
            owners, at least the assembly's notice period before the vote opens,
            once per proposal; its event carries the vote's window and the frozen
            roll (snapshot, total area and heads).
    @param content_hash The SHA-256 of the notice's text (public texts).
    @param kind 1 proposal, 2 fees, 3 outage, 4 activity, 5 general.
    @param audience 1 everyone, 2 one building (`building`), 3 the owners.
    @param building The building's label prefix (e.g. "1"), only for audience 2.
    @param title A short public title.
    @param proposal_id The proposal (kind 1 only; 0 otherwise).
    @param documents SHA-256s of the files the notice carries (agenda, full text, attachments).
    @return The notice's id (from 1).
    """
    assert content_hash != empty(bytes32), "notices: empty notice hash"
    assert kind != 0 and kind <= MAX_NOTICE_KIND, "notices: unknown notice kind"
    assert audience != 0 and audience <= AUDIENCE_OWNERS, "notices: unknown audience"
    assert (audience == AUDIENCE_BUILDING) == (len(building) != 0), "notices: a building notice names one building"
    assert len(title) != 0, "notices: empty title"
    for doc: bytes32 in documents:
        assert doc != empty(bytes32), "notices: empty document hash"
    notice_id: uint256 = self.notice_count + 1
    if kind == NOTICE_PROPOSAL:
        assert audience == AUDIENCE_OWNERS, "notices: a proposal's notice goes to the owners"
        self._notice_proposal(notice_id, proposal_id)
    else:
        assert proposal_id == 0, "notices: only a proposal's notice names a proposal"
        self._only_committee()
    self.notice_count = notice_id
    self.notice_content[notice_id] = content_hash
    log NoticePublished(notice_id=notice_id, content_hash=content_hash, kind=kind, audience=audience,
                        building=building, title=title, documents=documents, publisher=msg.sender,
                        published_at=block.timestamp)
    return notice_id


@external
def anchor_receipts(root: bytes32, receipts: uint256, first_acknowledged_at: uint256,
                    last_acknowledged_at: uint256) -> uint256:
    """
    @notice Anchor a batch of owners' signed receipts of notices by its Merkle root
            (anchorers only). A root is anchored once.
    @param root The Merkle root (sorted pairs) of the batch's receipt leaves.
    @param receipts How many receipts the batch holds (at least one).
    @param first_acknowledged_at The earliest acknowledgement time in the batch.
    @param last_acknowledged_at The latest (the owners' own signed times, which a
           device's clock may put a little ahead of this block: not checked against it).
    @return The batch number (from 1).
    """
    assert self.is_anchorer[msg.sender], "notices: anchorers only"
    assert root != empty(bytes32), "notices: empty root"
    assert receipts != 0, "notices: empty batch"
    assert first_acknowledged_at <= last_acknowledged_at, "notices: first receipt after the last"
    assert self.batch_of_root[root] == 0, "notices: root already anchored"
    batch: uint256 = self.batch_count + 1
    self.batch_count = batch
    self.batch_root[batch] = root
    self.batch_of_root[root] = batch
    log ReceiptsAnchored(batch=batch, root=root, receipts=receipts, first_acknowledged_at=first_acknowledged_at,
                         last_acknowledged_at=last_acknowledged_at, anchored_by=msg.sender)
    return batch


@external
def set_anchorer(account: address, enabled: bool):
    """
    @notice Appoint or dismiss an account that anchors receipt batches (the
            assembly only).
    @param account The account (the backend's).
    @param enabled True to appoint, False to dismiss.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "notices: assembly only"
    assert account != empty(address), "notices: anchorer is the zero address"
    self.is_anchorer[account] = enabled
    log AnchorerSet(account=account, enabled=enabled, set_by=msg.sender)


@external
@view
def document(doc_hash: bytes32) -> (uint8, uint256, uint256):
    """
    @notice A registered document.
    @param doc_hash The file's SHA-256.
    @return kind (0: not registered), registered at, withdrawn at (0: in force).
    """
    word: uint256 = self._document[doc_hash]
    return convert(word & MASK8, uint8), (word >> SHIFT_REGISTERED) & MASK40, (word >> SHIFT_WITHDRAWN) & MASK40


@external
@view
def acknowledgement_digest(notice_id: uint256, content: bytes32, owner: address, acknowledged_at: uint256) -> bytes32:
    """
    @notice The EIP-712 digest an owner signs to acknowledge a notice.
    @param notice_id The notice.
    @param content The notice's content hash.
    @param owner The owner's wallet (an account or an EIP-1271 contract).
    @param acknowledged_at When the owner acknowledged it (unix seconds).
    @return The digest.
    """
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(ACKNOWLEDGEMENT_TYPEHASH, notice_id, content, owner, acknowledged_at))
    )


@external
@pure
def receipt_leaf(notice_id: uint256, content: bytes32, owner: address, acknowledged_at: uint256,
                 signature_hash: bytes32) -> bytes32:
    """
    @notice A receipt's Merkle leaf (hashed twice, so no inner node can pass as a leaf).
    @param notice_id The notice.
    @param content The notice's content hash.
    @param owner The owner.
    @param acknowledged_at When it was acknowledged.
    @param signature_hash keccak256 of the owner's signature.
    @return The leaf.
    """
    return keccak256(keccak256(abi_encode(notice_id, content, owner, acknowledged_at, signature_hash)))


@external
@view
def verify_receipt(batch: uint256, leaf: bytes32, proof: DynArray[bytes32, MAX_PROOF]) -> bool:
    """
    @notice Whether `leaf` is in the batch anchored as `batch`.
    @param batch The batch number.
    @param leaf The receipt's leaf (`receipt_leaf`).
    @param proof The sibling hashes from the leaf up to the root.
    @return True when the proof leads to the batch's root.
    """
    root: bytes32 = self.batch_root[batch]
    if root == empty(bytes32):
        return False
    node: bytes32 = leaf
    for sibling: bytes32 in proof:
        # Sorted pairs: the proof need not say on which side each sibling sits.
        if convert(node, uint256) < convert(sibling, uint256):
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
    return node == root


@internal
def _notice_proposal(notice_id: uint256, proposal_id: uint256):
    """
    @dev Check and record a proposal's notice: by the committee or the proposer,
         once, at least the notice period before the vote; log the frozen roll.
    """
    assert self.proposal_notice[proposal_id] == 0, "notices: proposal already noticed"
    vote_start: uint256 = 0
    vote_end: uint256 = 0
    snapshot: uint256 = 0
    matter: uint8 = 0
    flags: uint256 = 0
    cosigners: uint256 = 0
    window: uint256 = 0
    eta: uint256 = 0
    vote_start, vote_end, snapshot, matter, flags, cosigners, window, eta = staticcall IOwnersAssembly(assembly).proposal(
        proposal_id
    )
    if msg.sender != staticcall IOwnersAssembly(assembly).proposer(proposal_id):
        self._only_committee()
    assert flags & 1 == 0, "notices: proposal canceled"
    min_notice: uint256 = staticcall IOwnersAssembly(assembly).min_notice()
    assert block.timestamp + min_notice <= vote_start, "notices: less than the notice period before the vote"
    total_area: uint256 = 0
    total_heads: uint256 = 0
    total_area, total_heads = staticcall IRegistryTotals(registry).totals_at(snapshot)
    self.proposal_notice[proposal_id] = notice_id
    log ProposalNoticed(notice_id=notice_id, proposal_id=proposal_id, vote_start=vote_start, vote_end=vote_end,
                        snapshot_block=snapshot, total_area=total_area, total_heads=total_heads,
                        min_notice=min_notice)


@internal
@view
def _only_committee():
    assert staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, msg.sender), "notices: committee only"
