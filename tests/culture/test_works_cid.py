"""CultureWorks: works whose metadata URI is an IPFS CIDv1.

Minted with the binary CID (`mint_work_cid`), or with its text form through
`mint_work`, the contract keeps the CID's prefix in the work word and its digest
in one slot, and shows the text form "ipfs://b…" (multibase base32) in tokenURI,
work() and the WorkMinted event. Text that is not exactly what IPFS prints for
such a CID is kept as text. Expected strings come from IPFS documentation and
tools (fixed vectors) and from Python's standard base32 (round trips)."""

from __future__ import annotations

import string

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.culture.conftest import (DAG_CBOR, DAG_JSON, DAG_PB, RAW, URI, assert_registered, cid_uri, cid_v1, sha,
                                   varint)

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
    assert_registered(culture, registry, chain, tx, owner_a, h, 3, "作品", expected)


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


def test_a_cidv1_takes_the_storage_of_a_cidv0(culture, owner_a, owner_b, owner_c, neighbour, developer):
    # Each creator's first work, so the balance slot costs the same in every row. A
    # URI of 66 bytes takes the work word and 2 more slots (a fresh slot is 22,100
    # gas); a CIDv0 (53 bytes) and a CIDv1, as binary or as its 66-byte text, the
    # work word and 1.
    cid = cid_v1(sha("metadata"), DAG_PB)
    v0 = culture.mint_work("t", 1, sha("v0"), URI, sender=owner_a).gas_used
    v1_binary = culture.mint_work_cid("t", 1, sha("binary"), cid, sender=owner_b).gas_used
    v1_text = culture.mint_work("t", 1, sha("text"), cid_uri(cid), sender=owner_c).gas_used
    other = "https://linli.example/works/" + "m" * 38
    assert len(other) == len(cid_uri(cid)) == 66
    # Owners all (a resident's household costs the registry one more read).
    https = culture.mint_work("t", 1, sha("https"), other, sender=neighbour).gas_used
    same_as_text = culture.mint_work("t", 1, sha("upper"), cid_uri(cid).upper(), sender=developer).gas_used
    assert abs(v1_binary - v0) < 2_500
    assert abs(v1_text - v0) < 5_000
    assert https - v1_text > 15_000
    assert abs(same_as_text - https) < 500


# ---------------------------------------------------------------- a CIDv1's text through mint_work


@pytest.mark.parametrize("codec", [RAW, DAG_PB, DAG_JSON, 0x4000, 0x0FFFFFFF], ids=["raw", "dag-pb", "dag-json", "3-byte", "4-byte"])
def test_mint_work_keeps_a_cidv1_text_as_binary(culture, mint, owner_a, owner_b, codec):
    # The same CID, as text through mint_work (owner_a's first work) and as binary
    # through mint_work_cid (owner_b's first): the same URI everywhere, and within
    # the gas of the digits' decoding and the longer calldata of each other.
    cid = cid_v1(sha(f"metadata-{codec}"), codec)
    text = cid_uri(cid)
    token_id, tx = mint(owner_a, f"text-{codec}", uri=text)
    assert culture.tokenURI(token_id) == culture.work(token_id).uri == text
    assert tx.decode_logs(culture.WorkMinted)[0].uri == text
    binary = culture.mint_work_cid("春联", 1, sha(f"binary-{codec}"), cid, sender=owner_b)
    assert culture.tokenURI(binary.return_value) == text
    assert 0 < tx.gas_used - binary.gas_used < 3_000


ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def _tweak(text: str, at: int, ch: str) -> str:
    return text[:at] + ch + text[at + 1 :]


_CID = cid_v1(sha("kept as text"), DAG_PB)
_TEXT = cid_uri(_CID)  # 66 bytes: 58 digits for 36 bytes, the last digit's 2 low bits are padding
KEPT_AS_TEXT = {
    "upper case": _TEXT.upper(),
    "upper-case digit": _tweak(_TEXT, 30, _TEXT[30].upper()),
    "padding bits set": _tweak(_TEXT, len(_TEXT) - 1, ALPHABET[ALPHABET.index(_TEXT[-1]) ^ 1]),
    "not base32 (1)": _tweak(_TEXT, 40, "1"),
    "not base32 (8)": _tweak(_TEXT, 40, "8"),
    "not base32 (=)": _tweak(_TEXT, 65, "="),
    "not base32 (@)": _tweak(_TEXT, 20, "@"),
    "not base32 (UTF-8)": _TEXT[:-2] + "é",
    "padded": _TEXT[:-2] + "==",
    "impossible length": _TEXT + "a",
    "path after the CID": _TEXT + "/metadata.json",
    "one digit short": _TEXT[:-1],
    "blake2b-256": cid_uri(b"\x01\x55" + varint(0xB220) + b"\x20" + sha("x")),
    "CIDv2": cid_uri(b"\x02\x70\x12\x20" + sha("x")),
    "codec varint not minimal": cid_uri(b"\x01\xf0\x00\x12\x20" + sha("x")[:-1]),
    "digest of 31 bytes": cid_uri(b"\x01\x70\x12\x1f" + sha("x")[:31] + b"\x00"),
    "other scheme": _TEXT.replace("ipfs://", "ipns://"),
    "base32 without the multibase b": "ipfs://" + _TEXT[8:] + "a",
}


@pytest.mark.parametrize("uri", KEPT_AS_TEXT.values(), ids=KEPT_AS_TEXT.keys())
def test_other_text_stays_text(culture, mint, owner_a, uri):
    # Anything that is not exactly IPFS's text form of a CIDv1 the contract keeps
    # is stored and shown byte for byte, as before.
    assert uri != _TEXT
    token_id, tx = mint(owner_a, f"text:{uri}", uri=uri)
    assert culture.tokenURI(token_id) == culture.work(token_id).uri == uri
    assert tx.decode_logs(culture.WorkMinted)[0].uri == uri


BASE32_AND_MORE = ALPHABET + "AZ0189=/-_." + string.punctuation[:5]


@settings(max_examples=40, deadline=None)
@given(
    digits=st.text(alphabet=BASE32_AND_MORE, min_size=58, max_size=63),
    cid_body=st.binary(min_size=32, max_size=32),
    codec=st.sampled_from([RAW, DAG_PB, DAG_JSON, 0x4000, 0x0FFFFFFF]),
    canonical=st.booleans(),
)
def test_mint_work_uri_round_trip_property(culture, owner_a, digits, cid_body, codec, canonical):
    # Whatever follows "ipfs://b", tokenURI gives back exactly what was minted.
    uri = cid_uri(cid_v1(cid_body, codec)) if canonical else "ipfs://b" + digits
    h = sha(f"property:{uri}")
    if culture.provenance(h)[0] != 0:
        return  # the same example again: already minted in this test
    tx = culture.mint_work("t", 1, h, uri, sender=owner_a)
    assert culture.tokenURI(tx.return_value) == uri
    assert tx.decode_logs(culture.WorkMinted)[0].uri == uri


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
