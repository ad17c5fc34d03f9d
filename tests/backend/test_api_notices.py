"""Documents, notices and their service through the API, against a real anvil and the
indexer: a proposal's full text stored under the hash the proposal holds, its notice
with the frozen roll, owners' signed receipts (an account with a key and an EIP-1271
account contract), the served count, the CSV and PDF service lists, the anchored batch
and a proof verified by scripts/verify_receipt.py, and refused for a receipt never given."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from ape import compilers

from backend.api.main import create_app
from backend.chain.deployment import deploy_full_community, manifest_dict, write_manifest
from backend.db.models import Base, RawEvent, ReceiptBatch
from backend.indexer.specs import EVENT_SPECS
from backend.notices import receipts as rc
from backend.notices.service import Notices
from backend.notify.reminders import index_time, produce
from backend.vault.db import make_vault_engine
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for
from tests.vault.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400
OTHER_COMMON = 9
ACCOUNT_SOURCE = ROOT / "tests" / "notices" / "contracts" / "KeyAccount1271.vy"
FULL_TEXT = "# 关于更换小区门禁系统的议案\n\n一、理由……\n二、费用：从公共收益列支 86,000 元。\n".encode()
ATTACHMENT = b"%PDF-1.4\n% quotation\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def notice_world(project, chain, accounts, committee, owner_a, owner_b, owner_c, tenant, tmp_path, settings):
    anchorer = accounts.generate_test_account()
    committee.transfer(anchorer, 10**19)
    community = deploy_full_community(project, chain, committee, name="送达测试小区", hand_over_powers=False,
                                      vault_logger=anchorer,
                                      assembly_params={"min_notice": 15 * DAY, "min_voting_period": DAY,
                                                       "max_voting_period": 30 * DAY})
    key = Account.create()
    account_type = compilers.compile_source("vyper", ACCOUNT_SOURCE.read_text(), contractName="KeyAccount1271")
    smart = committee.deploy(account_type, key.address)
    registry = community.registry
    registry.register_units([
        ("1-101", 9_000, owner_a.address, commitment_for("owner_a")),
        ("1-102", 9_500, owner_b.address, commitment_for("owner_b")),
        ("2-101", 11_000, owner_c.address, commitment_for("owner_c")),
        ("2-102", 10_000, smart.address, commitment_for("smart account")),
    ], sender=committee)
    link_resident(registry, 1, tenant, commitment_for("tenant"), owner=owner_a)
    path = tmp_path / "manifest.json"
    write_manifest(manifest_dict(community, "local"), path)
    config = settings.model_copy(update={"manifest": path, "vault_manifests": [path],
                                         "vault_logger_key": SecretStr(anchorer.private_key),
                                         "vault_siwe_domain": "testserver", "vault_siwe_uri": "http://testserver",
                                         "documents_max_bytes": 4096, "receipt_clock_skew_s": 600})
    return {"community": community, "contracts": community.contracts(), "smart": smart, "smart_key": key,
            "settings": config, "manifest_path": path}


def ack(chain, board: str, notice_id: int, content: str, owner: str, key, at: int | None = None) -> dict:
    at = at if at is not None else int(time.time())
    message = rc.typed_data(chain.chain_id, board, notice_id, bytes.fromhex(content[2:]), owner, at)
    signature = Account.sign_message(encode_typed_data(full_message=message), key).signature
    return {"owner": owner, "acknowledged_at": at, "signature": signature.to_0x_hex()}


def test_a_proposal_is_readable_noticed_served_and_proven(notice_world, make_indexer, engine, chain, accounts, committee,
                                                          owner_a, owner_b, owner_c, tenant, tmp_path):
    world, contracts = notice_world, notice_world["contracts"]
    board, assembly = contracts["NoticeBoard"], contracts["OwnersAssembly"]
    app = create_app(world["settings"])
    client = TestClient(app)
    base = f"/api/v1/communities/{world['community'].registry.address.lower()}"

    # The proposer stores the full text and an attachment; the store refuses what is not a document.
    auth = sign_in(client, owner_a)
    stored = client.post("/api/v1/documents", params={"filename": "议案全文.md"}, content=FULL_TEXT, headers=auth)
    assert stored.status_code == 201, stored.text
    doc_hash = stored.json()["doc_hash"]
    assert doc_hash == "0x" + hashlib.sha256(FULL_TEXT).hexdigest()
    assert stored.json()["media_type"] == "text/markdown"
    again = client.post("/api/v1/documents", params={"filename": "copy.md"}, content=FULL_TEXT, headers=auth)
    assert again.status_code == 200 and again.json()["filename"] == "议案全文.md"
    attachment = client.post("/api/v1/documents", params={"filename": "报价.pdf"}, content=ATTACHMENT, headers=auth)
    assert attachment.status_code == 201 and attachment.json()["media_type"] == "application/pdf"
    for content, reason in [(b"owner 110101199003074477 lives here", "identity card"),
                            (b"call 13912345678", "mobile phone"),
                            (b"\x00\x01binary", "only PDF"),
                            (b"x" * 5000, "at most 4,096 bytes")]:
        refused = client.post("/api/v1/documents", params={"filename": "f.txt"}, content=content, headers=auth)
        assert refused.status_code in (413, 422) and reason in refused.text, refused.text
    assert client.post("/api/v1/documents", params={"filename": "f.txt"}, content=b"hello").status_code == 401
    outsider = sign_in(client, accounts.generate_test_account())
    assert client.post("/api/v1/documents", params={"filename": "f.txt"}, content=b"spam",
                       headers=outsider).status_code == 403

    # The proposal holds the full text's hash; its notice carries the text and the attachment.
    start = chain.pending_timestamp + 16 * DAY
    tx = assembly.propose([], [], [], OTHER_COMMON, "更换门禁", bytes.fromhex(doc_hash[2:]), start, start + 2 * DAY,
                          sender=committee)
    proposal_id = tx.decode_logs(assembly.ProposalCreated)[0].proposalId
    notice_text = "兹定于投票期内就《更换门禁》表决，议案全文及报价附后。"
    content = "0x" + hashlib.sha256(notice_text.encode()).hexdigest()
    board.publish_notice(bytes.fromhex(content[2:]), 1, 3, "", "关于召开业主大会的公告", proposal_id,
                         [bytes.fromhex(doc_hash[2:]), bytes.fromhex(attachment.json()["doc_hash"][2:])],
                         sender=committee)
    board.register_document(bytes.fromhex(doc_hash[2:]), 7, "更换门禁议案全文", sender=committee)
    board.publish_notice(b"\x01" * 32, 3, 2, "2", "2号楼停水", 0, [], sender=committee)
    make_indexer(manifest_dict(world["community"], "local")).sync()

    got = client.get(f"{base}/notices", params={"proposal_id": str(proposal_id)}).json()
    [notice] = got["items"]
    assert (notice["notice_id"], notice["content_hash"], notice["served"], notice["audience"]) == (1, content, 0, 3)
    assert notice["documents"] == [doc_hash, attachment.json()["doc_hash"]]
    roll = notice["roll"]
    assert (roll["proposal_id"], roll["vote_start"], roll["total_heads"], roll["total_area"]) == (
        str(proposal_id), start, 4, 39_500)
    assert roll["lead"] >= roll["min_notice"] == 15 * DAY
    assert client.get(f"/api/v1/documents/{doc_hash}").content == FULL_TEXT
    library = client.get(f"{base}/documents").json()["items"]
    assert [(d["doc_hash"], d["kind"], d["title"]) for d in library] == [(doc_hash, 7, "更换门禁议案全文")]
    assert len(client.get(f"{base}/notices").json()["items"]) == 2

    # Owners acknowledge with a signature; a resident who is no owner cannot; a signature
    # that is not the owner's, or dated far from now, is refused.
    url = f"{base}/notices/1/receipts"
    first = client.post(url, json=ack(chain, board.address, 1, content, owner_a.address, owner_a.private_key))
    assert first.status_code == 201 and first.json()["served"] == 1, first.text
    assert client.post(url, json=ack(chain, board.address, 1, content, owner_a.address, owner_a.private_key)
                       ).json()["served"] == 1
    assert client.post(url, json=ack(chain, board.address, 1, content, tenant.address, tenant.private_key)
                       ).status_code == 403
    forged = ack(chain, board.address, 1, content, owner_b.address, owner_c.private_key)
    assert client.post(url, json=forged).status_code == 422
    stale = ack(chain, board.address, 1, content, owner_b.address, owner_b.private_key, at=int(time.time()) - 3 * DAY)
    assert client.post(url, json=stale).status_code == 422
    wrong_content = ack(chain, board.address, 1, "0x" + "ab" * 32, owner_b.address, owner_b.private_key)
    assert client.post(url, json=wrong_content).status_code == 422
    assert client.post(url, json=ack(chain, board.address, 1, content, owner_b.address, owner_b.private_key)
                       ).json()["served"] == 2
    # A contract account (a passkey account's shape) acknowledges through EIP-1271.
    smart = world["smart"].address
    by_contract = ack(chain, board.address, 1, content, smart, world["smart_key"].key)
    assert client.post(url, json=by_contract).json()["served"] == 3
    not_its_key = ack(chain, board.address, 1, content, smart, owner_c.private_key)
    assert client.post(f"{base}/notices/1/receipts", json=not_its_key).status_code == 200  # already served: first stands
    assert client.get(f"{base}/notices/1").json()["served"] == 3
    # The building's notice goes to members; an owner of building 2 acknowledges it.
    assert client.post(f"{base}/notices/2/receipts", json=ack(chain, board.address, 2, "0x" + "01" * 32,
                                                             owner_c.address, owner_c.private_key)).status_code == 201
    assert client.post(f"{base}/notices/9/receipts", json=first.json() | {"owner": owner_a.address}).status_code \
        in (404, 422)

    # The service list.
    csv_text = client.get(f"{base}/notices/1/service.csv").content.decode("utf-8-sig")
    lines = csv_text.strip().split("\n")
    assert lines[0].startswith("owner,units,acknowledged_at") and len(lines) == 4
    assert any(line.startswith(owner_a.address.lower() + ",1-101,") for line in lines)
    pdf = client.get(f"{base}/notices/1/service.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000

    # Before anchoring a proof says so; after it the script verifies it against the chain.
    pending = client.get(f"{base}/notices/1/receipts/{owner_a.address}/proof").json()
    assert pending["batch"] is None and pending["proof"] is None
    notices = Notices(world["settings"])
    [batch] = notices.anchor_round()
    assert batch["receipts"] == 4 and notices.anchor_round() == []
    make_indexer(manifest_dict(world["community"], "local")).sync()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ReceiptBatch)) == 1
    for owner in (owner_a.address, smart):
        proof = client.get(f"{base}/notices/1/receipts/{owner}/proof").json()
        assert proof["batch"] == 1 and proof["proof"]
        assert _verify(proof, chain, tmp_path).returncode == 0
    proof = client.get(f"{base}/notices/1/receipts/{owner_a.address}/proof").json()
    answer = _verify(proof, chain, tmp_path)
    assert answer.returncode == 0 and answer.stdout.startswith("verified"), answer.stdout
    # A receipt never given: owner_c never acknowledged notice 1; a proof made up for them fails.
    never = proof | ack(chain, board.address, 1, content, owner_c.address, owner_c.private_key) | {"leaf": None}
    refused = _verify(never, chain, tmp_path)
    assert refused.returncode == 1 and "does not lead to batch 1" in refused.stdout
    assert client.get(f"{base}/notices/1/receipts/{owner_c.address}/proof").status_code == 404
    # Someone else's signature on a real receipt is refused too.
    assert _verify(proof | {"owner": owner_b.address}, chain, tmp_path).returncode == 1
    notices.close()

    # Reminders of new notices for the owners who chose them, once however often produced.
    choices = {"email": True, "webhook": False, "votes": True, "dues": True, "notices": True}
    assert client.put(f"/api/v1/vault{base.removeprefix('/api/v1')}/reminders", json=choices,
                      headers=auth).json()["email"] is True
    assert client.put(f"/api/v1/vault{base.removeprefix('/api/v1')}/reminders", json=choices,
                      headers=outsider).status_code == 403
    vault_engine = make_vault_engine(world["settings"].vault_database_url)
    now = index_time(engine, world["community"].registry.address)
    assert now == chain.blocks.head.timestamp
    assert produce(engine, vault_engine, world["community"].registry.address, now) == 1  # notice 1 (owners)
    assert produce(engine, vault_engine, world["community"].registry.address, now) == 0
    vault_engine.dispose()

    # A withdrawn document stays in the library, marked; every board event has its typed table.
    board.withdraw_document(bytes.fromhex(doc_hash[2:]), b"\x02" * 32, sender=committee)
    make_indexer(manifest_dict(world["community"], "local")).sync()
    [entry] = client.get(f"{base}/documents").json()["items"]
    assert entry["withdrawn_at"] and entry["withdrawn_reason_hash"] == "0x" + "02" * 32
    specs = [spec for spec in EVENT_SPECS if spec.contract == "NoticeBoard"]
    assert {e.name for e in board.contract_type.events} == {spec.event for spec in specs}
    with engine.connect() as conn:
        for spec in specs:
            raw = conn.scalar(select(func.count()).select_from(RawEvent).where(
                RawEvent.contract == "NoticeBoard", RawEvent.event == spec.event))
            assert conn.scalar(select(func.count()).select_from(Base.metadata.tables[spec.table])) == raw > 0, spec


def _verify(claim: dict, chain, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(claim))
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "verify_receipt.py"), str(path),
                           "--rpc", chain.provider.uri], capture_output=True, text=True, timeout=60)
