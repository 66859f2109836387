"""Bad input at scale (hypothesis): whatever a sender puts in a message, no exception escapes, and every
reply is valid WeChat XML addressed back to the sender, with a text reply of at most 2,048 bytes.

Messages are random text, emoji, 10,000-character runs, control characters and half/full-width mixes,
sent plain and after every command word the router knows (so each command's parser sees them), by a
bound secretary and by a stranger. Example counts are modest so the suite stays fast on 2 cores.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest
import xmltodict
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.nlp import extract_place, extract_topic, meeting_type, parse_when
from tests import factories, wxxml

MAX_TEXT_REPLY_BYTES = 2048
EXAMPLES = 40
RELAXED = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])

EMOJI = st.sampled_from(["😀", "👍🏻", "🇨🇳", "👨‍👩‍👧", "❤️", "🧧", "\u200d", "\ufe0f"])
FULL_WIDTH = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)  # ！ … ～, NFKC folds them
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
CONTROL = st.sampled_from(["\t", "\n", "\r", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\u3000", "\xa0"])
XMLISH = st.sampled_from(["]]>", "<![CDATA[", "&amp;", "<xml>", "</Content>", "&#x0;", "%s", "{name}", "\\"])
DIGITS = st.sampled_from(list("0123456789０１２３４５６７８９一二三四五六七八九十"))
ANY_CHAR = st.characters(exclude_categories=["Cs"])
PIECE = st.one_of(st.text(ANY_CHAR, max_size=30), st.text(CJK, max_size=20), st.text(FULL_WIDTH, max_size=10),
                  EMOJI, CONTROL, XMLISH, st.text(DIGITS, min_size=1, max_size=8), st.just(" "))
MESSAGE = st.one_of(
    st.lists(PIECE, max_size=8).map("".join),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["党", "a", "😀", "　", "]"]), st.integers(2000, 10_000)),
)
XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def command_words(app: Flask) -> list[str]:
    """The first word of every usage in the help menu: the entry points of the chat command parsers."""
    words = {"帮助", "取消", "绑定", "签到", "请假", "会议", "开会", "纪要"}
    for entry in app.extensions["router"].menu:
        first = re.split(r"[\s　]", entry.usage.strip(), maxsplit=1)[0]
        if first:
            words.add(first)
    return sorted(words)


def check_reply(resp: Any, sender: str, xml_was_valid: bool) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if not xml_was_valid:  # expat refuses it, so WeChat could not have sent it: a 400 is right
        assert resp.status_code in (200, 400)
        return
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_data(as_text=True)
    if body == "success":
        return
    reply = xmltodict.parse(body)["xml"]  # raises on invalid XML
    assert reply["ToUserName"] == sender
    assert reply["MsgType"] in ("text", "news", "image")
    if reply["MsgType"] == "text":
        content = reply.get("Content") or ""
        assert len(content.encode()) <= MAX_TEXT_REPLY_BYTES
        assert "Traceback" not in content


@pytest.fixture
def senders(db: Any) -> dict[str, str]:
    committee = factories.committee(db)
    branch = factories.branch(db, committee.id)
    secretary = factories.secretary(db, branch.id, name="张三")
    factories.member(db, branch.id, name="李四")
    return {"secretary": str(secretary.openid), "stranger": "o_stranger_properties"}


@RELAXED
@given(text=MESSAGE, who=st.sampled_from(["secretary", "stranger"]), word=st.integers(0, 10_000))
@example(text="]]>", who="stranger", word=0)
@example(text="a]]>b<![CDATA[c", who="secretary", word=0)
@example(text="党" * 10_000, who="secretary", word=0)
@example(text="😀" * 3000, who="secretary", word=1)
@example(text="ｈｅｌｐ　１２３　	", who="secretary", word=0)
def test_any_text_gets_a_valid_reply(chat: Any, app: Flask, senders: dict[str, str], text: str, who: str,
                                     word: int) -> None:
    words = ["", *command_words(app)]
    prefix = words[word % len(words)]
    content = f"{prefix} {text}" if prefix and word % 2 else prefix + text
    sender = senders[who]
    valid = not XML_CHAR.search(content)
    resp = chat.post(wxxml.text(sender, content))
    check_reply(resp, sender, valid)


@RELAXED
@given(key=MESSAGE, event=st.sampled_from(["SCAN", "subscribe", "CLICK", "VIEW", "unsubscribe", "LOCATION",
                                           "weapp_audit_success", "Nonsense"]))
def test_any_event_gets_a_valid_reply(chat: Any, senders: dict[str, str], key: str, event: str) -> None:
    sender = senders["secretary"]
    fields: dict[str, Any] = {"EventKey": ("qrscene_" + key) if event == "subscribe" else key}
    if event == "SCAN":
        fields["Ticket"] = "TICKET"
    resp = chat.post(wxxml.event(sender, event, **fields))
    check_reply(resp, sender, not XML_CHAR.search(key))


@RELAXED
@given(content=MESSAGE)
def test_a_conversation_survives_any_next_message(chat: Any, app: Flask, senders: dict[str, str],
                                                  content: str) -> None:
    """Whatever step a command leaves the sender in, the next random message is answered validly."""
    sender = senders["secretary"]
    for word in command_words(app):
        chat.post(wxxml.text(sender, word))
        check_reply(chat.post(wxxml.text(sender, content)), sender, not XML_CHAR.search(content))
        chat.post(wxxml.text(sender, "取消"))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(text=MESSAGE)
def test_nlp_parsers_never_raise(text: str) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    result = parse_when(text[:2000], now)
    assert result is None or (isinstance(result, datetime) and result.tzinfo is not None)
    for fn in (meeting_type, extract_place, extract_topic):
        value = fn(text)
        assert value is None or isinstance(value, str)


# -- the webhook's XML reading agrees with xmltodict ----------------------------------------------------

_TAGS = st.sampled_from(["ToUserName", "Content", "item", "PicList", "a", "B"])
_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12)


def _xml_tree(depth: int) -> st.SearchStrategy[str]:
    leaf = st.builds(lambda tag, text: f"<{tag}>{escape(text)}</{tag}>", _TAGS, _TEXT)
    cdata = st.builds(lambda tag, text: f"<{tag}><![CDATA[{text.replace(']]>', '')}]]></{tag}>", _TAGS, _TEXT)
    if depth == 0:
        return st.one_of(leaf, cdata)
    inner = st.lists(_xml_tree(depth - 1), max_size=4)
    node = st.builds(lambda tag, kids, text, ws: f"<{tag}>{escape(text)}{ws.join(kids)}</{tag}>", _TAGS, inner,
                     st.sampled_from(["", " ", "tail"]), st.sampled_from(["", "\n", " "]))
    return st.one_of(leaf, cdata, node)


@RELAXED
@given(st.lists(_xml_tree(2), max_size=6), st.sampled_from(["", "\n"]))
def test_the_webhook_reads_xml_as_xmltodict_does(children: list[str], ws: str) -> None:
    from xml.etree.ElementTree import fromstring

    from bot.chat.webhook import xml_dict

    xml = f"<xml>{ws}{ws.join(children)}{ws}</xml>"
    assert xml_dict(fromstring(xml)) == xmltodict.parse(xml)["xml"]
