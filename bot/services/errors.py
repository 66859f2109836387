"""Refusals a service raises; every channel turns them into its own answer (chat text, HTTP 4xx)."""

from __future__ import annotations


class ServiceError(Exception):
    """A clear refusal: `message` is the Chinese sentence the user reads."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TryLater(ServiceError):
    """Something we depend on is down for now; nothing was written."""

    status = 503
    code = "unavailable"
