"""The ``diaban`` command: every subcommand in one place, reading DATABASE_URL at run time."""

from __future__ import annotations

import sys

import click

from boundaries.province import DEFAULT_PROVINCE
from geo.errors import DiabanError
from geo.settings import database_url
from geo.store import init_db
from geo.store.engine import NO_SERVER_ERROR, display_url
from geo.store.models import ROLES
from geo.store.units import list_vintages
from webapp.commands import engine_for, print_json


class _Group(click.Group):
    """Turn diaban's own errors and an unreachable database into one clear line and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DiabanError as exc:
            raise click.ClickException(str(exc)) from exc
        except NO_SERVER_ERROR as exc:
            url = display_url(database_url())
            raise click.ClickException(
                f"cannot reach the database at {url}: {exc.orig}. Start PostgreSQL "
                "(make run does) or set DATABASE_URL.") from exc


@click.group(cls=_Group)
@click.version_option(package_name="diaban")
def main():
    """diaban: maps and statistics for the prevention of prostitution (phòng, chống mại dâm)."""


@main.group(cls=_Group)
def db():
    """The database schema."""


@db.command("init")
@click.pass_context
def db_init(ctx):
    """Create the postgis extension and run the migrations (idempotent)."""
    revision = init_db(engine_for(ctx))
    click.echo(f"schema at revision {revision}")


@main.group(cls=_Group)
def boundaries():
    """Administrative boundary vintages."""


@boundaries.command("load")
@click.option("--province", default=DEFAULT_PROVINCE, show_default=True,
              help="A bundled province name or a folder holding province.toml.")
@click.option("--vintage", "vintages", multiple=True, help="Load only this vintage (repeatable).")
@click.option("--replace", is_flag=True, help="Reload vintages that are loaded already.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def boundaries_load(ctx, province, vintages, replace, as_json):
    """Read, clean into a coverage and store the boundary vintages of a province."""
    from boundaries import load_boundaries, load_crosswalks, load_province

    config = load_province(province)
    chosen = list(vintages) or [v.id for v in config.vintages]
    with click.progressbar(length=len(chosen), label="Ranh giới / boundaries",
                           file=sys.stderr) as bar:
        results = load_boundaries(engine_for(ctx), config, vintages=chosen, replace=replace,
                                  progress=lambda _: bar.update(1))
    crosswalks = load_crosswalks(engine_for(ctx), config)
    if as_json:
        print_json({"vintages": results, "crosswalks": crosswalks})
        return
    for r in results:
        if r["status"] != "loaded":
            click.echo(f"{r['vintage']}: {r['status']}")
            continue
        click.echo(f"{r['vintage']}: {r['units']} units loaded in {r['seconds']} s; " + _how_drawn(r))
    for c in crosswalks:
        detail = (f": {c['rows']} pairs {c['by_method_and_kind']}, without successor "
                  f"{c['old_units_without_successor'] or 'none'}") if c["status"] == "loaded" else ""
        click.echo(f"crosswalk {c['from_vintage']} → {c['to_vintage']}: {c['status']}{detail}")


def _how_drawn(result: dict) -> str:
    """How a loaded vintage was drawn: its cleaning per former province, or what it derives from."""
    if "derived_from" in result:
        return (f"derived from {result['derived_from']} with the change list; "
                f"{len(result['notes'])} units carry a note of what no layer draws")
    parts = result.get("parts") or {"": result}
    lines = []
    for code, part in parts.items():
        cov = part["coverage"]
        lines.append(f"{'former province ' + code + ': ' if code else ''}cleaning moved "
                     f"{cov['total_moved_km2']:.3f} km² (overlaps {cov['overlap_removed_km2']:.3f}, gaps "
                     f"filled {cov['gaps_filled_km2']:.3f}, clipped to parent "
                     f"{cov['clipped_outside_parent_km2']:.3f}); outline IoU {part['outline_iou']}")
    if result.get("border"):
        lines.append(f"joined along the old border: overlaps {result['border']['overlap_removed_km2']:.6f} "
                     f"km², gaps filled {result['border']['gaps_filled_km2']:.6f} km²")
    return "; ".join(lines)


@boundaries.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the vintages as JSON.")
@click.pass_context
def boundaries_list(ctx, as_json):
    """List the loaded vintages and their unit counts."""
    rows = list_vintages(engine_for(ctx))
    if as_json:
        print_json([row.as_dict() for row in rows])
        return
    if not rows:
        click.echo("no vintage loaded; run `diaban boundaries load`")
    for v in rows:
        counts = ", ".join(f"{n} {level}" for level, n in sorted(v.units.items()))
        click.echo(f"{v.id}  {v.valid_from} → {v.valid_to or '…'}  {counts}  {v.label}")


@main.group(cls=_Group)
def users():
    """Logins of the platform."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--province", default=None, metavar="CODE",
              help="Limit the login to this loaded province (its code); default: every province.")
@click.pass_context
def users_add(ctx, name, role, password_stdin, province):
    """Create the login NAME with ROLE."""
    from webapp.accounts import add_user, check_username

    check_username(name)  # before asking for a password
    add_user(engine_for(ctx), name, _read_password(password_stdin), role, province=province)
    click.echo(f"user {name} ({role}) created" + (f", limited to province {province}" if province else ""))


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_password(ctx, name, password_stdin):
    """Set a new password for NAME; its web sessions end."""
    from webapp.accounts import set_password

    set_password(engine_for(ctx), name, _read_password(password_stdin))
    click.echo(f"password of {name} changed; its sessions are ended")


def _read_password(from_stdin: bool) -> str:
    """The password from standard input's first line, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mật khẩu / password", hide_input=True, confirmation_prompt=True)


@users.command("token")
@click.argument("name")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650),
              help="Days until the token expires.")
@click.pass_context
def users_token(ctx, name, days):
    """Print a new API token for NAME (send it as ``Authorization: Bearer TOKEN``)."""
    from webapp.accounts import issue_token

    click.echo(issue_token(engine_for(ctx), name, days=days))


@users.command("disable")
@click.argument("name")
@click.pass_context
def users_disable(ctx, name):
    """Disable NAME: its sessions end and its tokens stop working at once."""
    from webapp.accounts import set_active

    set_active(engine_for(ctx), name, False)
    click.echo(f"user {name} disabled")


@users.command("enable")
@click.argument("name")
@click.pass_context
def users_enable(ctx, name):
    """Enable NAME again (its tokens that are not revoked or expired work again)."""
    from webapp.accounts import set_active

    set_active(engine_for(ctx), name, True)
    click.echo(f"user {name} enabled")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
def users_role(ctx, name, role):
    """Give NAME the role ROLE; its web sessions end (it logs in again)."""
    from webapp.accounts import set_role

    set_role(engine_for(ctx), name, role)
    click.echo(f"user {name} is now {role}")


@users.command("revoke-tokens")
@click.argument("name")
@click.pass_context
def users_revoke_tokens(ctx, name):
    """Revoke every API token of NAME and end its web sessions (log out everywhere)."""
    from webapp.accounts import revoke_access

    counts = revoke_access(engine_for(ctx), name)
    click.echo(f"{name}: {counts['tokens']} tokens revoked, {counts['sessions']} sessions ended")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the users as JSON.")
@click.pass_context
def users_list(ctx, as_json):
    """List the logins (names and roles, never passwords)."""
    from webapp.accounts import list_users

    rows = list_users(engine_for(ctx))
    if as_json:
        print_json(rows)
    else:
        for u in rows:
            click.echo(f"{u['username']}\t{u['role']}\t{'active' if u['active'] else 'disabled'}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host, port, threads):
    """Serve the web app with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    from webapp import create_app

    app = create_app({"THREADS": threads})
    click.echo(f"diaban on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads)


def _register_commands() -> None:
    """Add the analysis commands, each defined in its own module under webapp/commands."""
    from webapp.commands.classify import classify, classify_compare
    from webapp.commands.demo import demo
    from webapp.commands.export import export
    from webapp.commands.hotspots import hotspots
    from webapp.commands.ingest import ingest
    from webapp.commands.reactivation import history, reactivation
    from webapp.commands.recognition import recognition
    from webapp.commands.report import report
    from webapp.commands.targets import targets

    for command in (classify, classify_compare, demo, export, hotspots, ingest, reactivation, history, report,
                    targets, recognition):
        main.add_command(command)


_register_commands()
