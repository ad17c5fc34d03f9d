# SPDX-License-Identifier: AGPL-3.0-only
"""Documents: the files the chain knows only by their SHA-256 (a proposal's full text
and attachments, the community library's 管理规约, 议事规则, minutes, service contracts,
audit reports, budgets), stored once under that hash so anyone can read them and check
them against the chain.

Like the public texts they exist nowhere else, so they live in the vault's database
(revision v0005), in a table of their own.

- models.py: the `documents` table
- store.py: the key, what a storable file is (size, type by its first bytes, no
  personal data), reads and the write-once insert
- service.py: `DocumentStore`, what the routes (backend/api/routes/documents.py) call
"""
