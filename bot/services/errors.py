"""Refusals a service raises. A refusal names its reason and the facts behind it, never a sentence:
each channel words it (chat/texts for chat, the CLI's message, a 4xx with the reason in HTTP)."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A clear refusal: `reason` is a stable identifier (``"meeting_past"``), `params` the values the
    wording needs (datetimes, names, counts), `kind` the class of refusal the channels map to a status."""

    kind = "invalid"

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason, params)
        self.reason = reason
        self.params = params

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason} {self.params}" if self.params else f"{self.kind}: {self.reason}"


class Invalid(ServiceError):
    kind = "invalid"


class NotFound(ServiceError):
    kind = "not_found"


class PermissionDenied(ServiceError):
    kind = "forbidden"


class Conflict(ServiceError):
    kind = "conflict"


class TryLater(ServiceError):
    """Something we depend on is down for now; nothing was written."""

    kind = "unavailable"
