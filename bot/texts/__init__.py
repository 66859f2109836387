"""Every sentence a user reads (chat, notices, pages, the CLI), one module per capability; refusal() words a
service's refusal for any channel.

A service raises ServiceError(reason, **params); each texts module maps its reasons to wording in
REFUSALS: a str.format template (datetimes in params are written as fmt_when, dates as fmt_day) or a
function of (params, settings) for wording that needs more than a template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from bot.config import Settings
from bot.infra.clock import fmt_day, fmt_when
from bot.texts.notices import NoticeText, NoticeWording


class Refusal(Protocol):
    """A service's refusal (bot.services.errors.ServiceError): its reason and the facts behind it."""

    reason: str
    params: dict[str, Any]


Wording = str | Callable[[Mapping[str, Any], Settings], str]
log = logging.getLogger(__name__)


def _refusals() -> dict[str, Wording]:
    from bot.texts import general, inspection, meetings, org, rectification, review, setup, volunteer

    table: dict[str, Wording] = {}
    for module in (general, meetings, org, setup, review, rectification, volunteer, inspection):
        for reason, wording in getattr(module, "REFUSALS", {}).items():
            if reason in table:
                raise RuntimeError(f"refusal reason {reason!r} worded twice")
            table[reason] = wording
    return table


_TABLE: dict[str, Wording] | None = None


def refusals() -> dict[str, Wording]:
    global _TABLE
    if _TABLE is None:
        _TABLE = _refusals()
    return _TABLE


def _shown(value: Any, settings: Settings) -> Any:
    if isinstance(value, datetime):
        return fmt_when(value, settings)
    if isinstance(value, date):
        return fmt_day(value)
    return value


def refusal(exc: Refusal, settings: Settings) -> str:
    """The Chinese sentence for a service's refusal."""
    wording = refusals().get(exc.reason)
    if wording is None:
        log.error("no wording for refusal %r (%s)", exc.reason, exc.params)
        from bot.texts.general import APOLOGY

        return APOLOGY
    if callable(wording):
        return wording(exc.params, settings)
    return wording.format(**{k: _shown(v, settings) for k, v in exc.params.items()})


_NOTICES: dict[str, NoticeWording] | None = None


def notice_wordings() -> dict[str, NoticeWording]:
    """Every notice kind's wording: the NOTICES tables of the texts modules, merged once."""
    global _NOTICES
    if _NOTICES is None:
        from bot.texts import general, inspection, meetings, notices, org, rectification, review, volunteer

        table: dict[str, NoticeWording] = {}
        for module in (notices, general, meetings, org, review, rectification, volunteer, inspection):
            for kind, wording in getattr(module, "NOTICES", {}).items():
                if kind in table:
                    raise RuntimeError(f"notice kind {kind!r} worded twice")
                table[kind] = wording
        _NOTICES = table
    return _NOTICES


def render(kind: str, params: Mapping[str, Any], settings: Settings) -> NoticeText:
    """The words of a notice of `kind` with these facts (the dispatcher calls it when it sends). KeyError
    for a kind nobody words."""
    return notice_wordings()[kind](params, settings)
