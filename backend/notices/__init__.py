# SPDX-License-Identifier: AGPL-3.0-only
"""Notices (公告) and their service (送达): owners' signed receipts of notices, kept by the
backend and anchored on chain in batches (NoticeBoard.anchor_receipts), so that each
owner's receipt of each notice can be proven later to anyone holding its proof.

- receipts.py: the EIP-712 acknowledgement, a receipt's leaf, the batch's Merkle tree and proofs
- models.py: the receipts and batches tables (the vault's database: they exist nowhere else)
- chain.py: the board's views and the anchorer's transaction
- service.py: `Notices`, what the routes (backend/api/routes/notices.py) call
- anchor.py: one anchoring round (`python -m backend.notices anchor`)
"""
