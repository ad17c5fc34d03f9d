# SPDX-License-Identifier: AGPL-3.0-only
"""One round of reminders: produce what is due (reminders.py), then deliver what the
outbox holds due (outbox.py) through the channels, reading each address from the vault
at the moment of sending. Also residents' channel choices (the My data routes).

`python -m backend.notify run --every 60` runs rounds for ever; a killed process loses
nothing: rows it had claimed are taken again when their lease lapses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from backend.core.config import Settings
from backend.notify import outbox
from backend.notify.channels import EmailChannel, Retry, Undeliverable, WebhookChannel
from backend.notify.models import preferences
from backend.vault import store as vault_store
from backend.vault.crypto import KeyRing, load_keyring
from backend.vault.db import make_vault_engine, upgrade

log = logging.getLogger("linli.notify")
CHOICES = ("email", "webhook", "votes", "dues", "notices")
# Which vault field each channel sends to.
ADDRESS_FIELD = {"email": "email", "webhook": "phone"}


def read_choices(engine: Engine, community: str, resident: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(preferences).where(preferences.c.community == community.lower(),
                                                     preferences.c.resident == resident.lower())).mappings().first()
    if row is None:
        return {"email": False, "webhook": False, "votes": True, "dues": True, "notices": True, "updated_at": None}
    return {name: bool(row[name]) for name in CHOICES} | {"updated_at": row["updated_at"]}


def write_choices(engine: Engine, community: str, resident: str, choices: dict, now: int) -> dict:
    values = {name: bool(choices[name]) for name in CHOICES} | {"updated_at": now}
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    with engine.begin() as conn:
        conn.execute(dialect.insert(preferences).values(community=community.lower(), resident=resident.lower(),
                                                       **values)
                     .on_conflict_do_update(index_elements=["community", "resident"], set_=values))
    return read_choices(engine, community, resident)


class Sender:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time, keys: KeyRing | None = None,
                 channels: dict | None = None):
        self.settings = settings
        self.clock = clock
        upgrade(settings.vault_database_url)
        self.engine = make_vault_engine(settings.vault_database_url)
        self.keys = keys or load_keyring(settings)
        self.channels = channels or {"email": EmailChannel(settings), "webhook": WebhookChannel(settings)}

    def close(self) -> None:
        self.engine.dispose()

    def address(self, reminder: outbox.Reminder) -> str | None:
        field = ADDRESS_FIELD[reminder.channel]
        with self.engine.connect() as conn:
            found = vault_store.read_fields(conn, self.keys, reminder.community, reminder.resident, only=(field,))
        return found.values.get(field)

    def deliver_due(self) -> dict[str, int]:
        """Deliver every reminder due now; counts by outcome."""
        counts = {"sent": 0, "retry": 0, "dead": 0}
        s = self.settings
        for reminder in outbox.claim(self.engine, int(self.clock()), s.notify_lease_s):
            try:
                self.channels[reminder.channel].send(reminder, self.address(reminder))
            except Retry as exc:
                state = outbox.mark_failed(self.engine, reminder, int(self.clock()), str(exc),
                                           backoff_s=s.notify_backoff_s, backoff_max_s=s.notify_backoff_max_s,
                                           max_attempts=s.notify_max_attempts)
                counts["retry" if state == "pending" else "dead"] += 1
                log.warning("reminder %s not sent (%s): %s", reminder.dedup_key, state, exc)
                continue
            except Undeliverable as exc:
                outbox.mark_failed(self.engine, reminder, int(self.clock()), str(exc), backoff_s=s.notify_backoff_s,
                                   backoff_max_s=s.notify_backoff_max_s, max_attempts=s.notify_max_attempts,
                                   permanent=True)
                counts["dead"] += 1
                log.warning("reminder %s cannot be delivered: %s", reminder.dedup_key, exc)
                continue
            if outbox.mark_sent(self.engine, reminder, int(self.clock())):
                counts["sent"] += 1
                log.info("reminder %s sent by %s", reminder.dedup_key, reminder.channel)
        return counts
