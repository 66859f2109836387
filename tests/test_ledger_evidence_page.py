"""整改 evidence page: the verifier (党委管理员 or a named 验收人) gets a signed link under 待验收 and 整改 <id>
that opens one item's evidence (words, photos before and after) on a phone, without login; a forged or
expired key, another item's photo or an unknown item are refused in Chinese, never a 500."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.wechat import wait_for_background
from bot.models import Attachment
from bot.services.rectification import evidence
from bot.texts import rectification as T
from tests import factories as f
from tests import wxxml
from tests.browser import PHONE, chromium
from tests.conftest import Chat

BEFORE = b"\xff\xd8\xff\xe0before-photo"
AFTER = b"\xff\xd8\xff\xe0after-photo"
LINK = re.compile(r"佐证材料：(http\S+/r/(\d+)\?k=\S+)")


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    top = f.committee(db, name="某区社会组织综合党委")
    a = f.branch(db, top.id, name="星光党支部")
    f.secretary(db, a.id, name="李书记", openid="o_sec", phone="13900000001")
    m1 = f.member(db, a.id, name="张三", openid="o_m1", phone="13900000002")
    f.admin(db, top.id, name="周管理", openid="o_admin", phone="13900000005")
    f.member(db, None, name="郑验收", openid="o_ver", phone="13900000008", roles=(("verifier", "committee", top.id),))
    fake_wx.media["MEDIA_B"] = BEFORE
    fake_wx.media["MEDIA_A"] = AFTER
    item = f.rectification(db, top.id, m1.id, date(2026, 12, 31), branch_id=a.id, problem="阵地未挂牌",
                           source="check")
    other = f.rectification(db, top.id, m1.id, date(2026, 12, 31), branch_id=a.id, problem="台账缺失")
    return {"top": top, "a": a, "m1": m1, "item": item.id, "other": other.id}


def image(chat: Chat, openid: str, media_id: str) -> str:
    reply = chat.send(wxxml.image(openid, media_id))
    return "" if reply is None else str(reply["Content"])


def _submitted(chat: Chat, iid: int) -> None:
    assert chat.say("o_m1", f"整改 {iid} 整改前") == T.BEFORE_START.format(id=iid)
    assert image(chat, "o_m1", "MEDIA_B") == T.BEFORE_PHOTO.format(id=iid, n=1)
    assert chat.say("o_m1", "好了") == T.BEFORE_DONE.format(id=iid, n=1)
    assert chat.say("o_m1", f"整改 {iid} 已完成 已在门口挂牌<b>并拍照</b>") == T.EVIDENCE_START.format(id=iid)
    assert image(chat, "o_m1", "MEDIA_A") == T.EVIDENCE_PHOTO.format(id=iid, n=1)
    assert chat.say("o_m1", "提交") == T.SUBMITTED.format(id=iid, evidence="文字说明、照片1张")
    wait_for_background()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _reason(reason: str) -> str:
    return str(T.REFUSALS[reason])


def test_the_link_in_the_chat_opens_the_evidence_with_both_phases(app: Flask, chat: Chat, client: Any, db: Session,
                                                                  clock: FrozenClock, world: dict[str, Any]) -> None:
    iid = world["item"]
    _submitted(chat, iid)
    listed = chat.say("o_admin", "待验收")
    found = LINK.search(listed)
    assert found and int(found.group(2)) == iid, listed
    assert listed.splitlines()[1:3] == [f"#{iid} 星光党支部：阵地未挂牌｜佐证：文字说明、照片1张",
                                        f"佐证材料：{found.group(1)}"]
    detail = chat.say("o_ver", f"整改 {iid}")  # a named 验收人 gets it under the detail too
    assert detail.splitlines()[-1].startswith("佐证材料：http") and f"/r/{iid}?k=" in detail
    assert "/r/" not in chat.say("o_m1", f"整改 {iid}")  # the owner may not verify: no link

    url = found.group(1)
    page = client.get(_path(url))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "已在门口挂牌&lt;b&gt;并拍照&lt;/b&gt;" in html and "阵地未挂牌" in html and "星光党支部" in html
    assert T.PAGE_BEFORE.format(n=1) in html and T.PAGE_AFTER.format(n=1) in html
    for phase, content in (("before", BEFORE), ("after", AFTER)):
        block = html.split(f'id="photos-{phase}"')[1].split("</div>")[0]
        [src] = re.findall(r'<img src="([^"]+)"', block)
        photo = client.get(src.replace("&amp;", "&"))
        assert photo.status_code == 200 and photo.data == content

    key = url.split("k=")[1]
    forged = client.get(f"/r/{iid}?k={key[:-1]}{'A' if key[-1] != 'A' else 'B'}")
    assert forged.status_code == 403 and _reason("ledger_link_expired") in forged.get_data(as_text=True)
    assert client.get(f"/r/{world['other']}?k={key}").status_code == 403  # another item's key
    assert client.get(f"/r/{iid}").status_code == 403
    clock.advance(days=7, minutes=1)
    expired = client.get(_path(url))
    assert expired.status_code == 403 and _reason("ledger_link_expired") in expired.get_data(as_text=True)


def test_another_items_photo_and_an_unknown_item_are_refused(app: Flask, client: Any, db: Session,
                                                             clock: FrozenClock, world: dict[str, Any]) -> None:
    secret = app.config["SECRET_KEY"]
    folder = os.path.join(app.config["MEDIA_DIR"], "rectification_item", str(world["other"]))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "x.jpg")
    with open(path, "wb") as fh:
        fh.write(AFTER)
    row = Attachment(subject_type="rectification_item", subject_id=world["other"], phase="after", media_id="X",
                     path=path, created_at=clock())
    outside = Attachment(subject_type="rectification_item", subject_id=world["item"], phase="after", media_id="Y",
                         path=os.path.abspath(__file__), created_at=clock())
    db.add_all([row, outside])
    db.commit()
    key = evidence.evidence_key(world["item"], clock() + timedelta(days=1), secret)
    other_key = evidence.evidence_key(world["other"], clock() + timedelta(days=1), secret)
    assert client.get(f"/r/{world['other']}/photo/{row.id}?k={other_key}").data == AFTER  # its own key opens it
    refused = client.get(f"/r/{world['item']}/photo/{row.id}?k={key}")  # not a photo of this item
    assert refused.status_code == 404 and _reason("ledger_photo_missing") in refused.get_data(as_text=True)
    assert client.get(f"/r/{world['other']}/photo/{row.id}?k={key}").status_code == 403  # this item's key
    assert client.get(f"/r/{world['item']}/photo/{outside.id}?k={key}").status_code == 404  # outside MEDIA_DIR
    assert client.get(f"/r/{world['item']}/photo/99999999999?k={key}").status_code == 404
    unknown = world["other"] + 1000
    missing = client.get(f"/r/{unknown}?k={evidence.evidence_key(unknown, clock() + timedelta(days=1), secret)}")
    assert missing.status_code == 404 and "没有找到编号为" in missing.get_data(as_text=True)
    assert client.get(f"/r/99999999999?k={key}").status_code == 403
    assert db.scalars(select(Attachment).where(Attachment.id == row.id)).one().path == path


def test_the_awaiting_list_keeps_within_one_reply(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    from bot.infra.text import fits_reply

    """With many items, the links of the last ones are left out (整改 <id> gives each) so the list still fits."""
    for n in range(12):
        f.rectification(db, world["top"].id, world["m1"].id, date(2026, 12, 31), branch_id=world["a"].id,
                        problem=f"问题{n}" * 8, status="awaiting_verification", evidence="已整改")
    listed = chat.say("o_admin", "待验收")
    assert fits_reply(listed) and listed.endswith(T.AWAITING_FOOTER)
    lines = listed.splitlines()
    assert lines[0] == T.AWAITING_HEADER.format(n=12) and LINK.fullmatch(lines[2])
    assert 1 <= len(LINK.findall(listed)) < 12 and len([x for x in lines if x.startswith("#")]) == 12


def _wide_png(width: int = 1600, height: int = 40) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x22\x88\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.browser
def test_evidence_page_fits_a_phone_in_chromium(app: Flask, db: Session, clock: FrozenClock,
                                                world: dict[str, Any], tmp_path: Any) -> None:
    import threading

    from werkzeug.serving import make_server

    iid = world["item"]
    folder = os.path.join(app.config["MEDIA_DIR"], "rectification_item", str(iid))
    os.makedirs(folder, exist_ok=True)
    for phase in ("before", "after"):
        path = os.path.join(folder, f"{phase}.jpg")
        with open(path, "wb") as fh:
            fh.write(_wide_png())
        db.add(Attachment(subject_type="rectification_item", subject_id=iid, phase=phase, media_id=phase,
                          path=path, created_at=clock()))
    db.commit()
    key = evidence.evidence_key(iid, clock() + timedelta(days=1), app.config["SECRET_KEY"])

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with chromium(tmp_path / "profile", PHONE, phone=True) as driver:
            driver.get(f"http://127.0.0.1:{server.server_port}/r/{iid}?k={key}")
            for phase in ("before", "after"):
                loaded = driver.execute_async_script(
                    "const done = arguments[arguments.length - 1]; const img = document.querySelector(arguments[0]);"
                    "if (img.complete) { done(img.naturalWidth); } else { img.onload = () => done(img.naturalWidth);"
                    " img.onerror = () => done(0); }", f"#photos-{phase} img")
                assert loaded == 1600
                right = driver.execute_script(
                    "return document.querySelector(arguments[0]).getBoundingClientRect().right", f"#photos-{phase} img")
                assert right <= 390
            width = driver.execute_script("return window.innerWidth")
            assert width == 390
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width
            assert "阵地未挂牌" in driver.find_element("id", "text").text
    finally:
        server.shutdown()
        server.server_close()
