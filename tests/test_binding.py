"""邀请 / 绑定: codes, their lifetime, wrong tries and the lock, one openid per member; 我的 and 帮助."""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.infra.store import Store, StoreUnavailable
from bot.models import BindCode, Member
from bot.services.org import binding
from tests import factories as f
from tests import wxxml

CODE = re.compile(r"绑定码：(\d{6})")



@pytest.fixture
def branch(db: Any, app: Any, clock: Any) -> Any:
    app.config["CLOCK"] = clock
    return f.branch(db, name="示例协会党支部")


@pytest.fixture
def secretary(db: Any, branch: Any) -> Member:
    return f.secretary(db, branch.id, name="林书记", openid="o_sec")


@pytest.fixture
def zhang(db: Any, branch: Any) -> Member:
    return f.member(db, branch.id, name="张三", phone="13800135678", openid=None)


def invite(chat: Any, who: str = "张三", sender: str = "o_sec") -> str:
    reply = chat.say(sender, f"邀请 {who}")
    found = CODE.search(reply)
    assert found, reply
    return found.group(1)


def member_by_id(app: Any, member_id: int) -> Member:
    with app.extensions["db"].Session() as s:
        m: Member | None = s.get(Member, member_id)
        assert m is not None
        return m


def test_invite_then_bind_then_mine(chat: Any, app: Any, secretary: Member, zhang: Member) -> None:
    reply = chat.say("o_sec", "邀请 张三")
    code = CODE.search(reply)
    assert code and "有效期至 2026-11-26 09:00" in reply and f"绑定 {code.group(1)}" in reply
    assert chat.say("o_zhang", "帮助").startswith("您还没有绑定党员身份")
    done = chat.say("o_zhang", f"绑定 {code.group(1)}")
    assert done.startswith("绑定成功！张三") and "示例协会党支部" in done
    assert member_by_id(app, zhang.id).openid == "o_zhang"
    mine = chat.say("o_zhang", "我的")
    assert "姓名：张三" in mine and "手机号：13800135678" in mine  # own view: unmasked
    assert "党员状态：正式党员" in mine and "所在党组织：示例协会党支部" in mine
    # The same code again, from the same person: already bound (issue 12: says so), nothing changes.
    assert chat.say("o_zhang", f"绑定 {code.group(1)}") == "您已绑定为党员 张三，无需重复绑定。"


def test_full_width_digits_and_no_space(chat: Any, secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert chat.say("o_zhang", f"绑定{wide}").startswith("绑定成功")


def test_code_expires_after_72_hours(chat: Any, clock: Any, secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    clock.advance(hours=72, seconds=1)
    reply = chat.say("o_zhang", f"绑定 {code}")
    assert "已过期" in reply and "还可以再试 4 次" in reply


def test_code_valid_just_before_expiry(chat: Any, clock: Any, secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    clock.advance(hours=71, minutes=59)
    assert chat.say("o_zhang", f"绑定 {code}").startswith("绑定成功")


def test_used_code_refused_for_someone_else(chat: Any, app: Any, secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    chat.say("o_zhang", f"绑定 {code}")
    reply = chat.say("o_stranger", f"绑定 {code}")
    assert "已经使用过" in reply
    assert member_by_id(app, zhang.id).openid == "o_zhang"


def test_new_invitation_replaces_the_old_code(chat: Any, secretary: Member, zhang: Member) -> None:
    first = invite(chat)
    second = invite(chat)
    assert "已失效" in chat.say("o_zhang", f"绑定 {first}")
    assert chat.say("o_zhang", f"绑定 {second}").startswith("绑定成功")


@pytest.mark.parametrize("text", ["绑定 12345", "绑定 1234567", "绑定 abcdef", "绑定"])
def test_malformed_codes_are_explained_not_counted(chat: Any, app: Any, text: str) -> None:
    for _ in range(6):
        assert chat.say("o_x", text) == "绑定码是 6 位数字，请这样回复：绑定 123456"
    assert app.extensions["store"].get("bind:fail:o_x") is None


def test_five_wrong_tries_lock_binding_for_an_hour(chat: Any, app: Any, secretary: Member, zhang: Member,
                                                   caplog: Any) -> None:
    code = invite(chat)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    replies = [chat.say("o_guess", f"绑定 {wrong}") for _ in range(5)]
    assert "还可以再试 4 次" in replies[0] and "还可以再试 1 次" in replies[3]
    assert "已连续输错 5 次，绑定功能暂停 60 分钟" in replies[4]
    # Now even the right code is refused for this openid, and it is not spent.
    locked = chat.say("o_guess", f"绑定 {code}")
    assert "输错次数过多" in locked and "60 分钟后再试" in locked
    store: Store = app.extensions["store"]
    assert 3590 <= store.ttl("bind:lock:o_guess") <= 3600
    assert any("bind locked" in r.getMessage() for r in caplog.records)
    # Another WeChat user is not affected, and the code still works.
    assert chat.say("o_zhang", f"绑定 {code}").startswith("绑定成功")


def test_failure_window_is_ten_minutes(chat: Any, app: Any, secretary: Member, zhang: Member) -> None:
    chat.say("o_guess", "绑定 000000")
    assert 590 <= app.extensions["store"].ttl("bind:fail:o_guess") <= 600


@pytest.fixture
def short_lock(app: Any) -> None:
    app.config["BIND_LOCK_SECONDS"] = 1


def test_lock_ends(chat: Any, short_lock: None, secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    for _ in range(5):
        chat.say("o_zhang", "绑定 000000" if code != "000000" else "绑定 000001")
    assert "输错次数过多" in chat.say("o_zhang", f"绑定 {code}")
    time.sleep(1.2)
    assert chat.say("o_zhang", f"绑定 {code}").startswith("绑定成功")


def test_success_clears_the_wrong_try_count(chat: Any, app: Any, secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    chat.say("o_zhang", "绑定 000000" if code != "000000" else "绑定 000001")
    chat.say("o_zhang", f"绑定 {code}")
    assert app.extensions["store"].get("bind:fail:o_zhang") is None


def test_one_openid_binds_one_member(db: Any, chat: Any, app: Any, branch: Any, secretary: Member,
                                     zhang: Member) -> None:
    f.member(db, branch.id, name="李四", openid=None)
    chat.say("o_zhang", f"绑定 {invite(chat)}")
    code_li = invite(chat, "李四")
    reply = chat.say("o_zhang", f"绑定 {code_li}")
    assert reply == "这个微信号已绑定为党员 张三，一个微信号只能绑定一名党员。如有疑问请联系支部书记。"
    with app.extensions["db"].Session() as s:
        li = s.scalars(select(Member).where(Member.name == "李四")).one()
        assert li.openid is None
        live = s.scalars(select(BindCode).where(BindCode.code == code_li)).one()
        assert live.used_at is None  # still usable by 李四 himself


def test_rebinding_moves_to_a_new_wechat(chat: Any, app: Any, secretary: Member, zhang: Member) -> None:
    chat.say("o_zhang", f"绑定 {invite(chat)}")
    reply = chat.say("o_sec", "邀请 张三")
    assert "已绑定微信" in reply
    code = CODE.search(reply)
    assert code
    assert chat.say("o_zhang_newphone", f"绑定 {code.group(1)}").startswith("绑定成功")
    assert member_by_id(app, zhang.id).openid == "o_zhang_newphone"
    assert chat.say("o_zhang", "我的").startswith("请先绑定党员身份")


def test_invite_by_id_and_ambiguous_names(db: Any, chat: Any, branch: Any, secretary: Member,
                                          zhang: Member) -> None:
    other = f.member(db, branch.id, name="张三", phone="13900001111", openid=None)
    reply = chat.say("o_sec", "邀请 张三")
    assert "有多位党员叫“张三”" in reply and f"#{other.id}" in reply and "139****1111" in reply
    assert "13900001111" not in reply
    assert CODE.search(chat.say("o_sec", f"邀请 #{other.id}"))


def test_invite_bad_input(db: Any, chat: Any, secretary: Member, zhang: Member) -> None:
    assert chat.say("o_sec", "邀请") == "请写明要邀请的党员，例如：邀请 张三"
    assert chat.say("o_sec", "邀请 王五") == "没有找到名叫“王五”的党员，请核对姓名，或先导入支部花名册。"
    assert chat.say("o_sec", "邀请 #98765") == "没有找到编号为 98765 的党员。"
    assert chat.say("o_nobody", "邀请 张三").startswith("请先绑定党员身份")


def test_invite_without_the_role_is_refused_and_logged(db: Any, chat: Any, branch: Any, secretary: Member,
                                                       zhang: Member, caplog: Any) -> None:
    f.member(db, branch.id, name="普通党员", openid="o_plain")
    other_branch = f.branch(db)
    f.member(db, other_branch.id, name="外支部党员", openid=None)
    with caplog.at_level(logging.WARNING, logger="zhibu.authz"):
        assert chat.say("o_plain", "邀请 张三").startswith("你没有权限")
        assert chat.say("o_sec", "邀请 外支部党员").startswith("你没有权限")
    denied = [r.getMessage() for r in caplog.records if r.name == "zhibu.authz"]
    assert len(denied) == 2 and all("invite_member" in d for d in denied)


def test_help_adapts_to_role(db: Any, chat: Any, secretary: Member, zhang: Member) -> None:
    chat.say("o_zhang", f"绑定 {invite(chat)}")
    member_help = chat.say("o_zhang", "帮助")
    sec_help = chat.say("o_sec", "帮助")
    assert "我的" in member_help and "邀请" not in member_help and "支部 —" not in member_help
    assert "邀请 张三" in sec_help and "支部" in sec_help


def test_store_down_refuses_binding_for_now(chat: Any, app: Any, secretary: Member, zhang: Member,
                                            monkeypatch: Any) -> None:
    code = invite(chat)

    def broken(self: Store, key: str) -> str | None:
        raise StoreUnavailable("down")

    monkeypatch.setattr(type(app.extensions["store"]), "get", broken)
    assert chat.say("o_zhang", f"绑定 {code}") == "绑定服务暂时不可用，请稍后再试。"
    assert member_by_id(app, zhang.id).openid is None


def test_live_codes_are_unique_in_the_database(db: Any, branch: Any, secretary: Member, zhang: Member) -> None:
    later = datetime(2030, 1, 1, tzinfo=UTC)
    db.add(BindCode(code="123456", member_id=zhang.id, issued_by_id=secretary.id, expires_at=later))
    db.commit()
    db.add(BindCode(code="123456", member_id=secretary.id, issued_by_id=secretary.id, expires_at=later))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_issue_skips_live_values_and_reuses_expired_ones(db: Any, branch: Any, secretary: Member, zhang: Member,
                                                         monkeypatch: Any) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    li = f.member(db, branch.id, name="李四", openid=None)
    draws = iter([111111, 111111, 222222, 111111])
    monkeypatch.setattr("bot.services.org.binding.secrets.randbelow", lambda _n: next(draws))
    first = binding.issue_code(db, actor=secretary, member=zhang, now=now)
    second = binding.issue_code(db, actor=secretary, member=li, now=now)  # 111111 is live: drawn again
    db.commit()
    assert (first.code, second.code) == ("111111", "222222")
    later = now + timedelta(hours=73)  # 111111 has expired: its value may be given out again
    third = binding.issue_code(db, actor=secretary, member=secretary, now=later)
    db.commit()
    assert third.code == "111111"
    db.refresh(first)
    assert first.revoked_at is not None


def test_two_people_racing_with_one_code_one_wins(app: Any, chat: Any, secretary: Member, zhang: Member) -> None:
    import threading

    from tests.conftest import Chat

    code = invite(chat)
    barrier = threading.Barrier(2)
    replies: dict[str, str] = {}

    def go(openid: str) -> None:
        racer = Chat(app.test_client(), app)
        barrier.wait()
        replies[openid] = racer.say(openid, f"绑定 {code}")

    threads = [threading.Thread(target=go, args=(o,)) for o in ("o_racer_1", "o_racer_2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    wins = [o for o, r in replies.items() if r.startswith("绑定成功")]
    assert len(replies) == 2 and len(wins) == 1, replies
    loser = next(o for o in replies if o not in wins)
    assert "已经使用过" in replies[loser]
    assert member_by_id(app, zhang.id).openid == wins[0]


def test_store_down_refuses_invite_so_a_retry_issues_no_second_code(chat: Any, app: Any, db: Any,
                                                                     secretary: Member, zhang: Member,
                                                                     monkeypatch: Any) -> None:
    """While the store is down WeChat's retries of one MsgId cannot be recognized, and each 邀请 issues a
    new code: it is refused (nothing written) rather than run three times."""

    def broken(self: Store, batch: Any) -> list[Any]:
        raise StoreUnavailable("down")

    monkeypatch.setattr(type(app.extensions["store"]), "run", broken)
    xml = wxxml.text("o_sec", "邀请 张三", msgid=424242)
    replies = [chat.send(xml) for _ in range(3)]
    refusal = "系统正在恢复，这项操作暂时不能办理（以免重复办理），请几分钟后再试。"
    assert [r["Content"] for r in replies if r] == [refusal] * 3
    db.expire_all()
    assert db.scalars(select(BindCode).where(BindCode.member_id == zhang.id)).all() == []


def test_bound_member_binding_again_is_told_and_not_counted(chat: Any, app: Any, secretary: Member,
                                                           zhang: Member) -> None:
    """Issue 12: `绑定` by someone already bound says so and is no failed attempt: six wrong codes from a
    bound account neither count nor lock, and a code after them still binds a newcomer."""
    code = invite(chat)
    assert chat.say("o_zhang", f"绑定 {code}").startswith("绑定成功")
    for wrong in ("000000", "123456", "654321", "111111", "222222", "333333"):
        assert chat.say("o_zhang", f"绑定 {wrong}") == "您已绑定为党员 张三，无需重复绑定。"
    assert chat.say("o_zhang", "绑定") == "您已绑定为党员 张三，无需重复绑定。"
    assert chat.say("o_zhang", "绑定 12") == "您已绑定为党员 张三，无需重复绑定。"
    assert binding.locked_for(app.extensions["store"], "o_zhang") == 0
    assert member_by_id(app, zhang.id).openid == "o_zhang"


def test_bound_account_with_another_members_live_code_is_still_refused(chat: Any, db: Any, branch: Any,
                                                                       secretary: Member, zhang: Member) -> None:
    code = invite(chat)
    assert chat.say("o_zhang", f"绑定 {code}").startswith("绑定成功")
    f.member(db, branch.id, name="王五", phone="13800135679", openid=None)
    other = invite(chat, "王五")
    reply = chat.say("o_zhang", f"绑定 {other}")
    assert "张三" in reply and "无需重复绑定" not in reply  # bind_openid_taken, as before
