"""A synthetic city for benchmarks: committees, branches, members, a year of meetings, attendance.

Rows are written in bulk (COPY on PostgreSQL, executemany on SQLite) with ids chosen here, so foreign
keys need no round trip, inside one transaction: a failed seed leaves nothing half-written. Columns this
module does not know about (added by later migrations) get their model default.
`flask --app bot seed-synthetic --branches N --members N …` runs it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text

from bot.models import Attendance, Base, Branch, Committee, Meeting, Member, RoleGrant, SocialOrg

BATCH = 20_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红文斌海波"
# A year of 三会一课 for one branch, cycled: committee meetings monthly, the rest quarterly.
MEETING_CYCLE = ("committee_meeting", "general_meeting", "committee_meeting", "party_lecture",
                 "committee_meeting", "theme_day")


@dataclass
class CitySize:
    committees: int = 20  # district committees under one city committee
    branches: int = 10_000
    members: int = 150_000
    meetings_per_branch: int = 24  # over the past year
    attendance: int = 1_000_000
    upcoming_per_branch: int = 0  # meetings in the next 30 days (the scheduler's work)
    live_per_branch: int = 0  # meetings under way now (started 5 minutes ago): check-in is open
    rectifications: int = 0  # open 整改 items, deadlines from 10 days ago to 30 days ahead


@dataclass
class SeedResult:
    root_committee_id: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    first_member_id: int = 0  # members are first_member_id … first_member_id + members - 1
    openid_prefix: str = ""  # a member's openid is openid_prefix + str(id)
    live_scenes: list[str] = field(default_factory=list)  # check-in scenes of the meetings under way


def _name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)]


def _next_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """Values for the table's other NOT NULL columns, from their model defaults."""
    extra: dict[str, Any] = {}
    for col in table.columns:
        if col.name in given or col.nullable or col.primary_key:
            continue
        default: Any = col.default
        if default is None or not (default.is_scalar or default.is_callable):
            if col.server_default is not None:
                continue
            raise RuntimeError(f"synthetic seed does not know how to fill {table.name}.{col.name}")
        extra[col.name] = default.arg(None) if default.is_callable else default.arg
    return extra


class BulkWriter:
    """Writes tuples into a table: COPY on PostgreSQL, executemany on SQLite, in batches."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def write(self, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
        extra = _defaults(table, columns)
        cols = list(columns) + list(extra)
        tail = tuple(self._value(v) for v in extra.values())
        count = 0
        if self.pg:
            cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            names = ", ".join(f'"{c}"' for c in cols)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(tuple(self._value(v) for v in row) + tail)
                    count += 1
            cursor.close()
            return count
        sql = f'INSERT INTO "{table.name}" ({", ".join(cols)}) VALUES ({", ".join("?" for _ in cols)})'
        it = iter(rows)
        while batch := [tuple(self._value(v) for v in row) + tail for row in itertools.islice(it, BATCH)]:
            self.conn.exec_driver_sql(sql, batch)
            count += len(batch)
        return count

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):  # the columns hold naive UTC
            naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
            return naive if self.pg else naive.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date) and not self.pg:
            return value.isoformat()
        if isinstance(value, bool) and not self.pg:
            return int(value)
        return value

    def fix_sequences(self, tables: Iterable[Table]) -> None:
        if not self.pg:
            return
        for table in tables:
            self.conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM \"{table.name}\"))"))


def seed_city(engine: Engine, size: CitySize, now: datetime, *, tag: str = "syn") -> SeedResult:
    """Write a synthetic city in one transaction; returns the root committee and the row counts."""
    if size.branches < 1 or size.members < size.branches or size.committees < 1:
        raise ValueError("need at least one committee, one branch and one member per branch")
    started = time.perf_counter()
    tables: dict[str, Table] = {
        str(m.__tablename__): Base.metadata.tables[str(m.__tablename__)]
        for m in (Committee, Branch, SocialOrg, Member, RoleGrant, Meeting, Attendance)
    }
    with engine.begin() as conn:
        w = BulkWriter(conn)
        ids = {name: _next_id(conn, table) for name, table in tables.items()}
        counts: dict[str, int] = {}
        root = ids["committee"]
        committee_ids = [root + 1 + i for i in range(size.committees)]
        counts["committee"] = w.write(tables["committee"], ("id", "name", "kind", "parent_id", "created_at"), [
            (root, f"{tag}市社会组织综合党委{root}", "comprehensive", None, now),
            *((cid, f"{tag}第{i + 1}区社会组织综合党委{cid}", "comprehensive", root, now)
              for i, cid in enumerate(committee_ids)),
        ])
        b0 = ids["branch"]
        branch_ids = range(b0, b0 + size.branches)
        counts["branch"] = w.write(
            tables["branch"], ("id", "committee_id", "name", "level", "formation", "kind", "has_committee",
                               "created_at"),
            ((bid, committee_ids[i % size.committees], f"{tag}第{bid}协会党支部", "branch",
              "single" if i % 5 else "joint", "full" if i % 10 else "functional", i % 4 != 3, now)
             for i, bid in enumerate(branch_ids)))
        o0 = ids["social_org"]
        counts["social_org"] = w.write(
            tables["social_org"], ("id", "name", "credit_code", "org_type", "committee_id", "branch_id",
                                   "full_member_count", "created_at"),
            ((o0 + i, f"{tag}第{bid}协会", f"5{tag[:1].upper()}{o0 + i:016d}"[:18], "social_group",
              committee_ids[i % size.committees], bid, 3 + i % 40, now) for i, bid in enumerate(branch_ids)))

        # Members: spread evenly, the first of each branch is its secretary.
        m0 = ids["member"]
        per = [size.members // size.branches + (1 if i < size.members % size.branches else 0)
               for i in range(size.branches)]
        first_member = list(itertools.accumulate([m0, *per[:-1]]))

        def members() -> Iterator[tuple[Any, ...]]:
            for i, bid in enumerate(branch_ids):
                for j in range(per[i]):
                    mid = first_member[i] + j
                    yield (mid, _name(mid), f"1{mid:010d}", "probationary" if mid % 17 == 0 else "full", bid,
                           j < 3, f"{tag}_o_{mid}", True, now)

        counts["member"] = w.write(tables["member"], ("id", "name", "phone", "status", "branch_id",
                                                      "is_committee_member", "openid", "active", "created_at"),
                                   members())
        r0 = ids["role_grant"]
        counts["role_grant"] = w.write(
            tables["role_grant"], ("id", "member_id", "role", "scope_type", "scope_id", "created_at"),
            ((r0 + i, first_member[i], "secretary", "branch", bid, now) for i, bid in enumerate(branch_ids)))

        # A year of meetings before `now`, and optionally upcoming ones.
        mt0 = ids["meeting"]
        year_ago = now - timedelta(days=365)
        n_past = size.meetings_per_branch
        n_next = size.upcoming_per_branch
        live: list[str] = []

        def meetings() -> Iterator[tuple[Any, ...]]:
            mid = mt0
            for i, bid in enumerate(branch_ids):
                for k in range(n_past):
                    start = year_ago + timedelta(days=(k + (i % 7) / 7) * 365 / n_past, hours=6)
                    yield (mid, bid, MEETING_CYCLE[k % len(MEETING_CYCLE)], f"{tag}会议{mid}", "党员活动室",
                           start, start + timedelta(hours=2), "scheduled", 1, f"{tag}{mid}", start, start)
                    mid += 1
                for k in range(n_next):
                    start = now + timedelta(hours=1 + (k * 30 * 24 // max(n_next, 1)) + i % 24)
                    yield (mid, bid, MEETING_CYCLE[k % len(MEETING_CYCLE)], f"{tag}会议{mid}", "党员活动室",
                           start, start + timedelta(hours=2), "scheduled", 1, f"{tag}{mid}", now, now)
                    mid += 1
                for k in range(size.live_per_branch):
                    start = now - timedelta(minutes=5, seconds=k)  # one scheduled meeting per moment (0005)
                    live.append(f"{tag}{mid}")
                    yield (mid, bid, "general_meeting", f"{tag}会议{mid}", "党员活动室", start,
                           start + timedelta(hours=2), "scheduled", 1, f"{tag}{mid}", now, now)
                    mid += 1

        counts["meeting"] = w.write(tables["meeting"], ("id", "branch_id", "type", "topic", "place", "starts_at",
                                                        "ends_at", "status", "revision", "checkin_scene",
                                                        "created_at", "updated_at"), meetings())

        # Attendance over the past meetings, spread evenly, never more than a branch's members.
        total_past = size.branches * n_past
        a0 = ids["attendance"]

        def attendance() -> Iterator[tuple[Any, ...]]:
            aid = a0
            if not total_past:
                return
            base, extra = divmod(size.attendance, total_past)
            mid = mt0
            for i, _bid in enumerate(branch_ids):
                for k in range(n_past):
                    want = min(per[i], base + (1 if (i * n_past + k) < extra else 0))
                    start = year_ago + timedelta(days=(k + (i % 7) / 7) * 365 / n_past, hours=6)
                    for j in range(want):
                        member_id = first_member[i] + (j + k) % per[i]
                        yield (aid, mid, member_id, start + timedelta(minutes=j % 20), j % 20 > 14, "scan")
                        aid += 1
                    mid += 1
                mid += n_next + size.live_per_branch

        counts["attendance"] = w.write(tables["attendance"], ("id", "meeting_id", "member_id", "checked_in_at",
                                                              "late", "channel"), attendance())
        rect = Base.metadata.tables.get("rectification_item")
        if size.rectifications and rect is not None:
            tables["rectification_item"] = rect
            r0 = _next_id(conn, rect)
            today = now.date()

            def items() -> Iterator[tuple[Any, ...]]:
                for n in range(size.rectifications):
                    i = n % size.branches
                    yield (r0 + n, "check", committee_ids[i % size.committees], o0 + i, b0 + i,
                           f"{tag}问题{r0 + n}：三会一课记录不完整", first_member[i],
                           today + timedelta(days=n % 40 - 10), "in_progress" if n % 3 else "pending", now)

            counts["rectification_item"] = w.write(rect, (
                "id", "source", "committee_id", "organization_id", "branch_id", "problem", "owner_id", "deadline",
                "status", "created_at"), items())
        w.fix_sequences(tables.values())
    return SeedResult(root, counts, time.perf_counter() - started, m0, f"{tag}_o_", live)
