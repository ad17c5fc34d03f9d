"""The directory through the API, against a real anvil, on SQLite and PostgreSQL: an
organisation names its own wallet (a key, and a contract wallet through EIP-1271), the
committee's Safe names a payee (EIP-1271 over the Safe's members' signatures), a
committee member signed in to the vault sets an entry; and the attacks, each refused
with its reason: a forged signature, naming another organisation's wallet, replaying
an older entry over a newer one, naming a resident or an owner, an entry signed for
another community or another chain, personal data and words too long."""

from __future__ import annotations

import time

from eth_account import Account

from tests.directory.conftest import body_of, entry_of, key_signature, safe_signature
from tests.vault.conftest import sign_in


def _publish(client, base, town, account, entry, signer=None, key=None):
    signature = key_signature(key or account.private_key, town.chain_id, town.registry.address, entry)
    return client.post(base, json=body_of(entry, signature, signer))


def test_an_organisation_names_its_own_wallet_and_anyone_reads_it(directory_town, directory_client, town_base,
                                                                   merchant, provider):
    client, town = directory_client, directory_town
    shop = entry_of(merchant.address, "邻里便利店", "merchant", "021-62345678, www.linli-shop.example")
    answer = _publish(client, town_base, town, merchant, shop)
    assert answer.status_code == 201, answer.text
    assert answer.json()["set_by"] == "organisation" and answer.json()["name"] == "邻里便利店"
    again = _publish(client, town_base, town, merchant, shop)
    assert again.status_code == 200 and again.json()["issued_at"] == shop.issued_at
    repair = entry_of(provider.address, "快修水电", "provider", "400-820-8820")
    assert _publish(client, town_base, town, provider, repair).status_code == 201

    one = client.get(f"{town_base}/{merchant.address.lower()}")
    assert one.status_code == 200 and one.json()["contact"] == "021-62345678, www.linli-shop.example"
    listing = client.get(town_base).json()
    assert [i["name"] for i in listing["items"]] == ["邻里便利店", "快修水电"]
    assert listing["domain"]["chainId"] == town.chain_id
    assert listing["domain"]["verifyingContract"] == town.registry.address
    only = client.get(town_base, params={"category": "provider"}).json()["items"]
    assert [i["organisation"] for i in only] == [provider.address]
    assert client.get(town_base, params={"category": "people"}).status_code == 422
    unnamed = client.get(f"{town_base}/{Account.create().address}")
    assert unnamed.status_code == 404 and "no entry" in unnamed.json()["detail"]

    # A newer entry replaces the older one.
    renamed = entry_of(merchant.address, "邻里便利店（二店）", "merchant", "021-62345678", shop.issued_at + 5)
    assert _publish(client, town_base, town, merchant, renamed).status_code == 201
    assert client.get(f"{town_base}/{merchant.address}").json()["name"] == "邻里便利店（二店）"


def test_replaying_an_older_entry_cannot_overwrite_a_newer_one(directory_town, directory_client, town_base, merchant):
    client, town = directory_client, directory_town
    now = int(time.time())
    old = entry_of(merchant.address, "旧名字", issued_at=now - 100)
    old_body = body_of(old, key_signature(merchant.private_key, town.chain_id, town.registry.address, old))
    assert client.post(town_base, json=old_body).status_code == 201
    new = entry_of(merchant.address, "新名字", issued_at=now)
    assert _publish(client, town_base, town, merchant, new).status_code == 201
    replay = client.post(town_base, json=old_body)
    assert replay.status_code == 409, replay.text
    assert "not newer" in replay.json()["detail"]
    # The same time with other words does not pass either.
    same_time = entry_of(merchant.address, "同一时刻的别名", issued_at=now)
    assert _publish(client, town_base, town, merchant, same_time).status_code == 409
    assert client.get(f"{town_base}/{merchant.address}").json()["name"] == "新名字"


def test_a_forged_signature_and_naming_another_organisations_wallet_are_refused(
        directory_town, directory_client, town_base, merchant, provider, attacker):
    client, town = directory_client, directory_town
    entry = entry_of(merchant.address, "冒名商店")
    # The attacker signs an entry for the merchant's wallet and says the merchant signed it.
    forged = _publish(client, town_base, town, merchant, entry, key=attacker.private_key)
    assert forged.status_code == 422 and "signature is not" in forged.json()["detail"]
    # A signature of bytes that are no signature at all.
    garbage = client.post(town_base, json=body_of(entry, "0x" + "11" * 65))
    assert garbage.status_code == 422
    # The attacker signs as itself: it may name only its own wallet.
    as_itself = _publish(client, town_base, town, attacker, entry, signer=attacker.address)
    assert as_itself.status_code == 403 and "committee" in as_itself.json()["detail"]
    # Another organisation (the provider, an organisation with a role) may not name the merchant either.
    other = _publish(client, town_base, town, provider, entry, signer=provider.address)
    assert other.status_code == 403
    assert client.get(f"{town_base}/{merchant.address}").status_code == 404


def test_an_entry_signed_for_another_community_or_chain_does_not_verify(directory_town, directory_client, town_base,
                                                                        merchant):
    client, town = directory_client, directory_town
    entry = entry_of(merchant.address, "跨小区商店")
    elsewhere = key_signature(merchant.private_key, town.chain_id, town.other.registry.address, entry)
    answer = client.post(town_base, json=body_of(entry, elsewhere))
    assert answer.status_code == 422 and f"on chain {town.chain_id}" in answer.json()["detail"]
    other_chain = key_signature(merchant.private_key, 1, town.registry.address, entry)
    assert client.post(town_base, json=body_of(entry, other_chain)).status_code == 422
    # The community the entry is posted to is one served here.
    unknown = client.post(f"/api/v1/communities/{town.other.registry.address.lower()}/directory",
                          json=body_of(entry, elsewhere))
    assert unknown.status_code == 404
    assert client.get(f"{town_base}/{merchant.address}").status_code == 404


def test_people_are_never_named(directory_town, directory_client, town_base, owner_a, tenant, committee):
    client, town = directory_client, directory_town
    for person in (owner_a, tenant):
        # Neither by themselves ...
        own = _publish(client, town_base, town, person, entry_of(person.address, "张三的小店"))
        assert own.status_code == 422, own.text
        assert "owner or resident" in own.json()["detail"]
        # ... nor by the committee's Safe.
        entry = entry_of(person.address, "业主", "other")
        signature = safe_signature(town, town.members[:2], town.chain_id, town.registry.address, entry)
        by_safe = client.post(town_base, json=body_of(entry, signature, town.safe.address))
        assert by_safe.status_code == 422 and "people are not named" in by_safe.json()["detail"]
    assert client.get(town_base).json()["items"] == []


def test_personal_data_and_long_words_are_refused_before_anything_else(directory_town, directory_client, town_base,
                                                                       merchant):
    client, town = directory_client, directory_town
    refused = {
        "mobile": ("邻里便利店", "店长 138 1234 5678"),
        "mobile +86": ("邻里便利店", "+86 13812345678"),
        "mobile in the name": ("便利店13912345678", ""),
        "ID card": ("邻里便利店", "11010519491231002X"),
        "not a phone an organisation publishes": ("邻里便利店", "8888 8888 8888 8"),
        "name too long": ("店" * 61, ""),
        "contact too long": ("邻里便利店", "a" * 121),
        "empty name": ("", ""),
        "bidi override": ("邻里\u202e店利便", ""),
        "unknown category": None,
    }
    for why, words in refused.items():
        if words is None:
            entry = entry_of(merchant.address, "邻里便利店", "person")
        else:
            entry = entry_of(merchant.address, words[0], "merchant", words[1])
        answer = _publish(client, town_base, town, merchant, entry)
        assert answer.status_code == 422, (why, answer.text)
    detail = _publish(client, town_base, town, merchant,
                      entry_of(merchant.address, "邻里便利店", "merchant", "13812345678")).json()["detail"]
    assert "mobile" in detail and "personal data" in detail
    detail = _publish(client, town_base, town, merchant,
                      entry_of(merchant.address, "邻里便利店", "merchant", "138-1234-5678")).json()["detail"]
    assert "is a mobile number, which is a person's" in detail
    accepted = {"landline": "(021) 6234-5678", "service": "400 820 8820", "short": "95588",
                "site": "https://shop.example"}
    for at, (why, contact) in enumerate(accepted.items()):
        entry = entry_of(merchant.address, "邻里便利店", "merchant", contact, int(time.time()) + at)
        answer = _publish(client, town_base, town, merchant, entry)
        assert answer.status_code == 201, (why, answer.text)


def test_a_contract_wallet_names_itself_through_eip1271(directory_town, directory_client, town_base):
    client, town = directory_client, directory_town
    wallet = town.shop_account.address
    entry = entry_of(wallet, "智能钱包花店", "merchant")
    signature = key_signature(town.shop_key.key, town.chain_id, town.registry.address, entry)
    answer = client.post(town_base, json=body_of(entry, signature))
    assert answer.status_code == 201, answer.text
    wrong = entry_of(wallet, "被改的名字", "merchant", issued_at=entry.issued_at + 1)
    forged = key_signature(Account.create().key, town.chain_id, town.registry.address, wrong)
    assert client.post(town_base, json=body_of(wrong, forged)).status_code == 422


def test_the_committees_safe_names_a_payee_at_its_threshold(directory_town, directory_client, town_base):
    client, town = directory_client, directory_town
    payee = Account.create().address
    entry = entry_of(payee, "绿城物业服务有限公司", "property", "0571-8888-6666")
    one = safe_signature(town, town.members[:1], town.chain_id, town.registry.address, entry)
    below = client.post(town_base, json=body_of(entry, one, town.safe.address))
    assert below.status_code == 422, below.text  # one member of a 2-of-3 Safe is not the Safe
    two = safe_signature(town, town.members[1:], town.chain_id, town.registry.address, entry)
    answer = client.post(town_base, json=body_of(entry, two, town.safe.address))
    assert answer.status_code == 201, answer.text
    assert answer.json()["set_by"] == "committee" and answer.json()["signer"] == town.safe.address
    # The committee's word and the organisation's are ordered by time: the payee's own newer entry wins.
    # (The payee's key is not known here; a Safe member's own key is no committee: refused.)
    member = town.members[0]
    newer = entry_of(payee, "假物业", "property", issued_at=entry.issued_at + 1)
    by_member = client.post(town_base, json=body_of(
        newer, key_signature(member.key, town.chain_id, town.registry.address, newer), member.address))
    assert by_member.status_code == 403


def test_a_signed_in_committee_member_sets_an_entry(directory_town, directory_client, town_base, committee, attacker):
    client, town = directory_client, directory_town
    payee = Account.create().address
    words = {"name": "城东保洁队", "category": "payee", "contact": "0571-86001234"}
    assert client.put(f"{town_base}/{payee}", json=words).status_code == 401
    refused = client.put(f"{town_base}/{payee}", json=words, headers=sign_in(client, attacker))
    assert refused.status_code == 403
    # The deployer holds the committee role in this test community.
    answer = client.put(f"{town_base}/{payee}", json=words, headers=sign_in(client, committee))
    assert answer.status_code == 200, answer.text
    assert answer.json()["set_by"] == "committee" and answer.json()["signature"] is None
    assert client.get(f"{town_base}/{payee}").json()["name"] == "城东保洁队"
    # What a member types is kept in NFC without the spaces around it; a person's number still is not.
    spaced = client.put(f"{town_base}/{payee}", json={**words, "name": " 城东保洁队 "}, headers=sign_in(client, committee))
    assert spaced.status_code == 200 and spaced.json()["name"] == "城东保洁队"
    mobile = client.put(f"{town_base}/{payee}", json={**words, "contact": "13812345678"},
                        headers=sign_in(client, committee))
    assert mobile.status_code == 422 and "mobile" in mobile.json()["detail"]


def test_forged_entries_cannot_use_up_an_organisations_allowance(directory_town, directory_settings, merchant,
                                                                 attacker):
    from fastapi.testclient import TestClient

    from backend.api.main import create_app

    town = directory_town
    app = create_app(directory_settings.model_copy(update={"directory_entries_per_minute_per_organisation": 2}))
    base = f"/api/v1/communities/{town.registry.address.lower()}/directory"
    with TestClient(app) as client:
        now = int(time.time())
        for at in range(5):  # the attacker floods the merchant's wallet with entries it cannot sign
            forged = entry_of(merchant.address, "冒名商店", issued_at=now - 10 + at)
            assert _publish(client, base, town, merchant, forged, key=attacker.private_key).status_code == 422
        for at in range(2):
            real = entry_of(merchant.address, "邻里便利店", issued_at=now + at)
            assert _publish(client, base, town, merchant, real).status_code == 201
        third = _publish(client, base, town, merchant, entry_of(merchant.address, "邻里便利店", issued_at=now + 2))
        assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
    app.state.directory.close()
    app.state.engine.dispose()
