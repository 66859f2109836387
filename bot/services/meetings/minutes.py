"""Minutes (会议记录): text paragraphs and photos for a meeting.

An image message carries only a media id (valid 3 days on WeChat). `add_image` stores the id in the
message's transaction; the channel downloads the file off the request (the chat handler starts a background
download after the commit, bot.infra.wechat) and `fetch_one` stores it. A photo whose fetch failed keeps path
NULL; `fetch_missing` tries again while WeChat still keeps the file (MEDIA_VALID_DAYS): the scheduler every
MEDIA_RETRY_EVERY seconds, or `flask --app bot minutes-fetch` by hand. The download itself (WeChat's
media/get) is the caller's: a MediaSource it passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.db import added
from bot.infra.signing import check_expiring_key, expiring_key
from bot.infra.text import in_id_range
from bot.models import Branch, Meeting, Member, MinutesMedia
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.media import MediaSource, Photo, fetch_row, kept_file, unfetched
from bot.services.meetings.scheduling import recent

PARAGRAPH_SEP = "\n\n"
MAX_MINUTES_CHARS = 50_000


@dataclass(frozen=True)
class MinutesCount:
    texts: int  # paragraphs of text
    images: int  # photos


@dataclass(frozen=True)
class ImageAdded:
    images: int  # photos of the meeting now
    new_media_id: int | None  # the row to fetch after the commit; None: the photo was already kept


# -- the conversation's steps --------------------------------------------------------------------
def recordable(session: Session, actor: Member | None, now: datetime, branch_id: int | None,
               meeting_id: int | None = None) -> Meeting:
    """The meeting to record: the one named, else the branch's latest that has started."""
    meeting: Meeting | None
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id) if in_id_range(meeting_id) else None
    else:
        found = recent(session, branch_id, now, limit=1) if branch_id is not None else []
        meeting = found[0] if found else None
    if meeting is None or meeting.status != "scheduled" or meeting.starts_at > now:
        raise Invalid("minutes_no_meeting")
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    return meeting


def paragraphs(meeting: Meeting) -> int:
    return len([p for p in (meeting.minutes_text or "").split(PARAGRAPH_SEP) if p.strip()])


def image_count(session: Session, meeting_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(MinutesMedia)
                              .where(MinutesMedia.meeting_id == meeting_id)) or 0)


def count(session: Session, *, actor: Member | None, meeting: Meeting) -> MinutesCount:
    """What the minutes of a meeting hold (完成)."""
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    return MinutesCount(paragraphs(meeting), image_count(session, meeting.id))


def _open_for_minutes(meeting: Meeting) -> None:
    if meeting.status != "scheduled":
        raise Conflict("minutes_meeting_cancelled")


def _one_paragraph(text: str) -> str:
    """The text as one paragraph: blank lines inside fold to line breaks (PARAGRAPH_SEP separates them)."""
    return re.sub(r"\n\s*\n", "\n", (text or "").strip())


def add_text(session: Session, *, actor: Member | None, meeting: Meeting, text: str, now: datetime) -> int:
    """Append one paragraph; returns its number (how many paragraphs the minutes now have).

    One atomic UPDATE appends to the stored text (`text || sep || paragraph`, on the row as it is when
    the write lock is held), so paragraphs sent at once are all kept, numbered without gaps."""
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    _open_for_minutes(meeting)
    text = _one_paragraph(text)
    if not text:
        return paragraphs(meeting)
    session.flush()
    current = func.coalesce(Meeting.minutes_text, "")
    appended = case((current == "", literal(text)), else_=current + PARAGRAPH_SEP + literal(text))
    result = session.execute(
        update(Meeting).where(Meeting.id == meeting.id, Meeting.status == "scheduled",
                              func.length(current) + len(text) <= MAX_MINUTES_CHARS)
        .values(minutes_text=appended).execution_options(synchronize_session=False))
    appended_here = int(getattr(result, "rowcount", 0) or 0) == 1
    if appended_here:
        session.execute(update(Meeting).where(Meeting.id == meeting.id, Meeting.recorded_at.is_(None))
                        .values(recorded_at=now).execution_options(synchronize_session=False))
    session.refresh(meeting)
    if not appended_here:
        _open_for_minutes(meeting)  # cancelled meanwhile
        raise Invalid("minutes_too_long")
    return paragraphs(meeting)


def add_image(session: Session, *, actor: Member | None, meeting: Meeting, media_id: str,
              now: datetime) -> ImageAdded:
    """Keep a photo's media id (once per meeting); the caller fetches the file once this commits
    (`new_media_id`, with fetch_one)."""
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    _open_for_minutes(meeting)
    media_id = (media_id or "").strip()[:128]
    if not media_id:
        raise Invalid("minutes_no_media")
    new_id: int | None = None
    exists = session.scalar(select(MinutesMedia.id).where(MinutesMedia.meeting_id == meeting.id,
                                                          MinutesMedia.media_id == media_id))
    if exists is None:
        row = MinutesMedia(meeting_id=meeting.id, media_id=media_id, created_by_id=actor.id if actor else None,
                           created_at=now)
        if added(session, row):  # else the same photo arrived twice at once: one row is kept
            if meeting.recorded_at is None:
                meeting.recorded_at = now
            new_id = row.id
    session.flush()
    return ImageAdded(image_count(session, meeting.id), new_id)


# -- fetching ------------------------------------------------------------------------------------
def fetch_one(source: MediaSource, row_id: int, *, now: datetime) -> bool:
    """Download one photo into MEDIA_DIR/<meeting>/<media id>.jpg and note the path; False on failure."""
    return fetch_row(source, MinutesMedia, row_id, lambda row: (str(row.meeting_id),), now=now)


def fetch_missing(source: MediaSource, limit: int = 50, *, now: datetime) -> int:
    """Fetch photos whose earlier fetch failed and that WeChat still keeps; returns how many were fetched now."""
    return sum(1 for row_id in unfetched(source, MinutesMedia, limit, now=now) if fetch_one(source, row_id, now=now))


# -- reading back (查看记录, the minutes page) ------------------------------------------------------
MINUTES_LINK_TTL = timedelta(days=7)  # how long a link to the minutes page works


@dataclass(frozen=True)
class MinutesView:
    meeting_id: int
    type: str
    starts_at: datetime
    branch_name: str
    text: str
    paragraphs: int
    photos: list[Photo]
    key: str  # the page's signed key (minutes_key), valid until `expires`
    expires: datetime


def minutes_key(meeting_id: int, expires: datetime, secret: str) -> str:
    return expiring_key(secret, "minutes", meeting_id, int(expires.timestamp()))


def minutes_key_valid(meeting_id: int, key: str, now: datetime, secret: str) -> bool:
    return check_expiring_key(secret, "minutes", meeting_id, key, now) == "ok"


def _view(session: Session, meeting: Meeting, now: datetime, secret: str) -> MinutesView:
    branch = session.get(Branch, meeting.branch_id)
    rows = session.scalars(select(MinutesMedia).where(MinutesMedia.meeting_id == meeting.id)
                           .order_by(MinutesMedia.id))
    expires = now + MINUTES_LINK_TTL
    return MinutesView(meeting.id, meeting.type, meeting.starts_at, branch.name if branch else "",
                       meeting.minutes_text or "", paragraphs(meeting),
                       [Photo(r.id, bool(r.path)) for r in rows], minutes_key(meeting.id, expires, secret), expires)


def readable(session: Session, *, actor: Member | None, now: datetime, branch_ids: list[int],
             meeting_id: int | None = None) -> Meeting:
    """The meeting 查看记录 means: the one named, else the latest recorded one of `branch_ids` (the
    reader's branch, or the branches they oversee)."""
    meeting: Meeting | None
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id) if in_id_range(meeting_id) else None
        if meeting is None or meeting.status == "deleted":
            raise NotFound("meeting_not_found")
    else:
        meeting = session.scalars(select(Meeting).where(
            Meeting.branch_id.in_(branch_ids), Meeting.status == "scheduled", Meeting.recorded_at.is_not(None),
            Meeting.starts_at <= now).order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1)).first()
        if meeting is None:
            raise NotFound("minutes_none_recorded")
    authz.require(session, actor, Action.VIEW_MINUTES, meeting)
    return meeting


def read(session: Session, *, actor: Member | None, meeting: Meeting, now: datetime,
         settings: Settings) -> MinutesView:
    """查看记录: the text, the photos and a signed key to the minutes page, for the branch's members and
    the committee (VIEW_MINUTES)."""
    authz.require(session, actor, Action.VIEW_MINUTES, meeting)
    return _view(session, meeting, now, str(settings["SECRET_KEY"]))


def read_by_key(session: Session, *, meeting_id: int, key: str, now: datetime,
                settings: Settings) -> MinutesView:
    """The minutes page: whoever holds a valid signed key (the link 查看记录 sent) reads them."""
    secret = str(settings["SECRET_KEY"])
    if not in_id_range(meeting_id) or not minutes_key_valid(meeting_id, key, now, secret):
        raise PermissionDenied("minutes_link_expired")
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status == "deleted":
        raise NotFound("meeting_not_found")
    view = _view(session, meeting, now, secret)
    stamp_text = key.partition(".")[0]
    return MinutesView(view.meeting_id, view.type, view.starts_at, view.branch_name, view.text, view.paragraphs,
                       view.photos, key, datetime.fromtimestamp(int(stamp_text), tz=now.tzinfo))


def photo_path(session: Session, *, meeting_id: int, photo_id: int, key: str, now: datetime,
               settings: Settings, media_dir: str) -> str:
    """The file of one photo of the minutes, for a valid key; only a file inside `media_dir` (MEDIA_DIR)."""
    if not in_id_range(meeting_id) or not minutes_key_valid(meeting_id, key, now, str(settings["SECRET_KEY"])):
        raise PermissionDenied("minutes_link_expired")
    row = session.get(MinutesMedia, photo_id) if in_id_range(photo_id) else None
    path = kept_file(media_dir, row.path) if row is not None and row.meeting_id == meeting_id else None
    if path is None:
        raise NotFound("minutes_photo_missing")
    return path
