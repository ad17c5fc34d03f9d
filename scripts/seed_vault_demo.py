# SPDX-License-Identifier: AGPL-3.0-only
"""The vault's side of the demo, through the running API as wallets would use it:
anvil's account 2 (the demo owner) signs in with Ethereum and keeps a profile; the
provider (account 7), which the seed granted the owner's contact details, signs in and
reads them with a purpose, so the vault logs the read on chain first. My data then
shows a grant and an access log entry with its purpose in words. The texts the seed put
on chain as hashes (suggestions and answers, activity descriptions, service requests,
feedback, notices) are stored in the public text store by the wallets that wrote them,
and the proposals' full texts and the covenant in the document store, so the pages show
them and check them against the chain.

`python scripts/seed_vault_demo.py [--api http://127.0.0.1:8000]`; demo.sh runs it after
the API starts. Storing a text again changes nothing; the profile and the read are
skipped when the owner's access log already has an entry.
Local demo only: the keys are anvil's public test keys.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct

from backend.chain import demo_activity

ROOT = Path(__file__).resolve().parent.parent
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"  # anvil's and Ape's test accounts
OWNER, PROVIDER = 2, 7
# Who wrote what in scripts/seed_demo.py: the committee created the activities, the manager
# answered the suggestions, owners 2, 3 and 4 submitted them; 3 and 4 posted the service
# requests and left the feedback.
COMMITTEE, MANAGER, OWNERS = 0, 1, (2, 3, 4)
PROFILE = {"name": "张明（演示）", "phone": "139 0000 0002", "address": "1-1-101（演示）",
           "emergency_contact": "李华（演示） 139 0000 0003"}
PURPOSE = "上门维修前电话联系业主"


def anvil_account(index: int):
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def sign_in(client: httpx.Client, account) -> dict[str, str]:
    """EIP-4361 with the vault's prepared message, signed as personal_sign does."""
    offer = client.post("/api/v1/vault/siwe/nonce", json={"address": account.address})
    offer.raise_for_status()
    message = offer.json()["message"]
    signature = account.sign_message(encode_defunct(text=message)).signature.to_0x_hex()
    session = client.post("/api/v1/vault/siwe/login", json={"message": message, "signature": signature})
    session.raise_for_status()
    return {"Authorization": f"Bearer {session.json()['token']}"}


def demo_texts() -> list[tuple[int, str, str]]:
    """(anvil account, kind, text) of every text the demo seed put on chain as a hash."""
    texts = []
    for who, _category, text, answers in demo_activity.DEMO_SUGGESTIONS:
        texts.append((OWNERS[who], "suggestion", text))
        texts += [(MANAGER, "answer", response) for _status, response in answers if response]
    texts += [(COMMITTEE, "activity", text) for text in demo_activity.DEMO_ACTIVITY_DESCRIPTIONS.values()]
    texts += [(who, "service_request", text) for who, text in zip(OWNERS[1:], demo_activity.DEMO_REQUESTS)]
    texts += [(who, "feedback", text) for who, (_score, text) in zip(OWNERS[1:], demo_activity.DEMO_FEEDBACK)]
    texts += [(COMMITTEE, "notice", text) for *_rest, text in demo_activity.DEMO_NOTICES]
    return texts


def seed_texts(api: str) -> str:
    """Store the demo's texts publicly, each signed in as its writer; what was done, in words."""
    sessions: dict[int, dict[str, str]] = {}
    stored = 0
    with httpx.Client(base_url=api, timeout=60) as client:
        for who, kind, text in demo_texts():
            if who not in sessions:
                sessions[who] = sign_in(client, anvil_account(who))
            answer = client.post("/api/v1/texts", json={"text": text, "kind": kind}, headers=sessions[who])
            if answer.status_code not in (200, 201):
                raise RuntimeError(f"the text store refused a {kind}: {answer.status_code} {answer.text}")
            stored += answer.status_code == 201
    return f"{stored} public texts stored ({len(demo_texts())} in the demo)"


def seed_documents(api: str, community: str) -> str:
    """Store the proposals' full texts (those whose hash the proposal holds) and the
    library's covenant in the document store, as an owner would; what was done, in words."""
    with httpx.Client(base_url=api, timeout=60) as client:
        session = sign_in(client, anvil_account(OWNERS[0]))
        proposals = client.get(f"/api/v1/communities/{community}/assembly/proposals", params={"limit": 100})
        proposals.raise_for_status()
        files = [(demo_activity.proposal_full_text(p["title"]).encode(), f"{p['title']}.md")
                 for p in proposals.json()["items"]
                 if "0x" + demo_activity.full_text_hash(p["title"]).hex() == p["doc_hash"]]
        files.append((demo_activity.DEMO_STATUTE.encode(), "管理规约.md"))
        for content, name in files:
            client.post("/api/v1/documents", params={"filename": name}, content=content,
                        headers=session).raise_for_status()
    return f"{len(files)} documents stored"


def seed(api: str, community: str) -> str:
    """Profile and read through the API at `api`; what was done, in words. RuntimeError
    when the vault refuses the read (no live grant from the seed, say)."""
    owner, provider = anvil_account(OWNER), anvil_account(PROVIDER)
    with httpx.Client(base_url=api, timeout=60) as client:
        owner_session = sign_in(client, owner)
        profile = client.get(f"/api/v1/vault/communities/{community}/profile", headers=owner_session)
        profile.raise_for_status()
        if profile.json()["access_log"]:
            return "already seeded"
        client.put(f"/api/v1/vault/communities/{community}/profile", headers=owner_session,
                   json=PROFILE).raise_for_status()
        read = client.post(f"/api/v1/vault/communities/{community}/residents/{owner.address.lower()}/reads",
                           headers=sign_in(client, provider), json={"scope": "contact", "purpose": PURPOSE})
        if read.status_code != 200:
            raise RuntimeError(f"the provider's read was refused: {read.status_code} {read.text}")
        return (f"{owner.address} keeps a profile; the provider read its contact details "
                f"(logged on chain in {read.json()['tx_hash']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--manifest", type=Path, default=ROOT / "deployments" / "local-31337.json")
    args = parser.parse_args()
    community = json.loads(args.manifest.read_text(encoding="utf-8"))["community"].lower()
    try:
        print(f"public texts: {seed_texts(args.api)}")
        print(f"documents: {seed_documents(args.api, community)}")
        print(f"vault demo: {seed(args.api, community)}")
    except (RuntimeError, httpx.HTTPError) as exc:
        print(f"vault demo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
