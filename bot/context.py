"""What a handler gets for one message: the session, the store, settings, sender, client, match."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .models import Member
from .store import Store, StoreUnavailable

if TYPE_CHECKING:
    from .router import Router
    from .wechat import ZhibuWeChatClient

log = logging.getLogger(__name__)


def normalize_text(text: str) -> str:
    """Full-width letters, digits and spaces to half-width; trimmed; inner runs of space folded."""
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", " ", folded).strip()


@dataclass
class Context:
    session: Session
    store: Store
    settings: Any
    router: Router
    msg: Any  # the wechatpy message or event
    raw: dict[str, Any]  # the decrypted XML as a dict (for events wechatpy does not model)
    openid: str
    now: datetime
    msg_type: str
    event: str = ""
    text_raw: str = ""
    text: str = ""
    dedupe_key: str = ""
    match: re.Match[str] | None = None
    member: Member | None = None
    conversation: dict[str, Any] | None = None
    _client_factory: Any = None
    _roles: set[str] | None = field(default=None, repr=False)

    @property
    def wechat(self) -> ZhibuWeChatClient:
        """The WeChat API client. Handlers must not call it inline (5-second deadline): use the outbox."""
        client: ZhibuWeChatClient = self._client_factory()
        return client

    def load_member(self) -> Member | None:
        """The sender's member record and role names, read together."""
        from .services.authz import member_with_roles

        self.member, self._roles = member_with_roles(self.session, self.openid)
        return self.member

    @property
    def roles(self) -> set[str]:
        """The sender's role names (member, secretary, admin, …), any scope."""
        if self._roles is None:
            from .services.authz import role_names

            self._roles = role_names(self.session, self.member)
        return self._roles

    # -- multi-step conversations -------------------------------------------------------------
    def _conv_key(self) -> str:
        return f"conv:{self.openid}"

    def load_conversation(self) -> dict[str, Any] | None:
        try:
            raw = self.store.get(self._conv_key())
        except StoreUnavailable:
            log.warning("store unavailable: conversation state for %s not read", self.openid)
            return None
        self.conversation = json.loads(raw) if raw else None
        return self.conversation

    def start_conversation(self, step: str, **data: Any) -> None:
        """Make `step` receive this sender's next text, for CONVERSATION_TTL seconds."""
        if step not in self.router.steps:
            raise KeyError(f"unknown conversation step {step!r}")
        state = {"step": step, "data": data}
        self.store.set(self._conv_key(), json.dumps(state, ensure_ascii=False, default=str),
                       ex=int(self.settings["CONVERSATION_TTL"]))
        self.conversation = state

    def end_conversation(self) -> None:
        try:
            self.store.delete(self._conv_key())
        except StoreUnavailable:
            log.warning("store unavailable: conversation state for %s not cleared", self.openid)
        self.conversation = None
