# SPDX-License-Identifier: AGPL-3.0-only
"""Reminders that reach residents: votes about to close, dues, new notices, by e-mail
(SMTP) and by webhook (the SMS or WeChat gateway an operator connects).

- models.py: residents' channel choices and the outbox (the vault's database)
- outbox.py: enqueue once per reminder (a unique key), claim with a lease, retry with backoff
- channels.py: the e-mail and webhook channels
- reminders.py: what is due, read from the index, for residents who chose a channel
- sender.py: one round (produce, then deliver what is due); `python -m backend.notify run`

Addresses are not copied here: the sender reads the resident's e-mail or phone from the
vault (encrypted there) when it sends, so an erased address stops the reminders at once.
"""
