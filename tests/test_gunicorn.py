"""The published vectors once more against a real gunicorn on loopback, as production runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.infra.schema import upgrade
from tests.test_webhook_vectors import SAFE, SAFE_BODY, URL_VECTOR

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def gunicorn(tmp_path: Path, **env: str) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path}/g.sqlite3"
    upgrade(db_url)
    port = free_port()
    full_env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "k", "WECHAT_MAX_CLOCK_SKEW": "0",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}/", **env}
    full_env.pop("REDIS_URL", None)
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115
    gunicorn_bin = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn_bin, "-w", "2", "-b", f"127.0.0.1:{port}", "bot:create_app()"],
        env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "gunicorn.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_url_vector_under_gunicorn(tmp_path: Path) -> None:
    with gunicorn(tmp_path, WECHAT_TOKEN=URL_VECTOR["token"]) as base:
        q = {k: URL_VECTOR[k] for k in ("timestamp", "nonce", "signature")}
        resp = requests.get(base + "/wechat", params={**q, "echostr": "gunicorn-echo"}, timeout=5)
        assert (resp.status_code, resp.text) == (200, "gunicorn-echo")
        resp = requests.get(base + "/wechat", params={**q, "signature": "1" * 40, "echostr": "x"}, timeout=5)
        assert resp.status_code == 403


def test_safe_mode_vector_under_gunicorn(tmp_path: Path) -> None:
    env = {"WECHAT_TOKEN": SAFE["token"], "WECHAT_AES_KEY": SAFE["aes_key"], "WECHAT_APPID": SAFE["appid"]}
    with gunicorn(tmp_path, **env) as base:
        query = {k: SAFE[k] for k in ("timestamp", "nonce", "signature", "msg_signature")}
        resp = requests.post(base + "/wechat", params={**query, "encrypt_type": "aes"},
                             data=SAFE_BODY.encode(), timeout=5)
        assert resp.status_code == 200
        env_xml = xmltodict.parse(resp.text)["xml"]
        crypto = WeChatCrypto(SAFE["token"], SAFE["aes_key"], SAFE["appid"])
        plain = crypto.decrypt_message(resp.text, env_xml["MsgSignature"], env_xml["TimeStamp"], env_xml["Nonce"])
        assert xmltodict.parse(plain)["xml"]["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
        big = requests.post(base + "/wechat", params={**query, "encrypt_type": "aes"}, data=b"x" * 70000, timeout=5)
        assert big.status_code == 413
