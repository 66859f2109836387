"""Rotating check-in tokens for the projector QR, and QR images.

A token is `<meeting id>.<window>.<signature>`: the window is the QR_ROTATE_SECONDS slot it was made in,
the signature an HMAC-SHA256 over both with SECRET_KEY. A token is accepted for QR_TOKEN_TTL seconds
from the start of its slot, so a photographed or forwarded code stops working within half a minute and
a code cannot be made for another meeting or a later slot without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from datetime import datetime

from bot.chat import texts as M
from bot.services.errors import Invalid

_TOKEN_RE = re.compile(r"(?P<mid>[0-9]{1,12})\.(?P<win>[0-9]{1,12})\.(?P<sig>[A-Za-z0-9_-]{22})")
CLOCK_SKEW_SECONDS = 2  # a phone's scan may reach us a moment before the projector's next slot


def _sig(secret: str, *parts: object) -> str:
    msg = "|".join(str(p) for p in parts).encode()
    digest = hmac.new(str(secret).encode(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def make_token(meeting_id: int, now: datetime, secret: str, rotate_seconds: int) -> str:
    window = int(now.timestamp()) // rotate_seconds
    return f"{meeting_id}.{window}.{_sig(secret, 'checkin', meeting_id, window, rotate_seconds)}"


def verify_token(token: str, now: datetime, secret: str, rotate_seconds: int, ttl: int,
                 meeting_id: int | None = None) -> int:
    """The meeting id a token is for; Invalid (with the reason in Chinese) if tampered, expired or foreign."""
    found = _TOKEN_RE.fullmatch(token or "")
    if not found:
        raise Invalid(M.QR_BAD, code="qr_bad")
    mid, window = int(found["mid"]), int(found["win"])
    expected = _sig(secret, "checkin", mid, window, rotate_seconds)
    if not hmac.compare_digest(expected, found["sig"]):
        raise Invalid(M.QR_BAD, code="qr_bad")
    issued = window * rotate_seconds
    ts = now.timestamp()
    if issued > ts + CLOCK_SKEW_SECONDS:
        raise Invalid(M.QR_BAD, code="qr_bad")
    if ts >= issued + ttl:
        raise Invalid(M.QR_EXPIRED.format(ttl=ttl), code="qr_expired")
    if meeting_id is not None and mid != meeting_id:
        raise Invalid(M.QR_OTHER_MEETING, code="qr_other_meeting")
    return mid


def seconds_to_next(now: datetime, rotate_seconds: int) -> float:
    ts = now.timestamp()
    return rotate_seconds - (ts % rotate_seconds)


# -- the projector page's own key: whoever holds the link may show the codes until the meeting ends --
def page_key(meeting_id: int, expires: int, secret: str) -> str:
    return f"{expires}.{_sig(secret, 'projector', meeting_id, expires)}"


def page_key_valid(meeting_id: int, key: str, now: datetime, secret: str) -> bool:
    expires_text, _, sig = (key or "").partition(".")
    if not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    good = hmac.compare_digest(_sig(secret, "projector", meeting_id, expires), sig)
    return good and now.timestamp() < expires


def png(data: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A QR code image (PNG) of `data`, medium error correction."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    img = code.make_image()
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()
