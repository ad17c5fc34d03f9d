# SPDX-License-Identifier: AGPL-3.0-only
"""Issue 18's figure: time from the tap on "vote" to the ballot visible on the page, for a
resident who votes with a passkey, beside the same tap of a MetaMask-style wallet.

    python bench/passkey_vote_bench.py                  # 24 proposals, automine
    python bench/passkey_vote_bench.py --proposals 30 --block-time 2

Everything is its own: Ape starts an anvil (--hardfork osaka: the P256VERIFY precompile
verifies), the full community is deployed as the browser tests deploy it, and the backend
(API, pages, relayer, vault) runs under uvicorn in this process with an indexer thread
following the chain at the backend's default poll interval (0.25 s). Debian's Chromium
(Playwright) opens the pages:

- passkey: a phone (390×844) with no wallet and Chromium's virtual authenticator (CDP
  WebAuthn: ctap2, internal transport, resident key, user verification on and granted, as a
  fingerprint that matches at once). The page creates the passkey, the relayer creates the
  account, the committee registers it as the owner of a unit. The tap is "vote with this
  phone": the page asks the relay for the account's nonce, the passkey signs the call
  (WebAuthn assertion), the relay checks its policy, simulates, sends and waits for the
  receipt, the page waits for the index to reach that block, then draws the proposal again.
- wallet: a desktop page with the injected test wallet of tests/e2e/provider.js (a
  MetaMask user who confirms at once; anvil signs). The tap is "vote" (castVote sent by the
  wallet, ethers waits for the receipt, the page waits for the index, draws again).
- signed: the same wallet's "sign, the relayer sends" (an EIP-712 ballot relayed by
  castVoteBySig: today's relay without a passkey).

"Visible" is the moment the page shows, in "my ballot", the line "you voted: <choice>"
(`[data-testid=my-ballot] [data-testid=voted]`) with the choice read from the index
(`data-choice="for"`), and the view is no longer busy: the relayer's (or the wallet's)
receipt came, the index caught up with its block, and the page was drawn from both. Timed
in the page (performance.now()) from the click, seen by a capture listener before the
page's own handler. Each resident votes once on each of N open proposals, the three in
turn on each proposal. For the passkey a breakdown: tap -> the relay request leaves (nonce
read and the passkey's assertion), the relay request (policy, simulation, sending, receipt),
and relay answer -> visible (index catching up and drawing the page).

With --block-time S, anvil mines a block every S seconds after the setup (evm_setIntervalMining),
as a QBFT chain does; the default mines each transaction at once (the figure is then the
software's own, without waiting for a block). Figures printed, nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402
from eth_utils import to_checksum_address  # noqa: E402

from backend.chain import demo_activity  # noqa: E402
from backend.chain.demo import demo_key  # noqa: E402
from backend.chain.deployment import deploy_full_community, manifest_dict  # noqa: E402
from tests.e2e.conftest import ASSEMBLY_PARAMS, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, PROVIDER_JS, following, \
    serving, site_settings  # noqa: E402
from tests.utils.identity import commitment_for  # noqa: E402

FOR = 1
AREA = 9_500
# The pages_bench figure of a wallet's tap (pay a merchant / a month), for reference.
PAGES_BENCH_NOTE = "pages_bench: a wallet's tap -> page updated, goal p95 <= 1 s"

# Times fetches in the page (the relay's request), before the page's scripts run.
FETCH_TIMES = """(() => {
  const original = window.fetch.bind(window);
  window.__fetches = [];
  window.fetch = async (input, init) => {
    const entry = { url: String(input?.url ?? input), method: init?.method ?? "GET", start: performance.now(), end: null };
    window.__fetches.push(entry);
    try { return await original(input, init); } finally { entry.end = performance.now(); }
  };
})();"""

# Click (capture) -> "you voted: for" in my ballot, drawn from the index, view not busy.
TAP_WATCH = """() => {
  window.__tap = { start: null, done: null };
  window.__fetches.length = 0;
  document.addEventListener("click", () => { window.__tap.start ??= performance.now(); }, { capture: true, once: true });
  const shown = () => document.querySelector('[data-testid=my-ballot] [data-testid=voted][data-choice="for"]')
    && document.getElementById("view").getAttribute("aria-busy") === "false";
  const observer = new MutationObserver(() => {
    if (window.__tap.start !== null && window.__tap.done === null && shown()) {
      window.__tap.done = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
}"""

TAP_RESULT = """(relay) => {
  const call = window.__fetches.find((f) => f.method === "POST" && f.url.includes(relay));
  const tap = window.__tap;
  return { total: tap.done - tap.start, signed: call ? call.start - tap.start : null,
           relay: call && call.end !== null ? call.end - call.start : null,
           shown: call && call.end !== null ? tap.done - call.end : null };
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def rpc(url: str, method: str, params: list) -> object:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=30).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def wait_indexed(api: str, timeout: float = 60.0) -> None:
    head = chain.blocks.head.number
    deadline = time.monotonic() + timeout
    while httpx.get(api, timeout=10).json()["indexed_block"] < head:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the index did not reach block {head}")
        time.sleep(0.1)


def phone(browser, url: str):
    """A phone with no wallet and a platform authenticator; a passkey account created."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    context.add_init_script(FETCH_TIMES)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})
    # WebAuthn needs a host name, not an IP address: the phone opens the pages at localhost.
    page.goto(f"{url.replace('127.0.0.1', 'localhost')}/#/connect")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.wait_for_selector("#view[aria-busy=false]", timeout=60_000)
    page.click("[data-testid=passkey-create]")
    account = page.wait_for_selector("[data-testid=passkey-account]", timeout=60_000).inner_text().strip()
    return context, page, to_checksum_address(account)


def desktop(browser, url: str, node: str, account: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    config = {"rpc": node, "account": account.lower(), "connected": True}
    context.add_init_script(f"window.__walletConfig = {json.dumps(config)};\n{PROVIDER_JS}\n{FETCH_TIMES}")
    page = context.new_page()
    page.goto(f"{url}/#/connect")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    return context, page


def tap(page, proposal_id: int, button: str, relay: str) -> dict:
    page.evaluate(f"location.hash = '#/assembly/{proposal_id}'")
    page.wait_for_selector(f"[data-testid=my-ballot] [data-testid={button}]", timeout=60_000)
    page.wait_for_selector("#view[aria-busy=false]", timeout=60_000)
    page.evaluate(TAP_WATCH)
    page.click(f"[data-testid={button}]")
    page.wait_for_function("window.__tap.done !== null", timeout=60_000, polling=20)
    seconds = {k: (v / 1000 if v is not None else None) for k, v in page.evaluate(TAP_RESULT, relay).items()}
    return seconds


def row(label: str, values: list[float]) -> str:
    return (f"{label:<52}{len(values):>4}{statistics.median(values):>9.2f}{percentile(values, 0.95):>9.2f}"
            f"{max(values):>9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=24, help="open proposals: samples per resident")
    parser.add_argument("--block-time", type=int, default=0,
                        help="seconds between blocks after the setup (0: each transaction mined at once)")
    args = parser.parse_args()
    logger.set_level("WARNING")
    from playwright.sync_api import sync_playwright

    with networks.parse_network_choice("ethereum:local:foundry", provider_settings={"evm_version": "osaka"}), \
            tempfile.TemporaryDirectory(prefix="passkey-vote-bench-") as folder:
        committee, wallet_owner, signing_owner, vault_logger = (accounts.test_accounts[i] for i in (0, 2, 3, 8))
        started = time.perf_counter()
        community = deploy_full_community(project, chain, committee, name="邻里基准小区",
                                          assembly_params=ASSEMBLY_PARAMS, hand_over_powers=False,
                                          vault_logger=vault_logger)
        contracts = community.contracts()
        registry, assembly = community.registry, contracts["OwnersAssembly"]
        registry.register_units([("1-1-101", AREA, wallet_owner.address, commitment_for("bench-wallet")),
                                 ("1-1-102", AREA, signing_owner.address, commitment_for("bench-signed"))],
                                sender=committee)
        committee.transfer(demo_activity.relayer_address(demo_key("relayer")), demo_activity.RELAYER_GAS_MONEY)
        manifest = manifest_dict(community, "local")
        # No per-account or per-client limit met: the bench votes more than a resident would.
        settings, port, origin = site_settings(
            Path(folder), manifest, chain, vault_logger, relayer_limit_per_passkey_account=10_000,
            relayer_limit_per_voter=10_000, relayer_limit_per_client=100_000)
        settings = settings.model_copy(update={"poll_interval_s": 0.25})  # the backend's default, as deployed
        node = chain.provider.uri
        api = f"{origin}/api/v1/communities/{registry.address.lower()}"
        with following(manifest, settings, "bench-indexer"), serving(settings, port, "bench-api") as url, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            phone_context, phone_page, account = phone(browser, url)
            registry.register_units([("2-1-101", AREA, account, commitment_for("bench-passkey"))], sender=committee)
            # N proposals, their votes opened together (the owners were registered before).
            start = chain.pending_timestamp + assembly.min_notice() + 600
            proposals = []
            for n in range(args.proposals):
                title = f"基准议案 {n + 1}"
                tx = assembly.propose([], [], [], demo_activity.OTHER_COMMON, title, demo_activity.full_text_hash(title),
                                      start, start + 20 * 86400, sender=committee)
                proposals.append(tx.decode_logs(assembly.ProposalCreated)[0].proposalId)
            chain.pending_timestamp = start
            chain.mine()
            if args.block_time:
                rpc(node, "evm_setIntervalMining", [args.block_time])
            wait_indexed(api)
            setup = time.perf_counter() - started
            wallet_context, wallet_page = desktop(browser, url, node, wallet_owner.address)
            signed_context, signed_page = desktop(browser, url, node, signing_owner.address)
            relay_calls, relay_ballots = "/passkeys/calls", "/assembly/ballots"
            results: dict[str, list[dict]] = {"passkey": [], "wallet": [], "signed": []}
            began = time.perf_counter()
            for proposal_id in proposals:
                results["passkey"].append(tap(phone_page, proposal_id, "vote-passkey", relay_calls))
                results["wallet"].append(tap(wallet_page, proposal_id, "vote-direct", relay_ballots))
                results["signed"].append(tap(signed_page, proposal_id, "vote-signed", relay_ballots))
            elapsed = time.perf_counter() - began
            for proposal_id in proposals:
                assert all(assembly.hasVoted(proposal_id, voter) for voter in (account, wallet_owner.address,
                                                                               signing_owner.address))
            assert chain.provider.get_balance(account) == 0
            for context in (phone_context, wallet_context, signed_context):
                context.close()
            browser.close()

    mining = f"a block every {args.block_time:g} s" if args.block_time else "each transaction mined at once (automine)"
    print(f"\ntap on 'vote' -> ballot visible, {args.proposals} open proposals, each resident votes on each "
          f"(setup {setup:.0f} s, taps {elapsed:.0f} s)")
    print(f"anvil --hardfork osaka (P256VERIFY precompile), {mining}; backend in process, indexer polling every "
          f"{settings.poll_interval_s:g} s; Chromium {CHROMIUM}")
    print("visible: 'you voted: for' in My ballot, its choice read from the index, the view no longer busy "
          "(receipt in, index at its block, page drawn)")
    print(f"{'':<52}{'n':>4}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    print(row("passkey vote (virtual authenticator, relayed)", [r["total"] for r in results["passkey"]]))
    for part, label in (("signed", "  tap -> relay request sent (nonce, passkey signs)"),
                        ("relay", "  relay request (policy, simulate, send, receipt)"),
                        ("shown", "  relay answer -> visible (index, page drawn)")):
        values = [r[part] for r in results["passkey"] if r[part] is not None]
        if values:
            print(row(label, values))
    print(row("anchor: wallet vote (injected wallet, castVote)", [r["total"] for r in results["wallet"]]))
    print(row("anchor: wallet-signed ballot relayed (castVoteBySig)", [r["total"] for r in results["signed"]]))
    print(f"({PAGES_BENCH_NOTE})")


if __name__ == "__main__":
    main()
