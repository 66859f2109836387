"""三会一课 by chat: scheduling with a read-back, 改期/取消会议, check-in by scan, 代签, leave, minutes, 进度.

Handlers only translate between messages and services; the rules (and who may) live in bot/services/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.chat.context import Context
from bot.chat.handlers.general import unknown
from bot.chat.media import fetch_after_commit
from bot.chat.router import Reply, Routes
from bot.infra import clock, links
from bot.infra.text import parse_id
from bot.models import Branch, Meeting
from bot.nlp import (
    ALIAS_PATTERN,
    UNTYPED_PATTERN,
    Refused,
    extract_place,
    meeting_type,
    names_untyped_meeting,
    read_meeting_request,
    read_when,
)
from bot.services.errors import Invalid, NotFound, PermissionDenied, ServiceError
from bot.services.meetings import attendance, checkin, compliance, leave, minutes, qr
from bot.services.meetings import scheduling as meetings
from bot.services.org.structure import get_branch
from bot.texts import general as G
from bot.texts import meetings as T
from bot.texts import refusal

SECRETARY_ROLES = ("secretary", "committee_member", "admin")
BRANCH_ROLES = ("secretary", "committee_member")  # commands that act for the sender's own branch
CONFIRM_WORDS = ("确认", "确定", "发布", "是", "好", "好的", "对", "ok", "OK")
DONE_WORDS = ("完成", "结束", "好了", "记录完毕", "完毕")
NO_PLACE_WORDS = ("无", "没有", "暂无", "不填", "待定", "跳过")

routes = Routes()


# -- helpers -------------------------------------------------------------------------------------
def branch_or_refuse(ctx: Context, no_branch: str = "no_managed_branch", unbound: str = "unbound") -> Branch:
    """The branch the sender acts for (meetings.managed_branch), or a refusal saying why there is none:
    the reason `no_branch` for a bound member, `unbound` for a sender who is not bound."""
    branch = meetings.managed_branch(ctx.session, ctx.member)
    if branch is None:
        raise PermissionDenied(no_branch if ctx.member else unbound)
    return branch


def _tz(ctx: Context) -> str:
    return str(ctx.settings["TZ"])


def _when(ctx: Context, moment: datetime, year: bool = True) -> str:
    return clock.fmt_when(moment, ctx.settings, year=year)


def _claimed(ctx: Context, act: Callable[[], Reply]) -> Reply:
    """A conversation's confirm, run once: the step is claimed in the store first, so of N concurrent
    copies of 确认 one acts and the others are told it is in hand. A refusal or failure puts the step
    back (the transaction rolls back; the sender may correct and confirm again). The database's
    constraints are the last line when the store cannot claim."""
    if not ctx.claim_conversation():
        return T.MTG_CONFIRM_TAKEN
    try:
        reply = act()
    except BaseException:
        ctx.release_claim()
        raise
    ctx.finish_claim()
    return reply


def _typed_id(given: str | None, missing: str) -> int | None:
    """The record number typed after a command (bot.infra.text.parse_id), None if none was typed; one that
    no record can have (a phone number, 20 digits, ፩) is NotFound(`missing`), as a number nobody has."""
    if not given:
        return None
    ident = parse_id(given)
    if ident is None:
        raise NotFound(missing)
    return ident


def _pick(ctx: Context, candidates: list[Meeting], given: str | None, cmd: str) -> Meeting | str:
    """The meeting a command means: the numbered one, or the only candidate; else the reply asking which."""
    ident = _typed_id(given, "meeting_not_found")
    if ident is not None:
        return meetings.get_meeting(ctx.session, ident)
    if not candidates:
        return T.MTG_NONE_UPCOMING
    if len(candidates) == 1:
        return candidates[0]
    lines = "\n".join(T.meeting_line(m, ctx.settings) for m in candidates[:8])
    return T.MTG_WHICH.format(cmd=cmd, example=candidates[0].id, lines=lines)


def _readback(ctx: Context, data: dict[str, Any]) -> str:
    starts_at = datetime.fromisoformat(data["starts_at"])
    topic = T.MTG_TOPIC.format(topic=data["topic"]) if data.get("topic") else ""
    label = T.type_label(data["type"])
    if data.get("place"):
        return T.MTG_READBACK.format(when=_when(ctx, starts_at), place=data["place"], label=label, topic=topic)
    return T.MTG_READBACK_NO_PLACE.format(when=_when(ctx, starts_at), label=label, topic=topic)


def _next_step(ctx: Context, data: dict[str, Any]) -> str:
    """Ask for what is missing (time, then place), validate, then read back and wait for 确认."""
    branch = ctx.session.get(Branch, data["branch_id"])
    assert branch is not None
    if not data.get("starts_at"):
        ctx.start_conversation("meetings.ask_time", **data)
        return T.MTG_ASK_TIME.format(label=T.type_label(data["type"]))
    starts_at = datetime.fromisoformat(data["starts_at"])
    meetings.validate_new(ctx.session, actor=ctx.member, branch=branch, meeting_type=data["type"],
                          starts_at=starts_at, now=ctx.now, settings=ctx.settings)
    if data.get("place") is None:
        ctx.start_conversation("meetings.ask_place", **data)
        return T.MTG_ASK_PLACE
    ctx.start_conversation("meetings.confirm", **data)
    return _readback(ctx, data)


def _schedule_from_text(ctx: Context, text: str) -> Reply:
    branch = branch_or_refuse(ctx)
    req = read_meeting_request(text, ctx.now, tz=_tz(ctx))
    assert req.type is not None
    data: dict[str, Any] = {"branch_id": branch.id, "type": req.type, "group_id": None,
                            "starts_at": req.starts_at.isoformat() if req.starts_at else None,
                            "place": req.place, "topic": req.topic or ""}
    try:
        data["group_id"] = meetings.prepare(ctx.session, actor=ctx.member, branch=branch, meeting_type=req.type,
                                            text=text, settings=ctx.settings)
    except PermissionDenied:
        return _list_meetings(ctx)  # a member naming a meeting: show what is planned
    except Invalid as exc:
        if exc.reason != "meeting_group_ambiguous":
            raise
        ctx.start_conversation("meetings.ask_group", **data)  # 请注明是哪个小组: the answer names it
        return refusal(exc, ctx.settings)
    if req.when_refused is not None:  # 明天25点: say why, and ask for the time again
        ctx.start_conversation("meetings.ask_time", **data)
        return refusal(req.when_refused, ctx.settings) + "\n" + T.MTG_ASK_TIME_AGAIN
    return _next_step_or_ask_time(ctx, data)


def _next_step_or_ask_time(ctx: Context, data: dict[str, Any]) -> Reply:
    """_next_step; a time already past (or more than a year ahead) is asked for again, in a step."""
    try:
        return _next_step(ctx, data)
    except Invalid as exc:
        if exc.reason not in ("meeting_past", "meeting_too_far"):
            raise
        ctx.start_conversation("meetings.ask_time", **{**data, "starts_at": None})
        return refusal(exc, ctx.settings) + "\n" + T.MTG_ASK_TIME_AGAIN


@routes.step("meetings.ask_group")
def ask_group(ctx: Context) -> Reply:
    """The answer to 请注明是哪个小组 (e.g. 第一党小组)."""
    data = dict((ctx.conversation or {}).get("data") or {})
    branch = ctx.session.get(Branch, data["branch_id"])
    assert branch is not None
    try:
        data["group_id"] = meetings.prepare(ctx.session, actor=ctx.member, branch=branch, meeting_type=data["type"],
                                            text=ctx.text, settings=ctx.settings)
    except Invalid as exc:
        if exc.reason != "meeting_group_ambiguous":
            raise
        return refusal(exc, ctx.settings)  # still not named: the step keeps waiting
    return _next_step_or_ask_time(ctx, data)


def _list_meetings(ctx: Context) -> Reply:
    if meetings.oversees(ctx.session, ctx.member):  # an admin or instructor: their branches' meetings
        return T.overseen_meetings(meetings.upcoming_overseen(ctx.session, actor=ctx.member, now=ctx.now),
                                   ctx.settings)
    branch, found = meetings.upcoming_for(ctx.session, actor=ctx.member, now=ctx.now)
    if not found:
        return T.MTG_NONE_UPCOMING
    return "\n".join([T.MTG_LIST_HEADER.format(branch=branch.name)] + [T.meeting_line(m, ctx.settings) for m in found])


# -- scheduling -------------------------------------------------------------------------------------
@routes.text(r"(?=.*(?:" + ALIAS_PATTERN + r")).{2,300}", priority=20, name="meetings.schedule",
             usage="下周三晚上7点半开支委会，地点三楼会议室，主题…", summary="安排会议（先读给您确认）",
             roles=("secretary",))
def schedule(ctx: Context) -> Reply:
    return _schedule_from_text(ctx, ctx.text)


@routes.text(r"(?=.*(?:" + UNTYPED_PATTERN + r")).{2,300}", priority=19, name="meetings.ask_type",
             roles=("secretary",))
def ask_type_first(ctx: Context) -> Reply:
    """开会 / 安排会议 without a type (the typed sentence, at priority 20, takes the rest): ask which type."""
    if not names_untyped_meeting(ctx.text):
        return unknown(ctx)
    branch = branch_or_refuse(ctx)
    req = read_meeting_request(ctx.text, ctx.now, tz=_tz(ctx))
    ctx.start_conversation("meetings.ask_type", branch_id=branch.id, text=ctx.text,
                           starts_at=req.starts_at.isoformat() if req.starts_at else None,
                           place=req.place, topic=req.topic or "")
    return T.MTG_ASK_TYPE


@routes.step("meetings.ask_type")
def ask_type(ctx: Context) -> Reply:
    """The answer to 安排哪一种会议？ (支委会, 党员大会, …): then on as if the sentence had named it."""
    data = dict((ctx.conversation or {}).get("data") or {})
    chosen = meeting_type(ctx.text)
    if chosen is None:
        return T.MTG_ASK_TYPE
    branch = ctx.session.get(Branch, data["branch_id"])
    assert branch is not None
    group_id = meetings.prepare(ctx.session, actor=ctx.member, branch=branch, meeting_type=chosen,
                                text=ctx.text, settings=ctx.settings)
    return _next_step_or_ask_time(ctx, {"branch_id": branch.id, "type": chosen, "group_id": group_id,
                                        "starts_at": data.get("starts_at"), "place": data.get("place"),
                                        "topic": data.get("topic") or ""})


@routes.step("meetings.ask_time")
def ask_time(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    starts_at = read_when(ctx.text, ctx.now, tz=_tz(ctx))
    if isinstance(starts_at, Refused):
        return refusal(starts_at, ctx.settings) + "\n" + T.MTG_ASK_TIME_AGAIN
    if starts_at is None:
        return T.MTG_ASK_TIME_AGAIN
    data["starts_at"] = starts_at.isoformat()
    if data.get("place") is None:
        data["place"] = extract_place(ctx.text)
    try:
        return _next_step(ctx, data)
    except Invalid as exc:  # e.g. a time in the past: keep asking
        return refusal(exc, ctx.settings) + "\n" + T.MTG_ASK_TIME_AGAIN


@routes.step("meetings.ask_place")
def ask_place(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    data["place"] = "" if ctx.text in NO_PLACE_WORDS else ctx.text[:200]
    return _next_step(ctx, data)


@routes.step("meetings.confirm")
def confirm(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    if ctx.text not in CONFIRM_WORDS:
        if meeting_type(ctx.text):  # a corrected sentence: read it back again
            return _schedule_from_text(ctx, ctx.text)
        return T.MTG_CONFIRM_PROMPT
    return _claimed(ctx, lambda: _create(ctx, data))


def _create(ctx: Context, data: dict[str, Any]) -> Reply:
    branch = ctx.session.get(Branch, data["branch_id"])
    if branch is None:
        raise NotFound("no_managed_branch")
    meeting = meetings.create_meeting(
        ctx.session, actor=ctx.member, branch=branch, meeting_type=data["type"],
        starts_at=datetime.fromisoformat(data["starts_at"]), now=ctx.now, settings=ctx.settings,
        place=data.get("place") or "", topic=data.get("topic") or "", group_id=data.get("group_id"))
    return T.MTG_CREATED.format(when=_when(ctx, meeting.starts_at), label=T.type_label(meeting.type),
                                id=meeting.id, n=meetings.notified_count(ctx.session, meeting))


@routes.text(r"(?:会议|会议安排|近期会议|会议列表)", priority=60, name="meetings.list",
             usage="会议", summary="查看近期会议")
def list_meetings(ctx: Context) -> Reply:
    return _list_meetings(ctx)


@routes.text(r"改期\s*(?:(?P<id>#\S+|[-+]?\d+)(?=\s|$)\s*)?(?P<rest>.*)", priority=60, name="meetings.reschedule",
             usage="改期 12月6日 19:30", summary="会议改期", roles=BRANCH_ROLES)
def reschedule(ctx: Context) -> Reply:
    assert ctx.match is not None
    branch = branch_or_refuse(ctx)
    starts_at = read_when(ctx.match["rest"] or "", ctx.now, tz=_tz(ctx))
    if isinstance(starts_at, Refused):
        return refusal(starts_at, ctx.settings)
    if starts_at is None:
        return T.MTG_RESCHEDULE_USAGE
    meeting = _pick(ctx, meetings.upcoming(ctx.session, branch.id, ctx.now), ctx.match["id"], "改期")
    if isinstance(meeting, str):
        return meeting
    meetings.check_reschedule(ctx.session, actor=ctx.member, meeting=meeting, starts_at=starts_at,
                              now=ctx.now, settings=ctx.settings)
    ctx.start_conversation("meetings.confirm_reschedule", meeting_id=meeting.id, revision=meeting.revision,
                           starts_at=starts_at.isoformat(), place=extract_place(ctx.match["rest"] or ""))
    return T.MTG_RESCHEDULE_READBACK.format(label=T.type_label(meeting.type), id=meeting.id,
                                            old=_when(ctx, meeting.starts_at), new=_when(ctx, starts_at))


@routes.step("meetings.confirm_reschedule")
def confirm_reschedule(ctx: Context) -> Reply:
    if ctx.text not in CONFIRM_WORDS:
        return T.MTG_CONFIRM_PROMPT
    data = (ctx.conversation or {}).get("data") or {}
    return _claimed(ctx, lambda: _reschedule(ctx, data))


def _reschedule(ctx: Context, data: dict[str, Any]) -> Reply:
    meeting = meetings.get_meeting(ctx.session, int(data["meeting_id"]))
    revision = data.get("revision")  # the version read back to the secretary (absent in older states)
    meetings.reschedule(ctx.session, actor=ctx.member, meeting=meeting,
                        starts_at=datetime.fromisoformat(data["starts_at"]), now=ctx.now, settings=ctx.settings,
                        place=data.get("place"), expected_revision=int(revision) if revision else None)
    return T.MTG_RESCHEDULED.format(label=T.type_label(meeting.type), id=meeting.id,
                                    when=_when(ctx, meeting.starts_at),
                                    n=meetings.notified_count(ctx.session, meeting))


@routes.text(r"取消会议\s*(?P<id>#\S*|[-+]?\d+)?", priority=60, name="meetings.cancel",
             usage="取消会议", summary="取消已安排的会议", roles=BRANCH_ROLES)
def cancel(ctx: Context) -> Reply:
    assert ctx.match is not None
    branch = branch_or_refuse(ctx)
    meeting = _pick(ctx, meetings.upcoming(ctx.session, branch.id, ctx.now), ctx.match["id"], "取消会议")
    if isinstance(meeting, str):
        return meeting
    meetings.check_cancel(ctx.session, actor=ctx.member, meeting=meeting, now=ctx.now)
    ctx.start_conversation("meetings.confirm_cancel", meeting_id=meeting.id)
    return T.MTG_CANCEL_READBACK.format(when=_when(ctx, meeting.starts_at),
                                        label=T.type_label(meeting.type), id=meeting.id)


@routes.step("meetings.confirm_cancel")
def confirm_cancel(ctx: Context) -> Reply:
    if ctx.text not in CONFIRM_WORDS:
        return T.MTG_CONFIRM_PROMPT
    data = (ctx.conversation or {}).get("data") or {}
    return _claimed(ctx, lambda: _cancel(ctx, data))


def _cancel(ctx: Context, data: dict[str, Any]) -> Reply:
    meeting = meetings.get_meeting(ctx.session, int(data["meeting_id"]))
    meetings.cancel(ctx.session, actor=ctx.member, meeting=meeting, now=ctx.now, settings=ctx.settings)
    return T.MTG_CANCEL_DONE.format(when=_when(ctx, meeting.starts_at), label=T.type_label(meeting.type),
                                    id=meeting.id, n=meetings.notified_count(ctx.session, meeting))


# -- check-in -----------------------------------------------------------------------------------------
@routes.text(r"签到码\s*(?P<id>#\S*|[-+]?\d+)?", priority=60, name="meetings.qr", usage="签到码",
             summary="获取会议签到二维码", roles=BRANCH_ROLES)
def checkin_code(ctx: Context) -> Reply:
    assert ctx.match is not None
    branch = branch_or_refuse(ctx)
    meeting = _pick(ctx, meetings.upcoming(ctx.session, branch.id, ctx.now, limit=5), ctx.match["id"], "签到码")
    if isinstance(meeting, str):
        return meeting
    page = qr.projector_pass(ctx.session, actor=ctx.member, meeting=meeting, settings=ctx.settings)
    url = links.public_url(ctx.settings, f"/meetings/{page.meeting_id}/qr?k={page.key}", ctx.public_root)
    return T.QR_PAGE_LINK.format(label=T.type_label(meeting.type), id=meeting.id,
                                 when=_when(ctx, meeting.starts_at, year=False), url=url,
                                 rotate=ctx.settings["QR_ROTATE_SECONDS"])


def scan_checkin(ctx: Context, scene: str) -> Reply:
    """A scan of a meeting's official-account QR: the webhook's hot path (two statements, no ORM session)."""
    # The projector's official QR rotates: a scene older than a few minutes is refused (qr.scene_of).
    scan = checkin.scan_lookup(ctx.unit, qr.scene_of(scene, ctx.now, str(ctx.settings["SECRET_KEY"])), ctx.openid)
    ctx.use_sender(scan.member)
    result = checkin.check_in(ctx.unit, meeting=scan.meeting, member=scan.member, now=ctx.now, channel="scan",
                              settings=ctx.settings, source_key=ctx.dedupe_key)
    return T.checkin_reply(result, ctx.settings)


@routes.event("scan", name="meetings.scan")
def on_scan(ctx: Context) -> Reply:
    return scan_checkin(ctx, str(ctx.raw.get("EventKey") or ""))


@routes.event("subscribe_scan", name="meetings.subscribe_scan")
def on_subscribe_scan(ctx: Context) -> Reply:
    scene = str(ctx.raw.get("EventKey") or "").removeprefix("qrscene_")
    try:
        return scan_checkin(ctx, scene)
    except NotFound:
        return G.WELCOME
    except ServiceError as exc:
        return G.WELCOME + "\n\n" + refusal(exc, ctx.settings)


@routes.text(r"代签\s*(?P<name>.*)", priority=60, name="meetings.manual", usage="代签 张三",
             summary="为不便扫码的党员登记签到", roles=("secretary", "committee_member"))
def manual(ctx: Context) -> Reply:
    assert ctx.match is not None
    name = (ctx.match["name"] or "").strip()
    if not name:
        return T.CHK_MANUAL_WHO
    branch = branch_or_refuse(ctx)
    result = checkin.check_in_by_name(ctx.unit, actor=ctx.member, branch=branch, name=name, now=ctx.now,
                                      settings=ctx.settings, source_key=ctx.dedupe_key)
    return T.checkin_reply(result, ctx.settings)


@routes.text(r"签退", priority=60, name="meetings.signout", roles=("member",))
def sign_out(ctx: Context) -> Reply:
    done = checkin.sign_out(ctx.session, member=ctx.member, now=ctx.now, settings=ctx.settings)
    return T.signed_out(done, ctx.settings)


@routes.text(r"签到情况\s*(?P<id>#\S*|[-+]?\d+)?", priority=60, name="meetings.attendance", usage="签到情况",
             summary="查看会议签到情况", roles=("secretary", "committee_member", "admin", "instructor"))
def attendance_view(ctx: Context) -> Reply:
    assert ctx.match is not None
    ident = _typed_id(ctx.match["id"], "meeting_not_found")
    if ident is not None:
        meeting = meetings.get_meeting(ctx.session, ident)
    elif meetings.oversees(ctx.session, ctx.member):  # an admin or instructor: their branches' latest
        latest = meetings.latest_overseen(ctx.session, actor=ctx.member, now=ctx.now)
        if latest is None:
            return T.OVR_LIST_NONE
        meeting = latest
    else:
        branch = branch_or_refuse(ctx)
        found = meetings.recent(ctx.session, branch.id, ctx.now, 1) or meetings.upcoming(
            ctx.session, branch.id, ctx.now, 1)
        if not found:
            return T.MTG_NONE_UPCOMING
        meeting = found[0]
    summary = attendance.summarize(ctx.session, actor=ctx.member, meeting=meeting, now=ctx.now)
    return T.attendance_summary(summary, ctx.settings)


# -- leave --------------------------------------------------------------------------------------------
LEAVE_ID = re.compile(r"(#\S*|[-+]?\d+)(?=\s|$)\s*(.*)", re.S)
LEAVE_DATE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?")


def _leave_selector(ctx: Context, rest: str) -> tuple[list[Meeting] | None, str]:
    """What `请假 …` names before its reason: None (nothing named) or the upcoming meetings of the
    member's branch that the leading words fit (a date like 12月3日 and/or a meeting type), and the reason."""
    words = rest.split()
    dates: list[tuple[int, int]] = []
    kinds: list[str] = []
    taken = 0
    for word in words:
        date = LEAVE_DATE.search(word)
        kind = meeting_type(word)
        if not date and not kind:
            break
        if date:
            dates.append((int(date[1]), int(date[2])))
        if kind:
            kinds.append(kind)
        taken += 1
    if not taken:
        return None, rest
    reason = " ".join(words[taken:])
    member = ctx.member
    if member is None or member.branch_id is None:
        return [], reason
    fits = []
    for m in meetings.upcoming(ctx.session, member.branch_id, ctx.now, limit=20):
        day = clock.local(m.starts_at, ctx.settings)
        if dates and (day.month, day.day) not in dates:
            continue
        if kinds and m.type not in kinds:
            continue
        fits.append(m)
    return fits, reason


def _ask_which_leave(ctx: Context, choices: list[Meeting], reason: str) -> Reply:
    if not reason.strip():
        raise Invalid("leave_need_reason")
    shown = choices[:9]
    ctx.start_conversation("meetings.leave_which", reason=reason, ids=[m.id for m in shown])
    lines = "\n".join(T.LEAVE_CHOICE_LINE.format(n=i, id=m.id, when=_when(ctx, m.starts_at, year=False),
                                                 label=T.type_label(m.type)) for i, m in enumerate(shown, 1))
    return T.LEAVE_ASK_WHICH.format(lines=lines)


def _file_leave(ctx: Context, reason: str, meeting: Meeting | None) -> Reply:
    if not reason.strip() and meeting is not None:  # 事由？: the next message is the reason
        ctx.start_conversation("meetings.leave_reason", meeting_id=meeting.id)
        return T.LEAVE_ASK_REASON.format(label=T.type_label(meeting.type), when=_when(ctx, meeting.starts_at, False))
    info = leave.request_leave(ctx.session, member=ctx.member, reason=reason, now=ctx.now, meeting=meeting)
    return T.LEAVE_SUBMITTED.format(**T.leave_fields(info, ctx.settings))


@routes.step("meetings.leave_reason")
def leave_reason(ctx: Context) -> Reply:
    """The answer to 事由？ after 请假 without a reason."""
    data = dict((ctx.conversation or {}).get("data") or {})
    meeting = meetings.get_meeting(ctx.session, int(data["meeting_id"]))
    ctx.end_conversation()
    return _file_leave(ctx, ctx.text, meeting)


@routes.text(r"请假\s*(?P<reason>.*)", priority=60, name="meetings.leave", usage="请假 家中有事",
             summary="为会议请假（多个会议时：请假 #编号 事由）", roles=("member",))
def ask_leave(ctx: Context) -> Reply:
    assert ctx.match is not None
    rest = (ctx.match["reason"] or "").strip()
    named = LEAVE_ID.fullmatch(rest)
    if named:  # 请假 #5 出差
        ident = _typed_id(named[1], "meeting_not_found")
        assert ident is not None
        return _file_leave(ctx, named[2], meetings.get_meeting(ctx.session, ident))
    fits, reason = _leave_selector(ctx, rest)
    if fits is not None:  # 请假 12月3日党员大会 出差
        if not fits:
            return T.LEAVE_NOT_NAMED
        if len(fits) > 1:
            return _ask_which_leave(ctx, fits, reason)
        return _file_leave(ctx, reason, fits[0])
    choices = leave.leave_candidates(ctx.session, ctx.member, ctx.now)
    if len(choices) > 1:
        return _ask_which_leave(ctx, choices, reason)
    return _file_leave(ctx, reason, choices[0] if choices else None)


@routes.step("meetings.leave_which")
def leave_which(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    ids = [int(i) for i in data.get("ids") or []]
    picked = parse_id(ctx.text.removeprefix("#").strip())
    if ctx.text.startswith("#") and picked in ids:
        meeting_id = picked
    elif picked is not None and 1 <= picked <= len(ids):
        meeting_id = ids[picked - 1]
    else:
        return T.LEAVE_CHOICE_AGAIN
    ctx.end_conversation()
    return _file_leave(ctx, str(data.get("reason") or ""), meetings.get_meeting(ctx.session, meeting_id))


@routes.text(r"(?P<verb>同意|不同意|批准|不批准)\s*(?P<id>#\S*|[-+]?\d+)?", priority=60, name="meetings.decide_leave",
             usage="同意 / 不同意", summary="审批请假", roles=("secretary", "committee_member"))
def decide_leave(ctx: Context) -> Reply:
    assert ctx.match is not None
    approve = ctx.match["verb"] in ("同意", "批准")
    typed = _typed_id(ctx.match["id"], "leave_none_pending")
    if typed is not None:
        request_id = typed
    else:
        pending = leave.pending_for(ctx.session, ctx.member, ctx.now)
        if not pending:
            return T.LEAVE_NONE_PENDING
        if len(pending) > 1:
            lines = "\n".join(T.LEAVE_LINE.format(**T.leave_fields(r, ctx.settings)) for r in pending[:10])
            return T.LEAVE_WHICH.format(lines=lines)
        request_id = pending[0].id
    info = leave.decide(ctx.session, actor=ctx.member, request_id=request_id, approve=approve, now=ctx.now)
    return (T.LEAVE_APPROVED if approve else T.LEAVE_REJECTED).format(**T.leave_fields(info, ctx.settings))


# -- minutes ------------------------------------------------------------------------------------------
@routes.text(r"(?:记录|会议记录)\s*(?P<id>#\S*|[-+]?\d+)?", priority=60, name="meetings.minutes",
             usage="记录", summary="记录会议（文字和照片）", roles=("secretary", "committee_member"))
def start_minutes(ctx: Context) -> Reply:
    assert ctx.match is not None
    branch = meetings.managed_branch(ctx.session, ctx.member)
    meeting = minutes.recordable(ctx.session, ctx.member, ctx.now, branch.id if branch else None,
                                 _typed_id(ctx.match["id"], "meeting_not_found"))
    ctx.start_conversation("meetings.minutes", meeting_id=meeting.id, texts=0, images=0)
    return T.MIN_START.format(label=T.type_label(meeting.type), id=meeting.id,
                              when=_when(ctx, meeting.starts_at, year=False))


@routes.text(r"查看记录\s*(?P<id>#\S*|[-+]?\d+)?", priority=60, name="meetings.read_minutes", usage="查看记录",
             summary="查看会议记录和照片", roles=("member", *SECRETARY_ROLES, "instructor"))
def read_minutes(ctx: Context) -> Reply:
    assert ctx.match is not None
    if ctx.member is None:
        raise PermissionDenied("unbound")
    ident = _typed_id(ctx.match["id"], "meeting_not_found")
    branch_ids: list[int] = []
    if ident is None:
        if meetings.oversees(ctx.session, ctx.member):
            branch_ids = meetings.overseen_branch_ids(ctx.session, ctx.member)
        else:
            managed = meetings.managed_branch(ctx.session, ctx.member)
            branch_ids = sorted({b for b in (ctx.member.branch_id, managed.id if managed else None) if b})
    meeting = minutes.readable(ctx.session, actor=ctx.member, now=ctx.now, branch_ids=branch_ids, meeting_id=ident)
    view = minutes.read(ctx.session, actor=ctx.member, meeting=meeting, now=ctx.now, settings=ctx.settings)
    url = links.public_url(ctx.settings, f"/meetings/{view.meeting_id}/minutes?k={view.key}", ctx.public_root)
    return T.minutes_view(view, url, ctx.now, ctx.settings)


@routes.step("meetings.minutes")
def minutes_text(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    meeting = meetings.get_meeting(ctx.session, int(data["meeting_id"]))
    if ctx.text in DONE_WORDS:
        ctx.end_conversation()
        if not data.get("texts") and not data.get("images"):
            return T.MIN_EMPTY_DONE
        held = minutes.count(ctx.session, actor=ctx.member, meeting=meeting)
        return T.MIN_DONE.format(texts=held.texts, images=held.images)
    n = minutes.add_text(ctx.session, actor=ctx.member, meeting=meeting, text=ctx.text_raw.strip() or ctx.text,
                         now=ctx.now)
    data["texts"] = int(data.get("texts") or 0) + 1
    ctx.start_conversation("meetings.minutes", **data)
    return T.MIN_TEXT_SAVED.format(n=n)


@routes.message("image", priority=10, name="meetings.image")
def minutes_image(ctx: Context) -> Reply:
    conv = ctx.load_conversation()
    if not conv or conv.get("step") != "meetings.minutes":
        return G.NON_TEXT
    data = dict(conv.get("data") or {})
    meeting = meetings.get_meeting(ctx.session, int(data["meeting_id"]))
    added = minutes.add_image(ctx.session, actor=ctx.member, meeting=meeting,
                              media_id=str(ctx.raw.get("MediaId") or ""), now=ctx.now)
    if added.new_media_id is not None:
        fetch_after_commit(ctx, minutes.fetch_one, added.new_media_id)
    data["images"] = int(data.get("images") or 0) + 1
    ctx.start_conversation("meetings.minutes", **data)
    return T.MIN_IMAGE_SAVED.format(n=added.images)


# -- compliance ---------------------------------------------------------------------------------------
@routes.text(r"(?:本月还差什么|还差什么|本月还差啥|进度|本月进度|完成情况)\s*(?P<id>#\S*|[-+]?\d+)?", priority=60,
             name="meetings.progress", usage="进度", summary="本月/本季度三会一课还差什么",
             roles=(*SECRETARY_ROLES, "instructor"))
def progress(ctx: Context) -> Reply:
    assert ctx.match is not None
    given = (ctx.match["id"] or "").removeprefix("#").strip()
    ident = parse_id(given) if given else None
    if given and ident is None:
        raise NotFound("branch_not_found", id=given)
    if ident is not None:  # 进度 #branch: one branch, for whoever may view its compliance
        branch = get_branch(ctx.session, ident)
    elif meetings.oversees(ctx.session, ctx.member):  # an admin or instructor: the branches behind
        found = compliance.overview(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
        return T.overview_report(found, ctx.now, ctx.settings)
    else:
        branch = branch_or_refuse(ctx)
    bc = compliance.branch_compliance(ctx.session, actor=ctx.member, branch=branch, now=ctx.now,
                                      settings=ctx.settings)
    return T.progress_report(bc, ctx.now, ctx.settings, overseer=ident is not None and meetings.oversees(
        ctx.session, ctx.member))
