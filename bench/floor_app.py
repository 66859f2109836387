"""The floor: Flask + wechatpy that checks the signature, parses the XML and echoes; no state at all.

`gunicorn 'bench.floor_app:create_app()'` with WECHAT_TOKEN set. Whatever this app does per request is the
least any webhook must do, so the real app's figures are read as ratios to it.
"""

from __future__ import annotations

import os

import wechatpy
from flask import Flask, Response, request
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature


def create_app(token: str | None = None) -> Flask:
    app = Flask(__name__)
    token = token or os.environ["WECHAT_TOKEN"]

    @app.post("/wechat")
    def receive() -> Response:
        args = request.args
        try:
            check_signature(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
        except InvalidSignatureException:
            return Response("wrong signature", status=403)
        msg = wechatpy.parse_message(request.get_data())
        content = getattr(msg, "content", None) or getattr(msg, "key", None) or msg.type
        return Response(TextReply(message=msg, content=str(content)).render(), mimetype="application/xml")

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app
