"""The `ledgerguard` command line: a thin layer over the SQL functions.

Every command works on the database of --dsn / LEDGERGUARD_DSN and refuses
to run without one (exit 3), except demo, serve and bench: they start a
throwaway embedded PostgreSQL, migrate it, run, and remove it again (also
on Ctrl-C). A command that could not run says why in one line, exit 3.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ledgerguard import migrate as migrations
from ledgerguard.cluster import EmbeddedCluster, stop_on_sigterm
from ledgerguard.settings import Settings


class CheckError(click.ClickException):
    """A check run that could not happen (bad name, no database): exit 3, never 1 or 2 that mean findings."""

    exit_code = 3


class Ledgerguard(click.Group):
    """A command line that was wrong (an unknown option, a bad value, a missing argument) could not run either:
    exit 3 with click's message, never click's 2, which `check` uses for HIGH/CRITICAL findings and which the
    README's cron writer takes for a run that happened."""

    def main(self, *args, **kwargs):
        try:
            return super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.UsageError as error:
            error.show()
            sys.exit(CheckError.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)


@click.group(cls=Ledgerguard, context_settings={"auto_envvar_prefix": "LEDGERGUARD", "help_option_names": ["-h", "--help"]})
@click.option("--dsn", envvar="LEDGERGUARD_DSN", metavar="DSN",
              help="Database to work on (libpq URL or key=value). Required by every command but demo, serve and "
                   "bench, which start a throwaway embedded cluster without it.")
@click.pass_context
def main(ctx: click.Context, dsn: str | None) -> None:
    """ledgerguard: a payments ledger kept correct by PostgreSQL itself."""
    try:
        ctx.obj = Settings.from_environment(dsn)
    except ValueError as error:  # a LEDGERGUARD_* variable that says nothing we can use
        raise CheckError(f"ledgerguard: {error}") from None


@contextmanager
def database(ctx: click.Context, migrated: bool = True, embedded: bool = False,
             cluster_settings: dict[str, str] | None = None) -> Iterator[str]:
    """The DSN to work on: the given one; without one, a fresh embedded cluster's for the commands that may use one
    (`embedded`: demo, serve, bench) and exit 3 for every other. A cron job that lost its environment must never
    report a healthy ledger, and an on-call freeze must never land in a throwaway database."""
    dsn = ctx.obj.dsn
    if dsn:
        yield dsn
        return
    if not embedded:
        raise CheckError(f"ledgerguard {ctx.info_name}: no database given: set LEDGERGUARD_DSN or pass --dsn "
                         "(only demo, serve and bench start a throwaway cluster)")
    stop_on_sigterm()
    click.echo("Starting an embedded PostgreSQL (no --dsn / LEDGERGUARD_DSN given) …", err=True)
    cluster = EmbeddedCluster("cli", settings=cluster_settings)
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


@contextmanager
def one_line(roles: str, ledger_expected: bool = True) -> Iterator[None]:
    """A command that could not run says why in one line and exits 3 (could not), never with a traceback: cron
    mails and on-call terminals read it. No connection, no ledger there (`ledger_expected`), a login without the
    role the command needs (`roles`), a pooler where a migration needs a direct connection."""
    import psycopg
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    from ledgerguard.db import PoolerRefused, cause_and_message

    command = f"ledgerguard {click.get_current_context().info_name}"
    try:
        yield
    except SystemExit as stop:  # migrations/env.py refuses (a pooler, a revision this release no longer carries)
        if not isinstance(stop.code, str):
            raise
        raise CheckError(f"{command}: {stop.code.removeprefix('ledgerguard: ')}") from None
    except (PoolerRefused, CommandError) as error:
        raise CheckError(f"{command}: {error}") from None
    except (DBAPIError, psycopg.Error) as error:
        cause, primary = cause_and_message(error)
        if isinstance(cause, psycopg.errors.InsufficientPrivilege):
            raise CheckError(f"{command}: {primary} (run it as a login IN ROLE {roles})") from None
        if ledger_expected and isinstance(cause, (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction,
                                                  psycopg.errors.InvalidSchemaName)):
            raise CheckError(f"{command}: {primary}: is this a ledger? (ledgerguard doctor says what is deployed)") from None
        raise CheckError(f"{command}: {primary}") from None


@main.command()
@click.option("--sql", "offline", is_flag=True, help="Print the SQL for review instead of applying it.")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--from", "start", metavar="REV", help="With --sql: the revision the database is at (default: none).")
@click.option("--downgrade", "downgrade_to", metavar="REV", help="Downgrade to REV (base = remove everything).")
@click.option("--schedule", is_flag=True,
              help="Also schedule the nightly settlement and reconciliation with pg_cron (opt-in).")
@click.option("--drop-data", is_flag=True,
              help="With --downgrade below the baseline: remove a ledger that holds transactions (dump it first).")
@click.option("--allow-new-findings", is_flag=True,
              help="Warn, instead of downgrading back, when a check reports something new after the migration.")
@click.pass_context
def migrate(ctx: click.Context, offline: bool, revision: str, start: str | None, downgrade_to: str | None,
            schedule: bool, drop_data: bool, allow_new_findings: bool) -> None:
    """Apply the migrations (or print their SQL with --sql), between two runs of the checks.

    Long steps report their progress on stderr; a lock held longer than
    lock_timeout is retried; a migration that makes a check report something
    new is downgraded back (exit 1) unless --allow-new-findings.
    """
    from ledgerguard.online import DuplicatesFound, MigrationBlocked

    target = migrations.MAIN if revision == "head" else revision
    if offline:
        if downgrade_to:
            raise CheckError("ledgerguard migrate: --sql prints upgrades; the SQL of a downgrade is Alembic's: "
                             "alembic downgrade FROM:TO --sql")
        with one_line("ledger_migrator", ledger_expected=False):
            click.echo(migrations.offline_sql(target, start), nl=False)
        return
    with database(ctx, migrated=False) as dsn, one_line("ledger_migrator", ledger_expected=False):
        migrations.require_a_migrating_login(dsn)
        if downgrade_to:
            if downgrade_to != "base" and migrations.current(dsn) is None:
                raise CheckError("ledgerguard migrate: nothing to downgrade: this database has no ledger revision")
            before = migrations.downgrade(dsn, downgrade_to, drop_data)
        else:
            try:
                before = migrations.gated_upgrade(dsn, target, allow_new_findings)
            except (DuplicatesFound, MigrationBlocked, migrations.NewFindings) as stopped:
                raise click.ClickException(f"migration stopped: {stopped}") from None
            if schedule:
                migrations.upgrade(dsn, migrations.SCHEDULE)
                click.echo("scheduled: ledgerguard-settlement 00:00 UTC, ledgerguard-reconciliation 02:00 UTC")
        click.echo(f"revision {before or 'base'} -> {migrations.current(dsn) or 'base'}")


@main.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--since", default="24h", show_default=True,
              help="Window of the windowed checks: 24h, 15m, 7d, any PostgreSQL interval, or 'all'.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "prometheus"]), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(["LOW", "MEDIUM", "HIGH", "CRITICAL"], case_sensitive=False), default="LOW",
              show_default=True, help="Least severity that makes the exit status non-zero.")
@click.option("--record", is_flag=True, help="Also store the run in the check history (primary only; all checks).")
@click.option("--incremental", is_flag=True,
              help="Check only what is new since the last incremental run, and record it (primary only; all checks).")
@click.pass_context
def check(ctx: click.Context, names: tuple[str, ...], since: str, fmt: str, fail_on: str, record: bool,
          incremental: bool) -> None:
    """Run the checks. Exit 0 healthy, 1 worst LOW/MEDIUM, 2 worst HIGH/CRITICAL, 3 could not check."""
    import psycopg

    from ledgerguard import checks

    if (record or incremental) and names:
        raise CheckError("--record and --incremental store a run of the whole catalog; drop the check names")
    window = checks.parse_since(since)
    roles = "ledger_oncall (--record, --incremental)" if record or incremental else "ledger_auditor or ledger_oncall"
    try:
        with database(ctx) as dsn, one_line(roles), psycopg.connect(dsn, autocommit=True) as conn:
            if incremental:
                report = checks.record_incremental(conn)
            else:
                report = checks.run(conn, list(names), window)
            if record and not incremental:
                run = checks.record(conn, window)
                click.echo(f"recorded run {run['id']}: {run['findings']} finding(s)", err=True)
    except ValueError as error:  # an unknown check name
        raise CheckError(str(error)) from None
    click.echo(checks.FORMATS[fmt](report), nl=False)
    sys.exit(checks.exit_status(report, fail_on.upper()))


@main.command(name="checks")
@click.pass_context
def list_checks(ctx: click.Context) -> None:
    """List the check catalog: name, severity, window, the runbook step it replaces."""
    import psycopg

    from ledgerguard import checks

    with database(ctx) as dsn, one_line("ledger_auditor or ledger_oncall"), psycopg.connect(dsn) as conn:
        rows = checks.catalog(conn)
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        window = "windowed" if row["windowed"] else "state"
        click.echo(f"{row['name']:<{width}}  {row['default_severity']:<13} {window:<8}  {row['description']}")
        click.echo(f"{'':<{width}}  replaces: {row['replaces']}")


@main.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Compare what is deployed with what this package ships."""
    from ledgerguard.doctor import diagnose

    with database(ctx) as dsn, one_line("ledger_oncall, ledger_auditor or ledger_migrator", ledger_expected=False):
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

    with database(ctx, embedded=True) as dsn:
        scenarios.run(dsn, click.echo)


@main.command()
@click.option("--quick", is_flag=True, help="8 clients, 5 s per scenario, bulk in batches only, 1M-entry checks "
                                            "with postings under the incremental run only: under two minutes.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), help="Also write the table as JSON.")
@click.option("--only", multiple=True, type=click.Choice(["throughput", "bulk", "payouts", "checks"]),
              help="Run only these parts (repeatable).")
@click.option("--ab", nargs=2, metavar="REF_A REF_B",
              help="Instead: judge one change. post_transaction, capture and the bulk loader in two databases, each "
                   "migrated by ledgerguard at a git ref of this checkout ('.' = as it is now), runs alternating "
                   "A B B A, tps and machine CPU per transaction.")
@click.option("--rounds", default=5, show_default=True, help="With --ab: rounds of A and B, 8 s each run.")
@click.pass_context
def bench(ctx: click.Context, quick: bool, json_path: str | None, only: tuple[str, ...],
          ab: tuple[str, str] | None, rounds: int) -> None:
    """Measure the guarded paths against a bare-insert baseline taken in the same run."""
    from ledgerguard import resources

    root = resources.checkout()
    if root is None:
        raise CheckError("ledgerguard bench: the benchmark is development tooling and runs from a source checkout "
                         "(scripts/bench there); an installed ledgerguard does not carry it")
    sys.path.insert(0, str(root))
    import bench as benchmark

    with database(ctx, migrated=False, embedded=True, cluster_settings=benchmark.BENCH_SETTINGS) as dsn:
        harness = benchmark.Bench(dsn, quick=quick, only=only, echo=lambda line: click.echo(line, err=True))
        if ab:
            harness.ab(ab, rounds)
            rows = harness.rows
        else:
            rows = harness.run()
    click.echo(benchmark.table(rows), nl=False)
    if json_path:
        Path(json_path).write_text(benchmark.as_json(rows))


@main.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Start a migrated throwaway cluster, print its DSN, wait for Ctrl-C."""
    if ctx.obj.dsn:
        raise click.UsageError("serve starts its own embedded cluster; drop --dsn / LEDGERGUARD_DSN")
    with database(ctx, embedded=True) as dsn:
        click.echo(f"LEDGERGUARD_DSN={dsn}")
        click.echo(f"psql {dsn}    # Ctrl-C here stops and removes the cluster")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


# -- on-call procedures: each runs one ledger_ops function and prints its audit row ----------

def ticketed(command):
    command = click.option("--reason", required=True, help="Why (goes to the audit log).")(command)
    return click.option("--ticket", required=True, help="Incident or change ticket (goes to the audit log).")(command)


def run_procedure(ctx: click.Context, procedure: str, **arguments) -> None:
    import json

    import psycopg

    from ledgerguard.client import Ops
    from ledgerguard.errors import LedgerError

    try:
        with database(ctx) as dsn, one_line("ledger_oncall"), psycopg.connect(dsn, autocommit=True) as conn:
            row = Ops(conn).audited(f"ledger_ops.{procedure}", **arguments)
    except LedgerError as error:  # the procedure refused: exit 1 with its SQLSTATE, DETAIL and HINT
        raise click.ClickException(str(error)) from None
    for key in ("id", "action", "target", "ticket", "reason", "performed_by", "performed_at"):
        click.echo(f"{key:<13} {row[key]}")
    for key in ("before_state", "after_state"):
        click.echo(f"{key:<13} {json.dumps(row[key], default=str, sort_keys=True)}")


@main.command()
@click.argument("wallet")
@click.option("--mode", type=click.Choice(["FULL", "DEBITS"]), default="FULL", show_default=True,
              help="FULL: no entries; DEBITS: credits (and chargebacks) still land.")
@click.option("--until", "until", type=click.DateTime(), default=None, help="Expiry of the freeze (UTC).")
@ticketed
@click.pass_context
def freeze(ctx, wallet, mode, until, ticket, reason):
    """Freeze a wallet (audited)."""
    from datetime import timezone

    run_procedure(ctx, "freeze_wallet", p_wallet=wallet, p_reason=reason, p_ticket=ticket, p_mode=mode,
                  p_until=until.replace(tzinfo=timezone.utc) if until else None)


@main.command()
@click.argument("wallet")
@ticketed
@click.pass_context
def unfreeze(ctx, wallet, ticket, reason):
    """Lift a freeze (audited)."""
    run_procedure(ctx, "unfreeze_wallet", p_wallet=wallet, p_reason=reason, p_ticket=ticket)


@main.command(name="suspend-payouts")
@click.argument("beneficiary")
@ticketed
@click.pass_context
def suspend_payouts(ctx, beneficiary, ticket, reason):
    """Stop new payouts to a beneficiary wallet (audited)."""
    run_procedure(ctx, "suspend_payouts", p_beneficiary=beneficiary, p_reason=reason, p_ticket=ticket)


@main.command(name="resume-payouts")
@click.argument("beneficiary")
@ticketed
@click.pass_context
def resume_payouts(ctx, beneficiary, ticket, reason):
    """Let payouts to a beneficiary go out again (audited)."""
    run_procedure(ctx, "resume_payouts", p_beneficiary=beneficiary, p_reason=reason, p_ticket=ticket)


@main.command(context_settings={"ignore_unknown_options": True})  # AMOUNT may be negative: -5.00 is no option
@click.argument("wallet")
@click.argument("amount")
@ticketed
@click.pass_context
def adjust(ctx, wallet, amount, ticket, reason):
    """Post AMOUNT (credit > 0, debit < 0) to WALLET against SUSPENSE; large ones need a second on-call user."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise click.BadParameter(f"{amount!r} is not a decimal amount", param_hint="AMOUNT") from None
    run_procedure(ctx, "post_adjustment", p_wallet=wallet, p_amount=value, p_reason=reason, p_ticket=ticket)


@main.command()
@click.argument("transaction_id", type=int)
@ticketed
@click.pass_context
def reverse(ctx, transaction_id, ticket, reason):
    """Post the mirror legs of a transaction, at most once (audited)."""
    run_procedure(ctx, "reverse_transaction", p_transaction_id=transaction_id, p_reason=reason, p_ticket=ticket)


@main.command(name="recover-payout")
@click.argument("order_ref")
@ticketed
@click.pass_context
def recover_payout(ctx, order_ref, ticket, reason):
    """Duplicate payout of ORDER_REF: suspend payouts, compute the overpayment, recover it (audited)."""
    run_procedure(ctx, "recover_duplicate_payout", p_order_ref=order_ref, p_reason=reason, p_ticket=ticket)


@main.command(name="repair-balance")
@click.argument("wallet")
@ticketed
@click.pass_context
def repair_balance(ctx, wallet, ticket, reason):
    """Repair a wallet whose stored balance differs from its entries (audited)."""
    run_procedure(ctx, "repair_wallet_balance", p_wallet=wallet, p_reason=reason, p_ticket=ticket)


@main.command(name="kill-switch")
@click.argument("scope", type=click.Choice(["payments", "refunds", "payouts"]))
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--retry-after", type=click.DateTime(), default=None, help="When callers may retry (UTC), while off.")
@ticketed
@click.pass_context
def kill_switch(ctx, scope, state, retry_after, ticket, reason):
    """Turn payments, refunds or payouts processing on or off (audited)."""
    from datetime import timezone

    run_procedure(ctx, "set_kill_switch", p_scope=scope, p_enabled=state == "on", p_reason=reason, p_ticket=ticket,
                  p_retry_after=retry_after.replace(tzinfo=timezone.utc) if retry_after else None)
