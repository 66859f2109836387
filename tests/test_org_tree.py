"""The organization tree, the 统一社会信用代码 check, coverage figures, and the 支部/党委 chat views."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.services.authz import Operator
from bot.services.errors import Conflict, Invalid, NotFound
from bot.services.org import structure as org
from bot.texts import org as T
from tests import factories as f

OPERATOR = Operator(who="test")


# -- 统一社会信用代码 --------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [
    "9144030071526726XG",  # published codes of real companies: the check character must agree
    "91350100M000100Y43",
    "91110108551385082Q",
    " 91110108551385082q ",  # trimmed and upper-cased
])
def test_published_credit_codes_pass(code: str) -> None:
    assert org.validate_credit_code(code) == code.strip().upper()


@pytest.mark.parametrize(("code", "says"), [
    ("911100001000015787", "校验位"),
    ("9144030071526726XH", "校验位"),
    ("9144030071526726X", "18 位"),
    ("", "18 位"),
    ("9144030071526726IO", "I"),  # I and O are not in the alphabet
    ("91440300715267-6XG", "-"),
])
def test_bad_credit_codes_say_why(code: str, says: str) -> None:
    with pytest.raises(Invalid) as exc:
        org.validate_credit_code(code)
    assert says in texts.refusal(exc.value, {})


def test_check_char_round_trip() -> None:
    for n in range(200):
        code = f.valid_credit_code(n)
        assert org.validate_credit_code(code) == code
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        with pytest.raises(Invalid):
            org.validate_credit_code(wrong)


def test_create_social_org_checks_category_and_duplicates(db: Any) -> None:
    c = f.committee(db)
    b = f.branch(db, c.id, formation="joint")
    made = org.create_social_org(db, actor=OPERATOR, committee_id=c.id, name="示例书法家协会",
                                 credit_code=f.valid_credit_code(7), org_type="social_group", branch_id=b.id)
    db.commit()
    assert made.branch_id == b.id
    with pytest.raises(Conflict):
        org.create_social_org(db, actor=OPERATOR, committee_id=c.id, name="重复", credit_code=f.valid_credit_code(7),
                              org_type="social_group")
    with pytest.raises(Invalid) as exc:  # 5-1-… is a 社会团体 code, not a 基金会's
        org.create_social_org(db, actor=OPERATOR, committee_id=c.id, name="某基金会",
                              credit_code=f.valid_credit_code(8), org_type="foundation")
    assert "机构类别" in texts.refusal(exc.value, {})
    with pytest.raises(NotFound) as nf:
        org.create_social_org(db, actor=OPERATOR, committee_id=c.id, name="x", credit_code=f.valid_credit_code(9),
                              org_type="social_group", branch_id=99999)
    assert "99999" in texts.refusal(nf.value, {})


# -- the tree ------------------------------------------------------------------------------------
def test_subtrees_of_committees_and_branches(db: Any) -> None:
    top = f.committee(db, name="示例区社会组织综合党委")
    sub = f.committee(db, name="示例区律师行业党委", kind="industry", parent_id=top.id)
    party = f.branch(db, sub.id, name="律师行业党总支", level="general_branch")
    child = f.branch(db, sub.id, name="某律所党支部", parent_id=party.id)
    f.group(db, child.id, name="第一党小组")
    f.social_org(db, sub.id, party.id, name="示例区律师协会")
    f.social_org(db, top.id, None, name="示例区养老服务中心")
    other = f.committee(db, name="别的党委")
    f.branch(db, other.id, name="别处的支部")

    assert org.committee_ids_under(db, top.id) == [top.id, sub.id]
    assert org.branch_ids_under(db, party.id) == [party.id, child.id]
    assert [b.name for b in org.branches_of_committee(db, top.id)] == ["律师行业党总支", "某律所党支部"]


# -- coverage ------------------------------------------------------------------------------------
@pytest.fixture
def district(db: Any) -> dict[str, Any]:
    """5 organizations: one with its own branch, two in a joint branch, one with an instructor, one
    uncovered; plus a functional branch (study only) with one member."""
    c = f.committee(db, name="示例区综合党委")
    single = f.branch(db, c.id, name="单独支部", formation="single")
    joint = f.branch(db, c.id, name="联合支部", formation="joint")
    functional = f.branch(db, c.id, name="功能性支部", formation="attached", kind="functional")
    for _ in range(3):
        f.member(db, single.id)
    f.member(db, joint.id)
    f.member(db, joint.id, status="probationary")
    f.member(db, joint.id, status="full", active=False)  # left: does not count
    f.member(db, functional.id)
    orgs = [
        f.social_org(db, c.id, single.id, name="甲协会"),
        f.social_org(db, c.id, joint.id, name="乙协会"),
        f.social_org(db, c.id, joint.id, name="丙协会"),
        f.social_org(db, c.id, None, name="丁基金会"),
        f.social_org(db, c.id, None, name="戊中心"),
    ]
    f.instructor(db, orgs[3].id, name="指导员")
    return {"committee": c, "single": single, "joint": joint, "functional": functional, "orgs": orgs}


def test_coverage_figures(db: Any, district: dict[str, Any]) -> None:
    cov = org.coverage(db, district["committee"].id, actor=OPERATOR)
    assert cov.organizations == 5
    assert cov.with_own_branch == 1
    assert cov.covered == 4
    assert T.percent(cov.single_rate) == "20.0%"
    assert T.percent(cov.coverage_rate) == "80.0%"
    assert cov.branches_by_formation == {"single": 1, "joint": 1, "attached": 1}
    # Only the 建制型 joint branch is flagged: one full member (the probationary and the inactive don't count).
    assert [(b.name, n) for b, n in cov.below_minimum] == [("联合支部", 1)]
    assert cov.uncovered == ["戊中心"]


def test_coverage_of_empty_committee_has_no_rates(db: Any) -> None:
    cov = org.coverage(db, f.committee(db).id, actor=OPERATOR)
    assert cov.organizations == 0 and T.percent(cov.coverage_rate) == "—"


def test_admin_reads_coverage_in_chat(db: Any, chat: Any, district: dict[str, Any]) -> None:
    f.admin(db, district["committee"].id, openid="o_admin")
    reply = chat.say("o_admin", "党委")
    assert "社会组织：5 个" in reply
    assert "单独组建率：20.0%（1/5）" in reply
    assert "覆盖率：80.0%（4/5" in reply
    assert "联合支部（1 名）" in reply
    assert "尚未覆盖：戊中心" in reply


def test_secretary_reads_branch_summary(db: Any, chat: Any, district: dict[str, Any]) -> None:
    joint = district["joint"]
    f.secretary(db, joint.id, name="陈书记", openid="o_sec", status="probationary")
    reply = chat.say("o_sec", "支部")
    assert f"【联合支部】#{joint.id}" in reply
    assert "联合组建" in reply and "建制型" in reply
    assert "书记：陈书记" in reply
    assert "正式 1 名，预备 2 名" in reply
    assert "乙协会、丙协会" in reply
    assert "正式党员不足 3 名" in reply


def test_branch_by_id_unknown_is_named(db: Any, chat: Any, district: dict[str, Any]) -> None:
    f.admin(db, district["committee"].id, openid="o_admin")
    assert chat.say("o_admin", "支部 999") == "没有找到 ID 为 999 的党组织。"
    listing = chat.say("o_admin", "支部")
    assert "请回复“支部 编号”" in listing and f"#{district['single'].id} 单独支部" in listing
    assert f"【单独支部】#{district['single'].id}" in chat.say("o_admin", f"支部 {district['single'].id}")
