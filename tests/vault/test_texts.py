# SPDX-License-Identifier: AGPL-3.0-only
"""Public texts (backend/texts): stored under exactly the hash the chain holds, once, by a
signed-in member; read by anyone; removed by their author or the committee; bounded,
rate-limited, never a 500. On SQLite and
PostgreSQL (the vault database), with sign-in and membership checked on the real anvil."""

from __future__ import annotations

import hashlib

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text, update

from backend.texts.models import public_texts
from backend.texts.service import TextStore
from backend.vault.db import alembic_config, upgrade

TEXTS = "/api/v1/texts"
SUGGESTION = "建议在南门加装一个快递柜，晚上回家取件更方便。\n谢谢！"


class FakeMinute:
    """The rate limiter's clock, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limit_clock():
    return FakeMinute()


@pytest.fixture
def text_store(vault_app, vault_settings, clock, limit_clock):
    texts = TextStore(vault_settings, clock=clock, limit_clock=limit_clock)
    vault_app.state.texts = texts
    yield texts
    texts.close()


def sha256_key(value: str) -> str:
    return "0x" + hashlib.sha256(value.encode()).hexdigest()


def store(client, headers, value: str, kind: str | None = "suggestion"):
    body = {"text": value} if kind is None else {"text": value, "kind": kind}
    return client.post(TEXTS, json=body, headers=headers)


def error_fields(response) -> set[str]:
    return {str(part) for error in response.json()["detail"] for part in error["loc"]}


def test_store_and_read_back_under_its_sha256(client, text_store, signed_in, owner_a, clock):
    response = store(client, signed_in(owner_a), SUGGESTION)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["text_hash"] == "0x" + hashlib.sha256(SUGGESTION.encode()).hexdigest()
    assert stored["text"] == SUGGESTION and stored["kind"] == "suggestion"
    assert stored["stored_by"] == owner_a.address.lower()
    assert abs(stored["stored_at"] - clock()) <= 2

    # Anyone reads it, without a session; any case of the hash finds it.
    for key in (stored["text_hash"], stored["text_hash"].upper().replace("0X", "0x")):
        read = client.get(f"{TEXTS}/{key}")
        assert read.status_code == 200, read.text
        assert read.json() == stored
    assert "immutable" in read.headers["cache-control"]


def test_the_same_text_again_is_the_same_row(client, text_store, signed_in, owner_a, owner_b):
    first = store(client, signed_in(owner_a), SUGGESTION)
    assert first.status_code == 201
    again = store(client, signed_in(owner_b), SUGGESTION, kind="answer")
    assert again.status_code == 200, again.text
    # The first writer, time and kind stay: a stored text never changes.
    assert again.json() == first.json()
    with text_store.engine.connect() as conn:
        assert conn.execute(select(public_texts.c.text_hash)).scalars().all() == [first.json()["text_hash"]]
    # A text differing by one trailing space is another text, another hash.
    other = store(client, signed_in(owner_b), SUGGESTION + " ")
    assert other.status_code == 201 and other.json()["text_hash"] == sha256_key(SUGGESTION + " ")


def test_the_stored_key_is_what_the_chain_holds(client, text_store, signed_in, owner_a, consent_community):
    """The page's order: store, then send the transaction with the answered hash; anyone
    then reads the suggestion's text by the hash the chain has."""
    box = consent_community.extra["SuggestionBox"]
    key = store(client, signed_in(owner_a), SUGGESTION).json()["text_hash"]
    box.submit(3, bytes.fromhex(key[2:]), sender=owner_a)
    on_chain = "0x" + bytes(box.suggestion(box.suggestion_count()).text_hash).hex()
    assert on_chain == key
    assert client.get(f"{TEXTS}/{on_chain}").json()["text"] == SUGGESTION


@pytest.mark.parametrize("value", ["简短", "emoji 🏠 and tabs\tand\r\nCRLF", "x" * 4000, "汉" * 4000])
def test_any_unicode_text_up_to_the_bound(client, text_store, signed_in, owner_a, value):
    response = store(client, signed_in(owner_a), value, kind=None)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["text_hash"] == sha256_key(value) and response.json()["kind"] is None
    assert client.get(f"{TEXTS}/{sha256_key(value)}").json()["text"] == value


def test_no_write_without_a_session(client, text_store, signed_in, owner_a):
    for headers in (None, {"Authorization": "Bearer " + "x" * 43}, {"Authorization": "Basic abc"}):
        response = client.post(TEXTS, json={"text": SUGGESTION}, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    headers = signed_in(owner_a)
    assert client.post("/api/v1/vault/siwe/logout", headers=headers).status_code == 204
    assert store(client, headers, SUGGESTION).status_code == 401
    assert client.get(f"{TEXTS}/{sha256_key(SUGGESTION)}").status_code == 404  # nothing was stored


def test_only_members_committee_and_manager_write(client, text_store, signed_in, attacker, committee, manager,
                                                  tenant, provider):
    refused = store(client, signed_in(attacker), "spam from a fresh key")
    assert refused.status_code == 403 and "owner or resident" in refused.json()["detail"]
    # A provider bids on requests but writes none of the hashed texts.
    assert store(client, signed_in(provider), "a provider's text").status_code == 403
    assert client.get(f"{TEXTS}/{sha256_key('spam from a fresh key')}").status_code == 404
    for writer, value in ((committee, "已采纳，下月安装。"), (manager, "物业已收到。"), (tenant, "租户的建议")):
        response = store(client, signed_in(writer), value, kind="answer")
        assert response.status_code == 201, (writer, response.text)


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"),
    ({"text": "  \n\t "}, "text"),
    ({"text": "x" * 4001}, "text"),
    ({"text": "汉" * 4001}, "text"),
    ({"text": "nul \x00 inside"}, "text"),
    ({"text": "bell \x07"}, "text"),
    ({"text": 42}, "text"),
    ({}, "text"),
    ({"text": "fine", "kind": "novel"}, "kind"),
    ({"text": "fine", "author": "me"}, "author"),
])
def test_unstorable_bodies_are_422_naming_the_field(client, text_store, signed_in, owner_a, body, field):
    response = client.post(TEXTS, json=body, headers=signed_in(owner_a))
    assert response.status_code == 422, response.text[:300]
    assert field in error_fields(response)


def test_a_lone_surrogate_is_422(client, text_store, signed_in, owner_a):
    # Raw JSON: "\ud800" parses into a Python str that has no UTF-8 form, hence no hash.
    headers = {**signed_in(owner_a), "content-type": "application/json"}
    response = client.post(TEXTS, content=b'{"text": "half a pair \\ud800 here"}', headers=headers)
    assert response.status_code == 422, response.text
    assert error_fields(response) >= {"body", "text"}
    # The 422 echoes the input escaped (a lone surrogate cannot be encoded as it is).
    assert response.json()["detail"][0]["input"] == "half a pair \\ud800 here"


@pytest.mark.parametrize("key", ["0x123", "abc", "0x" + "g" * 64, "0x" + "a" * 65, "a" * 66])
def test_a_malformed_hash_is_422_naming_it(client, text_store, key):
    response = client.get(f"{TEXTS}/{key}")
    assert response.status_code == 422
    assert "text_hash" in error_fields(response)


def test_an_unknown_hash_is_404(client, text_store):
    response = client.get(f"{TEXTS}/0x{'ab' * 32}")
    assert response.status_code == 404 and "no text is stored" in response.json()["detail"]


def test_bulk_read_in_the_order_asked(client, text_store, signed_in, owner_a):
    headers = signed_in(owner_a)
    keys = [store(client, headers, value).json()["text_hash"] for value in ("第一", "第二", "第三")]
    unknown = "0x" + "cd" * 32
    asked = [keys[2], unknown, keys[0].upper().replace("0X", "0x"), keys[2]]
    response = client.get(TEXTS, params={"hashes": ",".join(asked)})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [item["text"] for item in answer["items"]] == ["第三", "第一"]  # duplicates once, any case
    assert answer["missing"] == [unknown] and answer["altered"] == []
    hundred = ",".join("0x" + f"{n:064x}" for n in range(100))
    assert client.get(TEXTS, params={"hashes": hundred}).json()["missing"][99] == "0x" + f"{99:064x}"


@pytest.mark.parametrize("hashes", ["", "0x12,0x34", ",".join(["0x" + "ab" * 32, "nope"]),
                                    ",".join("0x" + f"{n:064x}" for n in range(101)), "," * 70])
def test_a_bad_bulk_read_is_422_naming_hashes(client, text_store, hashes):
    response = client.get(TEXTS, params={"hashes": hashes})
    assert response.status_code == 422, response.text[:300]
    assert "hashes" in error_fields(response)
    assert client.get(TEXTS).status_code == 422


def test_a_text_altered_in_the_database_is_not_served(client, text_store, signed_in, owner_a):
    key = store(client, signed_in(owner_a), SUGGESTION).json()["text_hash"]
    with text_store.engine.begin() as conn:
        conn.execute(update(public_texts).where(public_texts.c.text_hash == key).values(text="建议拆掉快递柜。"))
    response = client.get(f"{TEXTS}/{key}")
    assert response.status_code == 409 and "does not match its hash" in response.json()["detail"]
    answer = client.get(TEXTS, params={"hashes": key}).json()
    assert answer == {"items": [], "missing": [], "altered": [key], "removed": []}


def test_writes_are_rate_limited_per_wallet_and_per_client(client, vault_app, vault_settings, clock, signed_in,
                                                           owner_a, owner_b, owner_c):
    minute = FakeMinute()
    limited = vault_settings.model_copy(update={"texts_writes_per_minute": 3,
                                                "texts_writes_per_minute_per_client": 5})
    vault_app.state.texts = TextStore(limited, clock=clock, limit_clock=minute)
    try:
        a, b = signed_in(owner_a), signed_in(owner_b)
        for n in range(3):
            assert store(client, a, f"text {n}").status_code == 201
        refused = store(client, a, "text 3")
        assert refused.status_code == 429 and "by you" in refused.json()["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Another wallet from the same client still writes, up to the client's limit (the refused write counted).
        assert store(client, b, "text b").status_code == 201
        assert store(client, b, "text b 2").status_code == 429
        assert "from this client" in store(client, signed_in(owner_c), "text c").json()["detail"]
        assert client.get(f"{TEXTS}/{sha256_key('text 3')}").status_code == 404  # refused means not stored
        minute.now += 60
        assert store(client, a, "text 3").status_code == 201
    finally:
        vault_app.state.texts.close()


def test_the_table_is_in_the_vault_database_under_its_history(text_store, vault_settings):
    tables = inspect(text_store.engine).get_table_names()
    assert "public_texts" in tables and "vault_profile_fields" in tables
    with text_store.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM vault_alembic_version")).scalar()
    # The newest revision of the vault's history, which includes the texts' (v0002-v0004).
    script = ScriptDirectory.from_config(alembic_config(vault_settings.vault_database_url))
    assert version == script.get_current_head()
    assert {"v0002_public_texts", "v0003_text_removal", "v0004_text_quota"} <= {
        r.revision for r in script.walk_revisions()}
    # Not the index's database, which is dropped and rebuilt from the chain.
    assert vault_settings.vault_database_url != vault_settings.database_url


def test_stores_built_at_once_bring_the_database_up_one_at_a_time(tmp_path):
    """The first page load asks for texts and documents at once: each store upgrades the
    vault's database in its own worker thread. Alembic's context is one per process, and
    two upgrades at once failed with KeyError: 'script' (a 500 on the page)."""
    import threading

    url = f"sqlite:///{tmp_path / 'vault.db'}"
    start, failures = threading.Barrier(6), []

    def build():
        start.wait()
        try:
            upgrade(url)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            failures.append(repr(exc))

    threads = [threading.Thread(target=build) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    from sqlalchemy import create_engine
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM vault_alembic_version")).scalar() == head
    engine.dispose()


def _files_hold(text_store, value: str) -> bool:
    """Whether the vault's SQLite file or its write-ahead log holds `value`'s UTF-8 bytes."""
    from pathlib import Path

    path = Path(text_store.engine.url.database)
    needle = value.encode()
    return any(needle in candidate.read_bytes() for candidate in (path, Path(f"{path}-wal")) if candidate.exists())


def test_its_author_removes_a_text_and_only_a_tombstone_stays(client, text_store, signed_in, owner_a, owner_b,
                                                              clock):
    """A resident who put their phone number into a suggestion takes the words back: every
    reader then learns they were removed and by whom. Whoever stores the same words again
    publishes them under their own name (the committee can remove them for good)."""
    leaked = "楼道灯坏了，请联系我 13912345678。"
    headers = signed_in(owner_a)
    key = store(client, headers, leaked).json()["text_hash"]
    kept = store(client, headers, SUGGESTION).json()["text_hash"]
    sqlite = text_store.engine.dialect.name == "sqlite"
    if sqlite:
        text_store._scrub()
        assert _files_hold(text_store, "13912345678")  # the check below can see it when it is there

    removed = client.delete(f"{TEXTS}/{key.upper().replace('0X', '0x')}", headers=headers)
    assert removed.status_code == 200, removed.text
    tombstone = removed.json()
    assert tombstone == {"text_hash": key, "kind": "suggestion", "stored_by": owner_a.address.lower(),
                         "stored_at": tombstone["stored_at"], "removed_at": tombstone["removed_at"],
                         "removed_by": owner_a.address.lower(), "removed_as": "author"}
    assert abs(tombstone["removed_at"] - clock()) <= 2

    gone = client.get(f"{TEXTS}/{key}")
    assert gone.status_code == 410 and "removed by its author" in gone.json()["detail"]
    answer = client.get(TEXTS, params={"hashes": f"{key},{kept}"}).json()
    assert [item["text"] for item in answer["items"]] == [SUGGESTION]
    assert answer["removed"] == [tombstone] and answer["missing"] == [] and answer["altered"] == []
    # Removing it again answers the same tombstone.
    assert client.delete(f"{TEXTS}/{key}", headers=headers).json() == tombstone
    with text_store.engine.connect() as conn:
        assert conn.execute(select(public_texts.c.text).where(public_texts.c.text_hash == key)).scalar() is None
    if sqlite:
        assert not _files_hold(text_store, "13912345678")
        assert _files_hold(text_store, "快递柜")  # the other text is untouched
    again = store(client, signed_in(owner_b), leaked)
    assert again.status_code == 201 and again.json()["stored_by"] == owner_b.address.lower()


def test_common_wording_cannot_be_blocked_by_storing_and_removing_it(client, text_store, signed_in, owner_a, owner_b,
                                                                     committee):
    """A member stored "同意" and removed it, and nobody could store "同意" again. Now the
    author's removal takes the words out of the store without barring them; only the
    committee's removal (moderation) is final."""
    key = store(client, signed_in(owner_a), "同意", kind="answer").json()["text_hash"]
    assert client.delete(f"{TEXTS}/{key}", headers=signed_in(owner_a)).status_code == 200
    assert client.get(f"{TEXTS}/{key}").status_code == 410
    stored = store(client, signed_in(owner_b), "同意", kind="answer")
    assert stored.status_code == 201, stored.text
    assert stored.json()["stored_by"] == owner_b.address.lower()
    read = client.get(f"{TEXTS}/{key}").json()
    assert (read["text"], read["stored_by"]) == ("同意", owner_b.address.lower())
    # The first author may no longer remove it: it is another member's now.
    assert client.delete(f"{TEXTS}/{key}", headers=signed_in(owner_a)).status_code == 403
    # The committee's removal stays.
    assert client.delete(f"{TEXTS}/{key}", headers=signed_in(committee)).status_code == 200
    refused = store(client, signed_in(owner_a), "同意", kind="answer")
    assert refused.status_code == 410 and "cannot be stored again" in refused.json()["detail"]


@pytest.mark.parametrize("value", [
    "\u200b\u200c\u200d\ufeff",            # zero-width space, non-joiner, joiner, BOM
    "\u202e\u202d\u202c",                  # bidi overrides only
    "\u2066\u2069 \u200b",                  # isolates and a zero-width space
    "\u3164\u3164",                        # Hangul filler: a letter that draws nothing
    "\u2800 \u00a0\u3000",                 # blank Braille, no-break and ideographic spaces
    "\u0301\u0302",                        # combining marks with nothing to sit on
    "付款\u202e123\u202c元",                # visible, but reordered for display (Trojan Source)
])
def test_texts_that_show_nothing_or_reorder_are_refused(client, text_store, signed_in, owner_a, value):
    response = store(client, signed_in(owner_a), value)
    assert response.status_code == 422, response.text[:300]
    assert "text" in error_fields(response)
    assert client.get(f"{TEXTS}/{sha256_key(value)}").status_code == 404


def test_a_wallet_stores_a_bounded_number_of_texts_a_day(client, vault_app, vault_settings, clock, signed_in, owner_a,
                                                         owner_b):
    limited = vault_settings.model_copy(update={"texts_writes_per_day": 3})
    vault_app.state.texts = TextStore(limited, clock=clock, limit_clock=FakeMinute())
    try:
        a = signed_in(owner_a)
        for n in range(3):
            assert store(client, a, f"第 {n} 条").status_code == 201
        refused = store(client, a, "第 3 条")
        assert refused.status_code == 429 and "in a day" in refused.json()["detail"]
        assert 60 < int(refused.headers["retry-after"]) <= 86_400
        assert client.get(f"{TEXTS}/{sha256_key('第 3 条')}").status_code == 404
        # A text already stored is not a new one: answered as before.
        assert store(client, a, "第 0 条").status_code == 200
        # Another wallet has its own day.
        assert store(client, signed_in(owner_b), "第 3 条").status_code == 201
        clock.offset += 86_400
        assert store(client, signed_in(owner_a), "第 4 条").status_code == 201
    finally:
        vault_app.state.texts.close()


def test_the_store_as_a_whole_is_bounded(client, vault_app, vault_settings, clock, signed_in, owner_a, owner_b):
    from backend.texts import store as text_table

    first, second = "一" * 20, "二" * 20  # 60 bytes of UTF-8 each
    bounded = vault_settings.model_copy(update={"texts_max_total_bytes": 100})
    vault_app.state.texts = TextStore(bounded, clock=clock, limit_clock=FakeMinute())
    try:
        key = store(client, signed_in(owner_a), first).json()["text_hash"]
        full = store(client, signed_in(owner_b), second)
        assert full.status_code == 507 and "full" in full.json()["detail"]
        assert client.get(f"{TEXTS}/{sha256_key(second)}").status_code == 404  # nothing of it kept
        with vault_app.state.texts.engine.connect() as conn:
            assert text_table.total_bytes(conn) == 60
        # A removal frees its bytes.
        assert client.delete(f"{TEXTS}/{key}", headers=signed_in(owner_a)).status_code == 200
        assert store(client, signed_in(owner_b), second).status_code == 201
        with vault_app.state.texts.engine.connect() as conn:
            assert text_table.total_bytes(conn) == 60
    finally:
        vault_app.state.texts.close()


def test_the_committee_removes_any_text_and_nobody_else_does(client, text_store, signed_in, owner_a, owner_b,
                                                             manager, attacker, committee):
    key = store(client, signed_in(owner_a), "隔壁 302 的人天天吵，名字叫张三。").json()["text_hash"]
    for who in (owner_b, manager, attacker):
        refused = client.delete(f"{TEXTS}/{key}", headers=signed_in(who))
        assert refused.status_code == 403, (who, refused.text)
        assert "author or the owners' committee" in refused.json()["detail"]
    assert client.delete(f"{TEXTS}/{key}").status_code == 401
    assert client.get(f"{TEXTS}/{key}").status_code == 200  # refused means still there
    removed = client.delete(f"{TEXTS}/{key}", headers=signed_in(committee))
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed_as"] == "committee"
    assert removed.json()["removed_by"] == committee.address.lower()
    assert "removed by the owners' committee" in client.get(f"{TEXTS}/{key}").json()["detail"]
    # The author, later, gets the committee's tombstone, not a second removal.
    assert client.delete(f"{TEXTS}/{key}", headers=signed_in(owner_a)).json() == removed.json()
    assert client.delete(f"{TEXTS}/0x{'ab' * 32}", headers=signed_in(committee)).status_code == 404
    bad = client.delete(f"{TEXTS}/0x123", headers=signed_in(committee))
    assert bad.status_code == 422 and "text_hash" in error_fields(bad)
