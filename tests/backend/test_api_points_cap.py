"""The household cap in the index and the API: the cap in force and every clipped
mint, with household keys beyond 64 bits kept whole, equal to what CommunityPoints says."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict

ON_TIME_PAYMENT = 2
GRANT = 1


def test_cap_and_clipped_mints_equal_the_contract(populated, points, committee, owner_a, owner_b, tenant, merchant,
                                                  make_indexer, settings):
    base = f"/api/v1/communities/{populated.registry.address.lower()}/points"
    points.set_household_cap(150, sender=committee)
    points.mint(owner_a, 100, ON_TIME_PAYMENT, sender=committee)
    points.mint(owner_a, 100, ON_TIME_PAYMENT, sender=committee)  # 50 left of the cap
    points.mint(owner_a, 10, ON_TIME_PAYMENT, sender=committee)  # nothing left: clipped to 0
    points.mint(owner_a, 500, GRANT, sender=committee)  # grants are neither counted nor clipped
    points.mint(tenant, 200, ON_TIME_PAYMENT, sender=committee)  # the tenant's household: its unit's owner's (owner_b's)
    points.mint(merchant, 160, ON_TIME_PAYMENT, sender=committee)  # no household: 2**160 | wallet
    make_indexer(manifest_dict(populated, "local")).sync()
    client = TestClient(create_app(settings))

    cap = client.get(f"{base}/cap").json()
    assert (cap["cap"], cap["set_by"]) == (points.household_cap(), committee.address.lower())
    clips = client.get(f"{base}/clips").json()["items"]
    year = points.current_year()
    expected = [
        (owner_a, 100, 50), (owner_a, 10, 0), (tenant, 200, 150), (merchant, 160, 150),
    ]
    assert [(c["recipient"], c["requested"], c["minted"], c["cap"], c["year"], c["reason"]) for c in clips] == [
        (who.address.lower(), asked, given, 150, year, ON_TIME_PAYMENT) for who, asked, given in expected]
    for clip, (who, _, _) in zip(clips, expected, strict=True):
        household = points.cap_household_of(who)
        assert clip["household"] == str(household)
        assert points.household_points(household)[1] == 150
    # A resident counts under its unit's owner's household (issue 16); a wallet in none is 2**160 | wallet.
    assert clips[2]["household"] == str(points.cap_household_of(owner_b)) == str(populated.registry.household_key(owner_b))
    assert int(clips[3]["household"]) == 2**160 | int(merchant.address, 16)
    # Filters by recipient and by household key.
    mine = client.get(f"{base}/clips", params={"recipient": owner_a.address}).json()["items"]
    assert [c["minted"] for c in mine] == [50, 0]
    theirs = client.get(f"{base}/clips", params={"household": clips[2]["household"]}).json()["items"]
    assert [c["recipient"] for c in theirs] == [tenant.address.lower()]
    # The balance is what was minted, clipped or not.
    assert client.get(f"{base}/balances/{owner_a.address}").json()["balance"] == points.balanceOf(owner_a)
    assert client.get(f"{base}/clips", params={"household": "0x12"}).status_code == 422


def test_no_cap_reads_zero(populated, make_indexer, settings):
    make_indexer(manifest_dict(populated, "local")).sync()
    cap = TestClient(create_app(settings)).get(
        f"/api/v1/communities/{populated.registry.address.lower()}/points/cap").json()
    assert (cap["cap"], cap["set_by"]) == (0, None)
