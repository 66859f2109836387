"""Signed values for links and codes: an HMAC-SHA256 with SECRET_KEY over a purpose and the parts it
covers, and the one "<expiry epoch>.<signature>" key that opens a page until it expires (the projector,
minutes and notice pages alike)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Literal

KeyCheck = Literal["ok", "bad", "expired"]


def sign(secret: str, *parts: object) -> str:
    """22 URL-safe characters: the first 16 bytes of an HMAC-SHA256 over the parts joined with "|"."""
    msg = "|".join(str(p) for p in parts).encode()
    digest = hmac.new(str(secret).encode(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def same(given: str, expected: str) -> bool:
    """A signature compared in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


def expiring_key(secret: str, purpose: str, subject: int, expires: int) -> str:
    """The key that opens `purpose`'s page of `subject` until the epoch second `expires`."""
    return f"{expires}.{sign(secret, purpose, subject, expires)}"


def check_expiring_key(secret: str, purpose: str, subject: int, key: str, now: datetime) -> KeyCheck:
    """Whether `key` opens `purpose`'s page of `subject` at `now`: ok, bad (malformed or forged) or expired."""
    stamp, _, signature = (key or "").partition(".")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12 or not signature:
        return "bad"
    if not same(signature, sign(secret, purpose, subject, int(stamp))):
        return "bad"
    return "ok" if now.timestamp() < int(stamp) else "expired"
