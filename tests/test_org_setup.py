"""The operator sets up a real organization: `flask --app bot org add-committee | add-branch |
add-organization | grant`, each printing the new id last; bad input is a Chinese message and a non-zero exit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.devtools.seed import demo_credit_code
from bot.models import Branch, Committee, Member, RoleGrant, SocialOrg


def _ok(runner: Any, *args: str) -> int:
    result = runner.invoke(args=["org", *args])
    assert result.exit_code == 0, result.output
    return int(result.output.strip().splitlines()[-1].split()[-1])  # the id, last on its line


def _refused(runner: Any, *args: str) -> str:
    result = runner.invoke(args=["org", *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    return str(result.output)


def test_from_an_empty_database_to_a_committee_with_a_branch_an_organization_and_roles(
        runner: Any, db: Session) -> None:
    top = _ok(runner, "add-committee", "明湖区社会组织综合党委")
    industry = _ok(runner, "add-committee", "律师行业党委", "--parent", str(top), "--kind", "industry")
    branch = _ok(runner, "add-branch", "--committee", str(industry), "--name", "正衡律师事务所党支部",
                 "--formation", "single", "--kind", "full")
    org = _ok(runner, "add-organization", "--branch", str(branch), "--name", "明湖区律师协会",
              "--credit-code", demo_credit_code("1", 42), "--type", "社会团体", "--registrar", "明湖区民政局")
    admin = _ok(runner, "grant", "--phone", "13800139001", "--name", "王雅琴", "--role", "admin",
                "--scope", f"committee:{top}")
    secretary = _ok(runner, "grant", "--phone", "138-0013-9002", "--name", "林晓峰", "--role", "secretary",
                    "--scope", f"branch:{branch}")
    liaison = _ok(runner, "grant", "--phone", "13800139003", "--name", "赵德明", "--role", "liaison",
                  "--scope", f"organization:{org}")

    assert db.get(Committee, industry).parent_id == top  # type: ignore[union-attr]
    b = db.get(Branch, branch)
    assert b is not None and (b.committee_id, b.formation, b.kind, b.has_committee) == (industry, "single", "full",
                                                                                         True)
    o = db.get(SocialOrg, org)
    assert o is not None and (o.branch_id, o.committee_id, o.org_type, o.registrar) == (
        branch, industry, "social_group", "明湖区民政局")
    staff = db.get(Member, admin)
    assert staff is not None and staff.branch_id is None and staff.phone == "13800139001"
    grants = {(g.member_id, g.role, g.scope_type, g.scope_id) for g in db.scalars(select(RoleGrant))}
    assert grants == {(admin, "admin", "committee", top), (secretary, "secretary", "branch", branch),
                      (liaison, "liaison", "organization", org)}
    db.commit()  # end the reading transaction before the command writes
    # Granting again changes nothing and says so; the id is still last.
    again = runner.invoke(args=["org", "grant", "--phone", "13800139001", "--role", "admin", "--scope",
                                f"committee:{top}"])
    assert again.exit_code == 0 and "未重复授予" in again.output and again.output.split()[-1] == str(admin)
    assert len(db.scalars(select(RoleGrant)).all()) == 3


def test_bad_input_is_refused_with_a_reason_and_nothing_written(runner: Any, db: Session) -> None:
    top = _ok(runner, "add-committee", "明湖区社会组织综合党委")
    assert "已有名为“明湖区社会组织综合党委”的党委" in _refused(runner, "add-committee", "明湖区社会组织综合党委")
    assert "没有找到 ID 为 999 的党委" in _refused(runner, "add-committee", "下级党委", "--parent", "999")
    assert "没有找到 ID 为 999 的党委" in _refused(runner, "add-branch", "--committee", "999", "--name", "某支部",
                                            "--formation", "joint", "--kind", "functional")
    branch = _ok(runner, "add-branch", "--committee", str(top), "--name", "联合党支部", "--formation", "joint",
                 "--kind", "functional")
    assert "校验位" in _refused(runner, "add-organization", "--branch", str(branch), "--name", "某协会",
                              "--credit-code", "51339901MJ00000420", "--type", "社会团体")
    assert "请用 --name 写明姓名" in _refused(runner, "grant", "--phone", "13800139009", "--role", "admin",
                                        "--scope", f"committee:{top}")
    assert "admin 的范围应写成 committee:编号" in _refused(runner, "grant", "--phone", "13800139009", "--name", "甲",
                                                   "--role", "admin", "--scope", f"branch:{branch}")
    assert "手机号" in _refused(runner, "grant", "--phone", "12345", "--name", "甲", "--role", "secretary",
                             "--scope", f"branch:{branch}")
    assert db.scalars(select(Member)).all() == [] and db.scalars(select(RoleGrant)).all() == []
    assert db.get(Branch, branch) is not None and db.get(Branch, branch).has_committee is False  # type: ignore[union-attr]


def test_every_org_command_says_it_acts_as_the_operator(runner: Any) -> None:
    result = runner.invoke(args=["org", "--help"])
    assert result.exit_code == 0 and "operator" in result.output
    for command in ("add-committee", "add-branch", "add-organization", "grant"):
        assert runner.invoke(args=["org", command, "--help"]).exit_code == 0


def test_an_admin_set_up_by_the_operator_binds_in_wechat_and_reads_the_committee(runner: Any, chat: Any,
                                                                                  db: Session) -> None:
    top = _ok(runner, "add-committee", "明湖区社会组织综合党委")
    branch = _ok(runner, "add-branch", "--committee", str(top), "--name", "文化艺术类联合党支部",
                 "--formation", "joint", "--kind", "full")
    _ok(runner, "add-organization", "--branch", str(branch), "--name", "明湖区书法家协会",
        "--credit-code", demo_credit_code("1", 7), "--type", "社会团体")
    _ok(runner, "grant", "--phone", "13800139001", "--name", "王雅琴", "--role", "admin", "--scope",
        f"committee:{top}")
    invited = runner.invoke(args=["org", "invite", "--phone", "138 0013 9001"])
    assert invited.exit_code == 0, invited.output
    code = invited.output.split()[-1]
    assert code.isdigit() and len(code) == 6 and "王雅琴" in invited.output
    assert chat.say("o_new_admin", f"绑定 {code}").startswith("绑定成功！王雅琴")
    reply = chat.say("o_new_admin", "党委")
    assert "【明湖区社会组织综合党委 覆盖情况】" in reply and "社会组织：1 个" in reply
    assert "没有找到" in _refused(runner, "invite", "--phone", "13800139999")


def test_a_committee_names_a_verifier_for_its_ledger(runner: Any, db: Session) -> None:
    """`org grant --role verifier --scope committee:ID`: the member may close (销号) and return 整改 items of the
    committee's subtree; the role needs a committee scope."""
    cid = _ok(runner, "add-committee", "某区社会组织综合党委")
    bid = _ok(runner, "add-branch", "--committee", str(cid), "--name", "星光党支部", "--formation", "single",
              "--kind", "full")
    assert "committee" in _refused(runner, "grant", "--phone", "13800139011", "--name", "郑验收", "--role",
                                   "verifier", "--scope", f"branch:{bid}")
    done = runner.invoke(args=["org", "grant", "--phone", "13800139011", "--name", "郑验收", "--role", "verifier",
                               "--scope", f"committee:{cid}"])
    assert done.exit_code == 0 and "整改验收人" in done.output, done.output
    grant = db.scalar(select(RoleGrant).where(RoleGrant.role == "verifier"))
    assert grant is not None and (grant.scope_type, grant.scope_id) == ("committee", cid)
