"""The baseline: the whole ledger, built from one frozen copy of sql/.

A fresh install runs only this revision. A database at the last revision
before it (REPLACES: 0021, the end of the migration chain up to release
0.1) is moved to it by a change of its version row alone (migrations/env.py):
the chain and this baseline build the same catalog, which
tests/test_baseline.py shows with pg_dump --schema-only. A database at an
older revision upgrades with the release that still carries its chain first.

The folder 0022_baseline/ is a frozen copy of sql/ with its manifest.txt,
plus the two files of the downgrade: roles/keep_data.sql refuses to remove
a ledger that holds transactions unless told to (-x drop_data=yes), and
roles/remove.sql leaves the database as it was before ledgerguard.

Revision ID: 0022
Revises:
"""

from alembic import context

from ledgerguard import resources
from ledgerguard.deploy import apply_frozen, frozen_dir

revision = "0022"
down_revision = None
branch_labels = ("ledger",)  # the main line; "schedule" is the opt-in pg_cron branch
depends_on = None

REPLACES = ("0021",)  # a database at one of these moves to this revision with no change but its version row
RELEASED = "0.2.0"    # frozen: a released revision is never edited again; the next change is a new revision


def upgrade() -> None:
    apply_frozen(__file__, resources.manifest(frozen_dir(__file__)))


def downgrade() -> None:
    drop_data = context.get_x_argument(as_dictionary=True).get("drop_data") == "yes"
    apply_frozen(__file__, (["roles/keep_data.sql"] if not drop_data else []) + ["roles/remove.sql"])
