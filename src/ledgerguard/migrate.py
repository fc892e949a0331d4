"""Alembic, driven from Python: upgrade, downgrade, offline SQL, current revision."""

from __future__ import annotations

import argparse
import io
import os
import time

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from ledgerguard import resources
from ledgerguard.db import direct_connection_only
from ledgerguard.online import Report, to_stderr
from ledgerguard.settings import Settings

MAIN = "ledger@head"          # the ledger itself
SCHEDULE = "schedule@head"    # opt-in pg_cron jobs (ledgerguard migrate --schedule)


def alembic_config(dsn: str | None, output: io.TextIOBase | None = None) -> Config:
    """Alembic's config for a run of ours: the shipped migrations, and the run's Settings (which tells
    migrations/env.py that ledgerguard drives it: its errors pass through to this module and the CLI). Besides
    them only the run's plumbing travels in attributes: `report` (progress) in, `heads_before` out."""
    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(resources.migrations_dir()))
    cfg.attributes["settings"] = Settings.from_environment(dsn)
    return cfg


def upgrade(dsn: str, revision: str = MAIN, report: Report = to_stderr) -> str | None:
    """Upgrade; returns the revision found under the migration lock (None = base).

    A revision that cannot take a lock within lock_timeout rolls back and is
    tried again (LEDGERGUARD_LOCK_RETRIES times, backing off): DDL never
    queues the application's queries behind a long transaction for longer
    than lock_timeout, and a short-lived lock does not fail the deployment.
    """
    cfg = alembic_config(dsn)
    retries = cfg.attributes["settings"].lock_retries
    cfg.attributes["report"] = report
    for attempt in range(retries + 1):
        try:
            command.upgrade(cfg, revision)
            break
        except (OperationalError, psycopg.Error) as error:
            cause = getattr(error, "orig", error)  # SQLAlchemy wraps; a revision's own statements do not
            if not isinstance(cause, psycopg.errors.LockNotAvailable) or attempt == retries:
                raise
            report(f"lock_timeout: {str(cause).strip()}; retrying in {2 ** attempt} s ({attempt + 1}/{retries})")
            time.sleep(2 ** attempt)
    return line_revision(cfg.attributes.get("heads_before", ()))


def require_a_migrating_login(dsn: str) -> None:
    """Refuse a login that could not apply a revision, even when none is pending: a deploy job run as the wrong
    login must fail today, not on the day a revision comes. Before the first migration (no ledger_migrator yet)
    the migration itself needs CREATEROLE and says so."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        may = conn.execute("""SELECT to_regrole('ledger_migrator') IS NULL OR pg_has_role(current_user, 'ledger_migrator', 'MEMBER')
                                     OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)""").fetchone()[0]
        if not may:
            raise psycopg.errors.InsufficientPrivilege(
                f"permission denied to migrate: login {conn.info.user} is not a member of ledger_migrator")


class NewFindings(RuntimeError):
    """The migration made a check report something it did not report before."""


def findings(dsn: str) -> set[tuple[str, str]]:
    """(check, subject) of every finding of the whole catalog over all history; none before the catalog exists."""
    from ledgerguard import checks

    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('ledger_check.catalog') IS NULL").fetchone()[0]:
            return set()
        return {(f.check_name, f.subject or "") for f in checks.run(conn, since=None).findings}


def gated_upgrade(dsn: str, revision: str = MAIN, allow_new_findings: bool = False,
                  report: Report = to_stderr) -> str | None:
    """Upgrade between two runs of the check catalog (the invariant gate).

    A finding after the migration that was not there before means the
    migration broke an invariant: the migration is downgraded to where it
    started and NewFindings is raised; with allow_new_findings the findings
    are reported as a warning and the migration stays.
    """
    # Refused before the gate reads all history: a pooler, or a target that does not exist.
    direct_connection_only(dsn)
    ScriptDirectory.from_config(alembic_config(dsn)).get_revisions(revision)
    before_findings = findings(dsn)
    report(f"invariant gate: {len(before_findings)} finding(s) before the migration")
    before = upgrade(dsn, revision, report)
    new = sorted(findings(dsn) - before_findings)
    if not new:
        report("invariant gate: no new finding")
        return before
    listed = "; ".join(f"{name} {subject}".strip() for name, subject in new[:10])
    if allow_new_findings:
        report(f"WARNING invariant gate: the migration introduced {len(new)} new finding(s): {listed}")
        return before
    downgrade(dsn, before or "base")
    raise NewFindings(f"the migration introduced {len(new)} new finding(s): {listed}.\nDETAIL: it was downgraded"
                      f" back to revision {before or 'base'}.\nHINT: fix the revision; `ledgerguard check` explains"
                      f" each finding. --allow-new-findings applies it anyway and warns.")


def downgrade(dsn: str, revision: str, drop_data: bool = False) -> str | None:
    """Downgrade; returns the revision found under the migration lock. Below the baseline the ledger is removed,
    which a ledger that holds transactions refuses unless `drop_data` (Alembic's -x drop_data=yes)."""
    direct_connection_only(dsn)
    cfg = alembic_config(dsn)
    cfg.cmd_opts = argparse.Namespace(x=["drop_data=yes"] if drop_data else [])
    command.downgrade(cfg, revision)
    if revision == "base":
        # Alembic keeps its bookkeeping table; at base nothing of ours stays.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS public.alembic_version")
    return line_revision(cfg.attributes.get("heads_before", ()))


def offline_sql(revision: str = MAIN, start: str | None = None) -> str:
    """The SQL a DBA reviews: every statement `upgrade` would run."""
    buffer = io.StringIO()
    target = f"{start}:{revision}" if start else revision
    command.upgrade(alembic_config(None, output=buffer), target, sql=True)
    return buffer.getvalue()


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(None))


def head() -> str:
    """The newest revision of the ledger line."""
    return _script().get_revision(MAIN).revision


def line_revision(heads, branch: str = MAIN) -> str | None:
    """The revision of a line (the ledger by default) that stored heads stand for, None at base.

    Alembic stores heads only: s002 stands for 0022 too (depends_on), so the
    newest revision of the line among each head's ancestors is the answer.
    """
    script = _script()
    line = {r.revision for r in script.iterate_revisions(branch, "base")}
    if branch != MAIN:  # a side line depends on the ledger line; count only its own revisions
        line -= {r.revision for r in script.iterate_revisions(MAIN, "base")}
    known = {r.revision for r in script.walk_revisions()}
    ancestors: set[str] = set()
    for head in heads:
        if head not in known:  # a revision of a chain this release no longer carries (0021): as it was stored
            return head if branch == MAIN and head.isdigit() else None  # the ledger's are numbered, side lines not
        ancestors |= {ancestor.revision for ancestor in script.iterate_revisions(head, "base")}
    for revision in script.iterate_revisions(branch, "base"):  # newest first: 0023 beside s002, not its 0022
        if revision.revision in line and revision.revision in ancestors:
            return revision.revision
    return None


def current(dsn: str, branch: str = MAIN) -> str | None:
    """The deployed revision of a line (the ledger by default), None at base."""
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()[0]
        if not exists:
            return None
        heads = [row[0] for row in conn.execute("SELECT version_num FROM public.alembic_version")]
    return line_revision(heads, branch)
