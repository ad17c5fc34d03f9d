"""Field encryption: AES-256-GCM, one random 96-bit nonce per ciphertext.

Each ciphertext is bound by its associated data to (community, resident, field), so a
ciphertext copied into another resident's row, another community or another field
fails authentication instead of decrypting as someone else's data. Every ciphertext
carries the id of the key that made it, so keys rotate: the current key encrypts, the
previous ones still decrypt until `rotate` has re-encrypted every row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.core.config import is_local_chain

KEY_BYTES = 32
NONCE_BYTES = 12
AAD_TAG = b"linli.vault.v1\x00"

log = logging.getLogger("linli.vault")


class VaultKeyError(ValueError):
    """A vault key is missing, malformed or unsafe."""


class DecryptionError(Exception):
    """A ciphertext failed authentication (tampered, moved to another row) or its key is unknown."""


def parse_key(text: str) -> bytes:
    """32 bytes from 64 hex digits (0x optional) or base64 (standard or URL-safe)."""
    text = text.strip()
    hex_text = text[2:] if text.lower().startswith("0x") else text
    if len(hex_text) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(hex_text)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise VaultKeyError("a vault key is 32 bytes: 64 hex digits or base64")
    return raw


def key_id(key: bytes) -> str:
    """A short public name of a key (a hash, so it reveals nothing of the key)."""
    return hashlib.sha256(b"linli.vault.key-id\x00" + key).hexdigest()[:16]


def associated_data(community: str, resident: str, field: str) -> bytes:
    """What a ciphertext is bound to: the community, the resident and the field name."""
    return AAD_TAG + bytes.fromhex(community[2:]) + bytes.fromhex(resident[2:]) + field.encode()


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class KeyRing:
    """The current key (encrypts) and the previous ones (still decrypt during a rotation)."""

    def __init__(self, current: bytes, previous: list[bytes] | tuple[bytes, ...] = ()):
        self.current_id = key_id(current)
        self._ciphers = {key_id(k): AESGCM(k) for k in (*previous, current)}
        self._current = AESGCM(current)

    def seal(self, plaintext: str, aad: bytes) -> Sealed:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return Sealed(self.current_id, nonce, self._current.encrypt(nonce, plaintext.encode(), aad))

    def open(self, sealed: Sealed, aad: bytes) -> str:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise DecryptionError(f"no vault key with id {sealed.key_id} is configured")
        try:
            return cipher.decrypt(sealed.nonce, sealed.ciphertext, aad).decode()
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication (altered, or not this row's)") from None


def _development_key(path: Path) -> bytes:
    """Read, or create once with 0600, the generated key of a development or test vault."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise VaultKeyError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
        return parse_key(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    # O_EXCL: two workers starting together cannot both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _development_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
    message = (f"LINLI_VAULT_KEY is not set: generated a development vault key in {path}. "
               "Back it up: without it the vault cannot be read. Production refuses to start without a key.")
    log.warning(message)
    warnings.warn(message, stacklevel=2)
    return key


def load_keyring(settings, chain_ids: Iterable[int] = ()) -> KeyRing:
    """The settings' key ring. Without LINLI_VAULT_KEY a key is generated into a file, but
    only for a demo: outside production, and when every community the vault serves
    (`chain_ids`, from their manifests) is on a local chain (31337/1337)."""
    try:
        previous = [parse_key(k.get_secret_value()) for k in settings.vault_previous_keys]
    except VaultKeyError as exc:
        raise VaultKeyError(f"LINLI_VAULT_PREVIOUS_KEYS: {exc}") from None
    remote = sorted({chain_id for chain_id in chain_ids if not is_local_chain(chain_id)})
    if settings.vault_key is not None:
        try:
            current = parse_key(settings.vault_key.get_secret_value())
        except VaultKeyError as exc:
            raise VaultKeyError(f"LINLI_VAULT_KEY: {exc}") from None
    elif settings.environment == "production":
        raise VaultKeyError("LINLI_VAULT_KEY must be set in production")
    elif remote:
        raise VaultKeyError(f"LINLI_VAULT_KEY must be set: the vault serves a community on chain {remote[0]}, "
                            "and a generated key file is only for a local demo chain (31337/1337)")
    else:
        current = _development_key(Path(settings.vault_key_file))
    return KeyRing(current, previous)
