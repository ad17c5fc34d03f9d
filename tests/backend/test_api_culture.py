"""The culture API against a real anvil: the gallery, works, provenance, likes,
creators and exhibitions say what CultureWorks says; lists paginate and filter; bad
input is a 422 naming the field; and fuzzing the culture, activity and promotion
routes gives no server error."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.helpers import fuzz_routes, node_finalized
from tests.backend.culture_scenario import LONG_URI, URI, sha, work_id

ZERO = "0x" + "0" * 40
TITLES = {"couplets": "春联", "lake": "湖畔晨光", "story": "外婆的故事", "garden": "花园改造的点子"}


@pytest.fixture
def culture_api(culture_scene, make_indexer, settings):
    make_indexer(manifest_dict(culture_scene.community, "local")).sync()
    client = TestClient(create_app(settings))
    return client, f"/api/v1/communities/{culture_scene.community.registry.address.lower()}", culture_scene


def token(text: str) -> int:
    return int.from_bytes(sha(text), "big")


def all_pages(client, url, **params):
    items, cursor = [], None
    while True:
        answer = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_works_equal_the_contract(culture_api, chain, owner_a, owner_c):
    client, base, scene = culture_api
    culture = scene.culture
    head = chain.blocks.head.number
    for text, expected_id in scene.works.items():
        answer = client.get(f"{base}/culture/works/{expected_id}")
        assert answer.status_code == 200, answer.text
        got = answer.json()
        view = culture.work(token(text))
        assert (got["creator"], got["owner"], got["kind"], got["minted_at"], got["hidden"], got["uri"]) == \
            (view.creator.lower(), view.owner.lower(), view.kind, view.minted_at, view.hidden, view.uri), text
        assert (got["gift"] is not None) == view.gifted
        assert got["uri"] == culture.tokenURI(token(text))
        assert got["work_id"] == got["content_hash"] == "0x" + sha(text).hex()
        assert int(got["token_id"]) == token(text)
        assert got["title"] == TITLES[text]
        assert sorted(got["exhibitions"]) == [e for e in (1, 2) if culture.in_exhibition(e, token(text))]
        assert (got["indexed_block"], got["finalized_block"]) == (head, node_finalized(chain))
    lake = client.get(f"{base}/culture/works/{work_id('lake')}").json()
    assert lake["uri"] == LONG_URI and lake["owner"] == owner_c.address.lower() != lake["creator"]
    assert lake["gift"]["recipient"] == owner_c.address.lower()
    story = client.get(f"{base}/culture/works/{work_id('story')}").json()
    assert story["hidden"] and story["hidden_reason_hash"] == "0x" + keccak(text="广告").hex()
    garden = client.get(f"{base}/culture/works/{work_id('garden')}").json()
    assert not garden["hidden"] and garden["hidden_reason_hash"] is None
    assert [(c["hidden"], c["reason_hash"]) for c in garden["visibility_history"]] == [
        (True, "0x" + keccak(text="误判").hex()), (False, "0x" + keccak(text="复核后恢复").hex())]
    # Likes: one per household, the points each minted within the daily cap.
    couplets = client.get(f"{base}/culture/works/{work_id('couplets')}").json()
    assert (couplets["likes"], couplets["points_from_likes"], couplets["uri"]) == (3, 3 + 2 + 4, URI)
    assert couplets["creator"] == owner_a.address.lower()


def test_likes_and_creators_equal_the_contract(culture_api, registry, points, owner_a, owner_b, owner_c, tenant,
                                               developer):
    client, base, scene = culture_api
    culture = scene.culture
    likes = all_pages(client, f"{base}/culture/works/{work_id('couplets')}/likes", limit=1)
    assert [(like["liker"], like["points_minted"]) for like in likes] == [
        (owner_b.address.lower(), 3), (owner_c.address.lower(), 2), (developer.address.lower(), 4)]
    for like in likes:
        assert like["household"] == str(registry.household_of(like["liker"]))
        assert culture.liked(int(like["household"]), token("couplets"))
    # The creator's day total of the last like is what the contract keeps for that day.
    mine = all_pages(client, f"{base}/culture/likes", creator=owner_a.address)
    assert len(mine) == 5
    assert tuple(culture.creator_day(owner_a)) == (mine[-1]["day"], mine[-1]["creator_day_total"])
    assert [like["liker"] for like in all_pages(client, f"{base}/culture/likes", liker=developer.address)] == \
        [developer.address.lower()] * 3
    # Points from likes, plus attendance points, are the creators' whole balances.
    attendance = {owner_a: 10, owner_b: 10 + 5, tenant: 5}
    for who, earned in attendance.items():
        creator = client.get(f"{base}/culture/creators/{who.address}").json()
        assert creator["points_from_likes"] + earned == points.balanceOf(who), who
    a = client.get(f"{base}/culture/creators/{owner_a.address}").json()
    assert (a["works"], a["gifted_works"], a["hidden_works"], a["likes_received"], a["points_from_likes"]) == \
        (2, 1, 0, 5, 13)
    assert client.get(f"{base}/culture/creators/{owner_b.address}").json()["hidden_works"] == 1
    overview = client.get(f"{base}/culture").json()
    assert (overview["like_rate"], overview["like_daily_cap"]) == tuple(culture.like_reward()) == (4, 10)
    assert overview["gifts_enabled"] is culture.gifts_enabled() is False
    assert overview["exhibitions"] == culture.exhibition_count() == 2
    assert (overview["works"], overview["hidden_works"], overview["likes"], overview["points_from_likes"]) == \
        (4, 1, 8, 13 + 5 + 4)


def test_gallery_filters_and_pages_newest_first(culture_api, owner_a, owner_b):
    client, base, scene = culture_api

    def ids(**params):
        return [w["work_id"] for w in all_pages(client, f"{base}/culture/works", **params)]

    everything = ids()
    assert everything == [work_id(t) for t in ("garden", "story", "lake", "couplets")]
    assert ids(limit=1) == everything
    assert ids(order="asc") == everything[::-1]
    assert ids(kind=2) == [work_id("lake")]
    assert ids(creator=owner_a.address) == [work_id("lake"), work_id("couplets")]
    assert ids(creator=owner_b.address.upper().replace("0X", "0x")) == [work_id("story")]
    assert ids(exhibition=1) == [work_id("garden"), work_id("couplets")]
    assert ids(exhibition=2) == [work_id("lake")]
    assert ids(hidden=True) == [work_id("story")]
    assert ids(hidden=False) == [w for w in everything if w != work_id("story")]
    assert ids(creator=owner_a.address, exhibition=1) == [work_id("couplets")]
    assert ids(exhibition=2, hidden=True) == []


def test_provenance_and_exhibitions_equal_the_contract(culture_api, owner_a):
    client, base, scene = culture_api
    culture = scene.culture
    for text in scene.works:
        got = client.get(f"{base}/culture/provenance/0x{sha(text).hex().upper()}").json()
        token_id, creator, minted_at = culture.provenance(sha(text))
        assert (int(got["token_id"]), got["creator"], got["minted_at"]) == (token_id, creator.lower(), minted_at)
        assert got["content_hash"] == work_id(text)
    never = sha("a file nobody registered")
    assert tuple(culture.provenance(never)) == (0, ZERO, 0)
    answer = client.get(f"{base}/culture/provenance/0x{never.hex()}")
    assert answer.status_code == 404 and "no work" in answer.json()["detail"]
    listed = client.get(f"{base}/culture/exhibitions").json()["items"]
    assert [(e["exhibition_id"], e["title"], e["size"]) for e in listed] == [
        (1, "春节书画展", culture.exhibition_size(1)), (2, "邻里摄影展", culture.exhibition_size(2))]
    shown = client.get(f"{base}/culture/exhibitions/1").json()
    assert [w["work_id"] for w in shown["works"]] == [work_id("couplets"), work_id("garden")]
    assert shown["size"] == len(shown["works"]) == 2
    for text in scene.works:
        assert culture.in_exhibition(1, token(text)) == (work_id(text) in [w["work_id"] for w in shown["works"]])


BAD_INPUT = [
    ("/culture/works", {"kind": 6}, "kind"),
    ("/culture/works", {"exhibition": 0}, "exhibition"),
    ("/culture/works", {"hidden": "maybe"}, "hidden"),
    ("/culture/works", {"creator": "0x12"}, "creator"),
    ("/culture/works", {"limit": 0}, "limit"),
    ("/culture/works", {"limit": 501}, "limit"),
    ("/culture/works", {"cursor": "latest"}, "cursor"),
    ("/culture/works", {"order": "newest"}, "order"),
    ("/culture/works/0x12", {}, "work_id"),
    ("/culture/works/12345/likes", {}, "work_id"),
    ("/culture/provenance/not-a-hash", {}, "content_hash"),
    ("/culture/likes", {"liker": "alice"}, "liker"),
    ("/culture/creators/0xzz", {}, "creator"),
    ("/culture/exhibitions/0", {}, "exhibition_id"),
    ("/culture/exhibitions/99999999999999999999", {}, "exhibition_id"),
]


def test_unknown_ids_are_404_and_bad_input_422_naming_the_field(culture_api, owner_c):
    client, base, _ = culture_api
    nobody = "0x" + sha("nothing").hex()
    for path in (f"/culture/works/{nobody}", f"/culture/works/{nobody}/likes", f"/culture/provenance/{nobody}",
                 f"/culture/creators/{owner_c.address}", "/culture/exhibitions/3"):
        answer = client.get(base + path)
        assert answer.status_code == 404, path
    for path, params, field in BAD_INPUT:
        answer = client.get(base + path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert field in [entry["loc"][-1] for entry in answer.json()["detail"]], path


def test_fuzzed_culture_activity_and_promotion_routes_give_no_server_error(culture_api, settings):
    """Schemathesis over the culture, activities and promotions routes of a community that
    has them (test_api_fuzz.py covers a community without them, where they stop at 404)."""
    _, _, scene = culture_api
    operations = fuzz_routes(create_app(settings), scene.community.registry.address,
                             "^(culture|activities|promotions)$", examples=12)
    assert operations >= 20
