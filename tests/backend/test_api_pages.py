"""The pages as the backend serves them: `/`, the modules, the npm libraries (and nothing
else of node_modules), the page config from the manifest, and the one-wallet account
route the Connect page reads; the API's own paths keep working beside them."""

from __future__ import annotations

from eth_account import Account
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict, write_manifest


def test_pages_libraries_and_config(populated, make_indexer, settings, tmp_path):
    manifest = manifest_dict(populated, "local")
    write_manifest(manifest, tmp_path / "manifest.json")
    make_indexer(manifest).sync()
    client = TestClient(create_app(settings.model_copy(update={"manifest": tmp_path / "manifest.json",
                                                               "public_rpc_url": "https://rpc.example.org"})))
    page = client.get("/")
    assert page.status_code == 200 and 'type="importmap"' in page.text and "/static/js/app.js" in page.text
    assert client.get("/static/js/app.js").headers["content-type"].startswith("text/javascript")
    for library in ("/vendor/ethers/ethers.min.js", "/vendor/chart.js/chart.js", "/vendor/@kurkle/color/color.esm.js"):
        reply = client.get(library)
        assert reply.status_code == 200 and len(reply.content) > 5_000, library
    for outside in ("/vendor/ethers/../package.json", "/vendor/@foundry-rs/anvil-linux-amd64/bin/anvil",
                    "/static/../config.py"):
        assert client.get(outside).status_code == 404, outside
    # The API, health, metrics and docs are still where they were.
    assert client.get("/api/v1/communities").status_code == 200
    assert client.get("/docs").status_code == 200 and client.get("/metrics").status_code == 200

    config = client.get("/api/v1/pages/config").json()
    community = populated.registry.address.lower()
    assert (config["community"], config["chain_id"], config["chain_id_hex"]) == \
        (community, populated.chain_id, hex(populated.chain_id))
    assert config["chain"]["rpcUrls"] == ["https://rpc.example.org"]
    assert config["chain"]["chainId"] == hex(populated.chain_id)
    assert config["api"] == f"/api/v1/communities/{community}"
    points = config["contracts"]["CommunityPoints"]
    assert points["address"] == populated.points.address
    names = {entry["name"] for entry in points["abi"]}
    assert {"transfer", "balanceOf", "permit"} <= names
    assert all(entry["type"] in {"function", "error"} for entry in points["abi"])  # events come from the API
    relayer = Account.from_key(settings.relayer_private_key(populated.chain_id)).address.lower()
    assert config["relayer"]["address"] == relayer
    assert config["relayer"]["path"] == f"/api/v1/communities/{community}/assembly/ballots"


def test_config_without_a_manifest_says_what_to_set(settings):
    reply = TestClient(create_app(settings)).get("/api/v1/pages/config")
    assert reply.status_code == 503 and "LINLI_MANIFEST" in reply.json()["detail"]
    off = TestClient(create_app(settings.model_copy(update={"manifest": "/nonexistent/manifest.json"})))
    assert off.get("/api/v1/pages/config").status_code == 503


def test_account_route(populated, make_indexer, settings, owner_a, tenant, merchant, provider, roles, registry,
                       points, committee):
    points.mint(owner_a, 40, 1, sender=committee)
    registry.grantRole(roles["committee"], owner_a.address, sender=committee)
    make_indexer(manifest_dict(populated, "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{populated.registry.address}/accounts"
    mine = client.get(f"{base}/{owner_a.address}").json()
    assert [(u["label"], u["area"], u["relation"]) for u in mine["units"]] == \
        [("1-1-101", 8_950, "owner"), ("1-1-102", 12_000, "owner")]
    assert (mine["identity"], mine["owner_area"], mine["points"]) == \
        (registry.identity_of(owner_a.address)[1], 20_950, 40)
    assert mine["roles"] == ["committee"] and mine["merchant"] is False
    lodger = client.get(f"{base}/{tenant.address}").json()
    assert [(u["label"], u["relation"]) for u in lodger["units"]] == [("1-1-201", "resident")]
    assert lodger["identity"] is None and lodger["owner_area"] == 0
    shop = client.get(f"{base}/{merchant.address}").json()
    assert shop["units"] == [] and shop["roles"] == ["merchant"] and shop["merchant"] is True
    stranger = client.get(f"{base}/{'0x' + 'ab' * 20}").json()
    assert (stranger["units"], stranger["roles"], stranger["points"]) == ([], [], 0)
    assert client.get(f"{base}/0x1234").status_code == 422
