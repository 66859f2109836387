"""The WeChat API client: wechatpy's, pointed at WECHAT_API_BASE (the real API or the local fake).

Every URL wechatpy builds for api.weixin.qq.com or mp.weixin.qq.com is rewritten to the configured
base, so tests and the demo exercise wechatpy's real request and error handling against the fake server.
The access_token lives in the shared store so all processes use one token.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from bot.config import REAL_WECHAT_API
from bot.infra.store import Store
from bot.infra.wechat_token import TOKEN_ERRORS, SharedToken

if TYPE_CHECKING:
    from bot.services.meetings.minutes import MediaFetch

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


def media_fetcher() -> MediaFetch:
    """What fetching minutes photos needs (sessions, the client, MEDIA_DIR): for the webhook's background
    fetch, the scheduler's retry and `flask --app bot minutes-fetch` alike."""
    from bot.services.meetings.minutes import MediaFetch

    media_dir = current_app.config.get("MEDIA_DIR") or os.path.join(current_app.instance_path, "media")
    return MediaFetch(current_app.extensions["db"].Session, get_client(), str(media_dir))
