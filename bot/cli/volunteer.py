"""`flask --app bot volunteer …`: 志愿服务 teams, exports, certificates and volunteer numbers.

team        a 服务队 of a branch with its leaders (by mobile number); again with the same name adds leaders
export      the year's final records of a branch or a committee, xlsx or CSV (from --out's extension)
certificate a numbered 志愿服务证明 (docx) of a member's final records of a year
number      a member's 志愿者编号 in the national volunteer system (empty clears it)

Each acts with full rights as the server's operator; the OS user is logged with the command and the ids.
"""

from __future__ import annotations

from pathlib import Path

import click
from docx import Document
from flask.cli import AppGroup, with_appcontext

from bot.cli import cannot_write, operator, refused
from bot.cli.exports import export_cli
from bot.infra import web
from bot.services.errors import ServiceError
from bot.services.volunteer import certificates, exports, teams
from bot.texts import volunteer as T

volunteer_cli = AppGroup("volunteer", help="志愿服务 teams, exports, certificates and volunteer numbers.")


@volunteer_cli.command("team")
@with_appcontext
@click.option("--branch", "branch_id", type=int, required=True, help="The branch (party organization) id.")
@click.option("--name", required=True, help="The team's name, e.g. 先锋志愿服务队.")
@click.option("--leader", "leaders", multiple=True, help="A leader's mobile number (repeatable).")
def team_cmd(branch_id: int, name: str, leaders: tuple[str, ...]) -> None:
    """Create a 服务队 (or add leaders to the existing one of that name)."""
    who = operator("volunteer team", branch=branch_id)
    try:
        with web.get_db().transaction() as session:
            info = teams.create_team(session, actor=who, branch_id=branch_id, name=name, leader_phones=list(leaders),
                                     now=web.now())
    except ServiceError as exc:
        raise refused(exc) from exc
    click.echo(T.CLI_TEAM.format(name=info.name, branch=info.branch_id, leaders="、".join(info.leaders) or
                                 T.CLI_NO_LEADER, state=T.CLI_TEAM_CREATED if info.created else T.CLI_TEAM_UPDATED,
                                 id=info.id))


@volunteer_cli.command("export")
@with_appcontext
@click.option("--committee", "committee_id", type=int, default=None, help="A committee id (its whole subtree).")
@click.option("--branch", "branch_id", type=int, default=None, help="A branch id (and those below it).")
@click.option("--year", type=int, required=True, help="The service year.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.xlsx or FILE.csv.")
def export_cmd(committee_id: int | None, branch_id: int | None, year: int, out: Path) -> None:
    """Export the year's final records (confirmed, 公示 over) in the fields of 民政部's record rules."""
    if (committee_id is None) == (branch_id is None):
        raise click.UsageError("give one of --committee or --branch")
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("the file name must end in .xlsx or .csv", param_hint="--out")
    who = operator("volunteer export", committee=committee_id, branch=branch_id, year=year, out=out)
    try:
        with web.get_db().transaction() as session:
            rows = exports.export_rows(session, actor=who, year=year, branch_id=branch_id, committee_id=committee_id,
                                       now=web.now(), settings=web.settings())
        exports.write_export(rows, out)
    except ServiceError as exc:
        raise refused(exc) from exc
    except OSError as exc:  # no such folder, no right to write there, a full disk
        raise cannot_write(out, exc) from exc
    click.echo(T.CLI_EXPORTED.format(n=len(rows), path=out))


export_cli.add_command(export_cmd, "volunteer")  # also `flask --app bot export volunteer …`


@volunteer_cli.command("certificate")
@with_appcontext
@click.option("--member", "member_id", type=int, required=True, help="The member's id.")
@click.option("--year", type=int, required=True, help="The service year.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="FILE.docx.")
def certificate_cmd(member_id: int, year: int, out: Path) -> None:
    """Issue a numbered 志愿服务证明 of the member's final records of the year (docx)."""
    if out.suffix.lower() != ".docx":
        raise click.BadParameter("the file name must end in .docx", param_hint="--out")
    who = operator("volunteer certificate", member=member_id, year=year, out=out)
    try:
        with web.get_db().transaction() as session:
            cert = certificates.issue_certificate(session, actor=who, member_id=member_id, year=year, now=web.now(),
                                                  settings=web.settings())
            write_certificate(cert, out)  # inside: a file that cannot be written issues no number
    except ServiceError as exc:
        raise refused(exc) from exc
    except OSError as exc:  # no such folder, no right to write there, a full disk
        raise cannot_write(out, exc) from exc
    template = T.CLI_CERT_AGAIN if cert.reissued else T.CLI_CERT
    click.echo(template.format(number=cert.number, name=cert.member_name, year=cert.year, hours=T.hours(cert.hours),
                               path=out, id=cert.id))


def write_certificate(cert: certificates.Certificate, path: Path) -> None:
    """The certificate as a Word document: title, number, the statement, the records, issuer, contact, date."""
    doc = Document()
    doc.add_heading(T.CERT_TITLE, level=0)
    doc.add_paragraph(T.CERT_NUMBER.format(number=cert.number))
    doc.add_paragraph(T.CERT_BODY.format(name=cert.member_name, no=cert.volunteer_no or T.CERT_NO_NUMBER,
                                         year=cert.year, hours=T.hours(cert.hours)))
    doc.add_paragraph(T.CERT_CONTENT.format(contents=T.CONTENT_SEP.join(cert.contents)))
    table = doc.add_table(rows=1, cols=len(T.CERT_TABLE_HEAD))
    for cell, head in zip(table.rows[0].cells, T.CERT_TABLE_HEAD, strict=True):
        cell.text = head
    for r in cert.records:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = r.served_on.isoformat(), r.content
        cells[2].text, cells[3].text = r.organizer, T.hours(r.hours)
    doc.add_paragraph(T.CERT_ISSUER.format(issuer=cert.issuer))
    doc.add_paragraph(T.CERT_CONTACT.format(contact=cert.contact))
    doc.add_paragraph(T.CERT_DATE.format(date=T.cert_date(cert.issued_on)))
    doc.add_paragraph(T.CERT_NOTE)
    doc.save(str(path))


@volunteer_cli.command("number")
@with_appcontext
@click.option("--member", "member_id", type=int, required=True, help="The member's id.")
@click.option("--no", "number", required=True, help="The 志愿者编号 (empty string clears it).")
def number_cmd(member_id: int, number: str) -> None:
    """Set a member's 志愿者编号 (the national volunteer system's number)."""
    who = operator("volunteer number", member=member_id)
    try:
        with web.get_db().transaction() as session:
            member = exports.set_volunteer_no(session, actor=who, member_id=member_id, number=number)
            name, no, mid = member.name, member.volunteer_no, member.id
    except ServiceError as exc:
        raise refused(exc) from exc
    if no:
        click.echo(T.CLI_NUMBER.format(name=name, no=no, id=mid))
    else:
        click.echo(T.CLI_NUMBER_CLEARED.format(name=name, id=mid))
