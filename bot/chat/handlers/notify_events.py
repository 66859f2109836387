"""Events about our own sends (TEMPLATESENDJOBFINISH, subscribe_msg_*), and the 48-hour window.

Every message or interaction event a member sends opens WeChat's customer-service window; it is
recorded in the store (one SET, no database write), sent together with the reply.
"""

from __future__ import annotations

import logging

from bot.chat.context import Context
from bot.chat.router import Reply, Routes
from bot.services.notify import delivery as notify

log = logging.getLogger("zhibu.notify_events")

# Events that open the customer-service window, besides every ordinary message.
INTERACTION_EVENTS = {"subscribe", "subscribe_scan", "scan", "click", "view"}
SUBSCRIBE_EVENTS = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
                    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
                    "subscribe_msg_sent_event": "SubscribeMsgSentEvent"}


routes = Routes()


@routes.event("templatesendjobfinish", name="notify.template_finished")
def template_finished(ctx: Context) -> Reply:
    notify.template_job_finished(ctx.session, ctx.openid, str(ctx.raw.get("MsgID") or ""),
                                 str(ctx.raw.get("Status") or ""))
    return None


def subscribe_changed(ctx: Context) -> Reply:
    """A subscribe-message consent event (popup, change, sent): the consent record follows it."""
    notify.subscribe_event(ctx.session, ctx.openid, ctx.event, ctx.raw.get(SUBSCRIBE_EVENTS[ctx.event]), ctx.now)
    return None


for _event in SUBSCRIBE_EVENTS:
    routes.event(_event, name=f"notify.{_event}")(subscribe_changed)


@routes.observe
def record_interaction(ctx: Context) -> None:
    """Every message, and the interaction events, open the 48-hour window (text inside a running
    conversation included): one store SET, sent with the reply after the transaction."""
    if ctx.msg_type != "event" or ctx.event in INTERACTION_EVENTS:
        notify.record_interaction(ctx.store_after, ctx.openid, ctx.now, ctx.settings)
