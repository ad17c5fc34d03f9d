"""NoticeBoard: the document library, notices (a proposal's at least the notice period
before its vote, with the frozen roll), and anchored batches of owners' receipts that
the board itself can check a proof against."""

from __future__ import annotations

import hashlib

import ape
import pytest
from eth_account import Account

from backend.notices import receipts
from tests.notices.conftest import DAY

OTHER_COMMON = 9  # the statute's "other common matters" (ordinary)


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def propose(town, sender, chain, lead: int):
    """A proposal without calls whose vote opens `lead` seconds from the next block."""
    start = chain.pending_timestamp + lead
    tx = town.assembly.propose([], [], [], OTHER_COMMON, "更换门禁", sha("议案全文"), start, start + 2 * DAY,
                               sender=sender)
    return tx.decode_logs(town.assembly.ProposalCreated)[0].proposalId, start


# ------------------------------------------------------------------ documents


def test_committee_registers_and_withdraws_a_document(board_town, committee):
    board = board_town.board
    tx = board.register_document(sha("管理规约 v1"), 1, "管理规约（2026年修订）", sender=committee)
    [event] = tx.decode_logs(board.DocumentRegistered)
    assert (event.doc_hash, event.kind, event.title, event.registered_by) == (
        sha("管理规约 v1"), 1, "管理规约（2026年修订）", committee.address)
    kind, registered_at, withdrawn_at = board.document(sha("管理规约 v1"))
    assert (kind, withdrawn_at) == (1, 0) and registered_at == event.registered_at
    tx = board.withdraw_document(sha("管理规约 v1"), sha("superseded by v2"), sender=committee)
    [event] = tx.decode_logs(board.DocumentWithdrawn)
    assert event.reason_hash == sha("superseded by v2")
    assert board.document(sha("管理规约 v1"))[2] == event.withdrawn_at
    with ape.reverts("notices: document already withdrawn"):
        board.withdraw_document(sha("管理规约 v1"), b"\0" * 32, sender=committee)


@pytest.mark.parametrize("doc_hash, kind, title, reason", [
    (b"\0" * 32, 1, "t", "notices: empty document hash"),
    (sha("x"), 0, "t", "notices: unknown document kind"),
    (sha("x"), 9, "t", "notices: unknown document kind"),
    (sha("x"), 1, "", "notices: empty title"),
])
def test_a_bad_document_is_refused(board_town, committee, doc_hash, kind, title, reason):
    with ape.reverts(reason):
        board_town.board.register_document(doc_hash, kind, title, sender=committee)


def test_only_the_committee_keeps_the_library(board_town, committee, owner_a, board_anchorer):
    board = board_town.board
    for outsider in (owner_a, board_anchorer):
        with ape.reverts("notices: committee only"):
            board.register_document(sha("budget"), 6, "2027 预算", sender=outsider)
    board.register_document(sha("budget"), 6, "2027 预算", sender=committee)
    with ape.reverts("notices: document already registered"):
        board.register_document(sha("budget"), 6, "again", sender=committee)
    with ape.reverts("notices: committee only"):
        board.withdraw_document(sha("budget"), b"\0" * 32, sender=owner_a)
    with ape.reverts("notices: unknown document"):
        board.withdraw_document(sha("never"), b"\0" * 32, sender=committee)


# ------------------------------------------------------------------ notices


def test_the_committee_publishes_a_building_notice(board_town, committee, owner_a):
    board = board_town.board
    tx = board.publish_notice(sha("停水通知"), 3, 2, "2", "2号楼停水", 0, [sha("schedule.pdf")], sender=committee)
    [event] = tx.decode_logs(board.NoticePublished)
    assert (event.notice_id, event.kind, event.audience, event.building, event.documents) == (
        1, 3, 2, "2", [sha("schedule.pdf")])
    assert board.notice_count() == 1 and board.notice_content(1) == sha("停水通知")
    with ape.reverts("notices: committee only"):
        board.publish_notice(sha("activity"), 4, 1, "", "活动", 0, [], sender=owner_a)


def test_the_boards_bounds_are_the_last_accepted(board_town, committee):
    """The kinds and the documents a notice may carry: the last one the board names is
    accepted, one more is refused; receipts are typed as the backend signs them."""
    board = board_town.board
    board.register_document(sha("other"), board.MAX_DOCUMENT_KIND(), "其他", sender=committee)
    with ape.reverts("notices: unknown document kind"):
        board.register_document(sha("more"), board.MAX_DOCUMENT_KIND() + 1, "其他", sender=committee)
    most = [sha(f"attachment {i}") for i in range(board.MAX_DOCUMENTS())]
    tx = board.publish_notice(sha("general"), board.MAX_NOTICE_KIND(), 1, "", "通告", 0, most, sender=committee)
    assert tx.decode_logs(board.NoticePublished)[0].documents == most
    with ape.reverts("notices: unknown notice kind"):
        board.publish_notice(sha("g2"), board.MAX_NOTICE_KIND() + 1, 1, "", "通告", 0, [], sender=committee)
    with ape.reverts():  # one document more than a notice holds does not fit its list
        board.publish_notice(sha("g3"), 5, 1, "", "通告", 0, most + [sha("one more")], sender=committee)
    fields = ",".join(f"{f['type']} {f['name']}" for f in receipts.ACKNOWLEDGEMENT_TYPES["Acknowledgement"])
    from eth_utils import keccak
    assert board.ACKNOWLEDGEMENT_TYPEHASH() == keccak(text=f"Acknowledgement({fields})")


@pytest.mark.parametrize("kind, audience, building, proposal_id, documents, reason", [
    (0, 1, "", 0, [], "notices: unknown notice kind"),
    (6, 1, "", 0, [], "notices: unknown notice kind"),
    (2, 0, "", 0, [], "notices: unknown audience"),
    (2, 4, "", 0, [], "notices: unknown audience"),
    (2, 2, "", 0, [], "notices: a building notice names one building"),
    (2, 1, "3", 0, [], "notices: a building notice names one building"),
    (2, 1, "", 7, [], "notices: only a proposal's notice names a proposal"),
    (2, 1, "", 0, [b"\0" * 32], "notices: empty document hash"),
    (1, 1, "", 1, [], "notices: a proposal's notice goes to the owners"),
])
def test_a_malformed_notice_is_refused(board_town, committee, kind, audience, building, proposal_id, documents,
                                       reason):
    with ape.reverts(reason):
        board_town.board.publish_notice(sha("n"), kind, audience, building, "标题", proposal_id, documents,
                                        sender=committee)


def test_a_proposal_notice_carries_the_frozen_roll(board_town, committee, chain):
    board, registry = board_town.board, board_town.registry
    proposal_id, start = propose(board_town, committee, chain, 16 * DAY)
    tx = board.publish_notice(sha("公告：更换门禁"), 1, 3, "", "关于召开业主大会的公告", proposal_id,
                              [sha("议案全文")], sender=committee)
    [published] = tx.decode_logs(board.NoticePublished)
    [noticed] = tx.decode_logs(board.ProposalNoticed)
    snapshot = board_town.assembly.proposalSnapshot(proposal_id)
    assert (noticed.notice_id, noticed.proposal_id, noticed.vote_start, noticed.snapshot_block) == (
        published.notice_id, proposal_id, start, snapshot)
    assert (noticed.total_area, noticed.total_heads) == registry.totals_at(snapshot)
    assert noticed.total_heads == 4 and noticed.min_notice == 15 * DAY
    assert board.proposal_notice(proposal_id) == published.notice_id
    with ape.reverts("notices: proposal already noticed"):
        board.publish_notice(sha("again"), 1, 3, "", "again", proposal_id, [], sender=committee)


def test_a_late_notice_is_refused(board_town, committee, chain):
    proposal_id, start = propose(board_town, committee, chain, 15 * DAY + 3600)
    chain.pending_timestamp = start - 15 * DAY + 1  # one second less than the notice period is left
    with ape.reverts("notices: less than the notice period before the vote"):
        board_town.board.publish_notice(sha("late"), 1, 3, "", "late", proposal_id, [], sender=committee)


def test_an_unknown_or_withdrawn_proposal_cannot_be_noticed(board_town, committee, chain):
    with ape.reverts("assembly: unknown proposal"):
        board_town.board.publish_notice(sha("n"), 1, 3, "", "t", 12345, [], sender=committee)
    proposal_id, _ = propose(board_town, committee, chain, 16 * DAY)
    board_town.assembly.cancel(proposal_id, sender=committee)
    with ape.reverts("notices: proposal canceled"):
        board_town.board.publish_notice(sha("n"), 1, 3, "", "t", proposal_id, [], sender=committee)


def test_an_owners_motion_is_noticed_by_its_proposer_only(board_town, owner_a, owner_b, chain):
    proposal_id, _ = propose(board_town, owner_a, chain, 16 * DAY)
    with ape.reverts("notices: committee only"):
        board_town.board.publish_notice(sha("n"), 1, 3, "", "t", proposal_id, [], sender=owner_b)
    tx = board_town.board.publish_notice(sha("n"), 1, 3, "", "t", proposal_id, [], sender=owner_a)
    assert tx.decode_logs(board_town.board.ProposalNoticed)[0].proposal_id == proposal_id


# ------------------------------------------------------------------ receipts


def signed_receipts(chain, board, count: int) -> list[receipts.Receipt]:
    found = []
    for i in range(count):
        account = Account.create()
        at = chain.pending_timestamp - 100 + i
        message = receipts.typed_data(chain.chain_id, board.address, 1, sha("停水通知"), account.address, at)
        from eth_account.messages import encode_typed_data
        signature = Account.sign_message(encode_typed_data(full_message=message), account.key).signature
        found.append(receipts.Receipt(1, sha("停水通知"), account.address, at, bytes(signature)))
    return found


def test_the_digest_and_leaf_are_the_boards(board_town, chain):
    board = board_town.board
    [receipt] = signed_receipts(chain, board, 1)
    assert board.acknowledgement_digest(1, receipt.content, receipt.owner, receipt.acknowledged_at) == \
        receipts.digest(chain.chain_id, board.address, 1, receipt.content, receipt.owner, receipt.acknowledged_at)
    from eth_utils import keccak
    assert board.receipt_leaf(1, receipt.content, receipt.owner, receipt.acknowledged_at,
                              keccak(receipt.signature)) == receipt.leaf()
    assert receipts.recover(chain.chain_id, board.address, 1, receipt.content, receipt.owner,
                            receipt.acknowledged_at, receipt.signature) == receipt.owner


@pytest.mark.parametrize("count", [1, 2, 5, 8])
def test_an_anchored_batch_proves_each_receipt_and_no_other(board_town, chain, board_anchorer, count):
    board = board_town.board
    batch = signed_receipts(chain, board, count)
    levels = receipts.tree_levels([r.leaf() for r in batch])
    root = levels[-1][0]
    tx = board.anchor_receipts(root, count, batch[0].acknowledged_at, batch[-1].acknowledged_at,
                               sender=board_anchorer)
    [event] = tx.decode_logs(board.ReceiptsAnchored)
    assert (event.root, event.receipts, event.anchored_by) == (root, count, board_anchorer.address)
    assert board.batch_count() == event.batch  # batches are numbered in order, from 1
    assert board.batch_root(event.batch) == root and board.batch_of_root(root) == event.batch
    for index, receipt in enumerate(batch):
        proof = receipts.merkle_proof(levels, index)
        assert receipts.proof_root(receipt.leaf(), proof) == root
        assert board.verify_receipt(event.batch, receipt.leaf(), proof)
    [never] = signed_receipts(chain, board, 1)  # a receipt that was never given
    proof = receipts.merkle_proof(levels, 0)
    assert not board.verify_receipt(event.batch, never.leaf(), proof)
    assert not board.verify_receipt(event.batch + 1, batch[0].leaf(), proof)  # no such batch


def test_only_an_anchorer_anchors_and_a_root_only_once(board_town, chain, committee, owner_a, board_anchorer):
    board = board_town.board
    now = chain.pending_timestamp
    for outsider in (committee, owner_a):
        with ape.reverts("notices: anchorers only"):
            board.anchor_receipts(sha("root"), 1, now - 5, now - 5, sender=outsider)
    board.anchor_receipts(sha("root"), 1, now - 5, now - 5, sender=board_anchorer)
    with ape.reverts("notices: root already anchored"):
        board.anchor_receipts(sha("root"), 1, now - 5, now - 5, sender=board_anchorer)
    for args, reason in [((b"\0" * 32, 1, 0, 0), "notices: empty root"),
                         ((sha("r2"), 0, 0, 0), "notices: empty batch"),
                         ((sha("r2"), 1, 5, 4), "notices: first receipt after the last")]:
        with ape.reverts(reason):
            board.anchor_receipts(*args, sender=board_anchorer)


def test_the_assembly_appoints_anchorers(board_town, committee, owner_a, board_anchorer):
    board = board_town.board
    with ape.reverts("notices: assembly only"):
        board.set_anchorer(owner_a, True, sender=owner_a)
    # The deployer still holds the assembly's role in this module (hand_over_powers=False).
    tx = board.set_anchorer(board_anchorer, False, sender=committee)
    assert not tx.decode_logs(board.AnchorerSet)[0].enabled
    assert not board.is_anchorer(board_anchorer)
    with ape.reverts("notices: anchorer is the zero address"):
        board.set_anchorer("0x" + "0" * 40, True, sender=committee)
