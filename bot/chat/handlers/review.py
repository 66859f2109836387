"""Chat: 述职评议. A secretary writes the report (述职, then text and photos, 提交, 查看述职, 撤回述职); an admin
returns a report (退回述职); a reviewer named for the round grades it (评议), naming problems that become
整改台账 items. `提交` is shared with the ledger's evidence (整改 … 已完成): see submit()."""

from __future__ import annotations

import re
import unicodedata

from bot.chat.context import Context
from bot.chat.handlers import rectification as rect_chat
from bot.chat.media import fetch_after_commit
from bot.chat.router import Reply, Routes
from bot.infra.text import parse_id
from bot.services import attachments
from bot.services.errors import Conflict, Invalid, PermissionDenied, ServiceError
from bot.services.review import grading, rounds, submissions
from bot.texts import review as T

DRAFT_STEP = "review.draft"
EVIDENCE_STEP = "rectification.evidence"  # the ledger's step that 提交 hands over to
SECRETARY_ROLES = ("secretary",)
ADMIN_ROLES = ("admin",)
REVIEWER_ROLES = ("admin", "reviewer")  # "reviewer": named for an open round (authz.named_roles)
PROBLEMS = re.compile(r"问题\s*[:：]")
PUNCTUATION = "，,。.；;：:、！!"

routes = Routes()


def _branch_ref(given: str) -> str | int:
    """A branch as typed: #5 or 5 is its number, anything else its name (or a part of it)."""
    text = unicodedata.normalize("NFKC", given).strip()
    if text.startswith("#") or text.isdigit():
        ident = parse_id(text)
        if ident is None:
            raise Invalid("review_branch_not_in_round", branch=text)
        return ident
    return text


def _raw_rest(ctx: Context, command: str) -> str:
    """What follows the command as the person typed it (full-width punctuation kept), spaces folded."""
    folded = " ".join((ctx.text_raw or ctx.text).split())
    return re.sub(rf"^{command}\s*", "", folded)


def _step(ctx: Context) -> str:
    conv = ctx.conversation if ctx.conversation is not None else ctx.load_conversation()
    return str((conv or {}).get("step") or "")


# -- the secretary ---------------------------------------------------------------------------------------
@routes.text(r"述职", priority=60, name="review.draft", usage="述职", summary="撰写或继续撰写述职报告",
             roles=SECRETARY_ROLES)
def start(ctx: Context) -> Reply:
    view = submissions.read_own(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    if view.status == "reviewed":
        raise Conflict("review_already_submitted", status="reviewed")
    if view.status == "submitted":
        return T.ALREADY_SUBMITTED.format(branch=view.branch)
    view = submissions.start_draft(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    ctx.start_conversation(DRAFT_STEP, submission_id=view.submission_id)
    resumed = bool(view.text.strip()) or view.photos > 0
    return T.draft_prompt(view, ctx.settings, resumed=resumed)


OVER = ("review_round_closed", "review_deadline_passed", "review_already_submitted")


def _leave_if_over(ctx: Context, exc: ServiceError) -> None:
    """A draft that can no longer change (the round closed, the deadline passed, submitted meanwhile): the
    conversation ends with the refusal, so the sender's next messages are not refused again and again."""
    if exc.reason in OVER:
        ctx.end_conversation()


# While a report is being written, every text is a paragraph of it (评议工作……, 整改#3……, 请假制度……) except
# these commands; 取消 leaves the writing (what is written is kept).
DRAFT_COMMANDS = ("review.submit", "review.read", "review.draft", "review.withdraw", "general.help")


@routes.step(DRAFT_STEP, commands=DRAFT_COMMANDS)
def draft_text(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    try:
        view = submissions.append_text(ctx.session, actor=ctx.member, submission_id=int(data["submission_id"]),
                                       text=ctx.text_raw.strip() or ctx.text, now=ctx.now, settings=ctx.settings)
    except ServiceError as exc:
        _leave_if_over(ctx, exc)
        if exc.reason in OVER and ctx.router.is_command_text(ctx):
            return ctx.router.dispatch(ctx)  # the writing is over: a command (整改, 会议…) is one again
        raise
    ctx.start_conversation(DRAFT_STEP, **data)  # another CONVERSATION_TTL to write the next paragraph
    return T.text_saved(view)


@routes.image_step(DRAFT_STEP)
def draft_image(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    try:
        added = submissions.attach_image(ctx.session, actor=ctx.member, submission_id=int(data["submission_id"]),
                                         media_id=str(ctx.raw.get("MediaId") or ""), now=ctx.now,
                                         settings=ctx.settings)
    except ServiceError as exc:
        _leave_if_over(ctx, exc)
        raise
    if added.new_id is not None:
        fetch_after_commit(ctx, attachments.fetch_one, added.new_id)
    ctx.start_conversation(DRAFT_STEP, **data)
    return T.DRAFT_IMAGE_SAVED.format(n=added.count)


@routes.text(r"提交", priority=60, name="review.submit", usage="提交", summary="提交述职报告或整改佐证材料",
             roles=("secretary", "member"))
def submit(ctx: Context) -> Reply:
    """提交 finishes what the sender is writing: 整改 evidence while that step is current, else the sender's
    述职 draft (even after the conversation expired), else whatever the ledger has pending."""
    if ctx.member is None:
        raise PermissionDenied("unbound")
    step = _step(ctx)
    if step == EVIDENCE_STEP:
        return rect_chat.submit_evidence(ctx)
    if step == DRAFT_STEP:  # the report being written, whatever became of its round meanwhile
        data = dict((ctx.conversation or {}).get("data") or {})
        submission_id = int(data["submission_id"])
    else:
        draft = submissions.draft_of(ctx.session, actor=ctx.member, now=ctx.now)
        if draft is None or (not draft.text.strip() and not draft.photos):
            return rect_chat.submit_evidence(ctx)
        submission_id = draft.submission_id
    view = submissions.submit(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings,
                              submission_id=submission_id)
    if step == DRAFT_STEP:
        ctx.end_conversation()
    return T.SUBMITTED.format(branch=view.branch, chars=len(view.text), photos=view.photos)


@routes.text(r"查看述职\s*(?P<branch>.*)", priority=60, name="review.read", usage="查看述职",
             summary="查看述职报告（草稿或已提交）", roles=("secretary", "admin", "committee_member"))
def read(ctx: Context) -> Reply:
    assert ctx.match is not None
    given = (ctx.match["branch"] or "").strip()
    if given:
        view = submissions.read_branch_report(ctx.session, actor=ctx.member, branch=_branch_ref(given), now=ctx.now)
    elif "secretary" not in ctx.roles:  # an admin or a reviewer: the reports they manage or grade
        return reports(ctx)
    else:
        view = submissions.read_own(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    return T.report_view(view, ctx.settings)


@routes.text(r"述职情况", priority=60, name="review.overview", usage="述职情况",
             summary="查看进行中的述职评议各支部提交和评议情况", roles=REVIEWER_ROLES)
def reports(ctx: Context) -> Reply:
    lines = submissions.reports_for(ctx.session, actor=ctx.member, now=ctx.now)
    return T.overview(lines, ctx.settings)


@routes.text(r"撤回述职", priority=60, name="review.withdraw", usage="撤回述职", summary="截止前撤回已提交的述职报告",
             roles=SECRETARY_ROLES)
def withdraw(ctx: Context) -> Reply:
    view = submissions.withdraw(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    return T.WITHDRAWN.format(branch=view.branch, deadline=T.due_day(view.deadline, ctx.settings))


# -- admins and reviewers --------------------------------------------------------------------------------
@routes.text(r"退回述职\s*(?P<rest>.*)", priority=60, name="review.return", usage="退回述职 支部 理由",
             summary="退回支部的述职报告（写明理由）", roles=ADMIN_ROLES)
def give_back(ctx: Context) -> Reply:
    assert ctx.match is not None
    branch, _, reason = _raw_rest(ctx, "退回述职").partition(" ")
    if not branch:
        return T.RETURN_USAGE
    sub = submissions.find_report(ctx.session, actor=ctx.member, branch=_branch_ref(branch), as_reviewer=False,
                                  now=ctx.now)
    view = submissions.return_report(ctx.session, actor=ctx.member, submission_id=sub.id, reason=reason,
                                     now=ctx.now, settings=ctx.settings)
    return T.RETURNED.format(branch=view.branch, reason=view.return_reason)


def split_grading(rest: str) -> tuple[str, str, str, list[str]]:
    """`<branch> [grade] [意见…] [问题：a；b]` -> (branch, grade, comment, problems)."""
    head, found, tail = PROBLEMS.split(rest, maxsplit=1)[0], PROBLEMS.search(rest), ""
    if found:
        tail = rest[found.end():]
    problems = [p.strip() for p in re.split(r"[;；]", tail) if p.strip()]
    words = head.strip().split(" ", 2)
    branch = words[0] if words else ""
    grade = words[1] if len(words) > 1 else ""
    comment = words[2].strip() if len(words) > 2 else ""
    return branch, grade, comment, problems


def _grade_and_comment(scale: list[str], given: str, comment: str) -> tuple[str, str]:
    """A grade typed with punctuation after it (好，工作扎实 / 较好。): the grade, the rest the comment's start."""
    if given in scale:
        return given, comment
    for grade in sorted(scale, key=len, reverse=True):
        rest = given[len(grade):]
        if given.startswith(grade) and rest and rest[0] in PUNCTUATION:
            words = " ".join(w for w in (rest.lstrip(PUNCTUATION).strip(), comment) if w)
            return grade, words
    return given, comment


@routes.text(r"评议\s*(?P<rest>.*)", priority=60, name="review.grade", usage="评议 支部 等次 意见",
             summary="评议支部述职报告（可加“问题：…；…”列入整改台账）", roles=REVIEWER_ROLES)
def grade(ctx: Context) -> Reply:
    assert ctx.match is not None
    branch, given, comment, problems = split_grading(_raw_rest(ctx, "评议"))
    if not branch or (not given and not problems):
        return T.GRADE_USAGE
    ref = _branch_ref(branch)
    if not given:  # problems only: an admin of the round's committee names them
        try:
            sub = submissions.find_report(ctx.session, actor=ctx.member, branch=ref, as_reviewer=False, now=ctx.now)
        except PermissionDenied:
            sub = submissions.find_report(ctx.session, actor=ctx.member, branch=ref, as_reviewer=True, now=ctx.now)
        named = grading.name_problems(ctx.session, actor=ctx.member, submission_id=sub.id, problems=problems,
                                      now=ctx.now, settings=ctx.settings)
        if not named.item_ids:
            return T.PROBLEMS_NONE_NEW.format(branch=named.branch)
        return T.PROBLEMS_ONLY.format(branch=named.branch, n=len(named.item_ids),
                                      ids="、".join(f"#{i}" for i in named.item_ids))
    sub = submissions.find_report(ctx.session, actor=ctx.member, branch=ref, as_reviewer=True, now=ctx.now)
    given, comment = _grade_and_comment(rounds.get_round(ctx.session, sub.round_id).scale.split("/"), given, comment)
    done = grading.grade(ctx.session, actor=ctx.member, submission_id=sub.id, grade=given, comment=comment,
                         problems=problems, now=ctx.now, settings=ctx.settings)
    if done.replaced and done.previous is not None and done.previous != done.grade:
        reply = T.GRADED_REPLACED.format(branch=done.branch, previous=done.previous, grade=done.grade)
    elif done.replaced:
        reply = T.GRADED_SAME.format(branch=done.branch, grade=done.grade)
    else:
        reply = T.GRADED.format(branch=done.branch, grade=done.grade)
    if done.item_ids:
        reply += T.GRADED_ITEMS.format(n=len(done.item_ids), ids="、".join(f"#{i}" for i in done.item_ids))
    elif problems:
        reply += T.GRADED_ITEMS_KNOWN
    return reply
