"""Every refusal a service or a channel raises has its wording: the reasons are read out of the code
(`raise Invalid("reason", …)`, and the reasons handed to helpers that raise them), and each must be
worded in bot/texts, so no user ever reads the generic apology for a plain refusal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot
from bot import texts
from bot.config import Settings
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied, TryLater

ERRORS = {"ServiceError", "Invalid", "NotFound", "PermissionDenied", "Conflict", "TryLater"}
ROOT = Path(bot.__file__).parent


def raised_reasons() -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if name in ERRORS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((first.value, str(path.relative_to(ROOT))))
    return sorted(found)


def test_the_code_raises_reasons() -> None:
    reasons = {r for r, _ in raised_reasons()}
    assert len(reasons) > 50  # every capability's refusals are seen (a broken reader would pass everything)
    assert {"forbidden", "need_binding"} <= reasons


@pytest.mark.parametrize(("reason", "where"), raised_reasons())
def test_every_raised_reason_is_worded(reason: str, where: str) -> None:
    assert reason.isascii() and reason == reason.lower(), f"{where}: a reason is an identifier, not a sentence"
    assert reason in texts.refusals(), f"{where} raises {reason!r}, which bot/texts does not word"


def test_a_refusal_reads_the_same_in_every_channel() -> None:
    settings: Settings = {"TZ": "Asia/Shanghai"}
    for exc in (Invalid("need_binding"), NotFound("need_binding"), PermissionDenied("forbidden"),
                Conflict("forbidden"), TryLater("forbidden")):
        sentence = texts.refusal(exc, settings)
        assert sentence and sentence.isascii() is False and "{" not in sentence
