"""Alembic, driven from Python: upgrade, downgrade, offline SQL, current revision."""

from __future__ import annotations

import io

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from ledgerguard import resources

MAIN = "ledger@head"          # the ledger itself
SCHEDULE = "schedule@head"    # opt-in pg_cron jobs (ledgerguard migrate --schedule)


def alembic_config(dsn: str | None, output: io.TextIOBase | None = None) -> Config:
    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(resources.migrations_dir()))
    cfg.attributes["dsn"] = dsn
    return cfg


def upgrade(dsn: str, revision: str = MAIN) -> str | None:
    """Upgrade; returns the revision found under the migration lock (None = base)."""
    cfg = alembic_config(dsn)
    command.upgrade(cfg, revision)
    return line_revision(cfg.attributes.get("heads_before", ()))


def downgrade(dsn: str, revision: str) -> str | None:
    """Downgrade; returns the revision found under the migration lock."""
    cfg = alembic_config(dsn)
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

    Alembic stores heads only: s001 stands for 0004 too (depends_on), so the
    newest revision of the line among each head's ancestors is the answer.
    """
    script = _script()
    line = {r.revision for r in script.iterate_revisions(branch, "base")}
    if branch != MAIN:  # a side line depends on the ledger line; count only its own revisions
        line -= {r.revision for r in script.iterate_revisions(MAIN, "base")}
    for head in heads:
        for ancestor in script.iterate_revisions(head, "base"):
            if ancestor.revision in line:
                return ancestor.revision
    return None


def current(dsn: str, branch: str = MAIN) -> str | None:
    """The deployed revision of a line (the ledger by default), None at base."""
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()[0]
        if not exists:
            return None
        heads = [row[0] for row in conn.execute("SELECT version_num FROM public.alembic_version")]
    return line_revision(heads, branch)
