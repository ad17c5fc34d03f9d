"""Browser tests of the resident pages: Debian's Chromium driven by Playwright, the real
backend (API + pages + relayer under uvicorn, an indexer thread following the head)
and the real contracts on the anvil Ape runs the tests on.

The wallet is an EIP-1193 provider injected before the page's scripts: it answers
account and chain requests as MetaMask would and forwards everything else, signing
included, to anvil, which signs for its unlocked test accounts.

One browser per session and one backend per module. Ape reverts the chain after each
test, which the indexer sees as a reorganisation and rolls back; `synced` waits for
that before the next test reads the pages.
"""

from __future__ import annotations

import base64
from contextlib import contextmanager
import json
import os
import secrets
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from backend.api.main import create_app
from backend.chain import demo_activity
from backend.chain.demo import demo_key
from backend.chain.deployment import deploy_full_community, manifest_dict, role_id, write_manifest
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.db.migrate import upgrade
from backend.indexer.core import Indexer
from backend.indexer.rpc import RpcClient
from tests.utils.identity import commitment_for
from tests.utils.households import link_resident

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
DAY = 86400
ASSEMBLY_PARAMS = {"timelock_delay": 2 * DAY, "min_notice": DAY, "min_voting_period": DAY,
                   "max_voting_period": 30 * DAY, "objection_window": 3 * DAY}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

PROVIDER_JS = (Path(__file__).parent / "provider.js").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = "Debian's chromium is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_settings(folder: Path, manifest: dict, chain, vault_logger, **extra) -> tuple[Settings, int, str]:
    """The backend's settings for a test site in `folder`: its manifest written, its index
    database migrated, the vault in its own database with Sign-In with Ethereum bound to the
    address the browser opens; returns (settings, port, origin)."""
    write_manifest(manifest, folder / "manifest.json")
    database_url = f"sqlite:///{folder / 'index.db'}"
    upgrade(database_url)
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    settings = Settings(environment="test", database_url=database_url, rpc_url=chain.provider.uri,
                        manifest=folder / "manifest.json", poll_interval_s=0.1, rpc_max_retries=2,
                        rpc_backoff_s=0.05, rpc_backoff_max_s=0.2, relayer_receipt_timeout_s=20,
                        vault_database_url=f"sqlite:///{folder / 'vault.db'}",
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode(),
                        vault_key_file=folder / "unused-vault.key", vault_logger_key=vault_logger.private_key,
                        vault_manifests=[folder / "manifest.json"], vault_siwe_domain=f"127.0.0.1:{port}",
                        vault_siwe_uri=origin, vault_login_rate_per_minute=1000, vault_receipt_timeout_s=20,
                        # A phone's passkey needs a host name: the passkey pages open at localhost.
                        vault_siwe_also=[f"http://localhost:{port}"], **extra)
    return settings, port, origin


@contextmanager
def following(manifest: dict, settings: Settings, name: str):
    """An indexer synced with the chain, then following it in a thread until the block ends;
    yields (indexer, engine, rpc)."""
    engine = make_engine(settings.database_url)
    rpc = RpcClient(settings.rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    indexer = Indexer(manifest, engine, rpc, settings)
    indexer.prepare()
    indexer.sync()
    stop = threading.Event()
    follower = threading.Thread(target=indexer.run, args=(stop,), name=name, daemon=True)
    follower.start()
    try:
        yield indexer, engine, rpc
    finally:
        stop.set()
        follower.join(timeout=10)
        rpc.close()
        engine.dispose()


@contextmanager
def serving(settings: Settings, port: int, name: str):
    """The backend (API and pages) of `settings` on 127.0.0.1:`port` in a thread until the
    block ends; yields its address."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(project, chain, accounts, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider,
          developer, tmp_path_factory, request):
    """A full community with what the demo shows, indexed, behind a live backend (API, pages,
    relayer, and the vault with its own database and Sign-In with Ethereum bound to this server).
    A module's SITE_SETTINGS (a dict) changes the backend's settings, e.g. a limit to meet."""
    # The vault's DataConsent logger is anvil's account 8, as `ape run deploy` appoints on a local chain.
    vault_logger = accounts[8]
    # The deployer keeps the assembly's powers: the pages' tests act as the assembly directly.
    community = deploy_full_community(project, chain, committee, name="邻里测试小区", assembly_params=ASSEMBLY_PARAMS,
                                      hand_over_powers=False,
                                      vault_logger=vault_logger)
    contracts = community.contracts()
    registry, points = community.registry, community.points
    fees, token, assembly = contracts["PropertyFees"], contracts["SettlementToken"], contracts["OwnersAssembly"]
    registry.register_units([
        ("1-1-101", 8_950, owner_a.address, commitment_for("owner_a")),
        ("1-1-102", 12_000, owner_a.address, commitment_for("owner_a")),
        ("1-1-201", 9_000, owner_b.address, commitment_for("owner_b")),
        ("1-1-202", 11_050, owner_c.address, commitment_for("owner_c")),
        ("1-1-301", 10_000, developer.address, commitment_for("developer")),
    ], sender=committee)
    link_resident(registry, 3, tenant, commitment_for("tenant"), owner_b)
    registry.grantRole(role_id("manager"), manager.address, sender=committee)
    registry.grantRole(role_id("merchant"), merchant.address, sender=committee)
    registry.grantRole(role_id("provider"), provider.address, sender=committee)
    for owner in (owner_a, owner_b, owner_c):
        points.mint(owner, 100, 1, sender=committee)

    proposal = demo_activity.open_proposal(assembly, committee, chain, length=20 * DAY)
    demo_activity.start_billing(fees, token, committee, manager, [owner_a.address, owner_b.address, owner_c.address])
    demo_activity.pay_and_claim(fees, token, owner_b, 3)
    invoice = demo_activity.budget_and_expense(fees, committee, manager, provider.address, 300_00)
    assembly.castVote(proposal.id, 0, sender=owner_c)
    points.transfer(merchant, 20, sender=owner_b)
    relayer_key = demo_key("relayer")
    committee.transfer(demo_activity.relayer_address(relayer_key), demo_activity.RELAYER_GAS_MONEY)
    chain.mine()

    manifest = manifest_dict(community, "local")
    settings, port, origin = site_settings(tmp_path_factory.mktemp("e2e"), manifest, chain, vault_logger,
                                           **getattr(request.module, "SITE_SETTINGS", {}))
    with following(manifest, settings, "e2e-indexer") as (indexer, engine, rpc), \
            serving(settings, port, "e2e-api") as url:
        assert url == origin
        yield {
            "url": origin, "community": community, "contracts": contracts, "proposal": proposal,
            "invoice": invoice, "indexer": indexer, "engine": engine, "rpc": rpc, "settings": settings,
        }


@pytest.fixture(autouse=True)
def synced(request, chain):
    """Before each test: the index is on the chain Ape restored (no block of an earlier test)."""
    if "site" not in request.fixturenames:
        yield
        return
    site = request.getfixturevalue("site")
    wait_indexed(site, chain)
    yield


def wait_indexed(site, chain, timeout: float = 20.0) -> None:
    """Until the indexer's checkpoint is the node's head block (same number, same hash)."""
    deadline = time.monotonic() + timeout
    while True:
        head = chain.blocks.head
        number, block_hash = site["indexer"].checkpoint()
        if number == head.number and block_hash == "0x" + bytes(head.hash).hex():
            return
        if number > head.number:
            # Ape restored a snapshot: the chain was cut back under the index with no block
            # after it. The indexer takes a node without the index's head block for a
            # lagging node and waits (issue 17 #7); a real reorg brings a new block, and so
            # does this, so that the indexer sees the replacement and rolls back.
            chain.mine()
            continue
        assert time.monotonic() < deadline, f"index at {number}, chain at {head.number}"
        time.sleep(0.05)


@pytest.fixture
def open_page(browser, site, chain):
    """Factory: a fresh browser context whose wallet is `account`; returns the page at `path`."""
    contexts = []

    def _open(account=None, path: str = "#/connect", viewport=DESKTOP, lang: str | None = None, connected=True,
              wallet: dict | None = None):
        """`wallet`: more of the test wallet's settings (tests/e2e/provider.js: reject, chainId)."""
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(context)
        config = {"rpc": chain.provider.uri, "account": account.address.lower() if account else None,
                  "connected": connected and account is not None, **(wallet or {})}
        context.add_init_script(f"window.__walletConfig = {json.dumps(config)};\n{PROVIDER_JS}")
        if lang:
            context.add_init_script(f"localStorage.setItem('linli.lang', {json.dumps(lang)});")
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.problems = problems
        page.goto(f"{site['url']}/{path}")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("#view[aria-busy=false]")
        return page

    yield _open
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def clear_screenshots() -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)


def fetch_json(site, path: str, **params):
    return httpx.get(f"{site['url']}{path}", params=params, timeout=10).json()
