"""Chat: 整改台账. The owner lists and answers their items (整改, 整改 <id> <措施或进展>, 整改 <id> 已完成 <说明>
then photos then 提交); committee staff close (销号 <id>) or return (退回整改 <id> <原因>) them; 台账 shows the
figures of the sender's scope. The rules live in bot/services/rectification."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.chat.context import Context
from bot.chat.media import fetch_after_commit
from bot.chat.router import Reply, Routes
from bot.infra import links
from bot.infra.text import fits_reply, parse_id
from bot.models import Committee, RoleGrant
from bot.services import attachments
from bot.services.errors import Invalid, NotFound, PermissionDenied
from bot.services.meetings.scheduling import managed_branch
from bot.services.rectification import evidence as ledger_evidence
from bot.services.rectification import figures as ledger_figures
from bot.services.rectification import ledger
from bot.texts import rectification as T

EVIDENCE_STEP = "rectification.evidence"
BEFORE_STEP = "rectification.before"  # photos of the problem before rectification
DONE_PREFIX = "已完成"
BEFORE_WORD = "整改前"
OWNER_ROLES = ("member", "secretary", "liaison")  # a liaison answers 年检 items
STAFF_ROLES = ("admin", ledger.VERIFIER_ROLE)

routes = Routes()


RAW_ANSWER = re.compile(r"\s*整改[\s\u3000]*[#＃]?-?[0-9０-９]+[\s\u3000]*(?P<rest>.*)", re.S)


def _raw_rest(ctx: Context, normalized: str) -> str:
    """What follows the item number as the person typed it (full-width punctuation kept), else the
    normalized text."""
    found = RAW_ANSWER.fullmatch(ctx.text_raw or "")
    return found["rest"].strip() if found else normalized


def _item_id(given: str | None) -> int:
    ident = parse_id(given)
    if ident is None:
        raise NotFound("ledger_item_not_found", id=(given or "").strip() or "?")
    return ident


def _evidence_link(ctx: Context, item_id: int) -> str:
    """「佐证材料：<link>」: the signed link to the item's evidence page (valid 7 days)."""
    path = ledger_evidence.evidence_path(item_id, ctx.now, str(ctx.settings["SECRET_KEY"]))
    return T.EVIDENCE_LINK.format(url=links.public_url(ctx.settings, path, ctx.public_root))


def _step_item(ctx: Context, step: str = EVIDENCE_STEP) -> int | None:
    conv = ctx.conversation if ctx.conversation is not None else ctx.load_conversation()
    if not conv or conv.get("step") != step:
        return None
    data: dict[str, Any] = dict(conv.get("data") or {})
    return int(data["item_id"]) if data.get("item_id") else None


@routes.text(r"整改", priority=60, name="rectification.list", usage="整改",
             summary="查看我负责的整改事项", roles=OWNER_ROLES)
def list_items(ctx: Context) -> Reply:
    found = ledger.my_open_items(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    if not found:
        return T.LIST_EMPTY
    lines = [T.LIST_HEADER.format(n=len(found))] + [T.item_line(v, ctx.settings) for v in found]
    return "\n".join([*lines, T.LIST_FOOTER])


@routes.text(r"整改\s*(?P<id>#?-?\d+)\s*(?P<rest>.*)", priority=60, name="rectification.answer",
             usage="整改 编号 措施或进展", summary="查看或答复整改事项；完成后“整改 编号 已完成 说明”",
             roles=OWNER_ROLES)
def answer(ctx: Context) -> Reply:
    assert ctx.match is not None
    item_id = _item_id(ctx.match["id"])
    rest = _raw_rest(ctx, (ctx.match["rest"] or "").strip())
    if rest.startswith(DONE_PREFIX):
        view = ledger.start_evidence(ctx.session, actor=ctx.member, item_id=item_id,
                                     text=rest.removeprefix(DONE_PREFIX).strip(" \u3000：:，,"), now=ctx.now,
                                     settings=ctx.settings)
        ctx.start_conversation(EVIDENCE_STEP, item_id=view.id)
        return T.EVIDENCE_START.format(id=view.id)
    if rest == BEFORE_WORD:  # 整改 <id> 整改前: photos of the problem as it was
        view = ledger.start_before(ctx.session, actor=ctx.member, item_id=item_id, now=ctx.now,
                                   settings=ctx.settings)
        ctx.start_conversation(BEFORE_STEP, item_id=view.id)
        return T.BEFORE_START.format(id=view.id)
    if not rest:  # 整改 <id>: the item itself, with the evidence page's link for whoever may verify it
        detail = T.item_detail(ledger.view_item(ctx.session, actor=ctx.member, item_id=item_id, now=ctx.now,
                                                settings=ctx.settings), ctx.settings)
        if ledger_evidence.may_verify(ctx.session, ctx.member, ledger.get_item(ctx.session, item_id)):
            with_link = f"{detail}\n{_evidence_link(ctx, item_id)}"
            if fits_reply(with_link):
                return with_link
        return detail
    had_measures = bool(ledger.view_item(ctx.session, actor=ctx.member, item_id=item_id, now=ctx.now,
                                         settings=ctx.settings).measures.strip())
    view = ledger.answer(ctx.session, actor=ctx.member, item_id=item_id, text=rest, now=ctx.now,
                         settings=ctx.settings)
    return T.ANSWERED.format(id=view.id, what=T.WHAT_PROGRESS if had_measures else T.WHAT_MEASURES)


@routes.step(EVIDENCE_STEP)
def evidence_text(ctx: Context) -> Reply:
    """A text between 已完成 and 提交: more words of the evidence."""
    item_id = _step_item(ctx)
    if item_id is None:
        ctx.end_conversation()
        return T.NOTHING_TO_SUBMIT
    view = ledger.add_evidence_text(ctx.session, actor=ctx.member, item_id=item_id,
                                    text=ctx.text_raw.strip() or ctx.text, now=ctx.now, settings=ctx.settings)
    ctx.start_conversation(EVIDENCE_STEP, item_id=view.id)
    return T.EVIDENCE_TEXT.format(id=view.id)


def _photo(ctx: Context, step: str, add: Callable[..., attachments.Attached], saved: str, again: str) -> Reply:
    """A photo sent during `step` (evidence after, or the problem before): kept with the step's item, fetched
    after the commit; the same photo sent again is said so."""
    item_id = _step_item(ctx, step)
    if item_id is None:
        return T.NOTHING_TO_SUBMIT
    added = add(ctx.session, actor=ctx.member, item_id=item_id, media_id=str(ctx.raw.get("MediaId") or ""),
                now=ctx.now, settings=ctx.settings)
    if added.new_id is None:
        return again.format(id=item_id, n=added.count)
    fetch_after_commit(ctx, attachments.fetch_one, added.new_id)
    ctx.start_conversation(step, item_id=item_id)
    return saved.format(id=item_id, n=added.count)


@routes.image_step(EVIDENCE_STEP)
def evidence_photo(ctx: Context) -> Reply:
    return _photo(ctx, EVIDENCE_STEP, ledger.add_evidence_photo, T.EVIDENCE_PHOTO, T.EVIDENCE_PHOTO_AGAIN)


@routes.step(BEFORE_STEP)
def before_text(ctx: Context) -> Reply:
    """A text while sending the photos before rectification: the photos are done."""
    item_id = _step_item(ctx, BEFORE_STEP)
    ctx.end_conversation()
    if item_id is None:
        return T.NOTHING_TO_SUBMIT
    view = ledger.view_item(ctx.session, actor=ctx.member, item_id=item_id, now=ctx.now, settings=ctx.settings)
    return T.BEFORE_DONE.format(id=view.id, n=view.photos_before)


@routes.image_step(BEFORE_STEP)
def before_photo(ctx: Context) -> Reply:
    return _photo(ctx, BEFORE_STEP, ledger.add_before_photo, T.BEFORE_PHOTO, T.BEFORE_PHOTO_AGAIN)


def submit_evidence(ctx: Context) -> Reply:
    """提交 of 整改 evidence (the review handlers' 提交 route calls this while the sender's step is
    rectification.evidence, or when they have no review draft): the item in the step, else the sender's
    only item with evidence not yet submitted; nothing pending is said so."""
    item_id = _step_item(ctx)
    if item_id is None:
        ready = ledger.submittable(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
        if not ready:
            return T.NOTHING_TO_SUBMIT
        if len(ready) > 1:
            return T.WHICH_TO_SUBMIT.format(n=len(ready), lines="\n".join(T.item_line(v, ctx.settings)
                                                                          for v in ready))
        item_id = ready[0].id
    view = ledger.submit(ctx.session, actor=ctx.member, item_id=item_id, now=ctx.now, settings=ctx.settings)
    if ctx.conversation and ctx.conversation.get("step") == EVIDENCE_STEP:
        ctx.end_conversation()
    return T.SUBMITTED.format(id=view.id, evidence=T.evidence_word(view.evidence, view.photos))


@routes.text(r"待验收", priority=60, name="rectification.awaiting", usage="待验收",
             summary="查看待验收的整改事项", roles=STAFF_ROLES)
def awaiting(ctx: Context) -> Reply:
    found = ledger.awaiting(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    if not found:
        return T.AWAITING_EMPTY
    # every item listed is one the sender may close: each gets its evidence page's link, as many as fit
    linked = len(found)
    while True:
        lines = [T.AWAITING_HEADER.format(n=len(found))]
        for i, view in enumerate(found):
            lines.append(T.awaiting_line(view))
            if i < linked:
                lines.append(_evidence_link(ctx, view.id))
        text = "\n".join([*lines, T.AWAITING_FOOTER])
        if linked == 0 or fits_reply(text):
            return text
        linked -= 1


@routes.text(r"销号\s*(?P<id>\S*)", priority=60, name="rectification.close", usage="销号 编号",
             summary="验收通过，整改事项销号", roles=STAFF_ROLES)
def close(ctx: Context) -> Reply:
    assert ctx.match is not None
    if not ctx.match["id"]:
        raise Invalid("ledger_close_usage")
    view = ledger.close(ctx.session, actor=ctx.member, item_id=_item_id(ctx.match["id"]), now=ctx.now,
                        settings=ctx.settings)
    return T.CLOSED.format(id=view.id, unit=view.unit, verifier=view.verifier_name or "")


@routes.text(r"退回整改\s*(?P<id>\S*)\s*(?P<reason>.*)", priority=61, name="rectification.return",
             usage="退回整改 编号 原因", summary="佐证不足，退回责任人继续整改", roles=STAFF_ROLES)
def return_item(ctx: Context) -> Reply:
    assert ctx.match is not None
    if not ctx.match["id"]:
        raise Invalid("ledger_return_needs_reason")
    view = ledger.return_item(ctx.session, actor=ctx.member, item_id=_item_id(ctx.match["id"]),
                              reason=ctx.match["reason"], now=ctx.now, settings=ctx.settings)
    return T.RETURNED.format(id=view.id, unit=view.unit, reason=view.return_reason or "")


@routes.text(r"台账|整改台账", priority=60, name="rectification.figures", usage="台账",
             summary="整改台账：问题数、逾期、整改率", roles=("admin", "secretary", "committee_member"))
def show_figures(ctx: Context) -> Reply:
    member = ctx.member
    if member is None:
        raise PermissionDenied("ledger_unbound")
    committee_id = ctx.session.scalar(
        select(RoleGrant.scope_id).where(RoleGrant.member_id == member.id, RoleGrant.role == "admin",
                                         RoleGrant.scope_type == "committee")
        .order_by(RoleGrant.id).limit(1))
    if committee_id is not None and ctx.session.get(Committee, committee_id) is not None:
        found = ledger_figures.figures(ctx.session, actor=member, committee_id=int(committee_id), now=ctx.now,
                                       settings=ctx.settings)
    else:
        branch = managed_branch(ctx.session, member) if ctx.roles & {"secretary", "committee_member"} else None
        if branch is None:
            raise PermissionDenied("ledger_no_scope")
        found = ledger_figures.figures(ctx.session, actor=member, branch_id=branch.id, now=ctx.now,
                                       settings=ctx.settings)
    return T.figures_report(found)
