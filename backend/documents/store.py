# SPDX-License-Identifier: AGPL-3.0-only
"""Documents in the vault database: the key, what may be stored, reads and the write-once insert.

The key is "0x" + the SHA-256 of the file's bytes, exactly what the pages compute with
SubtleCrypto and what the chain holds. What may be stored:

- at most `max_bytes` (a setting; 10 MB by default): minutes and contracts, not videos;
- a type recognised from the file's own first bytes, not from its name or the browser's
  word: PDF, PNG, JPEG, or UTF-8 text (plain or Markdown) without control characters;
- no personal data that a machine can see: a mainland ID number (18 characters whose
  check digit is right) or a mobile number (1[3-9] and nine digits) in the text, or in
  a PDF's text streams (inflated where compressed). A scan is no proof that a file is
  clean (a photo of an ID card passes), so the committee can still remove a file.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.documents.models import documents

MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain", "text/markdown")
REMOVERS = ("author", "committee")
_FILENAME = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,120}$")
_ID_NUMBER = re.compile(rb"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])")
_MOBILE = re.compile(rb"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def document_key(content: bytes) -> str:
    return "0x" + hashlib.sha256(content).hexdigest()


def sniff(content: bytes) -> str | None:
    """The media type the bytes themselves say, or None for a type not accepted."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any((ord(ch) < 0x20 and ch not in "\t\n\r") or ord(ch) == 0x7F for ch in text):
        return None
    return "text/plain"


def _id_number_valid(candidate: bytes) -> bool:
    digits = candidate.decode("ascii").upper()
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == digits[17]


def _pdf_texts(content: bytes) -> list[bytes]:
    """The PDF's raw bytes and each of its streams, inflated where it is Flate-compressed."""
    found = [content]
    for match in _STREAM.finditer(content):
        body = match.group(1)
        try:
            found.append(zlib.decompressobj().decompress(body, 5_000_000))
        except zlib.error:
            found.append(body)
    return found


def personal_data(content: bytes, media_type: str) -> str | None:
    """What personal data the scan sees, in words; None when it sees none."""
    if media_type.startswith("image/"):
        return None
    for text in (_pdf_texts(content) if media_type == "application/pdf" else [content]):
        if any(_id_number_valid(m.group(0)) for m in _ID_NUMBER.finditer(text)):
            return "it contains an identity card number"
        if _MOBILE.search(text):
            return "it contains a mobile phone number"
    return None


def refusal(content: bytes, filename: str, max_bytes: int) -> tuple[str | None, str | None]:
    """(why the file cannot be stored, None) or (None, its media type)."""
    if not content:
        return "the file is empty", None
    if len(content) > max_bytes:
        return f"the file has {len(content)} bytes; at most {max_bytes}", None
    if not _FILENAME.match(filename):
        return "the file name must be 1-120 characters without slashes or control characters", None
    media_type = sniff(content)
    if media_type is None:
        return "only PDF, PNG, JPEG and UTF-8 text files are accepted (judged by the file's first bytes)", None
    if media_type == "text/plain" and filename.lower().endswith((".md", ".markdown")):
        media_type = "text/markdown"
    found = personal_data(content, media_type)
    if found:
        return f"the file looks like it holds personal data ({found}); documents are public", None
    return None, media_type


@dataclass(frozen=True)
class StoredDocument:
    doc_hash: str
    content: bytes | None
    size: int
    media_type: str
    filename: str
    stored_by: str
    stored_at: int
    removed_at: int | None = None
    removed_by: str | None = None
    removed_as: str | None = None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def intact(self) -> bool:
        return self.content is not None and document_key(self.content) == self.doc_hash


def _row(m) -> StoredDocument:
    return StoredDocument(m["doc_hash"], m["content"], m["size"], m["media_type"], m["filename"], m["stored_by"],
                          m["stored_at"], m["removed_at"], m["removed_by"], m["removed_as"])


def put_document(conn: Connection, content: bytes, media_type: str, filename: str, stored_by: str, now: int
                 ) -> tuple[StoredDocument, bool]:
    """Store the file under its hash unless it is there; (the row, whether this call created it)."""
    key = document_key(content)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(documents)
                 .values(doc_hash=key, content=content, size=len(content), media_type=media_type, filename=filename,
                         stored_by=stored_by, stored_at=now)
                 .on_conflict_do_nothing(index_elements=["doc_hash"])
                 .returning(documents.c.doc_hash))
    created = conn.execute(statement).first() is not None
    return get_document(conn, key, with_content=False), created


def get_document(conn: Connection, key: str, *, with_content: bool = True) -> StoredDocument | None:
    columns = [c for c in documents.c if with_content or c.name != "content"]
    row = conn.execute(select(*columns).where(documents.c.doc_hash == key)).mappings().first()
    if row is None:
        return None
    return _row({**row, "content": row.get("content")})


def get_documents(conn: Connection, keys: list[str]) -> dict[str, StoredDocument]:
    """Rows without their bytes (for lists)."""
    if not keys:
        return {}
    columns = [c for c in documents.c if c.name != "content"]
    rows = conn.execute(select(*columns).where(documents.c.doc_hash.in_(keys))).mappings()
    return {row["doc_hash"]: _row({**row, "content": None}) for row in rows}


def remove_document(conn: Connection, key: str, removed_by: str, removed_as: str, now: int) -> StoredDocument | None:
    if removed_as not in REMOVERS:
        raise ValueError(f"removed_as must be one of {REMOVERS}")
    conn.execute(update(documents).where(documents.c.doc_hash == key, documents.c.removed_at.is_(None))
                 .values(content=None, removed_at=now, removed_by=removed_by, removed_as=removed_as))
    return get_document(conn, key, with_content=False)
