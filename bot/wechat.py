"""The WeChat API client: wechatpy's, pointed at WECHAT_API_BASE (the real API or the local fake).

Every URL wechatpy builds for api.weixin.qq.com or mp.weixin.qq.com is rewritten to the configured
base, so tests and the demo exercise wechatpy's real request and error handling against the fake server.
The access_token lives in the shared store so all processes use one token.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from wechatpy.client import WeChatClient
from wechatpy.session.redisstorage import RedisStorage

from .config import REAL_WECHAT_API
from .store import Store

REAL_HOSTS = ("https://api.weixin.qq.com/", "https://mp.weixin.qq.com/")


class ZhibuWeChatClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with every request sent to `api_base` and a bounded timeout."""

    def __init__(self, appid: str, secret: str, api_base: str, session: Any, timeout: float = 4.0) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.api_base = api_base
        self.API_BASE_URL = api_base + "cgi-bin/"

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
        return super()._request(method, self.rewrite(url_or_endpoint), **kwargs)

    def _fetch_access_token(self, url: str, params: dict[str, Any]) -> Any:
        return super()._fetch_access_token(self.rewrite(url), params)


def make_client(config: dict[str, Any] | Any, store: Store) -> ZhibuWeChatClient:
    session = RedisStorage(store.client, prefix=store.prefix + "wechatpy")
    return ZhibuWeChatClient(
        config["WECHAT_APPID"] or "wx_demo_appid",
        config["WECHAT_SECRET"] or "demo_secret",
        config["WECHAT_API_BASE"],
        session,
    )


def init_app(app: Flask) -> None:
    app.extensions["wechat_client"] = None  # built on first use


def get_client() -> ZhibuWeChatClient:
    client: ZhibuWeChatClient | None = current_app.extensions.get("wechat_client")
    if client is None:
        client = make_client(current_app.config, current_app.extensions["store"])
        current_app.extensions["wechat_client"] = client
    return client
