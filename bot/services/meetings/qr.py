"""Rotating check-in tokens for the projector QR, and QR images.

A token is `<meeting id>.<window>.<signature>`: the window is the QR_ROTATE_SECONDS slot it was made in,
the signature an HMAC-SHA256 over both with SECRET_KEY. A token is accepted for QR_TOKEN_TTL seconds
from the start of its slot, so a photographed or forwarded code stops working within half a minute and
a code cannot be made for another meeting or a later slot without the key.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.signing import check_expiring_key, expiring_key, same, sign
from bot.models import Meeting, Member
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.meetings.scheduling import get_meeting

_TOKEN_RE = re.compile(r"(?P<mid>[0-9]{1,12})\.(?P<win>[0-9]{1,12})\.(?P<sig>[A-Za-z0-9_-]{22})")
CLOCK_SKEW_SECONDS = 2  # a phone's scan may reach us a moment before the projector's next slot
# The official-account QR on the projector rotates too: a WeChat temporary QR whose scene names the meeting
# and the minute it was made (signed), created to expire after OFFICIAL_TTL_SECONDS; a scan of an older one
# is refused, so a forwarded photo of it stops working within minutes.
OFFICIAL_ROTATE_SECONDS = 60
OFFICIAL_TTL_SECONDS = 180
_ROTATED_RE = re.compile(r"(?P<base>.+)\.(?P<win>[0-9]{1,12})\.(?P<sig>[A-Za-z0-9_-]{10})")


def official_scene(scene: str, now: datetime, secret: str) -> str:
    """The scene of the projector's official-account QR for this minute: `<scene>.<minute>.<signature>`
    (the meeting's own scene if that would pass WeChat's 64 characters)."""
    window = int(now.timestamp()) // OFFICIAL_ROTATE_SECONDS
    rotated = f"{scene}.{window}.{sign(secret, 'official', scene, window)[:10]}"
    return rotated if len(rotated) <= 64 else scene


def scene_of(event_key: str, now: datetime, secret: str) -> str:
    """The meeting scene a scanned official-account QR names. A rotated scene is checked: forged is
    NotFound("checkin_scene_unknown"), older than OFFICIAL_TTL_SECONDS Invalid("checkin_scene_expired"); a
    meeting's plain scene is taken as it is (`seed-demo --export`'s checkin_scene, a contract)."""
    found = _ROTATED_RE.fullmatch(event_key)
    if found is None:
        return event_key
    base, window = found["base"], int(found["win"])
    if not same(found["sig"], sign(secret, "official", base, window)[:10]):
        raise NotFound("checkin_scene_unknown")
    age = int(now.timestamp()) + CLOCK_SKEW_SECONDS - window * OFFICIAL_ROTATE_SECONDS
    if age < 0:
        raise NotFound("checkin_scene_unknown")
    if age > OFFICIAL_TTL_SECONDS:
        raise Invalid("checkin_scene_expired", minutes=OFFICIAL_TTL_SECONDS // 60)
    return base


def make_token(meeting_id: int, now: datetime, secret: str, rotate_seconds: int) -> str:
    window = int(now.timestamp()) // rotate_seconds
    return f"{meeting_id}.{window}.{sign(secret, 'checkin', meeting_id, window, rotate_seconds)}"


def verify_token(token: str, now: datetime, secret: str, rotate_seconds: int, ttl: int,
                 meeting_id: int | None = None) -> int:
    """The meeting id a token is for; Invalid (qr_bad, qr_expired, qr_other_meeting) if tampered, expired or
    foreign."""
    found = _TOKEN_RE.fullmatch(token or "")
    if not found:
        raise Invalid("qr_bad")
    mid, window = int(found["mid"]), int(found["win"])
    expected = sign(secret, "checkin", mid, window, rotate_seconds)
    if not same(found["sig"], expected):
        raise Invalid("qr_bad")
    issued = window * rotate_seconds
    ts = now.timestamp()
    if issued > ts + CLOCK_SKEW_SECONDS:
        raise Invalid("qr_bad")
    if ts >= issued + ttl:
        raise Invalid("qr_expired", ttl=ttl)
    if meeting_id is not None and mid != meeting_id:
        raise Invalid("qr_other_meeting")
    return mid


# -- the projector page's own key: whoever holds the link may show the codes until the meeting ends --
def page_key(meeting_id: int, expires: int, secret: str) -> str:
    return expiring_key(secret, "projector", meeting_id, expires)


def page_key_valid(meeting_id: int, key: str, now: datetime, secret: str) -> bool:
    return check_expiring_key(secret, "projector", meeting_id, key, now) == "ok"


@dataclass(frozen=True)
class ProjectorPass:
    """The projector page's key for a meeting (the page is /meetings/<meeting_id>/qr?k=<key>)."""

    meeting_id: int
    key: str


def projector_pass(session: Session, *, actor: Member | None, meeting: Meeting,
                   settings: Settings) -> ProjectorPass:
    """签到码: the key to the meeting's projector page, for whoever may check members in (CHECKIN_OTHERS);
    valid until the meeting ends."""
    authz.require(session, actor, Action.CHECKIN_OTHERS, meeting)
    key = page_key(meeting.id, int(meeting.ends_at.timestamp()), str(settings["SECRET_KEY"]))
    return ProjectorPass(meeting.id, key)


def projector_meeting(session: Session, *, meeting_id: int, key: str, now: datetime,
                      settings: Settings) -> Meeting:
    """The meeting whose projector page the key opens: whoever holds a valid key may show its codes."""
    if not page_key_valid(meeting_id, key, now, str(settings["SECRET_KEY"])):
        raise PermissionDenied("qr_page_expired")
    meeting = get_meeting(session, meeting_id)
    if meeting.status != "scheduled":
        raise Conflict("checkin_cancelled")
    return meeting


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
