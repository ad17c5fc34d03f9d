"""The directory's word rules without a chain: which phone numbers an organisation
publishes (landline with area code, 400/800, short service numbers) and which are a
person's (mobile, with or without +86 and separators), and the typed data's domain."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from backend.directory import entries as en


@pytest.mark.parametrize("contact", ["021-62345678", "(0571) 8888 6666", "010 6523 4567 转 8", "400-820-8820",
                                     "800 810 8888", "95588", "96777", "6234 5678", "www.shop.example",
                                     "营业 9:00-21:00", "021-62345678, 400-820-8820", ""])
def test_an_organisations_numbers_pass(contact):
    assert en.words_refusal("邻里便利店", "merchant", contact) is None


@pytest.mark.parametrize("contact", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                     "0086-13812345678", "+8613812345678", "店长13812345678",
                                     "021 6234 5678 138 1234 5678", "11010519491231002X"])
def test_a_persons_numbers_are_refused(contact):
    found = en.words_refusal("邻里便利店", "merchant", contact)
    assert found is not None and "contact" in found


def test_words_must_be_signed_as_kept():
    assert "NFC" in en.words_refusal(" 邻里便利店", "merchant", "")
    assert "NFC" in en.words_refusal("Cafe\u0301", "merchant", "")  # decomposed é
    assert en.words_refusal("Café", "merchant", "") is None


def test_the_signature_binds_the_community_and_the_chain():
    key = Account.create()
    entry = en.Entry(key.address, "邻里便利店", "merchant", "", 1_800_000_000)
    community, other = "0x" + "11" * 20, "0x" + "22" * 20
    signature = Account.sign_message(encode_typed_data(full_message=en.typed_data(31337, community, entry)),
                                     key.key).signature
    assert en.recover(31337, community, entry, signature) == key.address
    assert en.recover(31337, other, entry, signature) != key.address
    assert en.recover(1, community, entry, signature) != key.address
    later = en.Entry(key.address, "邻里便利店", "merchant", "", 1_800_000_001)
    assert en.recover(31337, community, later, signature) != key.address
    assert en.recover(31337, community, entry, b"\x00" * 64) is None
