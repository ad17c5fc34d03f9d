"""Reminders of votes about to close and of dues, produced from the index (a real anvil,
the indexer) for exactly the residents who should get them, delivered through a real
SMTP server (aiosmtpd) and a real HTTP receiver, once however often a round runs.

Who is who (all chose their channels in My data, except where said):
- owner_a (1-101): e-mail; has not voted; owes two months  -> a vote and a dues reminder;
- owner_b (1-102): e-mail and webhook, but no dues reminders; voted; owes -> nothing;
- owner_c (2-101): webhook; has not voted; paid through last month (this month is due,
  not overdue) -> a vote reminder;
- developer (2-102): a row with no channel; has not voted; owes -> nothing;
- tenant (a resident of 1-101, no owner): e-mail -> nothing (neither votes nor owes);
- merchant (2-103, bought after the proposals were filed, so no vote at their snapshot):
  e-mail, no dues reminders -> nothing (the assembly would refuse its ballot).
Of three proposals only one is about to close: one closes in more than two days and one
was canceled. Before any fee standard (an approved service contract) nobody owes dues,
whatever the billing start says."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from email import message_from_string
from email.policy import default
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from eth_utils import keccak
from pydantic import SecretStr
from sqlalchemy import select

import ape

from backend.chain.deployment import deploy_full_community, manifest_dict, role_id, write_manifest
from backend.notify.models import outbox as outbox_table
from backend.notify.reminders import index_time, produce
from backend.notify.sender import Sender, write_choices
from backend.vault import store as vault_store
from backend.vault.crypto import load_keyring
from backend.vault.db import make_vault_engine, upgrade
from tests.assembly.helpers import FOR, propose
from tests.utils.households import link_resident
from tests.notify.test_outbox import Gateway, free_port, start_smtp
from tests.utils.identity import commitment_for

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400
ON = {"votes": True, "dues": True, "notices": True}


@pytest.fixture(scope="module")
def reminder_world(project, chain, accounts, committee, manager, owner_a, owner_b, owner_c, developer, tenant,
                   merchant):
    """One deployment for the module: units, a fee schedule with two months overdue, three
    proposals (one closing within the reminders' two days) and owner_b's ballot."""
    community = deploy_full_community(project, chain, committee, name="提醒测试小区", hand_over_powers=False,
                                      assembly_params={"min_notice": DAY, "min_voting_period": DAY,
                                                       "max_voting_period": 30 * DAY})
    contracts = community.contracts()
    registry, assembly = community.registry, contracts["OwnersAssembly"]
    fees, token = contracts["PropertyFees"], contracts["SettlementToken"]
    registry.register_units([
        ("1-101", 9_000, owner_a.address, commitment_for("owner_a")),
        ("1-102", 9_500, owner_b.address, commitment_for("owner_b")),
        ("2-101", 11_000, owner_c.address, commitment_for("owner_c")),
        ("2-102", 10_000, developer.address, commitment_for("developer")),
    ], sender=committee)
    link_resident(registry, 1, tenant, commitment_for("tenant"), owner=owner_a)
    closing = propose(assembly, committee, chain, title="更换门禁", notice=DAY, length=3 * DAY)
    later = propose(assembly, committee, chain, title="增设充电桩", notice=DAY, length=10 * DAY)
    withdrawn = propose(assembly, committee, chain, title="撤回的议案", notice=DAY, length=3 * DAY)
    assembly.cancel(withdrawn.id, sender=committee)
    registry.register_units([("2-103", 8_000, merchant.address, commitment_for("merchant"))], sender=committee)
    # Into the vote: 36 hours before `closing` closes.
    chain.pending_timestamp = closing.end - 36 * 3600
    chain.mine()
    assembly.castVote(closing.id, FOR, sender=owner_b)
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.castVote(closing.id, FOR, sender=merchant)
    # Dues from two months ago at a rate from then on; owner_c pays through last month.
    current = fees.current_month()
    fees.set_billing_start(current - 2, sender=committee)
    registry.grantRole(role_id("manager"), manager, sender=committee)
    fees.propose_service_contract(keccak(text="物业服务合同"), manager, current - 2, current + 24, 250, [], 2, 800,
                                  sender=manager)
    fees.approve_service_contract(1, sender=committee)
    token.mint(owner_c, 10**9, sender=committee)
    token.approve(fees, 2**256 - 1, sender=owner_c)
    fees.pay(3, 2, 10**9, sender=owner_c)
    assert [fees.statement(unit).months_overdue for unit in (1, 2, 3, 4, 5)] == [2, 2, 0, 2, 2]
    return {"community": community, "closing": closing, "later": later, "withdrawn": withdrawn, "current": current}


def _vault(settings, community: str, people: dict) -> object:
    """The residents' addresses in the vault and their choices (None: no row at all)."""
    upgrade(settings.vault_database_url)
    vault = make_vault_engine(settings.vault_database_url)
    keys = load_keyring(settings)
    for account, (email, phone, choice) in people.items():
        resident = account.address.lower()
        with vault.begin() as conn:
            vault_store.put_fields(conn, keys, community, resident, {"email": email, "phone": phone}, 1)
        if choice is not None:
            write_choices(vault, community, resident, choice, 1)
    return vault


def test_votes_closing_and_dues_reach_exactly_who_should_get_them_once(reminder_world, make_indexer, engine, settings,
                                                                      chain, owner_a, owner_b, owner_c, developer,
                                                                      tenant, merchant):
    world = reminder_world
    community = world["community"].registry.address.lower()
    make_indexer(manifest_dict(world["community"], "local")).sync()
    config = settings.model_copy(update={"vault_key": SecretStr(base64.b64encode(secrets.token_bytes(32)).decode())})
    vault = _vault(config, community, {
        owner_a: ("a@example.org", "+86 139 0000 0001", {"email": True, "webhook": False} | ON),
        owner_b: ("b@example.org", "+86 139 0000 0002", {"email": True, "webhook": True} | ON | {"dues": False}),
        owner_c: ("c@example.org", "+86 139 0000 0003", {"email": False, "webhook": True} | ON),
        developer: ("d@example.org", "+86 139 0000 0004", {"email": False, "webhook": False} | ON),
        tenant: ("t@example.org", "+86 139 0000 0005", {"email": True, "webhook": False} | ON),
        merchant: ("m@example.org", "+86 139 0000 0006", {"email": True, "webhook": False} | ON | {"dues": False}),
    })
    now = index_time(engine, community)
    assert now == chain.blocks.head.timestamp

    assert produce(engine, vault, community, now) == 3
    assert produce(engine, vault, community, now) == 0  # a round that runs again adds nothing
    with vault.connect() as conn:
        rows = conn.execute(select(outbox_table)).mappings().all()
    closing, current = int(world["closing"].id), world["current"]
    a, c = owner_a.address.lower(), owner_c.address.lower()
    assert {row["dedup_key"] for row in rows} == {
        f"vote:{community}:{closing}:{a}:email",
        f"vote:{community}:{closing}:{c}:webhook",
        f"dues:{community}:{current}:1:{a}:email",
    }
    by_topic = {(row["topic"], row["resident"]): row for row in rows}
    hours = (world["closing"].end - now) // 3600  # the blocks after the vote took a few seconds of the 36 hours
    assert hours in (35, 36) and f"closes in {hours} h" in by_topic["vote", a]["subject"] and \
        f"closes within {hours} hours" in by_topic["vote", a]["body"] and "更换门禁" in by_topic["vote", a]["body"]
    assert "1-101" in by_topic["dues", a]["subject"] and "2 month(s)" in by_topic["dues", a]["body"]

    Gateway.received, Gateway.fail_first = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    smtp_port = free_port()
    controller, inbox = start_smtp(smtp_port)
    sender = Sender(config.model_copy(update={
        "notify_smtp_host": "127.0.0.1", "notify_smtp_port": smtp_port, "notify_timeout_s": 3,
        "notify_webhook_url": f"http://127.0.0.1:{server.server_port}/sms"}), clock=lambda: now)
    try:
        assert sender.deliver_due() == {"sent": 3, "retry": 0, "dead": 0}
        assert produce(engine, vault, community, now) == 0
        assert sender.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}
        assert [to for to, _ in inbox.messages] == [["a@example.org"], ["a@example.org"]]
        mails = [message_from_string(message, policy=default) for _, message in inbox.messages]
        assert sorted(mail["Subject"].split(" · ")[1] for mail in mails) == ["Dues for 1-101",
                                                                              f"Vote closes in {hours} h"]
        assert all("a@example.org" == mail["To"] and mail.get_content().strip() for mail in mails)
        [(headers, body)] = Gateway.received
        assert b"+86 139 0000 0003" in body and headers["Idempotency-Key"] == f"vote:{community}:{closing}:{c}:webhook"
    finally:
        controller.stop()
        server.shutdown()
        sender.close()
        vault.dispose()


def test_no_dues_reminder_for_months_without_a_fee_standard(project, chain, committee, manager, owner_a, make_indexer,
                                                           engine, settings):
    """PropertyFees charges nothing for a month before the first approved service contract:
    a billing start alone (the deployment month by default) makes nothing overdue."""
    community = deploy_full_community(project, chain, committee, name="未定标准小区", hand_over_powers=False)
    fees = community.contracts()["PropertyFees"]
    community.registry.register_units([("1-101", 9_000, owner_a.address, commitment_for("owner_a"))], sender=committee)
    current = fees.current_month()
    fees.set_billing_start(current - 2, sender=committee)
    address = community.registry.address.lower()
    config = settings.model_copy(update={"vault_key": SecretStr(base64.b64encode(secrets.token_bytes(32)).decode())})
    vault = _vault(config, address, {owner_a: ("a@example.org", None, {"email": True, "webhook": False} | ON)})
    try:
        statement = fees.statement(1)
        assert (statement.months_overdue, statement.total) == (2, 0)  # counted by the contract, but owed nothing
        make_indexer(manifest_dict(community, "local")).sync()
        assert produce(engine, vault, address, index_time(engine, address)) == 0
        # A standard from last month on: one month costs something, and the reminder says one.
        community.registry.grantRole(role_id("manager"), manager, sender=committee)
        fees.propose_service_contract(keccak(text="物业服务合同"), manager, current - 1, current + 24, 250, [], 2, 800,
                                      sender=manager)
        fees.approve_service_contract(1, sender=committee)
        assert fees.statement(1).dues == 2 * fees.statement(1).monthly_amount  # last month and this one
        make_indexer(manifest_dict(community, "local")).sync()
        assert produce(engine, vault, address, index_time(engine, address)) == 1
        with vault.connect() as conn:
            [row] = conn.execute(select(outbox_table)).mappings().all()
        assert row["dedup_key"] == f"dues:{address}:{current}:1:{owner_a.address.lower()}:email"
        assert "1 month(s)" in row["body"]
    finally:
        vault.dispose()


def test_the_reminders_command_produces_from_the_index_and_delivers_at_once(reminder_world, make_indexer, engine,
                                                                            settings, chain, owner_a, owner_c,
                                                                            tmp_path):
    """`python -m backend.notify run --produce`, as an operator runs it, one round: what the
    index says is due goes out in that round, though this chain's clock runs days ahead of
    the wall's (the reminders are judged by the index's time, sent by the sender's)."""
    world = reminder_world
    community = world["community"].registry.address.lower()
    manifest = tmp_path / "manifest.json"
    write_manifest(manifest_dict(world["community"], "local"), manifest)
    make_indexer(manifest_dict(world["community"], "local")).sync()
    assert index_time(engine, community) > time.time() + DAY  # the demo chain is ahead
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    config = settings.model_copy(update={"vault_key": SecretStr(key)})
    _vault(config, community, {
        owner_a: ("a@example.org", None, {"email": True, "webhook": False} | ON),
        owner_c: (None, "+86 139 0000 0003", {"email": False, "webhook": True} | ON),
    }).dispose()
    Gateway.received, Gateway.fail_first = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    smtp_port = free_port()
    controller, inbox = start_smtp(smtp_port)
    env = {**os.environ, "LINLI_ENVIRONMENT": "test", "LINLI_DATABASE_URL": settings.database_url,
           "LINLI_VAULT_DATABASE_URL": settings.vault_database_url, "LINLI_VAULT_KEY": key,
           "LINLI_VAULT_KEY_FILE": str(tmp_path / "unused.key"), "LINLI_MANIFEST": str(manifest),
           "LINLI_NOTIFY_SMTP_HOST": "127.0.0.1", "LINLI_NOTIFY_SMTP_PORT": str(smtp_port),
           "LINLI_NOTIFY_TIMEOUT_S": "3", "LINLI_NOTIFY_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/sms"}
    try:
        for _ in range(2):  # the second round finds everything sent: nothing goes out twice
            ran = subprocess.run([sys.executable, "-m", "backend.notify", "run", "--produce"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=60)
            assert ran.returncode == 0, ran.stderr
        assert [to for to, _ in inbox.messages] == [["a@example.org"], ["a@example.org"]]
        assert [json.loads(body)["phone"] for _, body in Gateway.received] == ["+86 139 0000 0003"]
    finally:
        controller.stop()
        server.shutdown()
