"""`ledgerguard doctor`: what is deployed, against what the package ships.

Each finding is (OK | WARN | FAIL, message). FAIL means a guarantee of the
ledger does not hold on this database right now. Drift is found by
comparing fingerprints (definition and ACL) of every object in the ledger
schemas with `catalog.json`, which the package ships and a test keeps equal
to a freshly migrated database (`make catalog` regenerates it).
"""

from __future__ import annotations

import json
import sys
from importlib import resources

import psycopg

from ledgerguard import migrate

LEDGER_SCHEMAS = ["ledger", "ledger_private", "ledger_check", "ledger_ops"]

# One row per deployed object: (kind and name, md5 of its definition and privileges).
FINGERPRINTS = """
SELECT 'schema ' || n.nspname, md5(coalesce(n.nspacl::text, '') || pg_get_userbyid(n.nspowner))
  FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s)
UNION ALL
SELECT 'function ' || p.oid::regprocedure, md5(pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '') || pg_get_userbyid(p.proowner))
  FROM pg_proc p WHERE p.pronamespace::regnamespace::text = ANY(%(schemas)s)
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view ' ELSE 'table ' END || c.oid::regclass,
       md5(coalesce(pg_get_viewdef(c.oid), '') || coalesce(c.relacl::text, '') || pg_get_userbyid(c.relowner)
           || (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull, ', ' ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
  FROM pg_class c WHERE c.relnamespace::regnamespace::text = ANY(%(schemas)s) AND c.relkind IN ('r', 'v', 'p')
UNION ALL
SELECT 'index ' || i.indexrelid::regclass, md5(pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace::regnamespace::text = ANY(%(schemas)s)
UNION ALL
SELECT 'constraint ' || co.conname || ' on ' || co.conrelid::regclass, md5(pg_get_constraintdef(co.oid))
  FROM pg_constraint co WHERE co.connamespace::regnamespace::text = ANY(%(schemas)s) AND co.conrelid <> 0
UNION ALL
SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass, md5(pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace::regnamespace::text = ANY(%(schemas)s) AND NOT t.tgisinternal
"""


def fingerprints(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute(FINGERPRINTS, {"schemas": LEDGER_SCHEMAS}).fetchall())


def shipped() -> dict:
    return json.loads((resources.files("ledgerguard") / "catalog.json").read_text())


def write_expected(dsn: str) -> str:
    """catalog.json for a database migrated to head (make catalog)."""
    return json.dumps({"revision": migrate.current(dsn), "objects": dict(sorted(fingerprints(dsn).items()))},
                      indent=1) + "\n"


def drift(dsn: str) -> list[tuple[str, str]]:
    expected = shipped()["objects"]
    actual = fingerprints(dsn)
    findings = []
    for name in sorted(expected.keys() - actual.keys()):
        findings.append(("FAIL", f"{name} is missing"))
    for name in sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k]):
        findings.append(("FAIL", f"{name} differs from what the package ships (definition or privileges)"))
    for name in sorted(actual.keys() - expected.keys()):
        findings.append(("WARN", f"{name} is not part of ledgerguard"))
    return findings


def diagnose(dsn: str) -> list[tuple[str, str]]:
    findings: list[tuple[str, str]] = []
    deployed, head = migrate.current(dsn), migrate.head()
    if deployed == head:
        findings.append(("OK", f"revision {deployed} deployed (the package ships {head})"))
        findings += drift(dsn)
    else:
        findings.append(("FAIL", f"revision {deployed or 'none'} deployed, the package ships {head}: run `ledgerguard migrate`"))
    with psycopg.connect(dsn) as conn:
        # The guards' own state comes from the check catalog, not a second copy of its queries.
        if conn.execute("SELECT to_regprocedure('ledger_check.disabled_triggers(interval)') IS NOT NULL").fetchone()[0]:
            for check, subject in conn.execute(
                    "SELECT check_name, subject FROM ledger_check.disabled_triggers() UNION ALL "
                    "SELECT check_name, subject FROM ledger_check.invalid_indexes()"):
                findings.append(("FAIL", f"trigger {subject} is disabled: an invariant is not enforced"
                                 if check == "disabled_triggers" else
                                 f"index {subject} is INVALID and enforces nothing: drop and rebuild it"))
        for (name,) in conn.execute(
            """SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace::regnamespace::text = ANY(%s)
                  AND (has_function_privilege('public', p.oid, 'EXECUTE')
                       OR (p.prosecdef AND NOT coalesce(p.proconfig::text LIKE '%%search_path=%%', false)))""",
            (LEDGER_SCHEMAS,)):
            findings.append(("FAIL", f"function {name} is executable by PUBLIC or is SECURITY DEFINER without a pinned search_path"))
        if conn.execute("SELECT has_database_privilege('public', current_database(), 'CONNECT')").fetchone()[0]:
            db = conn.info.dbname
            findings.append(("WARN", f"database {db} is open to every login (CONNECT for PUBLIC): a login with no "
                             f"ledger role can connect and take advisory locks; as its owner: REVOKE CONNECT ON "
                             f"DATABASE {db} FROM PUBLIC (the ledger roles have it)"))
        owner_login = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'ledger_owner'").fetchone()
        if owner_login and owner_login[0]:
            findings.append(("FAIL", "role ledger_owner can log in; it must be NOLOGIN"))
    if all(severity == "OK" for severity, _ in findings):
        findings.append(("OK", "every object matches the package; triggers enabled, indexes valid, nothing open to PUBLIC"))
    return findings


if __name__ == "__main__":  # make catalog: python -m ledgerguard.doctor > src/ledgerguard/catalog.json
    from ledgerguard.cluster import EmbeddedCluster

    with EmbeddedCluster("catalog") as cluster:
        target = cluster.create_database("catalog")
        migrate.upgrade(target)
        sys.stdout.write(write_expected(target))
