"""Channel choice: template messages, subscribe messages with consent (one send per accept, updated by
the subscribe_msg_* events), customer-service messages inside the 48-hour window."""

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
from bot.models import SubscribeConsent
from bot.services.notify import delivery as notify
from scheduler.dispatcher import sender_for
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat
from tests.sched_util import L

NOW = L(2026, 11, 23, 10, 0)
SUB_TPL = "SUB_MEETING"



def _settings(app: Flask, **kw: Any) -> Settings:
    """No template message for reminders (as if the account had none), one subscribe template."""
    return settings_of({**app.config, "TEMPLATE_IDS": {}, "SUBSCRIBE_TEMPLATE_IDS": {"meeting_reminder": SUB_TPL},
                        **kw})


def _deliver(app: Flask, openid: str | None, settings: Settings, now: Any = NOW,
             text: str = "明天上午九点开会\n地点：三楼会议室") -> notify.Outcome:
    with app.app_context():
        notice = notify.Notice(id=1, kind="meeting_reminder", text=text, fields={}, openid=openid)
        return notify.deliver(app.extensions["db"], app.extensions["store"], sender_for(get_client(), settings),
                              notice, now, settings)


@pytest.mark.parametrize(("raw", "shown"), [
    ("短文本", "短文本"),
    ("第一行\n第二行\r\n  第三行", "第一行 第二行 第三行"),
    ("一二三四五六七八九十一二三四五六七八九十", "一二三四五六七八九十一二三四五六七八九十"),
    ("一二三四五六七八九十一二三四五六七八九十一", "一二三四五六七八九十一二三四五六七八九…"),
    (None, ""),
])
def test_template_fields_are_one_line_of_at_most_20_characters(raw: Any, shown: str) -> None:
    assert notify.flatten(raw) == shown


def test_subscribe_consent_allows_one_send_per_accept(app: Flask, db: Session, chat: Chat,
                                                      fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    settings = _settings(app)
    assert _deliver(app, openid, settings).status == notify.NO_CHANNEL  # no consent yet
    accept = [{"TemplateId": SUB_TPL, "SubscribeStatusString": "accept", "PopupScene": "0"}]
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_popup_event", accept, create_time=1))
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_popup_event", accept, create_time=2))
    first, second, third = (_deliver(app, openid, settings) for _ in range(3))
    assert (first.status, first.channel) == ("sent", "subscribe")
    assert (second.status, second.channel) == ("sent", "subscribe")
    assert third.status == notify.NO_CHANNEL
    [sent1, _] = fake_wx.inbox[openid]
    assert sent1["template_id"] == SUB_TPL
    assert sent1["data"] == {"thing1": {"value": "明天上午九点开会"}, "thing2": {"value": "地点：三楼会议室"}}


def test_changing_the_setting_to_reject_withdraws_consent(app: Flask, db: Session, chat: Chat,
                                                          fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_popup_event",
                                  [{"TemplateId": SUB_TPL, "SubscribeStatusString": "accept"}], create_time=1))
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_change_event",
                                  [{"TemplateId": SUB_TPL, "SubscribeStatusString": "reject"}], create_time=2))
    consent = db.scalars(select(SubscribeConsent)).one()
    assert (consent.status, consent.remaining) == ("reject", 0)
    db.commit()
    assert _deliver(app, openid, _settings(app)).status == notify.NO_CHANNEL


def test_a_refused_subscribe_send_ends_the_consent(app: Flask, db: Session, chat: Chat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_popup_event",
                                  [{"TemplateId": SUB_TPL, "SubscribeStatusString": "accept"}], create_time=1))
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_sent_event",
                                  [{"TemplateId": SUB_TPL, "MsgID": "1", "ErrorCode": "43101",
                                    "ErrorStatus": "user refuse to accept the msg"}], create_time=2))
    consent = db.scalars(select(SubscribeConsent)).one()
    db.commit()
    assert (consent.status, consent.remaining) == ("reject", 0)


def test_a_failed_subscribe_send_gives_the_consent_back(app: Flask, db: Session, chat: Chat,
                                                        fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    chat.send(wxxml.subscribe_msg(openid, "subscribe_msg_popup_event",
                                  [{"TemplateId": SUB_TPL, "SubscribeStatusString": "accept"}], create_time=1))
    fake_wx.fail("message/subscribe/bizsend", http_status=503)
    assert _deliver(app, openid, _settings(app)).status == notify.RETRY
    assert _deliver(app, openid, _settings(app)).channel == "subscribe"


def test_customer_service_message_inside_the_48_hour_window(app: Flask, db: Session, chat: Chat,
                                                            fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    settings = _settings(app, SUBSCRIBE_TEMPLATE_IDS={})
    assert _deliver(app, openid, settings).status == notify.NO_CHANNEL
    app.config["CLOCK"] = lambda: NOW
    chat.say(openid, "帮助")  # any message opens the window
    outcome = _deliver(app, openid, settings, now=NOW + timedelta(hours=47))
    assert (outcome.status, outcome.channel) == ("sent", "custom")
    [item] = fake_wx.inbox[openid]
    assert item["content"] == {"content": "明天上午九点开会\n地点：三楼会议室"}  # the full text, line breaks kept
    assert _deliver(app, openid, settings, now=NOW + timedelta(hours=48)).status == notify.NO_CHANNEL


def test_at_most_five_customer_service_messages_per_window(app: Flask, db: Session, chat: Chat,
                                                           fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    settings = _settings(app, SUBSCRIBE_TEMPLATE_IDS={})
    app.config["CLOCK"] = lambda: NOW
    chat.say(openid, "帮助")
    outcomes = [_deliver(app, openid, settings).status for _ in range(6)]
    assert outcomes == ["sent"] * 5 + [notify.NO_CHANNEL]
    app.config["CLOCK"] = lambda: NOW + timedelta(hours=1)
    chat.say(openid, "帮助")  # a new message opens a new window
    assert _deliver(app, openid, settings, now=NOW + timedelta(hours=1)).status == "sent"


def test_template_first_then_the_window_when_the_template_is_refused(app: Flask, db: Session, chat: Chat,
                                                                    fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    openid = m.openid or ""
    app.config["CLOCK"] = lambda: NOW
    chat.say(openid, "帮助")
    assert _deliver(app, openid, settings_of(app.config)).channel == "template"
    fake_wx.fail("message/template/send", errcode=43004)  # unfollowed since
    outcome = _deliver(app, openid, settings_of(app.config))
    assert (outcome.channel, outcome.refused) == ("custom", ["template 43004"])


def test_unbound_member_has_no_channel(app: Flask) -> None:
    assert _deliver(app, None, settings_of(app.config)).status == notify.NO_CHANNEL
