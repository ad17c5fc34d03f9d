# SPDX-License-Identifier: AGPL-3.0-only
"""Public texts in the vault database: the key, what may be stored, reads and the write-once insert.

The key is exactly what the pages put on chain (hash.js sha256Text): "0x" + the
SHA-256 of the text's UTF-8 bytes, the text taken as given (no trimming, no Unicode
normalisation: one changed byte is another hash). A row is inserted once and never
updated, except to remove its words (`remove_text`): the row stays as a tombstone that
says who removed it and when, and the hash cannot be stored again. Reads check the text
against its key again, so a row altered in the database is reported, not served as the
original.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.texts.models import public_texts

# At most 16,000 bytes of UTF-8: a long suggestion fits, a document does not.
MAX_CHARS = 4000
# What a text is for, as its first writer says (the chain's field it is the hash of).
KINDS = ("suggestion", "answer", "service_request", "dispute", "decision", "activity", "cancellation", "feedback", "notice",
         "hide_reason")
# Line breaks and tabs belong in a text; other C0 controls and DEL do not (PostgreSQL refuses NUL outright).
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def text_key(text: str) -> str:
    """0x + sha256(UTF-8 text), lower case: the bytes32 the contracts hold."""
    return "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def refusal(text: str) -> str | None:
    """Why `text` cannot be stored, in words; None when it can."""
    if not text.strip():
        return "the text is empty"
    if len(text) > MAX_CHARS:
        return f"the text is {len(text)} characters long; at most {MAX_CHARS}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON "\ud800"
        return "the text must be valid Unicode (it has a lone surrogate)"
    for ch in text:
        if (ord(ch) < 0x20 and ch not in _ALLOWED_CONTROLS) or ord(ch) == 0x7F:
            return f"control character U+{ord(ch):04X} is not allowed (line breaks and tabs are)"
    return None


REMOVERS = ("author", "committee")


@dataclass(frozen=True)
class StoredText:
    text_hash: str
    text: str | None  # None once removed
    kind: str | None
    stored_by: str
    stored_at: int
    removed_at: int | None = None
    removed_by: str | None = None
    removed_as: str | None = None  # one of REMOVERS

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def intact(self) -> bool:
        return self.text is not None and text_key(self.text) == self.text_hash


def _row(mapping) -> StoredText:
    return StoredText(mapping["text_hash"], mapping["text"], mapping["kind"], mapping["stored_by"],
                      mapping["stored_at"], mapping["removed_at"], mapping["removed_by"], mapping["removed_as"])


def put_text(conn: Connection, text: str, kind: str | None, stored_by: str, now: int) -> tuple[StoredText, bool]:
    """Store `text` under its hash unless it is there already; (the stored row, whether this call created it).

    One INSERT … ON CONFLICT DO NOTHING, so two writers of the same text racing both get
    the first one's row and neither an error. RETURNING says whether this one inserted
    (psycopg reports no rowcount for it).
    """
    key = text_key(text)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(public_texts)
                 .values(text_hash=key, text=text, kind=kind, stored_by=stored_by, stored_at=now)
                 .on_conflict_do_nothing(index_elements=["text_hash"])
                 .returning(public_texts.c.text_hash))
    created = conn.execute(statement).first() is not None
    row = conn.execute(select(public_texts).where(public_texts.c.text_hash == key)).mappings().one()
    return _row(row), created


def get_texts(conn: Connection, keys: list[str]) -> dict[str, StoredText]:
    """The stored texts among `keys` (lower case), by key."""
    if not keys:
        return {}
    rows = conn.execute(select(public_texts).where(public_texts.c.text_hash.in_(keys))).mappings()
    return {row["text_hash"]: _row(row) for row in rows}


def remove_text(conn: Connection, key: str, removed_by: str, removed_as: str, now: int) -> StoredText | None:
    """Remove the words stored under `key`, keeping the row as a tombstone; the row after
    (unchanged if it was removed already), or None when nothing is stored under `key`."""
    if removed_as not in REMOVERS:
        raise ValueError(f"removed_as must be one of {REMOVERS}")
    texts = public_texts
    conn.execute(update(texts).where(texts.c.text_hash == key, texts.c.removed_at.is_(None))
                 .values(text=None, removed_at=now, removed_by=removed_by, removed_as=removed_as))
    row = conn.execute(select(texts).where(texts.c.text_hash == key)).mappings().first()
    return None if row is None else _row(row)
