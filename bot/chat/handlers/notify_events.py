"""Events about our own sends (TEMPLATESENDJOBFINISH, subscribe_msg_*), and the 48-hour window.

Every message or interaction event a member sends opens WeChat's customer-service window; it is
recorded in the store (one SET, no database write), sent together with the reply.
"""

from __future__ import annotations

import logging

from bot.chat.context import Context
from bot.chat.router import Reply, Router
from bot.services.notify import delivery as notify

log = logging.getLogger("zhibu.notify_events")

# Events that open the customer-service window, besides every ordinary message.
INTERACTION_EVENTS = {"subscribe", "subscribe_scan", "scan", "click", "view"}
SUBSCRIBE_EVENTS = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
                    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
                    "subscribe_msg_sent_event": "SubscribeMsgSentEvent"}


def register(router: Router) -> None:
    @router.event("templatesendjobfinish", name="notify.template_finished")
    def template_finished(ctx: Context) -> Reply:
        notify.template_job_finished(ctx.session, ctx.openid, str(ctx.raw.get("MsgID") or ""),
                                     str(ctx.raw.get("Status") or ""))
        return None

    for event, wrapper in SUBSCRIBE_EVENTS.items():
        def on_subscribe(ctx: Context, event: str = event, wrapper: str = wrapper) -> Reply:
            notify.subscribe_event(ctx.session, ctx.openid, event, ctx.raw.get(wrapper), ctx.now)
            return None

        router.event(event, name=f"notify.{event}")(on_subscribe)

    _observe_interactions(router)


def _observe_interactions(router: Router) -> None:
    """Every message, and the interaction events, open the 48-hour window (text inside a running
    conversation included): one store SET, sent with the reply after the transaction."""

    @router.observe
    def record(ctx: Context) -> None:
        if ctx.msg_type != "event" or ctx.event in INTERACTION_EVENTS:
            notify.record_interaction(ctx.store_after, ctx.openid, ctx.now, ctx.settings)
