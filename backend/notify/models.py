# SPDX-License-Identifier: AGPL-3.0-only
"""Reminders: residents' channel choices and the outbox, in the vault's database
(revision v0005), beside the addresses they are sent to (the vault's e-mail and phone
fields, encrypted). Neither table holds an address: the sender reads it from the vault
at the moment of sending, so a changed or erased address is honoured at once.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

preferences = Table(
    "notify_preferences",
    metadata,
    Column("community", String(42), primary_key=True),
    Column("resident", String(42), primary_key=True),
    Column("email", Boolean, nullable=False, default=False),
    Column("webhook", Boolean, nullable=False, default=False),  # the operator's SMS/WeChat gateway
    # Which reminders: votes about to close, dues, new notices.
    Column("votes", Boolean, nullable=False, default=True),
    Column("dues", Boolean, nullable=False, default=True),
    Column("notices", Boolean, nullable=False, default=True),
    Column("updated_at", BigInteger, nullable=False),
)

outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # What makes a reminder the same reminder (e.g. "vote-closing:<proposal>:<resident>:email"):
    # unique, so enqueueing it again, from any process or after a restart, adds nothing.
    Column("dedup_key", String(200), nullable=False),
    Column("community", String(42), nullable=False),
    Column("resident", String(42), nullable=False),
    Column("channel", String(16), nullable=False),  # email | webhook
    Column("topic", String(16), nullable=False),  # vote | dues | notice
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(12), nullable=False),  # pending | sending | sent | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("claimed_until", BigInteger, nullable=True),  # a sender's lease; a killed sender's lapses
    Column("last_error", String(500), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger, nullable=True),
    UniqueConstraint("dedup_key", name="uq_notify_outbox_dedup"),
    Index("ix_notify_outbox_due", "state", "next_attempt_at"),
)
