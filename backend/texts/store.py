# SPDX-License-Identifier: AGPL-3.0-only
"""Public texts in the vault database: the key, what may be stored, reads and the write-once insert.

The key is exactly what the pages put on chain (hash.js sha256Text): "0x" + the
SHA-256 of the text's UTF-8 bytes, the text taken as given (no trimming, no Unicode
normalisation: one changed byte is another hash). A row is inserted once and never
updated, except to remove its words (`remove_text`): the row stays as a tombstone that
says who removed it and when. A text the owners' committee removed cannot be stored
again; one its author removed can, by anyone who has the same words (otherwise a member
could store and remove "同意" and no one could ever store it again). Reads check the
text against its key again, so a row altered in the database is reported, not served as
the original. `public_text_usage` counts the bytes kept, in the same transaction.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.texts.models import public_text_usage, public_texts

# At most 16,000 bytes of UTF-8: a long suggestion fits, a document does not.
MAX_CHARS = 4000
# What a text is for, as its first writer says (the chain's field it is the hash of).
KINDS = ("suggestion", "answer", "service_request", "dispute", "decision", "activity", "cancellation", "feedback", "notice",
         "hide_reason")
# Line breaks and tabs belong in a text; other C0 controls and DEL do not (PostgreSQL refuses NUL outright).
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
# Directional formatting (embeddings, overrides, isolates): they make a text display in
# another order than it reads, the "Trojan Source" trick; a community's texts need none.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that draw nothing: format characters (zero-width spaces and joiners, marks),
# spaces and separators, lone combining marks, unassigned code points, and letters that
# are blank by design (Hangul fillers, the blank Braille pattern, the Mongolian vowel separator).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")


def visible(ch: str) -> bool:
    return ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


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
        if ch in BIDI_CONTROLS:
            return f"directional formatting character U+{ord(ch):04X} is not allowed (it reorders how a text displays)"
    if not any(visible(ch) for ch in text):
        return "the text has no visible character (only spaces, zero-width or formatting characters)"
    return None


def size_of(text: str | None) -> int:
    """The bytes a text takes in the store's quota (its UTF-8)."""
    return 0 if text is None else len(text.encode("utf-8"))


class StoreFull(Exception):
    """Storing would take the store past its size (LINLI_TEXTS_MAX_TOTAL_BYTES)."""


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


def put_text(conn: Connection, text: str, kind: str | None, stored_by: str, now: int,
             max_total_bytes: int | None = None) -> tuple[StoredText, bool]:
    """Store `text` under its hash unless it is there already; (the stored row, whether this call created it).

    One INSERT … ON CONFLICT DO NOTHING, so two writers of the same text racing both get
    the first one's row and neither an error. RETURNING says whether this one inserted
    (psycopg reports no rowcount for it). A text its author removed is stored again in
    place (by one writer only, if two race). StoreFull when the store would grow past
    `max_total_bytes`; the caller's transaction then stores nothing.
    """
    key = text_key(text)
    texts = public_texts
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(texts)
                 .values(text_hash=key, text=text, kind=kind, stored_by=stored_by, stored_at=now)
                 .on_conflict_do_nothing(index_elements=["text_hash"])
                 .returning(texts.c.text_hash))
    created = conn.execute(statement).first() is not None
    if not created:
        restored = conn.execute(
            update(texts).where(texts.c.text_hash == key, texts.c.removed_as == "author")
            .values(text=text, kind=kind, stored_by=stored_by, stored_at=now, removed_at=None, removed_by=None,
                    removed_as=None)
            .returning(texts.c.text_hash)).first()
        created = restored is not None
    if created:
        _use(conn, size_of(text), max_total_bytes)
    row = conn.execute(select(texts).where(texts.c.text_hash == key)).mappings().one()
    return _row(row), created


def _use(conn: Connection, size: int, max_total_bytes: int | None) -> None:
    """Move the store's byte count by `size` (negative: freed), refusing to pass the quota."""
    usage = public_text_usage
    statement = update(usage).where(usage.c.id == 1).values(bytes=usage.c.bytes + size)
    if max_total_bytes is not None and size > 0:
        statement = statement.where(usage.c.bytes + size <= max_total_bytes)
    if conn.execute(statement.returning(usage.c.bytes)).first() is None:
        if conn.execute(select(usage.c.id)).first() is None:  # a store from before v0004's row: count it now
            conn.execute(usage.insert().values(id=1, bytes=0))
            return _use(conn, size, max_total_bytes)
        raise StoreFull(f"the text store is full ({max_total_bytes:,} bytes)")


def total_bytes(conn: Connection) -> int:
    return conn.execute(select(public_text_usage.c.bytes).where(public_text_usage.c.id == 1)).scalar() or 0


def stored_since(conn: Connection, stored_by: str, since: int) -> tuple[int, int | None]:
    """(how many texts `stored_by` has stored after `since`, when the earliest of them was)."""
    texts = public_texts
    count, first = conn.execute(select(func.count(), func.min(texts.c.stored_at))
                                .where(texts.c.stored_by == stored_by, texts.c.stored_at > since)).one()
    return int(count), first


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
    # The words under a key are always the same (the key is their hash): their size too.
    words = conn.execute(select(texts.c.text).where(texts.c.text_hash == key)).scalar()
    freed = conn.execute(update(texts).where(texts.c.text_hash == key, texts.c.removed_at.is_(None))
                         .values(text=None, removed_at=now, removed_by=removed_by, removed_as=removed_as)
                         .returning(texts.c.text_hash)).first()
    if freed is not None:
        _use(conn, -size_of(words), None)
    row = conn.execute(select(texts).where(texts.c.text_hash == key)).mappings().first()
    return None if row is None else _row(row)
