"""Detached Ed25519 signatures of ledger records, with a key kept outside the warehouse.

Anyone who can write the warehouse file can recompute the hash chain; they cannot sign. When
the bureau sets `RATING_SIGNING_KEY` (a PEM private key on another volume, a smart card
mount, …), every ledger record's hash is signed as it is appended and the signature is
stored beside it (`ledger_signatures`, declared with the ledger in `rating.schema.tables`); `rating verify --public-key PUB.pem` then refuses a
record that is unsigned or whose signature does not hold, so a forged record with a
correct hash is caught without an anchored head. Signatures use `cryptography` (Ed25519,
RFC 8032): a vetted library, never our own code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rating.errors import UsageError
from rating.settings import Settings

if TYPE_CHECKING:
    # Imported where used: the ledger, disclosure and supervision modules import this one,
    # and `rating run` (which signs nothing unless RATING_SIGNING_KEY is set) paid ≈ 0.02 s
    # of CPU for `cryptography` on every run (issue 21).
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of sha256 of the raw public key: names the key in reports."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())

    def sign(self, record_hash: str) -> str:
        """Hex Ed25519 signature of a record's hash (its 64 hex digits as ASCII)."""
        return self.private.sign(record_hash.encode("ascii")).hex()


@dataclass(frozen=True)
class Verifier:
    public: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def holds(self, record_hash: str, signature_hex: str) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.public.verify(bytes.fromhex(signature_hex), record_hash.encode("ascii"))
        except (InvalidSignature, ValueError):
            return False
        return True


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read the {what} {path}: {exc.strerror}", code="KEY_UNREADABLE"
        ) from None


def load_signer(path: Path | None) -> Signer | None:
    """The signer for `RATING_SIGNING_KEY`, or None when no key is configured.

    Raises UsageError (KEY_UNREADABLE, KEY_INVALID) for a missing file or a key that is not
    an unencrypted Ed25519 private key in PEM."""
    if path is None:
        return None
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(_read(path, "signing key"), password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not a PEM private key: {exc}", code="KEY_INVALID") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key", code="KEY_INVALID")
    return Signer(key)


def load_verifier(path: Path) -> Verifier:
    """An Ed25519 public key in PEM; raises UsageError (KEY_UNREADABLE, KEY_INVALID)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(_read(path, "public key"))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not a PEM public key: {exc}", code="KEY_INVALID") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key", code="KEY_INVALID")
    return Verifier(key)


def generate(private_path: Path, public_path: Path) -> str:
    """Write a new key pair (private key readable by its owner only); returns its key id.

    Refuses to overwrite an existing file (KEY_EXISTS)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for path in (private_path, public_path):
        if Path(path).exists():
            raise UsageError(f"{path} exists: choose another path", code="KEY_EXISTS")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    Path(private_path).touch(mode=0o600)
    Path(private_path).write_bytes(pem)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    Path(public_path).write_bytes(public)
    return key_id(private.public_key())


def signer_for(settings: Settings) -> Signer | None:
    """The bureau's signer (`RATING_SIGNING_KEY`), or None when records are not signed."""
    return load_signer(settings.signing_key)
