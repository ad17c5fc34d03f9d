"""Fixtures for CultureWorks: a populated community with culture works deployed,
content hashes, helpers that mint a work (with a URI or a binary CIDv1), binary
CIDv1s and their text form, and the re-entering receiver contract."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from backend.chain.deploy_culture import deploy_culture
from tests.utils.identity import commitment_for
from tests.utils.households import link_resident

HOUR = 3600
DAY = 86400
BEIJING = 8 * HOUR
# A typical pinned metadata file (CIDv0): 53 bytes with the scheme.
URI = "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
ATTACKER_SOURCE = Path(__file__).parent / "contracts" / "CultureReceiverAttacker.vy"


def sha(text: str) -> bytes:
    """The sha256 of a work's file (here: of a short text)."""
    return hashlib.sha256(text.encode()).digest()


def beijing_day(timestamp: int) -> int:
    """Day index since 1970-01-01 in Beijing time (UTC+8)."""
    return (timestamp + BEIJING) // DAY


# Multicodec codes of common IPFS content (https://github.com/multiformats/multicodec).
RAW, DAG_PB, DAG_CBOR, DAG_JSON = 0x55, 0x70, 0x71, 0x0129
SHA2_256 = 0x12


def varint(n: int) -> bytes:
    """An unsigned varint (multiformats/unsigned-varint): 7 bits a byte, low first."""
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def cid_v1(digest: bytes, codec: int = DAG_PB) -> bytes:
    """The binary CIDv1 of a sha2-256 digest: version 1, codec, multihash."""
    return varint(1) + varint(codec) + varint(SHA2_256) + varint(len(digest)) + digest


def cid_uri(cid: bytes) -> str:
    """The text form IPFS tools print: ipfs:// + multibase "b" + RFC 4648 base32,
    lower case, without padding."""
    return "ipfs://b" + base64.b32encode(cid).decode().lower().rstrip("=")


ZERO = "0x0000000000000000000000000000000000000000"


def assert_registered(culture, registry, chain, tx, creator, content_hash: bytes, kind: int, title: str, uri: str):
    """A mint's whole record: the token, the work, its provenance, Transfer and WorkMinted."""
    token_id = int.from_bytes(content_hash, "big")
    assert tx.return_value == token_id
    assert culture.tokenURI(token_id) == uri
    minted_at = chain.blocks[tx.block_number].timestamp
    work = culture.work(token_id)
    assert (work.creator, work.owner, work.kind, work.minted_at, work.hidden, work.gifted, work.uri) == (
        creator.address, creator.address, kind, minted_at, False, False, uri
    )
    assert culture.provenance(content_hash) == (token_id, creator.address, minted_at)
    [transfer] = tx.decode_logs(culture.Transfer)
    assert (transfer.sender, transfer.receiver, transfer.token_id) == (ZERO, creator.address, token_id)
    [event] = tx.decode_logs(culture.WorkMinted)
    assert (event.token_id, event.creator, event.household, event.kind) == (
        token_id, creator.address, registry.household_of(creator), kind
    )
    assert (bytes(event.content_hash), event.title, event.uri) == (content_hash, title, uri)
    return token_id


@pytest.fixture
def culture(project, chain, committee, populated):
    return deploy_culture(project, chain, committee, populated)["CultureWorks"]


@pytest.fixture
def mint(culture):
    """Mint a work whose file is `text`; returns the token id."""

    def _mint(who, text, kind=1, title="春联", uri=URI):
        tx = culture.mint_work(title, kind, sha(text), uri, sender=who)
        return int.from_bytes(sha(text), "big"), tx

    return _mint


@pytest.fixture
def mint_cid(culture):
    """Mint a work whose file is `text` with a binary CIDv1 (by default the dag-pb
    CID of sha256("metadata:" + text)); returns the token id and the transaction."""

    def _mint(who, text, kind=1, title="春联", cid=None):
        if cid is None:
            cid = cid_v1(sha(f"metadata:{text}"))
        tx = culture.mint_work_cid(title, kind, sha(text), cid, sender=who)
        return int.from_bytes(sha(text), "big"), tx

    return _mint


@pytest.fixture
def housemate(registry, owner_b, provider):
    """A second resident linked to owner_b's unit 3: same household as the tenant."""
    link_resident(registry, 3, provider, commitment_for("provider-housemate"), owner_b)
    return provider


@pytest.fixture
def neighbour(registry, committee, accounts, chain):
    """The owner of a fifth household (a new unit): one more household to like works."""
    wallet = accounts.generate_test_account()
    chain.set_balance(wallet.address, 10**20)
    registry.register_unit("2-1-101", 9_000, wallet.address, commitment_for("neighbour"), sender=committee)
    return wallet


@pytest.fixture(scope="session")
def attacker_container():
    from ape import compilers

    return compilers.compile_source("vyper", ATTACKER_SOURCE.read_text(), contractName="CultureReceiverAttacker")


@pytest.fixture
def receiver(attacker_container, culture, registry, owner_c, attacker):
    """A contract resident (linked to owner_c's unit 4) that re-enters from onERC721Received."""
    contract = attacker.deploy(attacker_container, culture.address)
    # The contract accepts the invitation itself, as any wallet must.
    registry.invite_resident(4, contract.address, commitment_for("receiver-contract"), sender=owner_c)
    contract.call_any(registry.address, registry.accept_residence.encode_input(4, commitment_for("receiver-contract")),
                      sender=attacker)
    return contract


@pytest.fixture
def actors(committee, manager, owner_a, owner_b, merchant, attacker):
    """Actors by name, for parametrised tests (instead of request.getfixturevalue)."""
    return {
        "committee": committee,
        "manager": manager,
        "owner_a": owner_a,
        "owner_b": owner_b,
        "merchant": merchant,
        "attacker": attacker,
    }
