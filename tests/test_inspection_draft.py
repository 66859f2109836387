"""The drafted party-work section (党建工作情况) of 年检, checked against the records it came from: the branch's
form and members, meetings held against required by type (quorum counted), the attendance rate, volunteer
hours of final records, the 述职 grade and the ledger items with their state; the docx read back with
python-docx, and the same words by chat (年检材料)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from flask import Flask
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from bot.models import ReviewSubmission
from tests import factories as f
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 20, 1, 0, tzinfo=UTC)  # 2026-04-20 09:00 in Shanghai


def L(year: int, month: int, day: int, hour: int = 0) -> datetime:  # a local moment
    return datetime(year, month, day, hour, tzinfo=SH)


@pytest.fixture
def world(app: Flask, db: Session) -> dict[str, Any]:
    app.config["CLOCK"] = FrozenClock(NOW)
    db.expire_on_commit = False
    c = f.committee(db, name="某区社会组织综合党委")
    b = f.branch(db, c.id, name="星光联合党支部", formation="joint", kind="full")
    other = f.branch(db, c.id, name="邻近党支部")
    sec = f.secretary(db, b.id, name="书记甲", openid="o_sec")
    cm = f.committee_member(db, b.id, name="委员乙")
    m1 = f.member(db, b.id, name="党员丙")
    m2 = f.member(db, b.id, name="党员丁")
    p1 = f.member(db, b.id, name="预备党员戊", status="probationary")
    f.member(db, b.id, name="已转出党员", active=False)
    guest = f.member(db, other.id, name="外支部党员")
    org = f.social_org(db, c.id, b.id, name="星光社会工作服务中心")
    lone = f.social_org(db, c.id, None, name="无支部协会")
    liaison = f.member(db, None, name="联络员己", openid="o_liaison", roles=(("liaison", "organization", lone.id),))

    def held(when: datetime, mtype: str, *who: Any, **kw: Any) -> None:
        m = f.meeting(db, b.id, when, type=mtype, **kw)
        for person in who:
            f.attendance(db, m.id, person.id, when)

    held(L(2025, 3, 10, 19), "general_meeting", sec, cm, m1)  # 3 of 4 full members: counted
    held(L(2025, 6, 10, 19), "general_meeting", sec)  # 1 of 4: held without quorum
    held(L(2025, 9, 10, 19), "general_meeting", sec, cm, m1, m2, status="cancelled")  # cancelled: nothing
    held(L(2025, 1, 15, 19), "committee_meeting", sec, cm)  # 2 of 2: counted
    held(L(2025, 2, 15, 19), "committee_meeting", sec)  # 1 of 2: without quorum
    held(L(2025, 5, 1, 9), "theme_day", sec, m1, p1, guest)  # the guest is not on the roll
    held(L(2025, 7, 1, 9), "party_lecture")  # nobody checked in: held, counted (no quorum rule)
    held(L(2024, 12, 20, 9), "theme_day", sec, m1)  # last year
    held(L(2026, 1, 10, 9), "theme_day", sec, m1)  # next year
    for served, hours, status, until in ((date(2025, 5, 1), "3.5", "confirmed", date(2025, 5, 9)),
                                         (date(2025, 11, 1), "2.0", "confirmed", date(2025, 11, 9)),
                                         (date(2025, 12, 1), "4.0", "pending", None),
                                         (date(2024, 12, 1), "1.5", "confirmed", date(2024, 12, 9))):
        f.volunteer_record(db, m1.id, sec.id, served, branch_id=b.id, hours=Decimal(hours), status=status,
                           public_until=until, content=f"社区服务{served.isoformat()}")
    rnd = f.review_round(db, c.id, L(2026, 1, 20, 18), year=2025, status="closed")
    db.add(ReviewSubmission(round_id=rnd.id, branch_id=b.id, secretary_id=sec.id, status="reviewed", grade="较好"))
    db.commit()
    items = {
        "r1": f.rectification(db, c.id, sec.id, date(2025, 8, 1), branch_id=b.id, found_on=date(2025, 6, 1),
                              status="closed", problem="党员活动室制度未上墙"),
        "r2": f.rectification(db, c.id, sec.id, date(2026, 1, 31), branch_id=b.id, found_on=date(2025, 10, 1),
                              problem="三会一课记录不规范"),
        "r3": f.rectification(db, c.id, sec.id, date(2024, 8, 1), branch_id=b.id, found_on=date(2024, 5, 1),
                              status="closed", problem="上年已销号问题"),
        "r4": f.rectification(db, c.id, sec.id, date(2026, 12, 31), branch_id=b.id, found_on=date(2024, 11, 1),
                              status="in_progress", problem="党费收缴台账缺失"),
        "r5": f.rectification(db, c.id, sec.id, date(2026, 6, 30), branch_id=b.id, found_on=date(2026, 3, 1),
                              source="check", problem="今年检查发现的问题"),
    }
    return {"c": c, "b": b, "org": org, "lone": lone, "sec": sec, "liaison": liaison, "items": items}


EXPECTED = [
    "星光社会工作服务中心2025年度党建工作情况",
    "一、党组织建设情况",
    "党组织：星光联合党支部（联合组建，建制型党支部）。",
    "党员5名，其中正式党员4名、预备党员1名。",
    "二、组织生活开展情况",
    "支部党员大会：应开4次，实开1次（另有1次未达到规定人数，不计入）；",
    "支委会：应开12次，实开1次（另有1次未达到规定人数，不计入）；",
    "党课：应开4次，实开1次；",
    "主题党日：应开12次，实开1次；",
    "组织生活会：应开1次，实开0次；",
    "民主评议党员：应开1次，实开0次；",
    "合计：应开34次，实开4次。",
    # expected 5+5+2+2+5+5 = 24 person-times; present 3+1+2+1+3+0 = 10
    "党员参会率：41.7%（应到24人次，实到10人次）。",
    "三、志愿服务情况",
    "党员志愿服务时长5.5小时（已公示确认的记录）。",  # 3.5 + 2.0 final in 2025
    "四、书记抓党建述职评议情况",
    "2025年度述职评议结果：较好。",
    "五、问题整改情况",
]


def _record_basic_pass(runner: Any, org_id: int) -> None:
    res = runner.invoke(args=["inspection", "record", str(org_id), "--year", "2025", "--filed-supervisor",
                              "2026-03-20", "--filed-registrar", "2026-04-01", "--party-section-filed",
                              "--result", "基本合格"])
    assert res.exit_code == 0, res.output


def _ledger_lines(w: dict[str, Any], inspection_item: int) -> list[str]:
    i = w["items"]
    return [
        "整改问题4项，已销号1项，整改率25%。",  # r1, r2, r4 and the 年检 item; r3 closed before, r5 later
        f"#{i['r1'].id}【述职评议】党员活动室制度未上墙｜时限2025年8月1日｜已销号",
        f"#{i['r2'].id}【述职评议】三会一课记录不规范｜时限2026年1月31日｜待整改（逾期）",
        f"#{i['r4'].id}【述职评议】党费收缴台账缺失｜时限2026年12月31日｜整改中",
        f"#{inspection_item}【年检】2025年度年检结论为基本合格，须提交整改报告并整改｜时限2026年6月19日｜待整改",
        "六、双提交情况",
        "党建工作情况随年度报告报送：已报送。",
    ]


def _inspection_item_id(db: Session, org_id: int) -> int:
    from sqlalchemy import select

    from bot.models import RectificationItem

    found = db.scalar(select(RectificationItem.id).where(RectificationItem.source == "inspection",
                                                         RectificationItem.organization_id == org_id))
    db.commit()
    assert found is not None
    return int(found)


def test_the_docx_draft_reads_back_the_records(runner: Any, db: Session, world: dict[str, Any],
                                               tmp_path: Any) -> None:
    w = world
    _record_basic_pass(runner, w["org"].id)
    out = tmp_path / "党建工作情况.docx"
    res = runner.invoke(args=["inspection", "draft", str(w["org"].id), "--year", "2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert str(out) in res.output
    paragraphs = [p.text for p in Document(str(out)).paragraphs if p.text]
    assert paragraphs[0] == EXPECTED[0]
    body = [p for p in paragraphs if not p.startswith("（根据支部通")]
    assert body == EXPECTED + _ledger_lines(w, _inspection_item_id(db, w["org"].id))


def test_chat_material_is_the_same_summary(runner: Any, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    w = world
    _record_basic_pass(runner, w["org"].id)
    said = chat.say("o_sec", "年检材料")
    lines = said.splitlines()
    assert lines[:-1] == EXPECTED + _ledger_lines(w, _inspection_item_id(db, w["org"].id))
    assert chat.say("o_sec", f"年检材料 {w['org'].id}") == said


def test_an_organization_without_a_branch(chat: Chat, world: dict[str, Any]) -> None:
    said = chat.say("o_liaison", "年检材料")
    assert said.splitlines()[:5] == ["无支部协会2025年度党建工作情况", "一、党组织建设情况",
                                     "尚未建立党组织（由联络员或党建指导员联系）。", "二、组织生活开展情况",
                                     "无党组织，未开展组织生活。"]
    assert "党员志愿服务时长0小时" in said and "2025年度述职评议：暂无评议结果。" in said
    assert "本年度无整改问题。" in said and "党建工作情况随年度报告报送：未报送。" in said
    assert "你没有权限" in chat.say("o_liaison", f"年检材料 {world['org'].id}")


def test_a_secretary_of_several_organizations_names_one(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    second = f.social_org(db, world["c"].id, world["b"].id, name="星光第二协会")
    said = chat.say("o_sec", "年检材料")
    assert said == (f"您负责多个社会组织，请在命令后加编号，例如“年检材料 {world['org'].id}”："
                    f"{world['org'].id} 星光社会工作服务中心；{second.id} 星光第二协会")
    assert chat.say("o_sec", f"年检材料 {second.id}").startswith("星光第二协会2025年度党建工作情况")


def test_a_joint_branch_says_so_and_counts_nothing_twice(runner: Any, db: Session, world: dict[str, Any],
                                                         tmp_path: Any) -> None:
    """联合组建: two organizations share 星光联合党支部. Each draft names the other, gives the joint branch's
    figures once (the same in both, marked not to be added up), counts its own members apart, and lists
    only its own 年检 item, never the partner's."""
    w = world
    partner = f.social_org(db, w["c"].id, w["b"].id, name="星光志愿者协会")
    f.member(db, w["b"].id, name="协会党员", org_id=partner.id)
    f.member(db, w["b"].id, name="中心党员", org_id=w["org"].id)
    _record_basic_pass(runner, w["org"].id)
    res = runner.invoke(args=["inspection", "record", str(partner.id), "--year", "2025", "--filed-registrar",
                              "2026-04-02", "--result", "不合格"])
    assert res.exit_code == 0, res.output
    texts = {}
    for org in (w["org"], partner):
        out = tmp_path / f"{org.id}.docx"
        res = runner.invoke(args=["inspection", "draft", str(org.id), "--year", "2025", "--out", str(out)])
        assert res.exit_code == 0, res.output
        texts[org.id] = [p.text for p in Document(str(out)).paragraphs if p.text]
    mine, theirs = texts[w["org"].id], texts[partner.id]
    assert mine[2:7] == [
        "一、党组织建设情况", "党组织：星光联合党支部（联合组建，建制型党支部）。",
        "本单位与星光志愿者协会联合组建党支部；本材料中的党员、组织生活和志愿服务数据为联合党支部的合计数，"
        "各单位材料相同，汇总时不重复计算。",
        "党员7名，其中正式党员6名、预备党员1名。", "其中在本单位工作的党员1名。"]
    assert theirs[4].startswith("本单位与星光社会工作服务中心联合组建党支部")
    # The joint branch's figures are the same in both drafts (one branch, counted once).
    # (two more full members on the roll: the 3月 党员大会's 3 of 6 is no longer a quorum)
    section = slice(mine.index("二、组织生活开展情况"), mine.index("五、问题整改情况"))
    assert mine[section] == theirs[section]
    for line in ("支部党员大会：应开4次，实开0次（另有2次未达到规定人数，不计入）；", "合计：应开34次，实开3次。",
                 "党员志愿服务时长5.5小时（已公示确认的记录）。", "2025年度述职评议结果：较好。"):
        assert line in mine
    mine_item, their_item = _inspection_item_id(db, w["org"].id), _inspection_item_id(db, partner.id)
    assert any(p.startswith(f"#{mine_item}【年检】2025年度年检结论为基本合格") for p in mine)
    assert not any(p.startswith(f"#{their_item}") for p in mine)
    assert any(p.startswith(f"#{their_item}【年检】2025年度年检结论为不合格") for p in theirs)
    assert not any(p.startswith(f"#{mine_item}") for p in theirs)
    # The branch's own items (organization none) are in both: 4 in mine (r1, r2, r4, its 年检 item), 4 in theirs.
    assert "整改问题4项，已销号1项，整改率25%。" in mine and "整改问题4项，已销号1项，整改率25%。" in theirs


def test_a_long_ledger_fits_one_chat_reply(runner: Any, chat: Chat, db: Session, world: dict[str, Any],
                                           tmp_path: Any) -> None:
    """30 more open items with long problems: 年检材料 stays one reply (WeChat: 2,048 bytes) with every
    section, lists what fits and counts the rest; the docx lists all 33 open or this year's items."""
    w = world
    long_problem = "党支部组织生活会会前未开展谈心谈话，会议记录中缺少批评与自我批评内容，整改措施未落实到人"
    for n in range(30):
        f.rectification(db, w["c"].id, w["sec"].id, date(2026, 12, 31), branch_id=w["b"].id,
                        found_on=date(2025, 9, 1), problem=f"{n + 1}.{long_problem}")
    said = chat.say("o_sec", "年检材料")
    assert len(said.encode()) <= 2048 and "内容过长" not in said
    lines = said.splitlines()
    assert "整改问题33项，已销号1项，整改率3%。" in lines
    assert "六、双提交情况" in lines and lines[-1] == "完整文档请由党委管理员导出（inspection draft）。"
    listed = [x for x in lines if x.startswith("#")]
    more = [x for x in lines if x.startswith("……另有")]
    assert more == [f"……另有{33 - len(listed)}项未列出，完整清单见导出的文档。"] and 5 <= len(listed) < 33
    assert all(len(x.split("】")[1].split("｜")[0]) <= 30 for x in listed)  # problems cut short (30 characters)
    out = tmp_path / "d.docx"
    res = runner.invoke(args=["inspection", "draft", str(w["org"].id), "--year", "2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sum(1 for p in Document(str(out)).paragraphs if p.text.startswith("#")) == 33
