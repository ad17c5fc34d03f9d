# SPDX-License-Identifier: AGPL-3.0-only
"""The two channels: e-mail over SMTP, and a webhook an operator points at an SMS or
WeChat gateway. A channel raises `Retry` for what may pass (a server away, a 5xx, a
timeout) and `Undeliverable` for what will not (no address, a 4xx refusal).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import socket
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from backend.core.config import Settings
from backend.notify.outbox import Reminder


class Retry(Exception):
    """Try again later."""


class Undeliverable(Exception):
    """Trying again cannot help."""


def message_id(reminder: Reminder) -> str:
    """The same reminder always carries the same Message-ID (a repeat is recognisable)."""
    return f"<{hashlib.sha256(reminder.dedup_key.encode()).hexdigest()[:32]}@linli>"


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings):
        self.host, self.port = settings.notify_smtp_host, settings.notify_smtp_port
        self.sender = settings.notify_smtp_from
        self.starttls = settings.notify_smtp_starttls
        self.user = settings.notify_smtp_user
        self.password = settings.notify_smtp_password.get_secret_value() if settings.notify_smtp_password else None
        self.timeout = settings.notify_timeout_s

    def send(self, reminder: Reminder, address: str | None) -> None:
        if not address:
            raise Undeliverable("no e-mail address in the vault")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, reminder.subject
        message["Message-ID"], message["Date"] = message_id(reminder), formatdate(localtime=False)
        message.set_content(reminder.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Undeliverable(f"the SMTP server refused the address: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise Undeliverable(f"the SMTP server refused: {exc.smtp_code} {exc.smtp_error!r}") from None
            raise Retry(f"the SMTP server answered {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException, socket.timeout) as exc:
            raise Retry(f"the SMTP server is not reachable: {type(exc).__name__}: {exc}") from None


class WebhookChannel:
    """POST {reminder, phone} as JSON; `Idempotency-Key` is the reminder's key, and with a
    secret `X-Linli-Signature` is the body's HMAC-SHA256, so the gateway knows it is us."""

    name = "webhook"

    def __init__(self, settings: Settings):
        self.url = settings.notify_webhook_url
        self.secret = settings.notify_webhook_secret.get_secret_value() if settings.notify_webhook_secret else None
        self.timeout = settings.notify_timeout_s

    def send(self, reminder: Reminder, address: str | None) -> None:
        if not self.url:
            raise Undeliverable("no webhook is configured (LINLI_NOTIFY_WEBHOOK_URL)")
        if not address:
            raise Undeliverable("no phone number in the vault")
        body = json.dumps({"id": reminder.dedup_key, "topic": reminder.topic, "community": reminder.community,
                           "resident": reminder.resident, "phone": address, "subject": reminder.subject,
                           "text": reminder.body}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": reminder.dedup_key}
        if self.secret:
            headers["X-Linli-Signature"] = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        try:
            answer = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise Retry(f"the gateway is not reachable: {type(exc).__name__}") from None
        if answer.status_code >= 500 or answer.status_code in (408, 429):
            raise Retry(f"the gateway answered {answer.status_code}")
        if answer.status_code >= 400:
            raise Undeliverable(f"the gateway refused: {answer.status_code} {answer.text[:200]}")
