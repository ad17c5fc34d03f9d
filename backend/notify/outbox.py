# SPDX-License-Identifier: AGPL-3.0-only
"""The outbox: a reminder is a row, enqueued once, delivered once.

- Once: `dedup_key` is unique (which reminder, for whom, by which channel), so a
  producer that runs again, in another process or after a restart, adds nothing.
- Delivered even across a crash: a sender claims a row with a lease (`claimed_until`); a
  sender killed mid-round leaves it claimed only until the lease lapses, then another
  round takes it again. A failure (the SMTP server away, the gateway answering 5xx) puts
  the row back with the next try after a backoff that doubles up to a ceiling; after
  `max_attempts` it is dead and says why.
- Not twice: a row is marked sent in its own transaction right after the channel
  accepted it, and only a row whose lease this sender holds is marked. The one gap no
  outbox can close is a crash between the server's acceptance and that commit; the
  channels make a repeat recognisable (a Message-ID and an Idempotency-Key derived
  from the row's key), so a gateway can drop it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.notify.models import outbox

CHANNELS = ("email", "webhook")
TOPICS = ("vote", "dues", "notice")


@dataclass(frozen=True)
class Reminder:
    id: int
    dedup_key: str
    community: str
    resident: str
    channel: str
    topic: str
    subject: str
    body: str
    attempts: int
    claimed_until: int


def enqueue(conn: Connection, *, dedup_key: str, community: str, resident: str, channel: str, topic: str,
            subject: str, body: str, now: int) -> bool:
    """Add a reminder unless one with this key exists; whether this call added it."""
    if channel not in CHANNELS or topic not in TOPICS:
        raise ValueError(f"unknown channel {channel!r} or topic {topic!r}")
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    added = conn.execute(dialect.insert(outbox).values(
        dedup_key=dedup_key, community=community.lower(), resident=resident.lower(), channel=channel, topic=topic,
        subject=subject[:200], body=body, state="pending", attempts=0, next_attempt_at=now, created_at=now)
        .on_conflict_do_nothing(index_elements=["dedup_key"]).returning(outbox.c.id)).first()
    return added is not None


def claim(engine: Engine, now: int, lease_s: int, limit: int = 50) -> list[Reminder]:
    """Take up to `limit` due reminders: pending and due, or claimed by a sender whose lease
    lapsed (it died). Each row is taken by one conditional UPDATE, so two senders never
    both hold it."""
    due = or_(and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= now),
              and_(outbox.c.state == "sending", outbox.c.claimed_until < now))
    taken = []
    with engine.begin() as conn:
        ids = conn.execute(select(outbox.c.id).where(due).order_by(outbox.c.next_attempt_at, outbox.c.id)
                           .limit(limit)).scalars().all()
    for row_id in ids:
        with engine.begin() as conn:
            won = conn.execute(update(outbox).where(outbox.c.id == row_id, due).values(
                state="sending", claimed_until=now + lease_s)).rowcount
            if won:
                row = conn.execute(select(outbox).where(outbox.c.id == row_id)).mappings().one()
                taken.append(Reminder(row["id"], row["dedup_key"], row["community"], row["resident"], row["channel"],
                                      row["topic"], row["subject"], row["body"], row["attempts"],
                                      row["claimed_until"]))
    return taken


def _held(reminder: Reminder):
    return and_(outbox.c.id == reminder.id, outbox.c.state == "sending",
                outbox.c.claimed_until == reminder.claimed_until)


def mark_sent(engine: Engine, reminder: Reminder, now: int) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(update(outbox).where(_held(reminder)).values(
            state="sent", sent_at=now, attempts=reminder.attempts + 1, claimed_until=None, last_error=None)).rowcount)


def mark_failed(engine: Engine, reminder: Reminder, now: int, error: str, *, backoff_s: float, backoff_max_s: float,
                max_attempts: int, permanent: bool = False) -> str:
    """Put a failed reminder back for later, or dead; the state it is left in."""
    attempts = reminder.attempts + 1
    dead = permanent or attempts >= max_attempts
    delay = min(backoff_max_s, backoff_s * 2 ** (attempts - 1))
    with engine.begin() as conn:
        conn.execute(update(outbox).where(_held(reminder)).values(
            state="dead" if dead else "pending", attempts=attempts, next_attempt_at=now + int(delay + 0.999),
            claimed_until=None, last_error=error[:500]))
    return "dead" if dead else "pending"
