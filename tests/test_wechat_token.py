"""One access_token for all processes: fetched from stable_token once, shared through the store,
refreshed once (and the call retried once) when WeChat answers 40001/42001."""

from __future__ import annotations

import pytest
from flask import Flask
from wechatpy.exceptions import WeChatClientException

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.wechat import make_client
from bot.infra.wechat_token import SharedToken

SEND = "cgi-bin/message/template/send"
DATA = {"thing1": {"value": "测试"}}


def _client(app: Flask) -> object:
    return make_client(app.config, app.extensions["store"])  # each is like another process's client


def test_one_stable_token_for_every_client(app: Flask, fake_wx: FakeWeChat) -> None:
    a, b = _client(app), _client(app)
    for client in (a, b, a, b):
        client.message.send_template("o_1", "TPL", DATA)  # type: ignore[attr-defined]
    assert len(fake_wx.calls_to("cgi-bin/stable_token")) == 1
    assert fake_wx.calls_to("cgi-bin/token") == []
    assert len(fake_wx.inbox["o_1"]) == 4


def test_expired_token_is_refreshed_once_and_the_call_retried(app: Flask, fake_wx: FakeWeChat) -> None:
    a, b = _client(app), _client(app)
    a.message.send_template("o_1", "TPL", DATA)  # type: ignore[attr-defined]
    fake_wx.expire_tokens()
    a.message.send_template("o_1", "TPL", DATA)  # type: ignore[attr-defined]
    b.message.send_template("o_1", "TPL", DATA)  # type: ignore[attr-defined]  # b finds the new token in the store
    assert len(fake_wx.calls_to("cgi-bin/stable_token")) == 2
    assert [c.body.get("force_refresh") for c in fake_wx.calls_to("cgi-bin/stable_token")] == [False, False]
    assert len(fake_wx.calls_to(SEND)) == 4  # one refused with 42001, then retried
    assert len(fake_wx.inbox["o_1"]) == 3


def test_a_token_refused_twice_is_not_retried_forever(app: Flask, fake_wx: FakeWeChat) -> None:
    a = _client(app)
    a.message.send_template("o_1", "TPL", DATA)  # type: ignore[attr-defined]
    fake_wx.fail(SEND, errcode=40001, times=2)
    with pytest.raises(WeChatClientException) as err:
        a.message.send_template("o_1", "TPL", DATA)  # type: ignore[attr-defined]
    assert err.value.errcode == 40001
    assert len(fake_wx.calls_to(SEND)) == 3
    stable = fake_wx.calls_to("cgi-bin/stable_token")
    # The normal fetch handed back the same rejected token, so the refresh forced a new one.
    assert [c.body.get("force_refresh") for c in stable] == [False, False, True]


def test_refresh_before_expiry_and_fallback_when_the_store_is_down(app: Flask) -> None:
    store = app.extensions["store"]
    fetched: list[bool] = []
    now = [1000.0]

    def fetch(force: bool) -> tuple[str, int]:
        fetched.append(force)
        return f"T{len(fetched)}", 7200

    token = SharedToken(store, fetch, margin=300, clock=lambda: now[0])
    assert token.get() == "T1"
    now[0] += 7200 - 301
    assert token.get() == "T1"
    now[0] += 2  # within the margin: one holder refreshes ahead of expiry
    assert token.get() == "T2"
    assert fetched == [False, False]

    class Down:
        prefix = "x:"

        def k(self, key: str) -> str:
            return key

        def get(self, key: str) -> str:
            from bot.infra.store import StoreUnavailable

            raise StoreUnavailable("down")

    lonely = SharedToken(Down(), fetch, margin=300, clock=lambda: now[0])  # type: ignore[arg-type]
    assert lonely.get() == "T3" and lonely.get() == "T3"
