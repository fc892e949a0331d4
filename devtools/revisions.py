"""Frozen SQL copies of the migrations, and the revision of a release made from sql/.

Each revision ``migrations/versions/NNNN_slug.py`` has a folder
``NNNN_slug/`` holding frozen copies of the sql/ files it deploys, at their
sql/-relative paths. The newest frozen copy of a file must equal sql/ (a test
checks it); `scripts/new-revision` freezes whatever differs.

One revision per release: while the head revision is unreleased (its
RELEASED is None), `new-revision` regenerates it from everything that
differs from the revisions before it, keeping the hand-written table changes
in its ``changes/`` folder; a released revision is frozen, and the next
change starts a new one.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory

from ledgerguard import resources
from ledgerguard.migrate import alembic_config


@dataclass(frozen=True)
class Revision:
    revision: str
    path: Path
    released: str | None = None  # the release that froze it; None while it may still be regenerated

    @property
    def folder(self) -> Path:
        return self.path.with_suffix("")


def ordered_revisions() -> list[Revision]:
    """Revisions from the first (the baseline) to the head."""
    script = ScriptDirectory.from_config(alembic_config(None))
    walked = list(script.iterate_revisions("ledger@head", "base"))
    return [Revision(r.revision, Path(r.path), getattr(r.module, "RELEASED", None)) for r in reversed(walked)]


def fingerprint(path: Path) -> str:
    """sha256 of a revision: its .py file and every file of its folder, by relative path."""
    digest = hashlib.sha256(path.read_bytes())
    for file in sorted(p for p in path.with_suffix("").rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(file.relative_to(path.parent).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def released_fingerprints() -> dict[str, str]:
    """migrations/released.txt: revision -> fingerprint, recorded when its release was tagged."""
    lines = (resources.migrations_dir() / "released.txt").read_text().splitlines()
    return dict(line.split()[:2] for line in lines if line.strip() and not line.startswith("#"))


def newest_frozen_copies(revisions: list[Revision] | None = None) -> dict[str, Path]:
    """sql/-relative path -> newest frozen copy of that file (in `revisions`, all by default)."""
    newest: dict[str, Path] = {}
    for rev in ordered_revisions() if revisions is None else revisions:
        if not rev.folder.is_dir():
            continue
        for path in rev.folder.rglob("*.sql"):
            newest[path.relative_to(rev.folder).as_posix()] = path
    return newest


def changed_files(revisions: list[Revision] | None = None) -> list[str]:
    """Manifest files whose sql/ text differs from their newest frozen copy (in `revisions`, all by default)."""
    frozen = newest_frozen_copies(revisions)
    root = resources.sql_dir()
    return [rel for rel in resources.manifest()
            if rel not in frozen or frozen[rel].read_text() != (root / rel).read_text()]


_CREATES = [
    (re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)\s*\(", re.I), "DROP FUNCTION IF EXISTS {0};"),
    (re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+([\w.]+)", re.I), "DROP VIEW IF EXISTS {0};"),
    (re.compile(r"CREATE\s+TABLE\s+([\w.]+)", re.I), "DROP TABLE IF EXISTS {0};"),
    (re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(\w+)[\s\S]*?\sON\s+([\w.]+)", re.I),
     "DROP TRIGGER IF EXISTS {0} ON {1};"),
]


def drops_for(text: str) -> list[str]:
    """DROP statements undoing the CREATEs of a new file, last created first."""
    found: list[tuple[int, str]] = []
    for pattern, template in _CREATES:
        for match in pattern.finditer(text):
            statement = template.format(*match.groups())
            if template.startswith("DROP FUNCTION"):  # with its argument types, which an overload needs
                signature = re.search(rf"COMMENT\s+ON\s+FUNCTION\s+{re.escape(match.group(1))}\s*(\([^)]*\))", text, re.I)
                if signature:
                    statement = f"DROP FUNCTION IF EXISTS {match.group(1)}{signature.group(1)};"
            found.append((match.start(), statement))
    return [statement for _, statement in sorted(found, reverse=True)]


def _literal(value: list | dict) -> str:
    """A list or dict as Python source, one item per line (reviewable diffs)."""
    if not value:
        return repr(value)
    if isinstance(value, dict):
        return "{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in value.items()) + "}"
    return "[\n" + "".join(f"    {item!r},\n" for item in value) + "]"


def new_revision(message: str) -> Path:
    """Freeze what sql/ changed into the release's revision: a new one after a released head, the head itself
    regenerated while it is unreleased. Returns its .py file."""
    if not changed_files():
        raise SystemExit("sql/ equals the newest frozen copies: nothing to freeze")
    revisions = ordered_revisions()
    regenerate = bool(revisions) and revisions[-1].released is None
    before = revisions[:-1] if regenerate else revisions
    changed = changed_files(before)
    previous = before[-1] if before else None
    number = f"{int(previous.revision) + 1:04d}" if previous else "0001"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "change"
    versions = resources.migrations_dir() / "versions"
    pyfile = revisions[-1].path if regenerate else versions / f"{number}_{slug}.py"  # a regenerated one keeps its name
    folder = pyfile.with_suffix("")
    written_by_hand: dict[str, str] = {}
    described = f"{message}\n"
    if regenerate:  # the unreleased head goes; its hand-written description and table changes stay
        head = revisions[-1]
        described = head.path.read_text().split('"""', 2)[1].split("Revision ID:")[0].rstrip() + "\n"
        written_by_hand = {p.relative_to(head.folder).as_posix(): p.read_text()
                           for p in sorted((head.folder / "changes").glob("*.sql"))}
        shutil.rmtree(head.folder, ignore_errors=True)
        head.path.unlink()
    frozen_before = newest_frozen_copies(before)
    sql_root = resources.sql_dir()

    apply, restore, drops, undo_by_hand = [], {}, [], []
    for rel in changed:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sql_root / rel, target)
        if rel in frozen_before and rel.startswith("tables/"):
            # A table changes through ALTER TABLE statements, written by hand in changes/ (the frozen copy is for
            # comparison: a migrated database must equal sql/, which a test checks).
            table = Path(rel).stem
            for name, what in ((f"changes/{table}.sql", f"turn the previous {rel} into the new one"),
                               (f"changes/{table}.down.sql", "undo changes/" + table + ".sql")):
                path = folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(written_by_hand.get(name, f"-- ALTER TABLE statements that {what}.\n"))
            apply.append(f"changes/{table}.sql")
            undo_by_hand.insert(0, f"changes/{table}.down.sql")
            continue
        apply.append(rel)
        if rel in frozen_before:
            restore[rel] = frozen_before[rel].parent.relative_to(versions).parts[0]
        else:
            drops = drops_for(target.read_text()) + drops

    lines = [
        f'"""{described}', f"Revision ID: {number}", f"Revises: {previous.revision if previous else ''}", '"""', "",
        "from ledgerguard.deploy import apply_frozen, execute_batches, restore_frozen", "",
        f"revision = {number!r}", f"down_revision = {previous.revision if previous else None!r}",
        "branch_labels = None", "depends_on = None",
        "RELEASED = None  # the release that freezes this revision; until then new-revision regenerates it", "",
        f"# Frozen copies and hand-written table changes in {folder.name}/, in build order.",
        f"UPGRADE = {_literal(apply)}", "",
        "# Replaced objects: the revision folder that holds the copy a downgrade restores.",
        f"RESTORE = {_literal(restore)}", "",
        "# The table changes undone, last first (hand-written, in changes/).",
        f"UNDO = {_literal(undo_by_hand)}", "",
        "# New objects, dropped by the downgrade (run as ledger_owner).",
        f"DROP = {_literal(drops)}", "", "",
        "def upgrade() -> None:",
        "    apply_frozen(__file__, UPGRADE)", "", "",
        "def downgrade() -> None:",
        "    execute_batches(['SET ROLE ledger_owner;', *DROP, 'RESET ROLE;'])",
        "    restore_frozen(__file__, RESTORE)",
        "    apply_frozen(__file__, UNDO)", "",
    ]
    pyfile.write_text("\n".join(lines))
    return pyfile
