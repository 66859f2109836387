"""Every command the wording tells a person to send (a reply, a reminder, the help menu, a refusal) is a
command the router knows: the quoted commands are read out of every string in bot/texts and sent
through the router; each must reach a registered route, or be an answer a conversation step takes."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

import bot.texts
from bot.chat.context import normalize_text
from bot.chat.handlers.meetings import CONFIRM_WORDS, DONE_WORDS, NO_PLACE_WORDS
from bot.chat.router import Router

TEXTS = Path(bot.texts.__file__).parent
# 回复“X”(或“Y”), 回复：X, 发送“X”, and the examples of a command (例如：X / 例如“X”).
QUOTED = re.compile(r"(?:回复|发送)((?:“[^”]+”(?:或|、)?)+)")
AFTER_COLON = re.compile(r"(?:回复|这样回复)：([^\n“”（）()，。]+)")
EXAMPLE = re.compile(r"例如(?:：|“)([^\n”（）()，。]+)")
# Answers that a conversation step takes (the step's own words), not commands of their own.
STEP_ANSWERS = {*CONFIRM_WORDS, *DONE_WORDS, *NO_PLACE_WORDS}
# Examples that show the data a step or a file expects, not a command.
DATA_EXAMPLES = re.compile(r"^(?:\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}|下周三晚上7点半|三楼会议室|\d{4}-\d{2}-\d{2}|"
                           r"13800138000)$")
# How the placeholders of the wording read when a person fills them in.
FILLED = [(re.compile(r"\{[a-z_]+\}"), "1"), (re.compile(r"#编号"), "#1"), (re.compile(r"编号"), "1"),
          (re.compile(r"六位数字"), "123456"), (re.compile(r"事由"), "家中有事"), (re.compile(r"姓名"), "张三"),
          (re.compile(r"新时间"), "12月6日 19:30"), (re.compile(r"手机号"), "13800138000")]


def _strings() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEXTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and not node.value.isascii():
                found.append((path.name, node.value))
            elif isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values]
                found.append((path.name, "".join(str(p) for p in parts)))
    return found


def _picked_commands() -> list[str]:
    """The commands that ask for a meeting's number when several fit (they fill MTG_WHICH's {cmd})."""
    source = (Path(bot.texts.__file__).parent.parent / "chat" / "handlers" / "meetings.py").read_text(encoding="utf-8")
    return re.findall(r"_pick\([^\n]*\"([^\"]+)\"\)", source)


def quoted_commands() -> list[tuple[str, str]]:
    commands: dict[str, str] = {}
    for where, text in _strings():
        for group in QUOTED.findall(text):
            for command in re.findall(r"“([^”]+)”", group):
                commands.setdefault(command, where)
        for pattern in (AFTER_COLON, EXAMPLE):
            for command in pattern.findall(text):
                commands.setdefault(command.strip(), where)
    for command, where in list(commands.items()):
        if "{cmd}" in command:
            del commands[command]
            for picked in _picked_commands():
                commands.setdefault(command.replace("{cmd}", picked), where)
    return sorted((c, w) for c, w in commands.items() if c)


def _filled(command: str) -> str:
    for pattern, value in FILLED:
        command = pattern.sub(value, command)
    return normalize_text(command)


def test_the_wording_quotes_commands() -> None:
    found = {c for c, _ in quoted_commands()}
    # The extraction sees the commands of every capability (a broken pattern would pass everything).
    assert {"帮助", "绑定 六位数字", "请假 事由", "签到码", "记录", "取消", "改期 {example}"} <= found


@pytest.mark.parametrize(("command", "where"), quoted_commands())
def test_every_quoted_command_is_a_route(app: Flask, command: str, where: str) -> None:
    filled = _filled(command)
    if filled in STEP_ANSWERS or DATA_EXAMPLES.match(filled):
        return
    router: Router = app.extensions["router"]
    ctx = SimpleNamespace(msg_type="text", event="", text=filled)
    fn, _match = router.resolve(ctx)  # type: ignore[arg-type]
    assert fn is not None and fn is not router.fallback_fn, (
        f"{where} tells people to send “{command}”, which no route takes")


def test_every_help_menu_entry_is_a_route(app: Flask) -> None:
    router: Router = app.extensions["router"]
    assert len(router.menu) >= 10
    for entry in router.menu:
        for usage in entry.usage.split(" / "):  # "同意 / 不同意": two commands on one line
            ctx = SimpleNamespace(msg_type="text", event="", text=_filled(usage.replace("…", "")))
            fn, _match = router.resolve(ctx)  # type: ignore[arg-type]
            assert fn is not None and fn is not router.fallback_fn, f"the help menu offers “{usage}”"
