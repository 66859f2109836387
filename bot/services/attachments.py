"""Photos attached by chat to a record other than minutes (a 述职 report, 整改 evidence before and after).

Like minutes photos (services.meetings.minutes): an image message carries only a media id, valid 3 days on
WeChat. `add` keeps the id in the message's transaction (once per record and media id); the channel
downloads the file after the commit with `fetch_one` (services.media.keep); `fetch_missing` retries failed
downloads while WeChat still keeps the file (the scheduler, or `flask --app bot minutes-fetch`). The capability
that owns the record authorizes before calling `add`: this module holds no rule of who may attach what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.infra.db import added
from bot.models import Attachment
from bot.services.errors import Invalid
from bot.services.media import MediaSource, fetch_row, unfetched

SUBJECTS = ("review_submission", "rectification_item")


@dataclass(frozen=True)
class Attached:
    count: int  # photos of the record (in this phase) now
    new_id: int | None  # the row to fetch after the commit; None: the same photo was already kept


def add(session: Session, *, subject_type: str, subject_id: int, media_id: str, created_by_id: int | None,
        now: datetime, phase: str = "") -> Attached:
    """Keep a photo's media id for a record (once per record, phase and media id)."""
    assert subject_type in SUBJECTS, subject_type
    media_id = (media_id or "").strip()[:128]
    if not media_id:
        raise Invalid("attachment_no_media")
    new_id: int | None = None
    exists = session.scalar(select(Attachment.id).where(Attachment.subject_type == subject_type,
                                                        Attachment.subject_id == subject_id,
                                                        Attachment.phase == phase, Attachment.media_id == media_id))
    if exists is None:
        row = Attachment(subject_type=subject_type, subject_id=subject_id, phase=phase, media_id=media_id,
                         created_by_id=created_by_id, created_at=now)
        if added(session, row):
            new_id = row.id
    session.flush()
    return Attached(count(session, subject_type, subject_id, phase), new_id)


def count(session: Session, subject_type: str, subject_id: int, phase: str | None = None) -> int:
    q = select(func.count(Attachment.id)).where(Attachment.subject_type == subject_type,
                                                Attachment.subject_id == subject_id)
    if phase is not None:
        q = q.where(Attachment.phase == phase)
    return int(session.scalar(q) or 0)


def counts(session: Session, subject_type: str, subject_ids: list[int]) -> dict[tuple[int, str], int]:
    """(subject id, phase) -> photos, for many records in one query (exports, lists)."""
    if not subject_ids:
        return {}
    rows = session.execute(select(Attachment.subject_id, Attachment.phase, func.count(Attachment.id))
                           .where(Attachment.subject_type == subject_type, Attachment.subject_id.in_(subject_ids))
                           .group_by(Attachment.subject_id, Attachment.phase))
    return {(sid, phase): int(n) for sid, phase, n in rows}


def listed(session: Session, subject_type: str, subject_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.subject_type == subject_type,
                                                          Attachment.subject_id == subject_id)
                                .order_by(Attachment.id)))


# -- fetching ------------------------------------------------------------------------------------
def fetch_one(source: MediaSource, row_id: int, *, now: datetime) -> bool:
    """Download one photo into MEDIA_DIR/<subject type>/<subject id>/<media id>.jpg; False on failure."""
    return fetch_row(source, Attachment, row_id, lambda row: (row.subject_type, str(row.subject_id)),
                     now=now)


def fetch_missing(source: MediaSource, limit: int = 50, *, now: datetime) -> int:
    """Fetch photos whose earlier fetch failed and that WeChat still keeps, oldest first."""
    return sum(1 for row_id in unfetched(source, Attachment, limit, now=now) if fetch_one(source, row_id, now=now))
