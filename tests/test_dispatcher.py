"""The dispatcher against the fake WeChat API: leases, retries with backoff, give-up, fallback to the
secretary, quiet hours, and the final status from TEMPLATESENDJOBFINISH."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings, settings_of
from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.wechat import get_client
from bot.models import Member, Notification
from scheduler.dispatcher import claim, dispatch_due
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat
from tests.sched_util import L, worded_notice

NOW = L(2026, 11, 23, 10, 0)  # a Monday morning: sending allowed
SEND = "cgi-bin/message/template/send"


def _notice(db: Session, member: Member, *, text: str = "明天上午九点开支部党员大会", slot: str = "t",
            due: Any = NOW, urgent: bool = False, kind: str = "meeting_reminder") -> Notification:
    worded_notice(db, kind=kind, recipient_id=member.id, text=text, due_at=due, subject_type="meeting",
                  subject_id=1, slot=slot, urgent=urgent)
    db.commit()
    row = db.scalars(select(Notification).where(Notification.recipient_id == member.id,
                                                Notification.slot == slot)).one()
    db.commit()  # end the read: on SQLite every transaction holds the write lock (BEGIN IMMEDIATE)
    return row


def _row(db: Session, nid: int) -> Notification:
    db.expire_all()
    row = db.get(Notification, nid)
    assert row is not None
    db.commit()
    return row


def test_sent_once_as_a_template_message_with_legal_fields(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    b = f.branch(db)
    m = f.member(db, b.id)
    long_text = "会议提醒：\n支部党员大会将于11月24日09:00在三楼第一会议室召开，主题：学习贯彻党的二十届四中全会精神"
    n = _notice(db, m, text=long_text)
    assert dispatch_due(app, NOW) == {"claimed": 1, "sent": 1}
    assert dispatch_due(app, NOW + timedelta(hours=1)) == {"claimed": 0}
    row = _row(db, n.id)
    assert (row.status, row.channel, row.attempts) == ("sent", "template", 1)
    [item] = fake_wx.inbox[m.openid or ""]
    values = [v["value"] for v in item["data"].values()]
    assert values[0] == "会议提醒："
    assert values[1].startswith("支部党员大会将于11月24日") and len(values[1]) == 20 and values[1].endswith("…")
    assert row.wechat_msgid == str(item["msgid"])


def test_errors_and_timeouts_are_retried_with_backoff(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    n = _notice(db, m)
    with app.app_context():
        get_client().timeout = 0.5
    fake_wx.fail(SEND, http_status=502)
    assert dispatch_due(app, NOW) == {"claimed": 1, "retry": 1}
    row = _row(db, n.id)
    assert row.status == "pending" and row.attempts == 1 and row.last_error == "WeChat HTTP 502"
    assert row.due_at == NOW + timedelta(seconds=60)  # SEND_BACKOFF's first step
    assert dispatch_due(app, NOW + timedelta(seconds=59)) == {"claimed": 0}

    fake_wx.fail(SEND, delay=1.0)  # slower than the client's timeout
    assert dispatch_due(app, NOW + timedelta(seconds=60)) == {"claimed": 1, "retry": 1}
    row = _row(db, n.id)
    assert "Timeout" in (row.last_error or "") and row.due_at == NOW + timedelta(seconds=60 + 300)

    fake_wx.fail(SEND, errcode=-1)  # 系统繁忙
    assert dispatch_due(app, NOW + timedelta(seconds=360)) == {"claimed": 1, "retry": 1}
    assert dispatch_due(app, NOW + timedelta(seconds=360 + 1800)) == {"claimed": 1, "sent": 1}
    row = _row(db, n.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)
    assert len(fake_wx.inbox[m.openid or ""]) == 1


def test_gives_up_after_max_attempts_visibly(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    n = _notice(db, m)
    fake_wx.fail(SEND, errcode=45009, times=-1)  # rate limited, and it never passes
    settings: Settings = {**settings_of(app.config), "MAX_SEND_ATTEMPTS": 3, "SEND_BACKOFF": [10]}
    results = [dispatch_due(app, NOW + timedelta(seconds=10 * i), settings) for i in range(5)]
    assert results == [{"claimed": 1, "retry": 1}, {"claimed": 1, "retry": 1}, {"claimed": 1, "failed": 1},
                       {"claimed": 0}, {"claimed": 0}]
    row = _row(db, n.id)
    assert row.status == "failed" and row.attempts == 3 and "45009" in (row.last_error or "")
    assert fake_wx.inbox.get(m.openid or "") is None


def test_member_without_a_channel_is_reached_through_the_secretary(app: Flask, db: Session,
                                                                    fake_wx: FakeWeChat) -> None:
    b = f.branch(db)
    sec = f.secretary(db, b.id, name="王书记")
    m = f.member(db, b.id, name="李四", openid=None)
    n = _notice(db, m, text="明天上午九点开支部党员大会")
    assert dispatch_due(app, NOW) == {"claimed": 1, "redirected": 1}
    assert dispatch_due(app, NOW) == {"claimed": 1, "sent": 1}
    assert _row(db, n.id).status == "redirected"
    fallback = db.scalars(select(Notification).where(Notification.kind == "fallback")).one()
    db.commit()
    assert fallback.recipient_id == sec.id and fallback.status == "sent"
    assert fallback.text == "李四同志暂时无法接收微信通知，以下内容请代为转告：明天上午九点开支部党员大会"
    [item] = fake_wx.inbox[sec.openid or ""]
    assert item["data"]["thing2"]["value"] == "李四"


def test_refused_everywhere_without_a_secretary_is_undeliverable(app: Flask, db: Session,
                                                                   fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    n = _notice(db, m)
    fake_wx.fail(SEND, errcode=43004)  # the member unfollowed the account; no consent, no 48-hour window
    assert dispatch_due(app, NOW) == {"claimed": 1, "undeliverable": 1}
    row = _row(db, n.id)
    assert row.status == "undeliverable" and "template 43004" in (row.last_error or "")


def test_a_dead_dispatchers_rows_are_taken_over_after_the_lease(app: Flask, db: Session,
                                                                  fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    rows = [_notice(db, m, slot=f"s{i}") for i in range(3)]
    claimed = claim(app.extensions["db"], NOW, settings_of(app.config), 10)  # …and then the process dies
    assert [i for i, _ in claimed] == [r.id for r in rows]
    lease = app.config["SEND_LEASE"]
    assert dispatch_due(app, NOW + timedelta(seconds=lease - 1)) == {"claimed": 0}
    assert dispatch_due(app, NOW + timedelta(seconds=lease + 1)) == {"claimed": 3, "sent": 3}
    assert [_row(db, r.id).attempts for r in rows] == [2, 2, 2]
    assert len(fake_wx.inbox[m.openid or ""]) == 3


def test_a_late_result_does_not_overwrite_the_new_owner(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    from scheduler import dispatcher

    m = f.member(db, f.branch(db).id)
    n = _notice(db, m)
    database = app.extensions["db"]
    [(nid, first_lease)] = claim(database, NOW, settings_of(app.config), 10)
    later = NOW + timedelta(seconds=app.config["SEND_LEASE"] + 1)
    [(_, second_lease)] = claim(database, later, settings_of(app.config), 10)
    from bot.services.notify import delivery as notify

    notice = notify.Notice(id=nid, kind="meeting_reminder", text="x", fields={}, openid=m.openid)
    outcome = notify.Outcome(notify.SENT, "template", msgid="1")
    settings = settings_of(app.config)
    assert dispatcher._record(database, nid, first_lease, 1, outcome, notice, NOW, settings) == "lost_lease"
    assert _row(db, n.id).status == "sending"
    assert dispatcher._record(database, nid, second_lease, 2, outcome, notice, later, settings) == "sent"


def test_quiet_hours_hold_non_urgent_notices_but_not_urgent_ones(app: Flask, db: Session,
                                                                  fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    late = L(2026, 11, 23, 23, 0)
    calm = _notice(db, m, slot="calm", due=late)
    urgent = _notice(db, m, slot="urgent", due=late, urgent=True)
    assert dispatch_due(app, late) == {"claimed": 1, "sent": 1}
    assert _row(db, urgent.id).status == "sent" and _row(db, calm.id).status == "pending"
    assert dispatch_due(app, L(2026, 11, 24, 7, 29)) == {"claimed": 0}
    assert dispatch_due(app, L(2026, 11, 24, 7, 30)) == {"claimed": 1, "sent": 1}


def test_national_day_holds_non_urgent_notices(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    _notice(db, m, due=L(2026, 10, 2, 10, 0))
    assert dispatch_due(app, L(2026, 10, 4, 10, 0)) == {"claimed": 0}  # a Sunday inside the break
    assert dispatch_due(app, L(2026, 10, 8, 10, 0)) == {"claimed": 1, "sent": 1}


@pytest.mark.parametrize(("status", "final", "error"), [
    ("success", "delivered", None),
    ("failed:user block", "failed", "用户拒收消息"),
    ("failed: system failed", "failed", "微信系统发送失败"),
])
def test_template_job_finished_sets_the_final_status(app: Flask, db: Session, fake_wx: FakeWeChat, chat: Chat,
                                                     status: str, final: str, error: str | None) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    n = _notice(db, m)
    dispatch_due(app, NOW)
    msgid = int(_row(db, n.id).wechat_msgid or 0)
    assert chat.send(wxxml.template_finished(openid, msgid, status)) is None
    row = _row(db, n.id)
    assert (row.status, row.last_error) == (final, error)
    # Someone else's event with the same msgid changes nothing.
    assert chat.send(wxxml.template_finished("o_stranger", msgid, "failed:user block")) is None
    assert _row(db, n.id).status == final
