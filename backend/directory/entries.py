# SPDX-License-Identifier: AGPL-3.0-only
"""What a directory entry is: the EIP-712 message its signer signs, and the rules its
words must keep. Pure functions, shared by the service, the tests and the pages (which
build the same typed data in backend/web/static/js/names.js).

- The message is `DirectoryEntry(address organisation,string name,string category,
  string contact,uint256 issuedAt)` in the domain ("Linli Directory", "1", chain id,
  the community's registry as verifyingContract): a signature made for another
  community or another chain does not verify here.
- `issuedAt` orders the versions of one entry: a signed entry only replaces an older
  one, so an old signature replayed cannot overwrite a newer entry.

The words (the rules, checked before any signature):

- name 1-60 characters, contact 0-120, in NFC, without control or format characters
  (no bidi overrides that would show one name as another);
- no personal data: an identity card number or a mobile number anywhere (the documents'
  scan, backend/documents/store.py), and, for every run of digits that looks like a
  phone number (digits with spaces, dashes or brackets between them, +86/0086 taken
  off), the one rule that tells an organisation's number from a person's: nine digits
  or more must be a landline with its area code (0 then 9-11 digits: 021-62345678,
  0571-8888-6666) or a 400/800 service number (10 digits). A mobile number (1[3-9] and
  nine digits) is a person's and refused; 95xxx/96xxx short numbers and local numbers
  of eight digits or fewer pass. A website or an e-mail address is the organisation's
  to publish; a machine cannot tell a personal e-mail, so the committee can overwrite
  an entry that exposes someone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from backend.documents.store import personal_data

DOMAIN_NAME = "Linli Directory"
DOMAIN_VERSION = "1"
# The property company, shops, service providers, payees of expenses, organisers of
# activities, the committee itself (a Safe), anything else an organisation is.
CATEGORIES = ("property", "merchant", "provider", "payee", "organiser", "committee", "other")
MAX_NAME = 60
MAX_CONTACT = 120
ENTRY_TYPES = {
    "DirectoryEntry": [
        {"name": "organisation", "type": "address"},
        {"name": "name", "type": "string"},
        {"name": "category", "type": "string"},
        {"name": "contact", "type": "string"},
        {"name": "issuedAt", "type": "uint256"},
    ]
}
_PHONE_RUN = re.compile(r"(?:\+|00)?[0-9][0-9 \-()（）\u00a0]{5,}[0-9]")
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")
_SERVICE = re.compile(r"[48]00[0-9]{7}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


@dataclass(frozen=True)
class Entry:
    """One organisation's entry as signed."""

    organisation: str  # checksummed
    name: str
    category: str
    contact: str
    issued_at: int


def typed_data(chain_id: int, community: str, entry: Entry) -> dict:
    """The EIP-712 message as a wallet signs it (eth_signTypedData_v4)."""
    return {
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": to_checksum_address(community)},
        "types": {"EIP712Domain": [
            {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            **ENTRY_TYPES},
        "primaryType": "DirectoryEntry",
        "message": {"organisation": to_checksum_address(entry.organisation), "name": entry.name,
                    "category": entry.category, "contact": entry.contact, "issuedAt": entry.issued_at},
    }


def digest(chain_id: int, community: str, entry: Entry) -> bytes:
    """The 32-byte EIP-712 digest (what EIP-1271's isValidSignature is asked about)."""
    signable = encode_typed_data(full_message=typed_data(chain_id, community, entry))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def recover(chain_id: int, community: str, entry: Entry, signature: bytes) -> str | None:
    """The address that signed, or None for a signature that is not a valid ECDSA one."""
    if len(signature) != 65:
        return None
    try:
        return Account.recover_message(encode_typed_data(full_message=typed_data(chain_id, community, entry)),
                                       signature=signature)
    except Exception:  # malformed r, s or v, or a high s
        return None


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _bad_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def phone_refusal(text: str) -> str | None:
    """Why a phone-like number in `text` is not an organisation's to publish, or None."""
    for match in _PHONE_RUN.finditer(text):
        run = match.group(0)
        digits = re.sub(r"[^0-9]", "", run)
        if run.startswith("+86"):
            digits = digits[2:]
        elif run.startswith("0086"):
            digits = digits[4:]
        if _MOBILE.fullmatch(digits) or (digits.startswith("86") and _MOBILE.fullmatch(digits[2:])):
            return (f"{run.strip()} is a mobile number, which is a person's: publish the organisation's landline "
                    "with its area code or a 400/800 service number")
        if len(digits) >= 9 and not (_LANDLINE.fullmatch(digits) or _SERVICE.fullmatch(digits)):
            return (f"{run.strip()} is not a number an organisation publishes: a landline with its area code "
                    "(0…), a 400/800 service number or a short 95…/96… number; separate two numbers with a comma")
    return None


def words_refusal(name: str, category: str, contact: str) -> str | None:
    """Why these words cannot be published (too long, not printable, personal data), or None.
    The words must already be normalised (what was signed is what is checked)."""
    if category not in CATEGORIES:
        return f"the category must be one of {', '.join(CATEGORIES)}"
    if name != normalise(name) or contact != normalise(contact):
        return "the name and contact must be in Unicode NFC without leading or trailing spaces (sign them so)"
    if not 1 <= len(name) <= MAX_NAME:
        return f"the name has {len(name)} characters: 1 to {MAX_NAME}"
    if len(contact) > MAX_CONTACT:
        return f"the contact has {len(contact)} characters: at most {MAX_CONTACT}"
    if _bad_characters(name) or _bad_characters(contact):
        return "the name and contact may not hold control or format characters"
    for field, text in (("name", name), ("contact", contact)):
        found = personal_data(text.encode(), "text/plain")
        if found:
            return f"the {field} looks like it holds personal data ({found}); the directory is public"
        found = phone_refusal(text)
        if found:
            return f"the {field}: {found}"
    return None
