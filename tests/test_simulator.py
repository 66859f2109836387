"""The chat simulator at /dev/chat: served only in demo/development, posts signed XML through /wechat,
shows the person's inbox from the fake WeChat API; and a scripted conversation in headless Chromium."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bot import create_app
from bot.devtools.seed import NEWCOMER_OPENID
from tests.browser import chromium

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"APP_MODE": "demo"}


@pytest.fixture
def seeded(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def send(client: Any, openid: str, text: str) -> str:
    resp = client.post("/dev/chat/send", json={"openid": openid, "kind": "text", "text": text})
    assert resp.status_code == 200, resp.get_json()
    reply: str = resp.get_json()["reply"]["text"] or ""
    return reply


def test_not_served_outside_demo_and_development(app: Flask) -> None:
    for mode in ("test", "production"):
        other = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "WECHAT_TOKEN", "WECHAT_API_BASE")},
                            "APP_MODE": mode, "SECRET_KEY": "x", "PUBLIC_BASE_URL": "https://zhibu.example.org/"})
        client = other.test_client()
        assert client.get("/dev/chat").status_code == 404
        assert client.post("/dev/chat/send", json={"openid": "o", "text": "帮助"}).status_code == 404
        assert "fake_wechat" not in other.extensions
        other.extensions["db"].engine.dispose()


def test_page_and_personas(client: Any, seeded: None) -> None:
    page = client.get("/dev/chat")
    assert page.status_code == 200 and "聊天模拟器" in page.get_data(as_text=True)
    data = client.get("/dev/chat/personas").get_json()
    names = [p["name"] for p in data["personas"]]
    # Every demo person can be chosen: the two not bound yet as themselves (issue 12 §7), and a newcomer.
    assert {"林晓峰", "新用户（未绑定）", "徐慧敏（未绑定）", "何雨桐（未绑定）"} <= set(names)
    assert len(data["meetings"]) == 4 and all(m["scene"].startswith("mtg_") for m in data["meetings"])
    labels = " ".join(m["label"] for m in data["meetings"])  # meeting types in Chinese, never the code
    assert "_" not in labels and any(t in labels for t in ("支委会", "党员大会", "主题党日", "党课", "党小组会"))


def test_an_unbound_demo_member_binds_with_the_code_of_an_invitation(client: Any, seeded: None) -> None:
    people = {p["name"]: p["openid"] for p in client.get("/dev/chat/personas").get_json()["personas"]}
    invited = client.post("/dev/chat/send", json={"openid": people["林晓峰"], "text": "邀请 徐慧敏"}).get_json()
    code = invited["reply"]["text"].split("绑定码：")[1][:6]
    bound = client.post("/dev/chat/send", json={"openid": people["徐慧敏（未绑定）"], "text": f"绑定 {code}"})
    assert bound.get_json()["reply"]["text"].startswith("绑定成功！徐慧敏")
    names = [p["name"] for p in client.get("/dev/chat/personas").get_json()["personas"]]
    assert "徐慧敏" in names and "徐慧敏（未绑定）" not in names


def test_the_photo_button_sends_an_image_message(client: Any, seeded: None) -> None:
    resp = client.post("/dev/chat/send", json={"openid": "o_demo_huangjingyi", "kind": "image"})
    assert resp.status_code == 200 and "<MsgType><![CDATA[image]]></MsgType>" in resp.get_json()["sent"]
    assert resp.get_json()["reply"]["text"]  # answered like any photo (outside 记录: the non-text answer)


@pytest.mark.parametrize("field", ["text", "openid", "scene"])
def test_a_lone_surrogate_is_a_clear_400_not_a_500(client: Any, seeded: None, field: str) -> None:
    body = {"openid": "o_demo_huangjingyi", "kind": "scan" if field == "scene" else "text", "text": "帮助",
            "scene": "mtg_x"}
    body[field] = "a\ud800b"  # JSON's escape of a lone surrogate: what a browser may send
    resp = client.post("/dev/chat/send", data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 400 and "无法编码" in resp.get_json()["error"]


def test_messages_take_the_webhook_path(client: Any, seeded: None, caplog: Any) -> None:
    assert send(client, NEWCOMER_OPENID, "帮助").startswith("您还没有绑定党员身份")
    reply = send(client, "o_demo_linxiaofeng", "邀请 徐慧敏")
    code = re.search(r"绑定码：(\d{6})", reply)
    assert code
    assert send(client, NEWCOMER_OPENID, f"绑定 {code.group(1)}").startswith("绑定成功！徐慧敏")
    mine = send(client, NEWCOMER_OPENID, "我的")
    assert "姓名：徐慧敏" in mine and "党员状态：预备党员" in mine
    sent = client.post("/dev/chat/send", json={"openid": "o_demo_wangyaqin", "text": "党委"}).get_json()
    assert "<FromUserName><![CDATA[o_demo_wangyaqin]]></FromUserName>" in sent["sent"]


def test_safe_mode_is_exercised_too(app: Flask, client: Any, seeded: None) -> None:
    app.config.update(WECHAT_AES_KEY="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", WECHAT_APPID="wx_demo_appid")
    assert "单独组建率" in send(client, "o_demo_wangyaqin", "党委")


def test_scan_and_subscribe_events(client: Any, seeded: None) -> None:
    meetings = client.get("/dev/chat/personas").get_json()["meetings"]
    resp = client.post("/dev/chat/send", json={"openid": "o_demo_huangjingyi", "kind": "scan",
                                               "scene": meetings[0]["scene"]})
    assert resp.status_code == 200 and "签到" in resp.get_json()["reply"]["text"]
    resp = client.post("/dev/chat/send", json={"openid": NEWCOMER_OPENID, "kind": "subscribe"})
    assert "欢迎关注支部通" in resp.get_json()["reply"]["text"]


@pytest.mark.parametrize(("body", "says"), [
    ("not json", "JSON"),
    ({"text": "帮助"}, "演示人员"),
    ({"openid": "x" * 65, "text": "帮助"}, "演示人员"),
    ({"openid": "o_x", "kind": "voice"}, "kind"),
    ({"openid": "o_x", "text": "   "}, "消息内容"),
    ({"openid": "o_x", "text": "长" * 2001}, "过长"),
    ({"openid": "o_x", "kind": "scan"}, "会议"),
])
def test_bad_requests_get_a_reason(client: Any, body: Any, says: str) -> None:
    if isinstance(body, str):
        resp = client.post("/dev/chat/send", data=body, content_type="text/plain")
    else:
        resp = client.post("/dev/chat/send", json=body)
    assert resp.status_code == 400 and says in resp.get_json()["error"]


def test_inbox_shows_what_the_api_delivered(app: Flask, client: Any) -> None:
    fake = app.extensions["fake_wechat"]
    fake._deliver("o_demo_linxiaofeng", {"channel": "custom", "msgtype": "text",
                                         "content": {"content": "明天 14:30 党课，请准时参加"}})
    items = client.get("/dev/chat/inbox?openid=o_demo_linxiaofeng").get_json()["items"]
    assert items[0]["channel"] == "客服消息" and items[0]["text"] == "明天 14:30 党课，请准时参加"
    assert client.get("/dev/chat/inbox?openid=o_nobody").get_json()["items"] == []


# -- in a real browser --------------------------------------------------------------------------
@pytest.fixture
def live(app: Flask, seeded: None) -> Iterator[str]:
    """The app on a loopback port; its WeChat API calls go to the fake mounted in it at /_fakewx/."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["WECHAT_API_BASE"] = base + "/_fakewx/"
    app.extensions["wechat_client"] = None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile") as driver:
        yield driver


@pytest.mark.browser
def test_scripted_conversation_in_chromium(app: Flask, live: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(live + "/dev/chat")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"#persona option[value='{NEWCOMER_OPENID}']")))

    def say(text: str, expect: str) -> str:
        before = len(browser.find_elements(By.CSS_SELECTOR, "#log .bot"))
        box = browser.find_element(By.ID, "message")
        box.send_keys(text)
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#log .bot")) > before
                   and not d.find_element(By.TAG_NAME, "body").get_attribute("data-busy"))
        reply: str = browser.find_elements(By.CSS_SELECTOR, "#log .bot")[-1].text
        assert expect in reply, reply
        return reply

    persona = Select(browser.find_element(By.ID, "persona"))
    persona.select_by_value("o_demo_linxiaofeng")  # 书记 of the law firm's branch
    invited = say("邀请 徐慧敏", "绑定码")
    code = re.search(r"绑定码：(\d{6})", invited)
    assert code

    Select(browser.find_element(By.ID, "persona")).select_by_value(NEWCOMER_OPENID)
    say(f"绑定 {code.group(1)}", "绑定成功！徐慧敏")
    menu = say("帮助", "您可以回复")
    assert "我的" in menu and "邀请" not in menu
    say("我的", "姓名：徐慧敏")
    # After binding, the newcomer's entry carries the member's name.
    wait.until(lambda d: "徐慧敏" in Select(d.find_element(By.ID, "persona")).first_selected_option.text)

    # Something the bot sends through the WeChat API shows up in the person's inbox.
    with app.app_context():
        from bot.infra.wechat import get_client

        get_client().message.send_text(NEWCOMER_OPENID, "欢迎加入正衡律师事务所党支部")
    browser.find_element(By.ID, "refresh-inbox").click()
    wait.until(lambda d: "欢迎加入正衡律师事务所党支部" in d.find_element(By.ID, "inbox").text)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "simulator.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
