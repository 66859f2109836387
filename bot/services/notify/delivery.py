"""Delivering one notice: choose the channel the member can receive, shape the message for it, send.

Channels, in order of preference, by what the member has:
1. template message on the official account (needs an openid and a template id for the notice's kind):
   the notice's fields fill the keywords of its kind's template (settings["NOTICE_TEMPLATES"]), each
   value on one line and cut to its keyword type's limit; the message links to the notice's page;
2. subscribe message (订阅通知) when the member has an unused consent for the kind's template: each
   accept in a subscribe_msg_popup_event allows one send;
3. customer-service text inside the 48-hour window since the member's last message (at most
   CS_WINDOW_MAX in one window; the webhook records the window in the store).
A channel that refuses this member (not following, consent withdrawn, window closed) is skipped; an
error that may pass (timeout, HTTP 5xx, system busy, rate limit) makes the whole notice retry later.
When no channel is left the caller redirects the notice to the branch secretary.

The sending itself is a NoticeSender (bot.infra.wechat.WeChatSender over the WeChat API client): it
returns what WeChat answered or raises Transient / Refused, so the rules here never see the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.db import Database
from bot.infra.store import Batch, Store, StoreUnavailable
from bot.infra.text import shorten
from bot.models import Member, RoleGrant, SubscribeConsent

log = logging.getLogger("zhibu.notify")

TEMPLATE_FIELD_LIMIT = 20
SENT, RETRY, NO_CHANNEL = "sent", "retry", "no_channel"

TemplateData = dict[str, dict[str, str]]


@dataclass
class Notice:
    """What the dispatcher hands over: the notice in words and its recipient (no session needed).
    `fields` are the template message's (empty: derived from the text)."""

    id: int
    kind: str
    text: str
    fields: Mapping[str, Any]
    openid: str | None
    member_name: str = ""
    url: str | None = None  # the notice's page (the template message's link)


@dataclass
class Outcome:
    status: str  # sent | retry | no_channel
    channel: str | None = None
    msgid: str | None = None
    error: str = ""
    refused: list[str] = field(default_factory=list)


class Transient(Exception):
    """A send failed in a way that may pass: retry the notice later."""


class Refused(Exception):
    """This channel refuses this member (not following, consent withdrawn, …): try the next channel."""

    def __init__(self, errcode: int | None, errmsg: str = "") -> None:
        super().__init__(f"WeChat {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class NoticeSender(Protocol):
    """The three ways a notice reaches a phone. Each returns WeChat's msgid (None when it gives none)
    or raises Transient (may pass: retry later) or Refused (this channel refuses this member)."""

    def send_template(self, openid: str, template_id: str, data: TemplateData,
                      url: str | None = None) -> str | None: ...

    def send_subscribe(self, openid: str, template_id: str, data: TemplateData) -> str | None: ...

    def send_text(self, openid: str, text: str) -> str | None: ...


# -- shaping ---------------------------------------------------------------------------------------
def flatten(value: Any, limit: int = TEMPLATE_FIELD_LIMIT) -> str:
    """One line, at most `limit` characters, cut with an ellipsis (template message rules)."""
    return shorten(value, limit)


KEYWORD_LIMITS = {"thing": 20, "phrase": 5, "name": 10, "symbol": 5, "car_number": 8, "phone_number": 17}
OTHER_KEYWORD_LIMIT = 32  # time, date, number, character_string, …


def keyword_value(keyword: str, value: Any) -> str:
    """`value` shaped for a template keyword: one line, cut to the keyword type's limit (thing1: 20)."""
    return flatten(value, KEYWORD_LIMITS.get(keyword.rstrip("0123456789"), OTHER_KEYWORD_LIMIT))


def template_data(notice: Notice, settings: Settings | None = None) -> TemplateData:
    """The template's keywords: the notice's fields by role put into the keywords of its kind's template
    (settings["NOTICE_TEMPLATES"]); fields already named by keyword (rows written with their words) as
    they are; no fields: its text split into two."""
    fields: Mapping[str, Any] = notice.fields
    spec = dict((settings or {}).get("NOTICE_TEMPLATES") or {}).get(notice.kind)
    if fields and spec:
        keyed = {kw: fields[role] for kw, role in dict(spec["fields"]).items()
                 if role in fields and str(fields[role]).strip()}
        if keyed:
            return {kw: {"value": keyword_value(kw, value)} for kw, value in keyed.items()}
    if not fields:
        lines = [ln for ln in notice.text.splitlines() if ln.strip()] or [notice.text]
        split = {"thing1": lines[0], "thing2": " ".join(lines[1:]) if len(lines) > 1 else ""}
        fields = {k: v for k, v in split.items() if v}
    return {str(name): {"value": flatten(value)} for name, value in fields.items()}


# -- the 48-hour window ----------------------------------------------------------------------------
def _window_key(openid: str) -> str:
    return f"cswin:{openid}"


def record_interaction(batch: Batch, openid: str, now: datetime, settings: Settings) -> None:
    """The member wrote to us: customer-service messages are allowed for CS_WINDOW_HOURS from now.
    Added to `batch`, which the caller sends to the store (the webhook sends it with the reply)."""
    hours = int(settings.get("CS_WINDOW_HOURS", 48))
    batch.set(_window_key(openid), str(int(now.timestamp())), ex=hours * 3600 + 3600)


def window_open(store: Store, openid: str, now: datetime, settings: Settings) -> int | None:
    """The window's start (epoch seconds) if a customer-service message may be sent now, else None."""
    raw = store.get(_window_key(openid))
    if raw is None:
        return None
    start = int(raw)
    hours = int(settings.get("CS_WINDOW_HOURS", 48))
    return start if now.timestamp() - start < hours * 3600 else None


# -- consent ---------------------------------------------------------------------------------------
def add_consent(session: Session, openid: str, template_id: str, status: str, now: datetime, *,
                grant: bool) -> None:
    """Record an accept (one more send allowed when `grant`) or a reject (no sends left)."""
    row = session.scalars(select(SubscribeConsent).where(SubscribeConsent.openid == openid,
                                                         SubscribeConsent.template_id == template_id)).first()
    if row is None:
        row = SubscribeConsent(openid=openid, template_id=template_id, status=status, remaining=0, updated_at=now)
        session.add(row)
    row.status = status
    row.updated_at = now
    if status != "accept":
        row.remaining = 0
    elif grant:
        row.remaining = (row.remaining or 0) + 1
    session.flush()


def _take_consent(db: Database, openid: str, template_id: str, now: datetime) -> bool:
    with db.transaction() as s:
        result = s.execute(
            update(SubscribeConsent)
            .where(SubscribeConsent.openid == openid, SubscribeConsent.template_id == template_id,
                   SubscribeConsent.status == "accept", SubscribeConsent.remaining > 0)
            .values(remaining=SubscribeConsent.remaining - 1, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


def _give_back_consent(db: Database, openid: str, template_id: str) -> None:
    with db.transaction() as s:
        s.execute(update(SubscribeConsent)
                  .where(SubscribeConsent.openid == openid, SubscribeConsent.template_id == template_id)
                  .values(remaining=SubscribeConsent.remaining + 1))


# -- sending ---------------------------------------------------------------------------------------
def deliver(db: Database, store: Store, sender: NoticeSender, notice: Notice, now: datetime,
            settings: Settings) -> Outcome:
    """Send `notice` by the first channel that takes it."""
    refused: list[str] = []
    if not notice.openid:
        return Outcome(NO_CHANNEL, error="未绑定微信", refused=refused)
    openid = notice.openid
    try:
        templates = dict(settings.get("TEMPLATE_IDS") or {})
        template_id = templates.get(notice.kind, templates.get("*"))
        if template_id:
            try:
                msgid = sender.send_template(openid, template_id, template_data(notice, settings), notice.url)
                return Outcome(SENT, "template", msgid=msgid, refused=refused)
            except Refused as exc:
                refused.append(f"template {exc.errcode}")
        sub_id = dict(settings.get("SUBSCRIBE_TEMPLATE_IDS") or {}).get(notice.kind)
        if sub_id and _take_consent(db, openid, sub_id, now):
            try:
                msgid = sender.send_subscribe(openid, sub_id, template_data(notice, settings))
                return Outcome(SENT, "subscribe", msgid=msgid, refused=refused)
            except Transient:
                _give_back_consent(db, openid, sub_id)
                raise
            except Refused as exc:
                refused.append(f"subscribe {exc.errcode}")
        try:
            start = window_open(store, openid, now, settings)
            if start is not None:
                count = store.incr(f"cscount:{openid}:{start}", ex=int(settings.get("CS_WINDOW_HOURS", 48)) * 3600)
                if count <= int(settings.get("CS_WINDOW_MAX", 5)):
                    try:
                        sender.send_text(openid, notice.text)
                        return Outcome(SENT, "custom", refused=refused)
                    except Refused as exc:
                        refused.append(f"custom {exc.errcode}")
                else:
                    refused.append("custom quota")
        except StoreUnavailable:
            refused.append("custom window unknown")
    except Transient as exc:
        return Outcome(RETRY, error=str(exc), refused=refused)
    return Outcome(NO_CHANNEL, error="无可用通道：" + ", ".join(refused or ["none"]), refused=refused)


def secretary_for(session: Session, member_id: int | None) -> Member | None:
    """The secretary of the member's branch, if the branch has one other than the member."""
    if member_id is None:
        return None
    member = session.get(Member, member_id)
    if member is None or member.branch_id is None:
        return None
    return session.scalars(
        select(Member).join(RoleGrant, RoleGrant.member_id == Member.id)
        .where(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch",
               RoleGrant.scope_id == member.branch_id, Member.active.is_(True), Member.id != member.id)
        .order_by(Member.id)
    ).first()


def backoff(attempt: int, settings: Settings) -> timedelta:
    """How long to wait after the `attempt`-th failed try (1-based); the last step repeats."""
    steps = list(settings.get("SEND_BACKOFF") or [60])
    return timedelta(seconds=int(steps[min(max(attempt, 1), len(steps)) - 1]))


# -- events that report on sends ---------------------------------------------------------------------
TEMPLATE_FINAL = {"success": ("delivered", None), "failed:user block": ("failed", "用户拒收消息"),
                  "failed: system failed": ("failed", "微信系统发送失败")}


def template_job_finished(session: Session, openid: str, msgid: str, status: str) -> bool:
    """TEMPLATESENDJOBFINISH: the template message's final status. Returns whether a row matched."""
    from bot.models import Notification

    final, error = TEMPLATE_FINAL.get(status, ("failed", f"微信返回：{status}"[:200]))
    row = session.scalars(
        select(Notification).join(Member, Member.id == Notification.recipient_id)
        .where(Notification.wechat_msgid == msgid, Member.openid == openid, Notification.channel == "template")
    ).first()
    if row is None:
        log.info("TEMPLATESENDJOBFINISH for unknown msgid %s", msgid)
        return False
    row.status = final
    row.last_error = error
    return True


def _items(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        inner = raw.get("List", raw)
        raw = inner
    if isinstance(raw, dict):
        return [raw]
    return [i for i in (raw or []) if isinstance(i, dict)]


TEMPLATE_ID_LIMIT = 128  # the consent row's column


def subscribe_event(session: Session, openid: str, event: str, body: Any, now: datetime) -> int:
    """subscribe_msg_popup_event (each accept allows one send), subscribe_msg_change_event (the
    member changed the setting), subscribe_msg_sent_event (a send was refused). Returns items seen."""
    items = _items(body)
    for item in items:
        template_id = str(item.get("TemplateId") or "")
        if not template_id:
            continue
        if len(template_id) > TEMPLATE_ID_LIMIT:  # not a template id WeChat issues: nothing is recorded
            log.warning("%s from %s: TemplateId longer than %d characters ignored", event, openid,
                        TEMPLATE_ID_LIMIT)
            continue
        if event == "subscribe_msg_sent_event":
            if str(item.get("ErrorCode") or "0") != "0":
                add_consent(session, openid, template_id, "reject", now, grant=False)
            continue
        status = "accept" if str(item.get("SubscribeStatusString") or "").lower() == "accept" else "reject"
        add_consent(session, openid, template_id, status, now, grant=event == "subscribe_msg_popup_event")
    return len(items)


# -- the notice page (the template message's link) -------------------------------------------------
@dataclass(frozen=True)
class NoticeRecord:
    """What the notice page shows: the row's kind, its words if recorded, else its facts, and when."""

    id: int
    kind: str
    text: str
    params: dict[str, Any]
    at: datetime


def notice_record(session: Session, notice_id: int) -> NoticeRecord | None:
    """Notice `notice_id` for its page (the link's signature is the authority: no login), or None."""
    from bot.models import Notification

    row = session.get(Notification, notice_id)
    if row is None:
        return None
    return NoticeRecord(row.id, row.kind, row.text or "", dict(row.payload or {}), row.sent_at or row.due_at)
