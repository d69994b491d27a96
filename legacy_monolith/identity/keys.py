"""The ID provider's signing keys: Ed25519 private keys, one PEM file each, in one directory.

Files are named by serial number (``000001.pem``, ``000002.pem``, ...): the highest is the
current signing key, the one before it stays published so the tokens it signed still verify
until they expire; older files are deleted (``KEEP`` = 2 keys at most). A key's ``kid`` is
its RFC 7638 thumbprint, computed from the key, so it is never stored and cannot drift.

A new file is written under a temporary name, then hard-linked to its final name: ``link``
fails when the name exists, so gunicorn workers racing to create the first key (or two
rotations at once) agree on one key, and no reader ever sees a half-written file. Every
worker lists the directory each time it needs the keys (one ``listdir``; parsed keys are
cached per file), so a rotation by ``manage.py jwt_keys rotate`` reaches running workers
at once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEEP = 2
_FILE = re.compile(r"^(\d{6})\.pem$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(crv: str, x: str) -> str:
    """RFC 7638 thumbprint of an OKP key: SHA-256 of its required members, sorted, compact."""
    members = json.dumps({"crv": crv, "kty": "OKP", "x": x}, separators=(",", ":"))
    return b64url(hashlib.sha256(members.encode("utf-8")).digest())


@dataclass(frozen=True)
class SigningKey:
    serial: int
    private_key: Ed25519PrivateKey
    created_at: datetime

    @property
    def x(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return b64url(raw)

    @property
    def kid(self) -> str:
        return thumbprint("Ed25519", self.x)

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public half only, as the JWKS publishes it."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


#: parsed keys by (path, inode, mtime): parsing a PEM costs more than listing the directory
_parsed: dict[tuple[str, int, int], SigningKey] = {}


def _load(path: Path, serial: int) -> SigningKey | None:
    try:
        stat = path.stat()
        cache_key = (str(path), stat.st_ino, stat.st_mtime_ns)
        if cache_key not in _parsed:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 private key")
            created = datetime.fromtimestamp(stat.st_mtime, UTC)
            _parsed[cache_key] = SigningKey(serial, key, created)
    except FileNotFoundError:  # pruned by a rotation between listing and reading
        return None
    return _parsed[cache_key]


class KeyRing:
    """The keys in one directory, newest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _serials(self) -> list[int]:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(
            (int(match.group(1)) for name in names if (match := _FILE.match(name))), reverse=True
        )

    def _path(self, serial: int) -> Path:
        return self.directory / f"{serial:06d}.pem"

    def published(self) -> list[SigningKey]:
        """The published keys, current first (at most ``KEEP``)."""
        loaded = (_load(self._path(serial), serial) for serial in self._serials())
        return [key for key in loaded if key is not None][:KEEP]

    def current(self) -> SigningKey:
        """The key that signs, created on first use."""
        keys = self.published()
        return keys[0] if keys else self._create(1)

    def find(self, kid: str) -> SigningKey | None:
        return next((key for key in self.published() if key.kid == kid), None)

    def rotate(self) -> SigningKey:
        """A new current key; the previous one stays published, older ones are deleted."""
        serials = self._serials()
        key = self._create((serials[0] if serials else 0) + 1)
        for serial in self._serials()[KEEP:]:
            self._path(serial).unlink(missing_ok=True)
        return key

    def _create(self, serial: int) -> SigningKey:
        """Write key ``serial`` unless a concurrent caller did first; either way, return it."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, temporary = tempfile.mkstemp(prefix=".new-", suffix=".pem", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as file:  # mkstemp: mode 0600, only the owner reads it
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another worker won the race
                os.link(temporary, self._path(serial))
        finally:
            os.unlink(temporary)
        key = _load(self._path(serial), serial)
        if key is None:
            raise RuntimeError(f"signing key {self._path(serial)} vanished while created")
        return key
