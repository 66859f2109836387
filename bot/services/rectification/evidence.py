"""整改 evidence page: a signed, expiring link to one ledger item's evidence (words and photos before and
after), so a verifier sees the photos before 销号. Like the minutes page (services.meetings.minutes): the
key is "<expiry epoch>.<HMAC>" over the item id (infra.signing), valid EVIDENCE_LINK_TTL; whoever holds it
reads the page without login; a photo is served only from MEDIA_DIR and only of this item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.infra.signing import check_expiring_key, expiring_key
from bot.infra.text import in_id_range
from bot.models import Attachment, RectificationItem
from bot.services import attachments, authz
from bot.services.authz import Action, Actor
from bot.services.errors import NotFound, PermissionDenied
from bot.services.media import Photo, kept_file
from bot.services.meetings.minutes import MINUTES_LINK_TTL
from bot.services.rectification import ledger

EVIDENCE_LINK_TTL = MINUTES_LINK_TTL  # 7 days, like the minutes page
PURPOSE = "rectification_evidence"
PATH = "/r/{id}?k={key}"  # the page's path (pages.rectification)


@dataclass(frozen=True)
class EvidenceView:
    item_id: int
    unit: str
    source: str  # a key of RECTIFICATION_SOURCES
    problem: str
    measures: str
    progress: str
    evidence: str
    status: str  # a key of RECTIFICATION_STATUSES
    deadline: date
    photos_before: list[Photo]
    photos_after: list[Photo]
    key: str
    expires: datetime


def evidence_key(item_id: int, expires: datetime, secret: str) -> str:
    return expiring_key(secret, PURPOSE, item_id, int(expires.timestamp()))


def evidence_path(item_id: int, now: datetime, secret: str) -> str:
    """The page's path with a key valid EVIDENCE_LINK_TTL from `now` (the caller makes it a public URL)."""
    return PATH.format(id=item_id, key=evidence_key(item_id, now + EVIDENCE_LINK_TTL, secret))


def may_verify(session: Session, actor: Actor | None, item: RectificationItem) -> bool:
    """Whether the actor may close (销号) or return the item: a named 验收人 or committee staff."""
    return ledger.names_verifier(session, actor, item) or authz.can(
        session, actor, Action.MANAGE_RECTIFICATION, ledger.item_target(session, item))


def _check(item_id: int, key: str, now: datetime, secret: str) -> None:
    if not in_id_range(item_id) or check_expiring_key(secret, PURPOSE, item_id, key, now) != "ok":
        raise PermissionDenied("ledger_link_expired")


def read_by_key(session: Session, *, item_id: int, key: str, now: datetime, secret: str) -> EvidenceView:
    """The evidence page: whoever holds a valid signed key (the link 待验收 / 整改 <id> sent) reads it."""
    _check(item_id, key, now, secret)
    item = session.get(RectificationItem, item_id)
    if item is None:
        raise NotFound("ledger_item_not_found", id=item_id)
    rows = attachments.listed(session, ledger.SUBJECT, item.id)
    before = [Photo(r.id, bool(r.path)) for r in rows if r.phase == ledger.BEFORE_PHASE]
    after = [Photo(r.id, bool(r.path)) for r in rows if r.phase == ledger.EVIDENCE_PHASE]
    stamp = int(key.partition(".")[0])
    return EvidenceView(item.id, ledger.item_unit_name(session, item), item.source, item.problem, item.measures or "",
                        item.progress or "", item.evidence or "", item.status, item.deadline, before, after, key,
                        datetime.fromtimestamp(stamp, tz=now.tzinfo))


def photo_path(session: Session, *, item_id: int, photo_id: int, key: str, now: datetime, secret: str,
               media_dir: str) -> str:
    """The file of one photo of the item, for a valid key; only a file inside `media_dir` (MEDIA_DIR)."""
    _check(item_id, key, now, secret)
    row = session.get(Attachment, photo_id) if in_id_range(photo_id) else None
    ours = row is not None and row.subject_type == ledger.SUBJECT and row.subject_id == item_id
    path = kept_file(media_dir, row.path) if row is not None and ours else None
    if path is None:
        raise NotFound("ledger_photo_missing")
    return path
