"""Encrypted profile fields and the record of served reads, in the vault database.

Every value goes through the key ring on its way in and out: nothing here writes a
plaintext column. A field that fails authentication (altered, or copied from another
row) is reported as unreadable rather than served.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from backend.vault.crypto import DecryptionError, KeyRing, Sealed, associated_data
from backend.vault.models import profile_fields, served_reads

PURPOSE_FIELD = "access_log.purpose"


@dataclass
class ProfileRead:
    values: dict[str, str]
    unreadable: list[str]
    updated_at: int | None


def put_fields(conn: Connection, keys: KeyRing, community: str, resident: str, values: dict[str, str | None],
               now: int) -> None:
    """Set (or, for None, erase) the given fields of one resident."""
    for field, value in values.items():
        where = (profile_fields.c.community == community, profile_fields.c.resident == resident,
                 profile_fields.c.field == field)
        if value is None:
            conn.execute(delete(profile_fields).where(*where))
            continue
        sealed = keys.seal(value, associated_data(community, resident, field))
        row = {"key_id": sealed.key_id, "nonce": sealed.nonce, "ciphertext": sealed.ciphertext, "updated_at": now}
        changed = conn.execute(update(profile_fields).where(*where).values(**row)).rowcount
        if not changed:
            conn.execute(insert(profile_fields).values(community=community, resident=resident, field=field, **row))


def read_fields(conn: Connection, keys: KeyRing, community: str, resident: str,
                only: tuple[str, ...] | None = None) -> ProfileRead:
    """Decrypt a resident's fields (all, or `only` these)."""
    query = select(profile_fields).where(profile_fields.c.community == community,
                                         profile_fields.c.resident == resident)
    if only is not None:
        query = query.where(profile_fields.c.field.in_(only))
    values, unreadable, updated = {}, [], None
    for row in conn.execute(query.order_by(profile_fields.c.field)).mappings():
        try:
            values[row["field"]] = keys.open(Sealed(row["key_id"], bytes(row["nonce"]), bytes(row["ciphertext"])),
                                             associated_data(community, resident, row["field"]))
        except DecryptionError:
            unreadable.append(row["field"])
        updated = max(updated or 0, row["updated_at"])
    return ProfileRead(values, unreadable, updated)


def erase_fields(conn: Connection, community: str, resident: str) -> int:
    """Erase every field of one resident; the record of served reads stays (it is the audit)."""
    return conn.execute(delete(profile_fields).where(profile_fields.c.community == community,
                                                     profile_fields.c.resident == resident)).rowcount


def record_served_read(conn: Connection, keys: KeyRing, *, community: str, resident: str, grantee: str, scope: str,
                       fields: tuple[str, ...], purpose: str, purpose_hash: str, grant_version: int, tx_hash: str,
                       block_number: int, accessed_at: int, now: int) -> None:
    sealed = keys.seal(purpose, associated_data(community, resident, PURPOSE_FIELD))
    conn.execute(insert(served_reads).values(
        community=community, resident=resident, grantee=grantee, scope=scope, fields=",".join(fields),
        purpose_hash=purpose_hash, purpose_key_id=sealed.key_id, purpose_nonce=sealed.nonce,
        purpose_ciphertext=sealed.ciphertext, grant_version=grant_version, tx_hash=tx_hash,
        block_number=block_number, accessed_at=accessed_at, served_at=now,
    ))


def served_reads_of(conn: Connection, keys: KeyRing, community: str, resident: str, limit: int,
                    before_id: int | None = None) -> list[dict]:
    """A resident's served reads, newest first, with the purpose in words."""
    query = select(served_reads).where(served_reads.c.community == community, served_reads.c.resident == resident)
    if before_id is not None:
        query = query.where(served_reads.c.id < before_id)
    rows = conn.execute(query.order_by(served_reads.c.id.desc()).limit(limit)).mappings().all()
    result = []
    for row in rows:
        try:
            purpose = keys.open(Sealed(row["purpose_key_id"], bytes(row["purpose_nonce"]),
                                       bytes(row["purpose_ciphertext"])),
                                associated_data(community, resident, PURPOSE_FIELD))
        except DecryptionError:
            purpose = None
        result.append({
            "id": row["id"], "grantee": row["grantee"], "scope": row["scope"], "fields": row["fields"].split(","),
            "purpose": purpose, "purpose_hash": row["purpose_hash"], "grant_version": row["grant_version"],
            "tx_hash": row["tx_hash"], "block_number": row["block_number"], "accessed_at": row["accessed_at"],
            "served_at": row["served_at"],
        })
    return result


def rotate(conn: Connection, keys: KeyRing) -> int:
    """Re-encrypt every ciphertext not under the current key; returns how many were rewritten.

    Runs in the caller's transaction: either every row moves to the new key or none does.
    A row no configured key opens stops the rotation (DecryptionError) rather than being lost.
    """
    moved = 0
    for row in conn.execute(select(profile_fields).where(profile_fields.c.key_id != keys.current_id)).mappings().all():
        aad = associated_data(row["community"], row["resident"], row["field"])
        plain = keys.open(Sealed(row["key_id"], bytes(row["nonce"]), bytes(row["ciphertext"])), aad)
        sealed = keys.seal(plain, aad)
        conn.execute(update(profile_fields).where(profile_fields.c.id == row["id"]).values(
            key_id=sealed.key_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext))
        moved += 1
    query = select(served_reads).where(served_reads.c.purpose_key_id != keys.current_id)
    for row in conn.execute(query).mappings().all():
        aad = associated_data(row["community"], row["resident"], PURPOSE_FIELD)
        plain = keys.open(Sealed(row["purpose_key_id"], bytes(row["purpose_nonce"]),
                                 bytes(row["purpose_ciphertext"])), aad)
        sealed = keys.seal(plain, aad)
        conn.execute(update(served_reads).where(served_reads.c.id == row["id"]).values(
            purpose_key_id=sealed.key_id, purpose_nonce=sealed.nonce, purpose_ciphertext=sealed.ciphertext))
        moved += 1
    return moved
