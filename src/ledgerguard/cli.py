"""The `ledgerguard` command line: a thin layer over the SQL functions.

With --dsn / LEDGERGUARD_DSN every command works on that database; with
neither it starts a throwaway embedded PostgreSQL, migrates it, runs, and
removes it again (also on Ctrl-C).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ledgerguard import migrate as migrations
from ledgerguard.cluster import EmbeddedCluster, stop_on_sigterm


@click.group(context_settings={"auto_envvar_prefix": "LEDGERGUARD", "help_option_names": ["-h", "--help"]})
@click.option("--dsn", envvar="LEDGERGUARD_DSN", metavar="DSN",
              help="Database to work on (libpq URL or key=value). Default: a throwaway embedded cluster.")
@click.pass_context
def main(ctx: click.Context, dsn: str | None) -> None:
    """ledgerguard: a payments ledger kept correct by PostgreSQL itself."""
    ctx.obj = {"dsn": dsn}


@contextmanager
def database(ctx: click.Context, migrated: bool = True) -> Iterator[str]:
    """The DSN to work on: the given one, or a fresh embedded cluster's."""
    dsn = ctx.obj["dsn"]
    if dsn:
        yield dsn
        return
    stop_on_sigterm()
    click.echo("Starting an embedded PostgreSQL (no --dsn / LEDGERGUARD_DSN given) …", err=True)
    cluster = EmbeddedCluster("cli")
    try:
        cluster.start()
        dsn = cluster.create_database("ledgerguard")
        click.echo(f"  {dsn} in {cluster.dir}", err=True)
        if migrated:
            migrations.upgrade(dsn)
        yield dsn
    finally:
        cluster.stop()
        click.echo("Embedded PostgreSQL stopped and removed.", err=True)


@main.command()
@click.option("--sql", "offline", is_flag=True, help="Print the SQL for review instead of applying it.")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--downgrade", "downgrade_to", metavar="REV", help="Downgrade to REV (base = remove everything).")
@click.pass_context
def migrate(ctx: click.Context, offline: bool, revision: str, downgrade_to: str | None) -> None:
    """Apply the migrations (or print their SQL with --sql)."""
    if offline:
        click.echo(migrations.offline_sql(revision), nl=False)
        return
    with database(ctx, migrated=False) as dsn:
        if downgrade_to:
            before = migrations.downgrade(dsn, downgrade_to)
        else:
            before = migrations.upgrade(dsn, revision)
        click.echo(f"revision {before or 'base'} -> {migrations.current(dsn) or 'base'}")


@main.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Compare what is deployed with what this package ships."""
    from ledgerguard.doctor import diagnose

    with database(ctx) as dsn:
        findings = diagnose(dsn)
    for severity, message in findings:
        click.echo(f"{severity:<5} {message}")
    if any(severity == "FAIL" for severity, _ in findings):
        sys.exit(1)


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Run the incident scenarios of the runbooks against a ledger."""
    from ledgerguard import demo as scenarios

    with database(ctx) as dsn:
        scenarios.run(dsn, click.echo)


@main.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Start a migrated throwaway cluster, print its DSN, wait for Ctrl-C."""
    if ctx.obj["dsn"]:
        raise click.UsageError("serve starts its own embedded cluster; drop --dsn / LEDGERGUARD_DSN")
    with database(ctx) as dsn:
        click.echo(f"LEDGERGUARD_DSN={dsn}")
        click.echo(f"psql {dsn}    # Ctrl-C here stops and removes the cluster")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
