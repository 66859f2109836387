"""What a handler gets for one message: the session, the store, settings, sender, client, match."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.db import Unit
from bot.infra.store import Batch, Store, StoreUnavailable
from bot.models import Member
from bot.services.errors import TryLater

if TYPE_CHECKING:
    from bot.chat.router import Router
    from bot.services.authz import Sender

log = logging.getLogger(__name__)


class Unread(Enum):
    """The conversation state was not read with the dedupe claim (a sentinel: None means "none")."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


def conversation_key(openid: str) -> str:
    """Where a sender's multi-step conversation state lives in the store."""
    return f"conv:{openid}"


def normalize_text(text: str) -> str:
    """Full-width letters, digits and spaces to half-width; trimmed; inner runs of space folded."""
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", " ", folded).strip()


@dataclass
class Context:
    unit: Unit  # the action's unit of work: its session (opened on first use) and raw statements
    store: Store
    settings: Settings
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
    # WeChat's retries of this message are recognized (the store holds its claim). While the store is down
    # they are not: an action that no database key makes idempotent refuses (require_dedupe).
    deduped: bool = True
    match: re.Match[str] | None = None
    conversation: dict[str, Any] | None = None
    public_root: str = ""  # the root URL of the request being answered (page links when PUBLIC_BASE_URL is unset)
    _roles: set[str] | None = field(default=None, repr=False)
    _member: Member | None = field(default=None, repr=False)
    _sender: Sender | None = field(default=None, repr=False)
    _sender_loaded: bool = field(default=False, repr=False)
    # The conversation state read with the webhook's dedupe claim (one store round trip), if it was.
    prefetched_conversation: str | Unread | None = UNREAD
    # The conversation state as stored (the string this message was routed by), and the one it claimed.
    _conversation_raw: str | None = field(default=None, repr=False)
    _claimed_raw: str | None = field(default=None, repr=False)
    # Store writes that go out with the reply after the transaction (one round trip), e.g. the 48-hour window.
    store_after: Batch = field(default_factory=Batch)

    def require_dedupe(self) -> None:
        """Refuse (TryLater) an action a retry would repeat (a new binding code each time) while WeChat's
        retries cannot be recognized; nothing is written."""
        if not self.deduped:
            raise TryLater("dedupe_unavailable")

    @property
    def session(self) -> Session:
        """The action's one session and transaction; opened the first time a handler needs it."""
        return self.unit.session

    def load_member(self) -> Sender | None:
        """The sender's light record and role names, read together (one query, no ORM object)."""
        from bot.services.authz import sender_with_roles

        sender, roles = sender_with_roles(self.unit, self.openid)
        self.use_sender(sender, roles)
        return sender

    def use_sender(self, sender: Sender | None, roles: set[str] | None = None) -> None:
        """Take the sender as read together with something else (a scan reads it with the meeting)."""
        self._sender, self._sender_loaded, self._roles, self._member = sender, True, roles, None

    @property
    def sender(self) -> Sender | None:
        """The bound member who wrote, light; read on first use (a message nobody needs it for costs nothing)."""
        if not self._sender_loaded:
            self.load_member()
        return self._sender

    @property
    def member(self) -> Member | None:
        """The sender's full member record, loaded on first use (the hot paths make do with `sender`)."""
        sender = self.sender
        if self._member is None and sender is not None:
            self._member = self.session.get(Member, sender.id)
        return self._member

    @property
    def roles(self) -> set[str]:
        """The sender's role names (member, secretary, admin, …), any scope."""
        if not self._sender_loaded:
            self.load_member()
        if self._roles is None:
            from bot.services.authz import role_names

            self._roles = role_names(self.session, self.member)
        return self._roles

    # -- multi-step conversations -------------------------------------------------------------
    def _conv_key(self) -> str:
        return conversation_key(self.openid)

    def load_conversation(self) -> dict[str, Any] | None:
        raw: str | None
        if self.prefetched_conversation is not UNREAD:
            raw = self.prefetched_conversation
        else:
            try:
                raw = self.store.get(self._conv_key())
            except StoreUnavailable:
                log.warning("store unavailable: conversation state for %s not read", self.openid)
                return None
        self._conversation_raw = raw or None
        self.conversation = json.loads(raw) if raw else None
        return self.conversation

    def claim_conversation(self) -> bool:
        """Take the conversation state this message was routed by, once (a confirm): of N concurrent
        copies exactly one gets True and the state is gone for the rest. When the store cannot take it
        (down since the state was read), True: the database's constraints have the last word then."""
        raw = self._conversation_raw
        if raw is None:
            return False
        try:
            won = self.store.take(self._conv_key(), raw)
        except StoreUnavailable:
            log.warning("store unavailable: conversation state for %s claimed without the store", self.openid)
            return True
        if won:
            self._claimed_raw = raw
            self.prefetched_conversation = UNREAD
        return won

    def release_claim(self) -> None:
        """Put a claimed state back (the action was refused or failed and rolls back), unless a newer
        conversation has begun meanwhile: the sender can correct and confirm again, or a retry can."""
        raw, self._claimed_raw = self._claimed_raw, None
        if raw is None:
            return
        try:
            self.store.set(self._conv_key(), raw, ex=self.settings["CONVERSATION_TTL"], nx=True)
        except StoreUnavailable:
            log.warning("store unavailable: conversation state for %s not restored", self.openid)

    def finish_claim(self) -> None:
        """The claimed conversation's action is done: the state was taken already, nothing to delete."""
        self._claimed_raw = None
        self.conversation = None

    def start_conversation(self, step: str, **data: Any) -> None:
        """Make `step` receive this sender's next text, for CONVERSATION_TTL seconds."""
        if step not in self.router.steps:
            raise KeyError(f"unknown conversation step {step!r}")
        state = {"step": step, "data": data}
        self.store.set(self._conv_key(), json.dumps(state, ensure_ascii=False, default=str),
                       ex=self.settings["CONVERSATION_TTL"])
        self.conversation = state
        self.prefetched_conversation = UNREAD  # what was read with the claim is stale now

    def end_conversation(self) -> None:
        try:
            self.store.delete(self._conv_key())
        except StoreUnavailable:
            log.warning("store unavailable: conversation state for %s not cleared", self.openid)
        self.conversation = None
        self.prefetched_conversation = UNREAD
