"""The WeChat API client: wechatpy's, pointed at WECHAT_API_BASE (the real API or the local fake).

Every URL wechatpy builds for api.weixin.qq.com or mp.weixin.qq.com is rewritten to the configured
base, so tests and the demo exercise wechatpy's real request and error handling against the fake server.
The access_token lives in the shared store so all processes use one token.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from bot.config import REAL_WECHAT_API, Settings
from bot.infra.store import Store
from bot.infra.wechat_token import TOKEN_ERRORS, SharedToken

REAL_HOSTS = ("https://api.weixin.qq.com/", "https://mp.weixin.qq.com/")


class ZhibuWeChatClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with every request sent to `api_base` and a bounded timeout."""

    def __init__(self, appid: str, secret: str, api_base: str, session: Any, timeout: float = 4.0) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.api_base = api_base
        self.API_BASE_URL = api_base + "cgi-bin/"
        # Set by make_client: the token shared through the store (services/wechat_token.py).
        self.token_source: SharedToken | None = None

    def rewrite(self, url: str) -> str:
        if self.api_base == REAL_WECHAT_API:
            return url
        for host in REAL_HOSTS:
            if url.startswith(host):
                return self.api_base + url[len(host) :]
        return url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if "api_base_url" in kwargs:
            kwargs["api_base_url"] = self.rewrite(kwargs["api_base_url"])
        url = self.rewrite(url_or_endpoint)
        params = kwargs.pop("params", None)
        if self.token_source is None or not isinstance(params, dict | None) or (params and "access_token" in params):
            return super()._request(method, url, params=params if params is not None else {}, **kwargs)
        token = self.token_source.get()
        try:
            return super()._request(method, url, params={**(params or {}), "access_token": token}, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        # 40001/42001: the token was replaced or expired early. Refresh once and retry once.
        fresh = self.token_source.invalidate(token)
        return super()._request(method, url, params={**(params or {}), "access_token": fresh}, **kwargs)

    @property
    def access_token(self) -> str:
        if self.token_source is None:
            token: str = super().access_token
            return token
        return self.token_source.get()

    def fetch_stable_token(self, force_refresh: bool) -> tuple[str, int]:
        """cgi-bin/stable_token: the endpoint WeChat recommends; (token, expires_in)."""
        res = self._http.post(self.api_base + "cgi-bin/stable_token", timeout=self.timeout, json={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
            "force_refresh": force_refresh,
        })
        try:
            res.raise_for_status()
            data = res.json()
        except (ValueError, OSError) as exc:
            raise WeChatClientException(None, f"stable_token: {exc}", client=self) from exc
        if data.get("errcode"):
            raise WeChatClientException(data["errcode"], data.get("errmsg", ""), client=self)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def _fetch_access_token(self, url: str, params: dict[str, Any]) -> Any:
        return super()._fetch_access_token(self.rewrite(url), params)


def make_client(config: dict[str, Any] | Any, store: Store) -> ZhibuWeChatClient:
    session = RedisStorage(store.client, prefix=store.prefix + "wechatpy")
    client = ZhibuWeChatClient(
        config["WECHAT_APPID"] or "wx_demo_appid",
        config["WECHAT_SECRET"] or "demo_secret",
        config["WECHAT_API_BASE"],
        session,
    )
    client.auto_retry = False  # token errors are retried once, in _request, with the shared token
    client.token_source = SharedToken(store, client.fetch_stable_token,
                                      margin=int(config.get("TOKEN_REFRESH_MARGIN", 300)))
    return client


def init_app(app: Flask) -> None:
    app.extensions["wechat_client"] = None  # built on first use


def get_client() -> ZhibuWeChatClient:
    client: ZhibuWeChatClient | None = current_app.extensions.get("wechat_client")
    if client is None:
        client = make_client(current_app.config, current_app.extensions["store"])
        current_app.extensions["wechat_client"] = client
    return client


# -- sending notices -------------------------------------------------------------------------------
# Errors that may pass if we try again later; every other WeChat error refuses this channel only.
TRANSIENT_ERRCODES = {None, -1, 45009, 45011, 45047}
SUBSCRIBE_SEND_PATH = "message/subscribe/bizsend"


class WeChatSender:
    """bot.services.notify.delivery's NoticeSender over the API client: template, subscribe and
    customer-service messages. WeChat's answers become a msgid; its errors become the caller's
    exceptions (infrastructure knows no service, so the notify service hands its own in): `transient`
    for what may pass (HTTP errors, timeouts, errcodes in TRANSIENT_ERRCODES), `refused` (errcode,
    errmsg) for the rest, which refuse this channel for this member."""

    def __init__(self, client: ZhibuWeChatClient, *, transient: Callable[[str], Exception],
                 refused: Callable[[int | None, str], Exception], subscribe_path: str = SUBSCRIBE_SEND_PATH) -> None:
        self.client = client
        self.transient = transient
        self.refused = refused
        self.subscribe_path = subscribe_path

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode is None and exc.response is not None:  # an HTTP error, not a WeChat errcode
                raise self.transient(f"WeChat HTTP {exc.response.status_code}") from exc
            if exc.errcode in TRANSIENT_ERRCODES:
                raise self.transient(f"WeChat {exc.errcode}: {exc.errmsg}") from exc
            raise self.refused(exc.errcode, str(exc.errmsg or "")) from exc
        except requests.RequestException as exc:
            raise self.transient(f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _msgid(res: Any) -> str | None:
        return str(res.get("msgid") or "") or None if isinstance(res, dict) else None

    def send_template(self, openid: str, template_id: str, data: dict[str, dict[str, str]],
                      url: str | None = None) -> str | None:
        return self._msgid(self._call(self.client.message.send_template, openid, template_id, data, url=url))

    def send_subscribe(self, openid: str, template_id: str, data: dict[str, dict[str, str]]) -> str | None:
        body = {"touser": openid, "template_id": template_id, "data": data}
        return self._msgid(self._call(self.client.post, self.subscribe_path, data=body))

    def send_text(self, openid: str, text: str) -> str | None:
        return self._msgid(self._call(self.client.message.send_text, openid, text))


# == Meetings: minutes photos (download in the background after a commit) and the check-in page's OAuth ==
# (bot.services.meetings.minutes holds the rules: which rows to fetch, where the bytes go; this is how.)
@dataclass(frozen=True)
class MediaFetcher:
    """What fetching minutes photos needs (bot.services.media.MediaSource): new sessions,
    WeChat's media/get through the API client, and MEDIA_DIR."""

    sessions: Callable[[], Session]
    client: ZhibuWeChatClient
    media_dir: str

    def download(self, media_id: str) -> bytes:
        """The file of a temporary media id; raises WeChat's or the network's error if it cannot."""
        return bytes(self.client.media.download(media_id).content)


def media_fetcher() -> MediaFetcher:
    """The MediaFetcher of the current app: for the webhook's background fetch, the scheduler's retry and
    `flask --app bot minutes-fetch` alike."""
    media_dir = current_app.config.get("MEDIA_DIR") or os.path.join(current_app.instance_path, "media")
    return MediaFetcher(current_app.extensions["db"].Session, get_client(), str(media_dir))


_background: list[threading.Thread] = []
_background_lock = threading.Lock()
log = logging.getLogger("zhibu.wechat")


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the session's outermost transaction commits; drop it if it rolls back."""
    pending: list[Callable[[], None]] = session.info.setdefault("after_commit", [])
    pending.append(fn)
    if session.info.get("after_commit_hooked"):
        return
    session.info["after_commit_hooked"] = True

    def run(sess: Session) -> None:
        todo = list(sess.info.get("after_commit", []))
        sess.info["after_commit"] = []
        for job in todo:
            try:
                job()
            except Exception:
                log.exception("after-commit job failed")

    def drop(sess: Session, _previous: Any = None) -> None:
        sess.info["after_commit"] = []

    event.listen(session, "after_commit", run)
    event.listen(session, "after_soft_rollback", drop)


def in_background(fn: Callable[[], object], name: str) -> threading.Thread:
    """Run `fn` in a daemon thread (a download the webhook must not wait for)."""
    thread = threading.Thread(target=fn, name=name, daemon=True)
    with _background_lock:
        _background[:] = [t for t in _background if t.is_alive()]
        _background.append(thread)
    thread.start()
    return thread


def wait_for_background(timeout: float = 10.0) -> None:
    """Join the background downloads started so far (tests and orderly shutdown)."""
    with _background_lock:
        threads = list(_background)
    for thread in threads:
        thread.join(timeout)


class OAuthUnavailable(Exception):
    """WeChat's OAuth could not be asked (network, HTTP or an unreadable answer): try again later."""


def oauth_openid(code: str, config: Settings) -> str | None:
    """Exchange a snsapi_base code for the member's openid (sns/oauth2/access_token); None if WeChat
    refuses the code."""
    params = {"appid": config["WECHAT_APPID"], "secret": config["WECHAT_SECRET"], "code": code,
              "grant_type": "authorization_code"}
    try:
        resp = requests.get(str(config["WECHAT_API_BASE"]) + "sns/oauth2/access_token", params=params, timeout=4)
        data = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise OAuthUnavailable(str(exc)) from exc
    if not isinstance(data, dict) or data.get("errcode") or not data.get("openid"):
        log.warning("oauth code refused: %s", data.get("errcode") if isinstance(data, dict) else data)
        return None
    return str(data["openid"])
