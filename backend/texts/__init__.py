# SPDX-License-Identifier: AGPL-3.0-only
"""Public texts: the words the chain knows only by their SHA-256 (suggestions and their
answers, service request descriptions, dispute reasons, activity descriptions,
feedback, the committee's reasons for hiding a work), stored once under that hash so
anyone can read them.

They are public by nature and stored in clear, but they exist nowhere else (the
chain has only the hash, the index cannot rebuild them), so they live in the vault's
database, in a table of their own, under the vault's Alembic history; the vault's
encrypted tables are not touched.

- models.py: the `public_texts` table
- store.py: the key (0x + sha256 of the UTF-8 text), what a storable text is, reads and the write-once insert
- service.py: `TextStore`, what the routes (backend/api/routes/texts.py) call: rate limits and who may write
"""
