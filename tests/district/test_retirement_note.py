# SPDX-License-Identifier: AGPL-3.0-only
"""The street office's note on a retirement, end to end: `ape run district retire NAME
--note … --api URL` puts the note's sha256 on chain and its words in the backend's public
texts (POST /texts/retirement-notes, no sign-in: the hash on chain proves the words), and
the district's table then names the hash the texts answer with the words.

Refused, each with a clear 4xx: words whose hash no retirement of the community commits
(someone storing their own text this way), the note of one community sent for another,
a community no indexed registry lists, a note committed by a registry this server does not
follow (anyone can deploy a DistrictRegistry, list a real community in it and retire it
with their own note), a hash chosen by the sender rather than computed from the words.

One module: a registry owned by the deployer (the street office on a local chain), two
bare communities listed in it and indexed, and a live backend over that index."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from hashlib import sha256
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from backend.chain.deployment import deploy_community, manifest_dict
from backend.chain.district import deploy_district
from backend.core.db import make_engine
from backend.indexer.district import DistrictIndexer, abis_of
from backend.indexer.rpc import RpcClient
from tests.backend.test_indexer_district import ANVIL_FINALITY, list_in

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).with_name("ape"))
NOTE = "名称与民政登记不符，重新登记为“松鹤小区”。"
RECENT_BLOCKS = 8  # the backend's max_block_range: how far back it reads a registry's events


def note_hash(text: str) -> str:
    return "0x" + sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def office(project, chain, committee, accounts, attacker, tmp_path_factory):
    """{registry, pine, cedar (listed communities), origin (the backend), sync() (the district
    indexer reads the registry up to the final block)}."""
    # `attacker` too: a session fixture first set up inside a test would break Ape's isolation.
    from tests.e2e.conftest import serving, site_settings

    registry, _ = deploy_district(project, chain, committee)  # owned by the deployer: the CLI sends directly
    first_block = chain.blocks.head.number
    pine = deploy_community(project, chain, committee, name="松林小区")
    cedar = deploy_community(project, chain, committee, name="柏树小区")
    list_in(registry, pine, committee)
    list_in(registry, cedar, committee)
    chain.mine(ANVIL_FINALITY + 1)
    manifest = manifest_dict(pine, "local")
    settings, port, origin = site_settings(tmp_path_factory.mktemp("office"), manifest, chain, accounts[8],
                                           max_block_range=RECENT_BLOCKS)
    engine = make_engine(settings.database_url)
    rpc = RpcClient(settings.rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    follower = DistrictIndexer(registry.address, first_block, abis_of(manifest), engine, rpc, settings)

    def sync():
        chain.mine(ANVIL_FINALITY + 1)
        follower.sync()

    sync()
    with serving(settings, port, "retirement-note-api") as url:
        yield SimpleNamespace(registry=registry, pine=pine, cedar=cedar, origin=url, sync=sync)
    rpc.close()
    engine.dispose()


def retire(chain, name, note, *extra):
    env = {**os.environ, "APE_FOUNDRY_HOST": chain.provider.uri}
    env.pop("LINLI_DEPLOYER_KEY", None)
    return subprocess.run([APE, "run", "district", "retire", name, "--note", note, *extra,
                           "--network", "ethereum:local:foundry"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def post_note(office, text, community, **extra):
    return httpx.post(f"{office.origin}/api/v1/texts/retirement-notes",
                      json={"text": text, "community": community.lower(), **extra}, timeout=30)


def table_row(office, community, until=lambda row: True):
    """`community`'s row of the district table, once `until` holds: the API keeps its answers
    (built at its start) and, after the index moved, answers with the one kept while it
    rebuilds it in the background, so a reader after a move asks again (as a page reloads)."""
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.get(f"{office.origin}/api/v1/district/communities", timeout=30)
        assert answer.status_code == 200, answer.text
        [row] = [item for item in answer.json()["items"] if item["community"] == community.lower()]
        if until(row) or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def test_retire_with_api_stores_the_note_and_the_district_table_shows_it(chain, office):
    pine = office.pine.registry.address
    unreachable = retire(chain, "松林小区", NOTE, "--api", "http://127.0.0.1:9",
                         "--district", office.registry.address)
    assert unreachable.returncode != 0 and "cannot be reached" in unreachable.stdout + unreachable.stderr
    assert "nothing sent" in unreachable.stdout + unreachable.stderr
    assert not office.registry.community(1).retired

    done = retire(chain, "松林小区", NOTE, "--api", office.origin, "--district", office.registry.address)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"note stored in the public texts at {office.origin} under {note_hash(NOTE)}" in done.stdout
    assert office.registry.community(1).retired
    # Stored from the registry's event of a block not final yet, the registry as its writer.
    stored = httpx.get(f"{office.origin}/api/v1/texts/{note_hash(NOTE)}", timeout=30).json()
    assert (stored["text"], stored["kind"], stored["stored_by"]) == \
        (NOTE, "retirement_note", office.registry.address.lower())

    # Once the retirement is final and indexed: the table names the hash, the texts give the words.
    office.sync()
    row = table_row(office, pine, until=lambda row: row["retired"])
    assert row["retired"] and row["retired_reason_hash"] == note_hash(NOTE)
    texts = httpx.get(f"{office.origin}/api/v1/texts", params={"hashes": row["retired_reason_hash"]},
                      timeout=30).json()
    assert [item["text"] for item in texts["items"]] == [NOTE]
    # The same note again (from the index now, its event long out of the recent blocks): the same row.
    again = post_note(office, NOTE, pine)
    assert again.status_code == 200 and again.json()["stored_at"] == stored["stored_at"]


def test_words_no_retirement_committed_are_refused(chain, office, committee, attacker, project):
    pine, cedar = office.pine.registry.address, office.cedar.registry.address
    if not office.registry.community(1).retired:
        office.registry.retire_community(1, bytes.fromhex(note_hash(NOTE)[2:]), sender=committee)
    # Anyone's own words, sent as the retired community's note: their hash is not the note's.
    own = post_note(office, "这个小区的业委会都是骗子", pine)
    assert own.status_code == 403 and "commits" in own.json()["detail"], own.text
    # The retired community's note, sent for a community listed but not retired.
    other = post_note(office, NOTE, cedar)
    assert other.status_code == 403 and cedar.lower() in other.json()["detail"], other.text
    # A community no registry followed here lists.
    unlisted = post_note(office, NOTE, attacker.address)
    assert unlisted.status_code == 404 and "lists" in unlisted.json()["detail"], unlisted.text
    # A hash of the sender's choosing: the key is always the words' own sha256.
    chosen = post_note(office, "随便写的话", pine, text_hash=note_hash(NOTE))
    assert chosen.status_code in (400, 422), chosen.text
    # A registry of the attacker's own lists the real cedar and retires it with the attacker's words:
    # not a registry this server follows, so its event proves nothing.
    words = "柏树小区已解散"
    rogue = attacker.deploy(project.DistrictRegistry, attacker.address)
    list_in(rogue, office.cedar, attacker)
    rogue.retire_community(1, bytes.fromhex(note_hash(words)[2:]), sender=attacker)
    forged = post_note(office, words, cedar)
    assert forged.status_code == 403, forged.text
    # The ordinary route still asks for a signed-in member: the note's words are no way around it.
    signed_out = httpx.post(f"{office.origin}/api/v1/texts", json={"text": words}, timeout=30)
    assert signed_out.status_code == 401
    for text in (words, "这个小区的业委会都是骗子"):
        assert httpx.get(f"{office.origin}/api/v1/texts/{note_hash(text)}", timeout=30).status_code == 404
