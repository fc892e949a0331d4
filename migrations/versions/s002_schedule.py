"""Opt-in: schedule the nightly settlement (00:00 UTC) and the recorded reconciliation (02:00 UTC) with pg_cron.

Applied only by `ledgerguard migrate --schedule` (target schedule@head).
Needs pg_cron in shared_preload_libraries with cron.database_name set to
this database, and a role that may CREATE EXTENSION; the jobs run as it.
It is s001 of the chain before the baseline, which depended on 0004: a
database with s001 moves to it by its version row alone (migrations/env.py).

Revision ID: s002
Revises:
"""

from ledgerguard.deploy import apply_frozen

revision = "s002"
down_revision = None
branch_labels = ("schedule",)
depends_on = "0022"

REPLACES = ("s001",)
RELEASED = "0.2.0"


def upgrade() -> None:
    apply_frozen(__file__, ["roles/schedule.sql"])  # runs as the migrating role


def downgrade() -> None:
    apply_frozen(__file__, ["roles/unschedule.sql"])
