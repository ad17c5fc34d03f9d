"""CultureWorks: works minted with a binary CIDv1 (`mint_work_cid`).

The contract keeps the CID's prefix in the work word and its digest in one slot,
and shows the text form "ipfs://b…" (multibase base32) in tokenURI, work() and the
WorkMinted event. Expected strings come from IPFS documentation and tools (fixed
vectors) and from Python's standard base32 (round trips)."""

from __future__ import annotations

import ape
import pytest

from tests.culture.conftest import DAG_CBOR, DAG_JSON, DAG_PB, RAW, URI, cid_uri, cid_v1, sha, varint

ZERO = "0x0000000000000000000000000000000000000000"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58_decode(text: str) -> bytes:
    """base58btc (the CIDv0 text form): a big-endian number, leading "1"s are zero bytes."""
    n = 0
    for ch in text:
        n = n * 58 + BASE58.index(ch)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def v0_to_v1(text: str) -> bytes:
    """A CIDv0 (base58btc of a sha2-256 multihash) as the binary CIDv1 of the same
    content: version 1, dag-pb, the same multihash."""
    multihash = base58_decode(text)
    assert multihash[:2] == b"\x12\x20" and len(multihash) == 34
    return b"\x01\x70" + multihash


# ---------------------------------------------------------------- known answers


# (binary CID, the text its source prints, where it comes from)
KNOWN = [
    (
        bytes.fromhex("01701220c3c4733ec8affd06cf9e9ff50ffc6bcd2ec85a6170004bb709669c31de94391a"),
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        # docs.ipfs.tech, concepts/content-addressing ("CID as hex" and
        # `ipfs cid format -v 1 -b base32 QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR`).
        "ipfs-docs content-addressing",
    ),
    (
        v0_to_v1("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"),
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "ipfs-docs content-addressing, from the CIDv0",
    ),
    (
        v0_to_v1("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"),
        "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        # docs.ipfs.tech, concepts/content-addressing: multiformats `v0.toV1().toString()`.
        "ipfs-docs toV1",
    ),
    (
        v0_to_v1("QmQ7D7QqcAhFdrFfquiz7B5RWZiJ6e9Ast1LzpXZEdZWF5"),
        "bafybeia2ixqr5fda7cw5vem65xtirm6puhde3vrehkv4zqxxicwc6gbmuq",
        # @adraffy/cid README: `CID.from(...).upgrade().toString(Multibase.for('b'))`.
        "@adraffy/cid upgrade",
    ),
    (
        cid_v1(sha('"hello world" \r\n'), RAW),
        "bafkreiedpegc2outvfezshfallhtlersllqndmuig7yqieaprzq6evslum",
        # go-ipfs 0.4.21 on Windows: `echo "hello world" >hello`, `ipfs add hello
        # --cid-version=1` (richardschneider/net-ipfs-core#78); raw leaves, so the
        # digest is the file's own sha256.
        "go-ipfs 0.4.21 add --cid-version=1",
    ),
]


@pytest.mark.parametrize("cid, text, source", KNOWN, ids=[k[2] for k in KNOWN])
def test_known_answer(culture, owner_a, cid, text, source):
    # The fixed text is what IPFS prints; Python's base32 agrees with it.
    assert cid_uri(cid) == "ipfs://" + text
    tx = culture.mint_work_cid("福", 0, sha(source), cid, sender=owner_a)
    assert culture.tokenURI(tx.return_value) == "ipfs://" + text
    assert tx.decode_logs(culture.WorkMinted)[0].uri == "ipfs://" + text


# ---------------------------------------------------------------- round trips


def _digests():
    yield sha("metadata.json")
    yield b"\x00" * 32
    yield b"\xff" * 32
    yield bytes(range(32))


CASES = [
    (codec, i)
    for codec in (RAW, DAG_PB, DAG_CBOR, DAG_JSON, 0x4000, 0x0FFFFFFF)  # 1, 2, 3 and 4 varint bytes
    for i in range(4)
]


@pytest.mark.parametrize("codec, i", CASES, ids=[f"codec{c:#x}-digest{i}" for c, i in CASES])
def test_round_trip(culture, registry, owner_a, chain, codec, i):
    digest = list(_digests())[i]
    cid = cid_v1(digest, codec)
    assert 36 <= len(cid) <= 39
    expected = cid_uri(cid)
    h = sha(f"work-{codec}-{i}")
    tx = culture.mint_work_cid("作品", 3, h, cid, sender=owner_a)
    token_id = int.from_bytes(h, "big")
    assert tx.return_value == token_id
    assert culture.tokenURI(token_id) == expected
    minted_at = chain.blocks[tx.block_number].timestamp
    work = culture.work(token_id)
    assert (work.creator, work.owner, work.kind, work.minted_at, work.hidden, work.gifted, work.uri) == (
        owner_a.address, owner_a.address, 3, minted_at, False, False, expected
    )
    assert culture.provenance(h) == (token_id, owner_a.address, minted_at)
    [transfer] = tx.decode_logs(culture.Transfer)
    assert (transfer.sender, transfer.receiver, transfer.token_id) == (ZERO, owner_a.address, token_id)
    [event] = tx.decode_logs(culture.WorkMinted)
    assert (event.token_id, event.creator, event.household, event.kind) == (
        token_id, owner_a.address, registry.household_of(owner_a), 3
    )
    assert (bytes(event.content_hash), event.title, event.uri) == (h, "作品", expected)


def test_dag_json_text_form(culture, owner_a):
    # dag-json's code 0x0129 is two varint bytes: "bagu…" is its CIDv1 prefix.
    cid = cid_v1(sha("{}"), DAG_JSON)
    assert cid[:3] == b"\x01\xa9\x02"
    tx = culture.mint_work_cid("t", 1, sha("json"), cid, sender=owner_a)
    assert culture.tokenURI(tx.return_value).startswith("ipfs://baguqeera")


def test_same_uri_through_either_entry_point(culture, owner_a):
    # The text form minted as a string and the binary CID show the same URI.
    cid = KNOWN[0][0]
    a = culture.mint_work_cid("t", 1, sha("a"), cid, sender=owner_a).return_value
    b = culture.mint_work("t", 1, sha("b"), cid_uri(cid), sender=owner_a).return_value
    assert culture.tokenURI(a) == culture.tokenURI(b) == cid_uri(cid)


def test_a_cid_takes_the_storage_of_a_cidv0(culture, owner_a, owner_b, owner_c):
    # Each creator's first work, so the balance slot costs the same in all three.
    # The CIDv1 as text (66 bytes) takes the work word and 2 more slots; as binary,
    # the work word and 1, like a CIDv0 URI (53 bytes): a fresh slot is 22,100 gas.
    cid = cid_v1(sha("metadata"), DAG_PB)
    text = culture.mint_work("t", 1, sha("text"), cid_uri(cid), sender=owner_a)
    binary = culture.mint_work_cid("t", 1, sha("binary"), cid, sender=owner_b)
    v0 = culture.mint_work("t", 1, sha("v0"), URI, sender=owner_c)
    assert text.gas_used - binary.gas_used > 20_000
    assert abs(binary.gas_used - v0.gas_used) < 2_000


# ---------------------------------------------------------------- refusals


def _digest_of(n):
    return bytes(range(n))


REFUSED = [
    (b"", "culture: empty cid"),
    # Version: CIDv0's binary form is the bare multihash (0x12 0x20 …).
    (b"\x12\x20" + _digest_of(32), "culture: not a CIDv1"),
    (b"\x00\x70\x12\x20" + _digest_of(32), "culture: not a CIDv1"),
    (b"\x02\x70\x12\x20" + _digest_of(32), "culture: not a CIDv1"),
    (b"\x81\x01\x70\x12\x20" + _digest_of(32), "culture: not a CIDv1"),
    # Codec varint: over 4 bytes, not minimal (a trailing 0x00 byte), or unfinished.
    (b"\x01" + varint(2**28) + b"\x12\x20" + _digest_of(32), "culture: unsupported cid codec"),
    (b"\x01\xf0\x00\x12\x20" + _digest_of(32), "culture: unsupported cid codec"),
    (b"\x01\x80\x80\x80\x80", "culture: unsupported cid codec"),
    # Multihash: sha2-512, blake2b-256 (0xb220), identity, sha1; a CID cut short.
    (b"\x01\x70\x13\x40" + _digest_of(64), "culture: cid hash is not sha2-256"),
    (b"\x01\x70" + varint(0xB220) + b"\x20" + _digest_of(32), "culture: cid hash is not sha2-256"),
    (b"\x01\x55\x00\x05hello", "culture: cid hash is not sha2-256"),
    (b"\x01\x70\x11\x14" + _digest_of(20), "culture: cid hash is not sha2-256"),
    (b"\x01", "culture: cid hash is not sha2-256"),
    (b"\x01\x70", "culture: cid hash is not sha2-256"),
    # Digest: a truncated sha2-256 (0x10 bytes), one byte short or long of 32.
    (b"\x01\x70\x12\x10" + _digest_of(16), "culture: cid digest is not 32 bytes"),
    (b"\x01\x70\x12\x20" + _digest_of(31), "culture: cid digest is not 32 bytes"),
    (b"\x01\x70\x12\x20" + _digest_of(33), "culture: cid digest is not 32 bytes"),
    (b"\x01\x70\x12\x20", "culture: cid digest is not 32 bytes"),
    (b"\x01\x70\x12\x21" + _digest_of(33), "culture: cid digest is not 32 bytes"),
]


@pytest.mark.parametrize("cid, reason", REFUSED, ids=[f"{r[1][9:]}-{r[0][:6].hex()}-{len(r[0])}" for r in REFUSED])
def test_cid_refusals(culture, owner_a, cid, reason):
    with ape.reverts(reason):
        culture.mint_work_cid("t", 1, sha("refused"), cid, sender=owner_a)
    assert culture.provenance(sha("refused"))[0] == 0


def test_cid_over_the_bound_is_refused(culture, owner_a):
    assert culture.MAX_CID() == 80
    with ape.reverts():
        culture.mint_work_cid("t", 1, sha("long"), b"\x01" * 81, sender=owner_a)


@pytest.mark.parametrize(
    "title, kind, content, reason",
    [
        ("t", 6, "a", "culture: unknown kind"),
        ("t", 255, "a", "culture: unknown kind"),
        ("t", 1, None, "culture: empty content hash"),
        ("", 1, "a", "culture: empty title"),
    ],
)
def test_mint_refusals_shared_with_mint_work(culture, owner_a, title, kind, content, reason):
    h = b"\x00" * 32 if content is None else sha(content)
    with ape.reverts(reason):
        culture.mint_work_cid(title, kind, h, KNOWN[0][0], sender=owner_a)


def test_refusal_order_matches_mint_work(culture, owner_a, attacker):
    # The shared rules come first, in mint_work's order, then the CID's form, then
    # the duplicate check, as mint_work checks its URI before the duplicate.
    with ape.reverts("culture: members only"):
        culture.mint_work_cid("", 9, b"\x00" * 32, b"", sender=attacker)
    with ape.reverts("culture: unknown kind"):
        culture.mint_work_cid("", 9, b"\x00" * 32, b"", sender=owner_a)
    with ape.reverts("culture: empty title"):
        culture.mint_work_cid("", 1, sha("x"), b"", sender=owner_a)
    culture.mint_work_cid("t", 1, sha("x"), KNOWN[0][0], sender=owner_a)
    with ape.reverts("culture: empty cid"):
        culture.mint_work_cid("t", 1, sha("x"), b"", sender=owner_a)
    with ape.reverts("culture: content already registered"):
        culture.mint_work_cid("t", 1, sha("x"), KNOWN[0][0], sender=owner_a)


@pytest.mark.parametrize("who", ["attacker", "merchant", "committee", "manager"])
def test_non_members_cannot_mint_with_a_cid(culture, actors, who):
    with ape.reverts("culture: members only"):
        culture.mint_work_cid("t", 1, sha("x"), KNOWN[0][0], sender=actors[who])


def test_same_content_cannot_be_registered_twice_across_entry_points(culture, mint, mint_cid, owner_a, owner_b):
    mint(owner_a, "poem")
    mint_cid(owner_a, "painting")
    for who in (owner_a, owner_b):
        with ape.reverts("culture: content already registered"):
            culture.mint_work_cid("另一个标题", 3, sha("poem"), KNOWN[0][0], sender=who)
        with ape.reverts("culture: content already registered"):
            culture.mint_work("另一个标题", 3, sha("painting"), "ipfs://other", sender=who)
        with ape.reverts("culture: content already registered"):
            culture.mint_work_cid("另一个标题", 3, sha("painting"), KNOWN[1][0], sender=who)
    # The first registration stands, with its own URI.
    assert culture.tokenURI(int.from_bytes(sha("poem"), "big")) == URI
    assert culture.tokenURI(int.from_bytes(sha("painting"), "big")) == cid_uri(cid_v1(sha("metadata:painting")))


# ---------------------------------------------------------------- the rest of the contract on a CID work


def test_likes_gift_hide_and_exhibitions_on_a_cid_work(culture, registry, points, mint_cid, committee, owner_a, owner_b, owner_c, tenant):
    token_id, _ = mint_cid(owner_a, "cid-work", kind=2)
    uri = cid_uri(cid_v1(sha("metadata:cid-work")))
    assert culture.balanceOf(owner_a) == 1
    # Like: points to the creator.
    assert culture.like(token_id, sender=owner_b).return_value == 1
    assert points.balanceOf(owner_a) == 1
    assert culture.liked(registry.household_of(owner_b), token_id)
    # Hide and unhide: the URI survives the flag changes in the work word.
    culture.hide_work(token_id, sha("rule"), sender=committee)
    assert culture.is_hidden(token_id)
    assert culture.tokenURI(token_id) == uri
    assert culture.work(token_id).hidden
    with ape.reverts("culture: work is hidden"):
        culture.like(token_id, sender=owner_c)
    culture.create_exhibition("展", sender=committee)
    with ape.reverts("culture: work is hidden"):
        culture.add_to_exhibition(1, token_id, sender=committee)
    culture.unhide_work(token_id, sha("appeal"), sender=committee)
    # Exhibitions.
    tx = culture.add_to_exhibition(1, token_id, sender=committee)
    assert tx.decode_logs(culture.ExhibitionWorkAdded)[0].token_id == token_id
    assert culture.in_exhibition(1, token_id)
    culture.remove_from_exhibition(1, token_id, sender=committee)
    assert not culture.in_exhibition(1, token_id)
    # Gift, once.
    culture.gift(tenant, token_id, sender=owner_a)
    assert culture.ownerOf(token_id) == tenant.address
    work = culture.work(token_id)
    assert (work.creator, work.owner, work.kind, work.hidden, work.gifted, work.uri) == (
        owner_a.address, tenant.address, 2, False, True, uri
    )
    with ape.reverts("culture: work already gifted"):
        culture.gift(owner_b, token_id, sender=tenant)
    # Likes after the gift still reward the creator.
    culture.like(token_id, sender=owner_c)
    assert points.balanceOf(owner_a) == 2
    assert culture.tokenURI(token_id) == uri


def test_cid_works_are_not_tradeable(culture, mint_cid, owner_a, owner_b):
    token_id, _ = mint_cid(owner_a, "w")
    with ape.reverts("culture: works are not tradeable"):
        culture.transferFrom(owner_a, owner_b, token_id, sender=owner_a)
    with ape.reverts("culture: works are not tradeable"):
        culture.approve(owner_b, token_id, sender=owner_a)


def test_contract_resident_mints_with_a_cid_and_cannot_reenter(culture, registry, points, mint, receiver, owner_a):
    target, _ = mint(owner_a, "target")
    receiver.arm(culture.like.encode_input(target), sender=owner_a)
    cid = KNOWN[2][0]
    receiver.call_culture(culture.mint_work_cid.encode_input("新作", 1, sha("receiver-cid"), cid), sender=owner_a)
    token_id = int.from_bytes(sha("receiver-cid"), "big")
    assert culture.ownerOf(token_id) == receiver.address
    assert culture.tokenURI(token_id) == cid_uri(cid)
    # The hook ran after every effect, and its re-entry was refused.
    assert receiver.attempts() == 1
    assert not receiver.last_reentry_ok()
    assert not culture.liked(registry.household_of(receiver), target)
    assert points.balanceOf(owner_a) == 0


def test_receiver_that_refuses_blocks_a_cid_mint(culture, receiver, owner_a):
    receiver.set_refuse(True, sender=owner_a)
    with ape.reverts("erc721: transfer to non-IERC721Receiver implementer"):
        receiver.call_culture(culture.mint_work_cid.encode_input("t", 1, sha("refused"), KNOWN[0][0]), sender=owner_a)
    assert culture.provenance(sha("refused"))[0] == 0
