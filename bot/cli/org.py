"""`flask --app bot import-roster | export-roster | seed-demo`: the organization work's commands.

These are the server operator's channel (whoever can run them can already read the database), so
they act without a chat identity; the rules they apply are the same service functions chat uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from bot.devtools import seed
from bot.infra import clock
from bot.infra.db import get_db
from bot.services.errors import ServiceError
from bot.services.org import roster
from bot.services.org.structure import get_branch


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


@click.command("import-roster")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--branch", "branch_id", type=int, required=True, help="The branch (party organization) id.")
def import_roster_cmd(file: Path, branch_id: int) -> None:
    """Import a 花名册 (xlsx): all rows or none; re-importing the same file changes nothing."""
    if not file.exists():
        raise _fail(f"找不到文件：{file}")
    try:
        rows, unknown = roster.read_roster(file)
        with get_db().transaction() as session:
            branch = get_branch(session, branch_id)
            click.echo(f"导入到：{branch.name}（#{branch.id}），共 {len(rows)} 行")
            if unknown:
                click.echo("以下列不导入：" + "、".join(unknown))
            with click.progressbar(length=len(rows) * 2, label="校验并导入", show_pos=True) as bar:
                result = roster.import_roster(session, branch_id=branch_id, rows=rows, now=clock.now(),
                                              progress=bar.update)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    click.echo(result.summary())


@click.command("export-roster")
@with_appcontext
@click.option("--branch", "branch_id", type=int, default=None, help="Only this branch and those below it.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the xlsx (default roster-<branch>.xlsx).")
@click.option("--full", is_flag=True, help="Write phone numbers in full (personal data: handle with care).")
def export_roster_cmd(branch_id: int | None, output: Path | None, full: bool) -> None:
    """Export the 花名册 to xlsx; phone numbers are masked unless --full."""
    path = output or Path(f"roster-{branch_id or 'all'}.xlsx")
    try:
        with get_db().transaction() as session:
            count = roster.export_roster(session, branch_id=branch_id, full=full, path=path)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    current_app.logger.info("export-roster wrote %s members to %s (full phones: %s)", count, path, full)
    click.echo(f"已导出 {count} 名党员到 {path}" + ("（含完整手机号）" if full else "（手机号已脱敏）"))


@click.command("seed-demo")
@with_appcontext
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the demo's ids, openids and check-in scenes as JSON.")
@click.option("--if-empty", is_flag=True, help="Do nothing if any committee exists already.")
def seed_demo_cmd(export_path: Path | None, if_empty: bool) -> None:
    """Build the demo: a committee, its branches and organizations, people with roles, meetings."""
    with get_db().transaction() as session:
        committee_id = seed.demo_committee_id(session)
        if committee_id is not None or (if_empty and seed.has_any_committee(session)):
            if not if_empty:
                raise _fail("演示数据已存在（" + seed.DEMO_COMMITTEE + "），未重复写入。")
            click.echo("数据库中已有党委，跳过演示数据。")
        else:
            committee = seed.seed_demo(session, clock.now(), current_app.config["TZ"])
            committee_id = committee.id
            click.echo(f"已写入演示数据：{committee.name}（#{committee.id}）")
        if export_path is not None:
            if committee_id is None:
                raise _fail("数据库中没有演示党委，无法导出演示数据。")
            data = seed.export_demo(session, committee_id)
            export_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            click.echo(f"演示数据已导出到 {export_path}")


def register(app: Flask) -> None:
    for command in (import_roster_cmd, export_roster_cmd, seed_demo_cmd):
        app.cli.add_command(command)
