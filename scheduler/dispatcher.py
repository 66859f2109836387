"""The dispatcher: claim due outbox rows with a lease, send each, record the result.

A claim is one short transaction: the rows (pending and due, or `sending` with an expired lease) are
marked `sending` with lease_until = now + SEND_LEASE and their attempt counted; on PostgreSQL the
SELECT takes FOR UPDATE SKIP LOCKED, on SQLite the transaction holds the write lock (BEGIN IMMEDIATE),
so two dispatchers never claim the same row. Each row is then sent and its result recorded in its own
transaction, only if the lease is still ours. A dispatcher that dies mid-batch leaves its rows
`sending`; once the lease runs out another claims them. The one row that was on the wire when it
died may then be sent twice: that is the bound, and the reason exactly-once cannot be promised.

A row holds its kind and facts; the dispatcher words it when it sends (bot.texts.render) and
writes the words into the row once its fate is known, so the record holds what was sent. Rows written
with their words already (before notices were rendered at send) keep them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, or_, select, update

from bot.config import Settings, settings_of
from bot.infra.db import Database
from bot.infra.links import notice_link
from bot.infra.store import Store
from bot.infra.wechat import SUBSCRIBE_SEND_PATH, WeChatSender, ZhibuWeChatClient, make_client
from bot.models import Member, Notification
from bot.services.notify import delivery as notify
from bot.services.notify.outbox import enqueue
from bot.services.notify.timing import is_allowed
from bot.texts import render
from bot.texts.notices import NoticeText

log = logging.getLogger("zhibu.dispatcher")


def sender_for(client: ZhibuWeChatClient, settings: Settings) -> notify.NoticeSender:
    """The notify service's sender over the WeChat API client, raising the service's own errors."""
    return WeChatSender(client, transient=notify.Transient, refused=notify.Refused,
                        subscribe_path=str(settings.get("SUBSCRIBE_SEND_PATH") or SUBSCRIBE_SEND_PATH))


def _parts(app_or_db: Flask | Database, store: Store | None, sender: notify.NoticeSender | None,
           settings: Settings | None) -> tuple[Database, Store, notify.NoticeSender, Settings]:
    if isinstance(app_or_db, Flask):
        app = app_or_db
        cfg = settings if settings is not None else settings_of(app.config)
        if sender is None:
            client = app.extensions.get("wechat_client") or make_client(app.config, app.extensions["store"])
            app.extensions["wechat_client"] = client
            sender = sender_for(client, cfg)
        return app.extensions["db"], store or app.extensions["store"], sender, cfg
    if store is None or sender is None or settings is None:
        raise TypeError("dispatch_due(db, …) needs store=, sender= and settings=")
    return app_or_db, store, sender, settings


def claim(db: Database, now: datetime, settings: Settings, limit: int) -> list[tuple[int, datetime]]:
    """Take up to `limit` due rows; returns (id, lease_until) pairs. Outside allowed hours (quiet
    hours, holidays) only urgent rows are taken."""
    lease_until = now + timedelta(seconds=settings["SEND_LEASE"])
    n = Notification
    due = or_(and_(n.status == "pending", n.due_at <= now), and_(n.status == "sending", n.lease_until < now))
    if not is_allowed(now, settings):
        due = and_(due, n.urgent.is_(True))
    with db.transaction() as s:
        q = select(n.id).where(due).order_by(n.due_at, n.id).limit(limit)
        if not db.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        ids = list(s.scalars(q))
        if ids:
            s.execute(update(n).where(n.id.in_(ids))
                      .values(status="sending", lease_until=lease_until, attempts=n.attempts + 1))
    return [(i, lease_until) for i in ids]


def dispatch_due(app_or_db: Flask | Database, now: datetime, settings: Settings | None = None,
                 limit: int | None = None, *, store: Store | None = None,
                 sender: notify.NoticeSender | None = None) -> dict[str, int]:
    """Claim, send and record one batch; returns counts by result (sent, retry, failed, redirected,
    undeliverable, lost_lease) and `claimed`."""
    db, store, sender, cfg = _parts(app_or_db, store, sender, settings)
    batch = claim(db, now, cfg, int(limit or cfg["DISPATCH_BATCH"]))
    counts: Counter[str] = Counter(claimed=len(batch))
    for nid, lease_until in batch:
        counts[_process(db, store, sender, nid, lease_until, now, cfg)] += 1
    return dict(counts)


def words(kind: str, text: str, payload: Mapping[str, Any], settings: Settings) -> NoticeText:
    """What a row says: its own words if it was written with them (their template fields, if any, in
    payload["fields"]), else its kind's wording of its facts."""
    if text:
        fields = payload.get("fields")
        return NoticeText(text, dict(fields) if isinstance(fields, Mapping) else {})
    return render(kind, payload, settings)


def _process(db: Database, store: Store, sender: notify.NoticeSender, nid: int, lease_until: datetime,
             now: datetime, settings: Settings) -> str:
    with db.Session() as s:
        row = s.get(Notification, nid)
        if row is None:
            return "lost_lease"
        member = s.get(Member, row.recipient_id) if row.recipient_id else None
        attempts = row.attempts
        kind, text, payload = row.kind, row.text, dict(row.payload or {})
        notice = notify.Notice(id=row.id, kind=kind, text=text, fields={},
                               openid=member.openid if member is not None and member.active else None,
                               member_name=member.name if member is not None else "",
                               url=notice_link(settings, row.id, now))
    max_attempts = settings["MAX_SEND_ATTEMPTS"]
    if attempts > max_attempts:  # claimed again and again without a recorded result: a crash loop
        outcome = notify.Outcome(notify.RETRY, error="gave up: claimed repeatedly without a result")
    else:
        try:
            said = words(kind, text, payload, settings)
            notice = replace(notice, text=said.text, fields=said.fields)
            outcome = notify.deliver(db, store, sender, notice, now, settings)
        except Exception as exc:  # a bug, an unworded kind or an unexpected client error must not stall the batch
            log.exception("notice %s: send failed unexpectedly", nid)
            outcome = notify.Outcome(notify.RETRY, error=f"{type(exc).__name__}: {exc}")
    return _record(db, nid, lease_until, attempts, outcome, notice, now, settings)


def _record(db: Database, nid: int, lease_until: datetime, attempts: int, outcome: notify.Outcome,
            notice: notify.Notice, now: datetime, settings: Settings) -> str:
    n = Notification
    ours = and_(n.id == nid, n.status == "sending", n.lease_until == lease_until)
    # The words go into the row once its fate is settled (a retry renders again from the facts).
    said: dict[str, Any] = {"text": notice.text} if notice.text else {}
    with db.transaction() as s:
        if outcome.status == notify.SENT:
            values: dict[str, Any] = dict(status="sent", channel=outcome.channel, wechat_msgid=outcome.msgid,
                                          sent_at=now, lease_until=None, last_error=None, **said)
            result = "sent"
        elif outcome.status == notify.RETRY:
            if attempts >= settings["MAX_SEND_ATTEMPTS"]:
                values = dict(status="failed", lease_until=None, last_error=outcome.error[:1000], **said)
                result = "failed"
                log.warning("notice %s failed after %s attempts: %s", nid, attempts, outcome.error)
            else:
                values = dict(status="pending", lease_until=None, last_error=outcome.error[:1000],
                              due_at=now + notify.backoff(attempts, settings))
                result = "retry"
        else:
            row = s.get(Notification, nid)
            secretary = (notify.secretary_for(s, row.recipient_id)
                         if row is not None and row.kind != "fallback" else None)
            if row is not None and secretary is not None:
                values = dict(status="redirected", channel="fallback", lease_until=None, last_error=outcome.error,
                              **said)
                result = "redirected"
            else:
                values = dict(status="undeliverable", lease_until=None, last_error=outcome.error, **said)
                result = "undeliverable"
        done = s.execute(update(n).where(ours).values(**values))
        if not getattr(done, "rowcount", 0):
            log.warning("notice %s: lease lost before its result was recorded (%s)", nid, outcome.status)
            return "lost_lease"
        if result == "redirected":
            assert row is not None and secretary is not None
            enqueue(s, kind="fallback", recipient_id=secretary.id, subject_type="notification", subject_id=nid,
                    due_at=now, now=now, urgent=row.urgent,
                    params={"name": notice.member_name, "text": notice.text, "original_id": nid})
    return result
