"""Fixtures: a migrated database per test (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), the
store (in-process, or Redis when TEST_REDIS_URL is set), the fake WeChat API on loopback, and a chat
helper that signs and posts real WeChat XML to /wechat."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import xmltodict
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import create_app
from bot.config import normalize_db_url
from bot.devtools.fake_wechat import FakeWeChat, Served
from bot.infra.clock import FrozenClock
from bot.infra.schema import upgrade
from bot.models import Base
from tests import wxxml

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
TOKEN = "testtoken"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL and TEST_REDIS_URL:
        return
    skip = pytest.mark.skip(reason="needs TEST_DATABASE_URL and TEST_REDIS_URL (real PostgreSQL and Redis)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


# -- database ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated database for this test run: a private PostgreSQL database, or a SQLite template."""
    if TEST_DATABASE_URL:
        admin_url = normalize_db_url(TEST_DATABASE_URL)
        name = f"zt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield {"kind": "postgresql", "url": url}
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        upgrade(f"sqlite:///{path}")
        yield {"kind": "sqlite", "template": path}


def _database_url(database: dict[str, Any], tmp_path: Any) -> str:
    if database["kind"] == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copy(database["template"], target)
        return f"sqlite:///{target}"
    url: str = database["url"]
    return url


def _truncate(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


# -- fake WeChat API -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def fake_wechat_server() -> Iterator[Served]:
    with Served(FakeWeChat()) as served:
        yield served


@pytest.fixture
def fake_wx(fake_wechat_server: Served) -> Iterator[FakeWeChat]:
    fake_wechat_server.fake.reset()
    yield fake_wechat_server.fake
    fake_wechat_server.fake.reset()


# -- the app -------------------------------------------------------------------------------------
@pytest.fixture
def clock() -> FrozenClock:
    """A controllable clock, on a Monday morning in Shanghai (2026-11-23 09:00 +08:00)."""
    return FrozenClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for every test there."""
    return {}


@pytest.fixture
def app(database: dict[str, Any], tmp_path: Any, fake_wechat_server: Served,
        config_overrides: dict[str, Any]) -> Iterator[Flask]:
    url = _database_url(database, tmp_path)
    cfg: dict[str, Any] = {
        "APP_MODE": "test",
        "SECRET_KEY": "test-secret",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": fake_wechat_server.fake.appid,
        "WECHAT_SECRET": fake_wechat_server.fake.secret,
        "WECHAT_API_BASE": fake_wechat_server.base_url,
        "DATABASE_URL": url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_PREFIX": f"zt:{uuid.uuid4().hex[:10]}:",
        "MEDIA_DIR": str(tmp_path / "media"),
    }
    cfg.update(config_overrides)
    application = create_app(cfg)
    yield application
    store = application.extensions["store"]
    with contextlib.suppress(Exception):  # a fault test may have stopped Redis
        store.clear_prefix()
    application.extensions["db"].engine.dispose()
    if database["kind"] == "postgresql":
        _truncate(url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """A session for arranging and checking data (commit explicitly)."""
    with app.extensions["db"].Session() as session:
        yield session


# -- chatting with the bot -----------------------------------------------------------------------
class Chat:
    """Signs and posts WeChat XML to /wechat like WeChat does; returns the parsed reply."""

    def __init__(self, client: FlaskClient, app: Flask) -> None:
        self.client = client
        self.app = app

    def post(self, xml: str, *, timestamp: int | None = None) -> Any:
        # Signed at the app's own time, as WeChat would be in step with a server whose clock a test froze,
        # so the timestamp window stays on in every chat test.
        clock = self.app.config.get("CLOCK")
        ts = timestamp if timestamp is not None else int(clock().timestamp() if clock else time.time())
        query = wxxml.signed_query(self.app.config["WECHAT_TOKEN"], timestamp=ts)
        if self.app.config["WECHAT_AES_KEY"]:
            from wechatpy.crypto import WeChatCrypto

            crypto = WeChatCrypto(self.app.config["WECHAT_TOKEN"], self.app.config["WECHAT_AES_KEY"],
                                  self.app.config["WECHAT_APPID"])
            enc = xmltodict.parse(crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))["xml"]
            query.update(encrypt_type="aes", msg_signature=enc["MsgSignature"])
            xml = (f"<xml><ToUserName><![CDATA[{wxxml.ACCOUNT}]]></ToUserName>"
                   f"<Encrypt><![CDATA[{enc['Encrypt']}]]></Encrypt></xml>")
        return self.client.post("/wechat", query_string=query, data=xml.encode(), content_type="text/xml")

    def send(self, xml: str) -> dict[str, Any] | None:
        """Post and return the reply as a dict (None for "success")."""
        resp = self.post(xml)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_data(as_text=True)
        if body == "success":
            return None
        reply = xmltodict.parse(body)["xml"]
        if "Encrypt" in reply:
            from wechatpy.crypto import WeChatCrypto

            crypto = WeChatCrypto(self.app.config["WECHAT_TOKEN"], self.app.config["WECHAT_AES_KEY"],
                                  self.app.config["WECHAT_APPID"])
            plain = crypto.decrypt_message(body, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
            reply = xmltodict.parse(plain)["xml"]
        result: dict[str, Any] = reply
        return result

    def say(self, openid: str, content: str) -> str:
        """Send a text message; return the reply text ('' for none)."""
        reply = self.send(wxxml.text(openid, content))
        return "" if reply is None else str(reply.get("Content", ""))


@pytest.fixture
def chat(client: FlaskClient, app: Flask) -> Chat:
    return Chat(client, app)
