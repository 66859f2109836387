"""`flask --app bot org add-committee | add-branch | add-organization | grant | invite`, `import-roster`,
`export-roster`: the organization work's commands.

These are the server operator's channel (whoever can run them can already read the database): they act
with full rights as bot.services.authz.Operator, named after the OS user, apply the same service functions
chat uses, and log who ran what.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from bot.cli import operator, refused
from bot.infra import web
from bot.services.errors import ServiceError
from bot.services.org import binding, roster, setup
from bot.services.org.structure import create_social_org, get_branch, mask_phone
from bot.texts import org as T
from bot.texts import setup as S

log = logging.getLogger("zhibu.cli")

@click.command("import-roster")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--branch", "branch_id", type=int, required=True, help="The branch (party organization) id.")
def import_roster_cmd(file: Path, branch_id: int) -> None:
    """Import a 花名册 (xlsx): all rows or none; re-importing the same file changes nothing.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    who = operator("import-roster", file=file, branch=branch_id)
    if not file.exists():
        raise click.ClickException(T.CLI_FILE_MISSING.format(path=file))
    try:
        rows, unknown = roster.read_roster(file)
        with web.get_db().transaction() as session:
            branch = roster.import_target(session, branch_id=branch_id, actor=who)
            click.echo(T.CLI_IMPORT_INTO.format(branch=branch.name, id=branch.id, n=len(rows)))
            if unknown:
                click.echo(T.CLI_IMPORT_SKIPPED.format(names="、".join(unknown)))
            with click.progressbar(length=len(rows) * 2, label=T.CLI_IMPORT_PROGRESS, show_pos=True) as bar:
                result = roster.import_roster(session, branch_id=branch_id, rows=rows, now=web.now(),
                                              actor=who, progress=bar.update)
    except ServiceError as exc:
        raise refused(exc) from exc
    click.echo(T.ROSTER_DONE.format(created=result.created, updated=result.updated, unchanged=result.unchanged,
                                    groups=result.groups_created))


@click.command("export-roster")
@with_appcontext
@click.option("--branch", "branch_id", type=int, default=None, help="Only this branch and those below it.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the xlsx (default roster-<branch>.xlsx).")
@click.option("--full", is_flag=True, help="Write phone numbers in full (personal data: handle with care).")
def export_roster_cmd(branch_id: int | None, output: Path | None, full: bool) -> None:
    """Export the 花名册 to xlsx; phone numbers are masked unless --full.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    path = output or Path(f"roster-{branch_id or 'all'}.xlsx")
    who = operator("export-roster", branch=branch_id or "all", output=path, full=full)
    try:
        with web.get_db().transaction() as session:
            count = roster.export_roster(session, branch_id=branch_id, full=full, path=path, actor=who)
    except ServiceError as exc:
        raise refused(exc) from exc
    current_app.logger.info("export-roster wrote %s members to %s (full phones: %s)", count, path, full)
    click.echo(T.CLI_EXPORTED.format(n=count, path=path) + (T.CLI_EXPORTED_FULL if full else T.CLI_EXPORTED_MASKED))


# -- setting up a real organization (operator) ----------------------------------------------------
org_cli = AppGroup("org", help="Set up committees, party organizations, social organizations and roles. Acts with "
                               "full rights as the server's operator; the OS user is logged with each command.")


@org_cli.command("add-committee")
@click.argument("name")
@click.option("--parent", "parent_id", type=int, default=None, help="The committee above this one.")
@click.option("--kind", type=click.Choice(setup.COMMITTEE_KINDS), default="comprehensive", show_default=True,
              help="comprehensive 综合党委 | industry 行业党委 | two_new “两新”工委.")
def add_committee_cmd(name: str, parent_id: int | None, kind: str) -> None:
    """Add a committee (at the top, or under --parent); prints its id last."""
    who = operator("org add-committee", name=name, parent=parent_id)
    try:
        with web.get_db().transaction() as session:
            committee = setup.add_committee(session, actor=who, name=name, parent_id=parent_id, kind=kind)
            click.echo(S.CLI_COMMITTEE_ADDED.format(name=committee.name, id=committee.id))
    except ServiceError as exc:
        raise refused(exc) from exc


@org_cli.command("add-branch")
@click.option("--committee", "committee_id", type=int, required=True, help="The committee it belongs to.")
@click.option("--name", required=True)
@click.option("--formation", type=click.Choice(setup.FORMATIONS), required=True,
              help="single 单独组建 | joint 联合组建 | attached 挂靠组建.")
@click.option("--kind", type=click.Choice(setup.BRANCH_KINDS), required=True,
              help="full 建制型 (holds 支委会) | functional 功能性.")
def add_branch_cmd(committee_id: int, name: str, formation: str, kind: str) -> None:
    """Add a party organization under a committee; prints its id last."""
    who = operator("org add-branch", committee=committee_id, name=name)
    try:
        with web.get_db().transaction() as session:
            branch = setup.add_branch(session, actor=who, committee_id=committee_id, name=name,
                                      formation=formation, kind=kind)
            click.echo(S.CLI_BRANCH_ADDED.format(name=branch.name, id=branch.id))
    except ServiceError as exc:
        raise refused(exc) from exc


ORG_TYPES_BY_LABEL = {label: code for code, label in T.ORG_TYPE_LABELS.items()}


@org_cli.command("add-organization")
@click.option("--branch", "branch_id", type=int, required=True, help="The party organization that covers it.")
@click.option("--name", required=True)
@click.option("--credit-code", required=True, help="统一社会信用代码 (18 characters, check digit verified).")
@click.option("--type", "org_type", type=click.Choice(list(ORG_TYPES_BY_LABEL)), required=True)
@click.option("--registrar", default="", help="登记管理机关 (picks its 年检 deadlines).")
def add_organization_cmd(branch_id: int, name: str, credit_code: str, org_type: str, registrar: str) -> None:
    """Add a social organization covered by a party organization; prints its id last."""
    who = operator("org add-organization", branch=branch_id, credit_code=credit_code)
    try:
        with web.get_db().transaction() as session:
            branch = get_branch(session, branch_id)
            org = create_social_org(session, actor=who, committee_id=branch.committee_id, name=name,
                                    credit_code=credit_code, org_type=ORG_TYPES_BY_LABEL[org_type],
                                    branch_id=branch.id, registrar=registrar.strip())
            session.flush()
            click.echo(S.CLI_ORGANIZATION_ADDED.format(name=org.name, id=org.id))
    except ServiceError as exc:
        raise refused(exc) from exc


@org_cli.command("grant")
@click.option("--phone", required=True, help="The member's mobile number.")
@click.option("--name", default=None, help="Creates a committee staffer (in no branch) if the number is new.")
@click.option("--role", type=click.Choice(list(setup.ROLE_SCOPES)), required=True)
@click.option("--scope", required=True, metavar="committee:ID|branch:ID|organization:ID",
              help="admin, verifier: committee; secretary, committee_member: branch; instructor, liaison: "
                   "organization.")
def grant_cmd(phone: str, name: str | None, role: str, scope: str) -> None:
    """Give a member a role in a scope; prints the member's id last."""
    who = operator("org grant", role=role, scope=scope)
    try:
        with web.get_db().transaction() as session:
            done = setup.grant_role(session, actor=who, phone=phone, role=role, scope=scope, name=name)
            label = T.ROLE_LABELS.get(role, role)
            text = S.CLI_GRANT_ALREADY if done.already else S.CLI_GRANTED
            click.echo(text.format(name=done.member.name, role=label, scope=scope, id=done.member.id))
    except ServiceError as exc:
        raise refused(exc) from exc


@org_cli.command("invite")
@click.option("--phone", required=True, help="The member's mobile number.")
def invite_cmd(phone: str) -> None:
    """A binding code for the member with this number (they reply 绑定 CODE in WeChat); prints the code last."""
    who = operator("org invite", phone=mask_phone(phone))
    try:
        with web.get_db().transaction() as session:
            done = binding.invite_by_phone(session, actor=who, phone=phone, now=web.now(),
                                           policy=binding.BindPolicy.from_settings(web.settings()))
            hours = web.settings()["BIND_CODE_TTL_HOURS"]
            click.echo(S.CLI_INVITED.format(name=done.member.name, hours=hours, code=done.code.code))
    except ServiceError as exc:
        raise refused(exc) from exc
