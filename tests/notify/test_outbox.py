"""The reminders' outbox against a real SMTP server (aiosmtpd) and a real HTTP receiver:
a reminder is enqueued once however often it is produced, survives the SMTP server
being away and the sending process being killed, and is delivered exactly once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select

from backend.core.config import Settings
from backend.notify import outbox
from backend.notify.models import outbox as outbox_table
from backend.notify.sender import Sender, read_choices, write_choices
from backend.vault import store as vault_store
from backend.vault.crypto import load_keyring
from backend.vault.db import make_vault_engine, upgrade

ROOT = Path(__file__).resolve().parents[2]
COMMUNITY = "0x" + "ab" * 20
RESIDENT = "0x" + "cd" * 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: every message the server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def smtp_port():
    return free_port()


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def notify_settings(tmp_path, smtp_port):
    return Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'index.db'}",
                    vault_database_url=f"sqlite:///{tmp_path / 'vault.db'}",
                    vault_key=base64.b64encode(secrets.token_bytes(32)).decode(), vault_key_file=tmp_path / "k",
                    notify_smtp_host="127.0.0.1", notify_smtp_port=smtp_port, notify_backoff_s=0.5,
                    notify_backoff_max_s=2, notify_lease_s=2, notify_timeout_s=3)


@pytest.fixture
def resident_with_email(notify_settings):
    """A resident whose vault holds an e-mail and a phone, who chose e-mail reminders."""
    upgrade(notify_settings.vault_database_url)
    engine = make_vault_engine(notify_settings.vault_database_url)
    with engine.begin() as conn:
        vault_store.put_fields(conn, load_keyring(notify_settings), COMMUNITY, RESIDENT,
                               {"email": "wang@example.org", "phone": "+86 139 0000 0000"}, 1)
    write_choices(engine, COMMUNITY, RESIDENT, {"email": True, "webhook": False, "votes": True, "dues": True,
                                                "notices": True}, 1)
    yield engine
    engine.dispose()


def enqueue(engine, key="vote:1:wang:email", channel="email", now=0) -> bool:
    with engine.begin() as conn:
        return outbox.enqueue(conn, dedup_key=key, community=COMMUNITY, resident=RESIDENT, channel=channel,
                              topic="vote", subject="投票即将截止", body="《更换门禁》的投票将在 24 小时内截止。", now=now)


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(outbox_table)).mappings().all()


def test_a_reminder_is_enqueued_once_and_the_choices_are_kept(resident_with_email):
    assert enqueue(resident_with_email) and not enqueue(resident_with_email)
    assert len(rows(resident_with_email)) == 1
    assert read_choices(resident_with_email, COMMUNITY, RESIDENT)["email"] is True
    assert read_choices(resident_with_email, COMMUNITY, "0x" + "ee" * 20)["email"] is False  # nobody chose: nothing
    with pytest.raises(ValueError):
        enqueue(resident_with_email, key="x", channel="pigeon")


def test_an_smtp_outage_is_waited_out_with_backoff_and_the_reminder_sent_once(notify_settings, resident_with_email,
                                                                              smtp_port):
    clock = Clock()
    sender = Sender(notify_settings, clock=clock)
    enqueue(resident_with_email, now=int(clock.now))
    assert sender.deliver_due() == {"sent": 0, "retry": 1, "dead": 0}  # nobody listens on the SMTP port
    [row] = rows(resident_with_email)
    assert (row["state"], row["attempts"]) == ("pending", 1) and "not reachable" in row["last_error"]
    controller, inbox = start_smtp(smtp_port)
    try:
        assert sender.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}  # not due yet: backing off
        clock.now += 1
        assert sender.deliver_due()["sent"] == 1
        clock.now += 3600
        assert sender.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}
        [(to, message)] = inbox.messages
        assert to == ["wang@example.org"] and "Message-ID: <" in message
        [row] = rows(resident_with_email)
        assert (row["state"], row["attempts"]) == ("sent", 2)
    finally:
        controller.stop()
        sender.close()


def test_a_lapsed_lease_is_taken_again_a_held_one_is_not(notify_settings, resident_with_email, smtp_port):
    clock = Clock()
    enqueue(resident_with_email, now=int(clock.now))
    [dead_senders] = outbox.claim(resident_with_email, int(clock.now), notify_settings.notify_lease_s)
    controller, inbox = start_smtp(smtp_port)
    sender = Sender(notify_settings, clock=clock)
    try:
        assert sender.deliver_due()["sent"] == 0  # another sender holds it
        clock.now += notify_settings.notify_lease_s + 1  # … and died: its lease lapses
        assert sender.deliver_due()["sent"] == 1
        # The dead sender's late word changes nothing: it no longer holds the row.
        assert not outbox.mark_sent(resident_with_email, dead_senders, int(clock.now))
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
        sender.close()


def test_no_address_in_the_vault_is_dead_at_once(notify_settings, resident_with_email):
    with resident_with_email.begin() as conn:
        vault_store.put_fields(conn, load_keyring(notify_settings), COMMUNITY, RESIDENT, {"email": None}, 2)
    enqueue(resident_with_email)
    sender = Sender(notify_settings)
    assert sender.deliver_due() == {"sent": 0, "retry": 0, "dead": 1}
    assert rows(resident_with_email)[0]["last_error"] == "no e-mail address in the vault"
    sender.close()


def _env(settings: Settings) -> dict:
    return {**os.environ, "LINLI_ENVIRONMENT": "test", "LINLI_VAULT_DATABASE_URL": settings.vault_database_url,
            "LINLI_VAULT_KEY": settings.vault_key.get_secret_value(), "LINLI_VAULT_KEY_FILE": str(settings.vault_key_file),
            "LINLI_DATABASE_URL": settings.database_url, "LINLI_NOTIFY_SMTP_HOST": "127.0.0.1",
            "LINLI_NOTIFY_SMTP_PORT": str(settings.notify_smtp_port), "LINLI_NOTIFY_BACKOFF_S": "0.3",
            "LINLI_NOTIFY_BACKOFF_MAX_S": "0.6", "LINLI_NOTIFY_LEASE_S": "2", "LINLI_NOTIFY_TIMEOUT_S": "3"}


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_reminder_survives_an_outage_and_a_killed_sender_and_arrives_once(notify_settings, resident_with_email,
                                                                           smtp_port):
    enqueue(resident_with_email, now=int(time.time()))
    command = [sys.executable, "-m", "backend.notify", "run", "--every", "0.2"]
    first = subprocess.Popen(command, cwd=ROOT, env=_env(notify_settings), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        _wait(lambda: rows(resident_with_email)[0]["attempts"] >= 2)  # the SMTP server is away: retried, backing off
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert rows(resident_with_email)[0]["state"] in ("pending", "sending")
    controller, inbox = start_smtp(smtp_port)
    second = subprocess.Popen(command, cwd=ROOT, env=_env(notify_settings), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        _wait(lambda: rows(resident_with_email)[0]["state"] == "sent")
        time.sleep(1.5)  # several more rounds: nothing more goes out
        assert len(inbox.messages) == 1
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
        controller.stop()


class Gateway(BaseHTTPRequestHandler):
    """An operator's SMS gateway: answers 503 `fail_first` times, then 200; keeps what it got."""

    received: list = []
    fail_first = 1

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        if len(type(self).received) <= type(self).fail_first:
            self.send_response(503)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_webhook_retries_a_failing_gateway_and_signs_what_it_sends(notify_settings, resident_with_email):
    Gateway.received, Gateway.fail_first = [], 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = notify_settings.model_copy(update={
        "notify_webhook_url": f"http://127.0.0.1:{server.server_port}/sms", "notify_webhook_secret": SecretStr("s3")})
    clock = Clock()
    sender = Sender(settings, clock=clock)
    enqueue(resident_with_email, key="notice:1:wang:webhook", channel="webhook", now=int(clock.now))
    try:
        assert sender.deliver_due()["retry"] == 1
        clock.now += 1
        assert sender.deliver_due()["sent"] == 1
        clock.now += 60
        assert sender.deliver_due()["sent"] == 0
        assert len(Gateway.received) == 2
        headers, body = Gateway.received[-1]
        payload = json.loads(body)
        assert payload["phone"] == "+86 139 0000 0000" and payload["id"] == "notice:1:wang:webhook"
        assert headers["Idempotency-Key"] == "notice:1:wang:webhook"
        assert headers["X-Linli-Signature"] == "sha256=" + hmac.new(b"s3", body, hashlib.sha256).hexdigest()
    finally:
        server.shutdown()
        sender.close()
