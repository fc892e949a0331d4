"""`ledgerguard doctor`: what is deployed, against what the package ships.

Each finding is (OK | WARN | FAIL, message). FAIL means a guarantee of the
ledger does not hold on this database right now.
"""

from __future__ import annotations

import psycopg

from ledgerguard import migrate

LEDGER_SCHEMAS = ("ledger", "ledger_private", "ledger_check", "ledger_ops")


def diagnose(dsn: str) -> list[tuple[str, str]]:
    findings: list[tuple[str, str]] = []
    deployed, shipped = migrate.current(dsn), migrate.head()
    if deployed == shipped:
        findings.append(("OK", f"revision {deployed} deployed (the package ships {shipped})"))
    else:
        findings.append(("FAIL", f"revision {deployed or 'none'} deployed, the package ships {shipped}: run `ledgerguard migrate`"))
    with psycopg.connect(dsn) as conn:
        for (name,) in conn.execute(
            """SELECT format('%%s on %%s', t.tgname, t.tgrelid::regclass)
                 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relnamespace::regnamespace::text = ANY(%s) AND NOT t.tgisinternal AND t.tgenabled = 'D'""",
            (list(LEDGER_SCHEMAS),)):
            findings.append(("FAIL", f"trigger {name} is disabled: an invariant is not enforced"))
        for (name,) in conn.execute(
            """SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relnamespace::regnamespace::text = ANY(%s) AND NOT (i.indisvalid AND i.indisready)""",
            (list(LEDGER_SCHEMAS),)):
            findings.append(("FAIL", f"index {name} is INVALID and enforces nothing: drop and rebuild it"))
        for (name,) in conn.execute(
            """SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace::regnamespace::text = ANY(%s)
                  AND (has_function_privilege('public', p.oid, 'EXECUTE')
                       OR (p.prosecdef AND NOT coalesce(p.proconfig::text LIKE '%%search_path=%%', false)))""",
            (list(LEDGER_SCHEMAS),)):
            findings.append(("FAIL", f"function {name} is executable by PUBLIC or is SECURITY DEFINER without a pinned search_path"))
        owner_login = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'ledger_owner'").fetchone()
        if owner_login and owner_login[0]:
            findings.append(("FAIL", "role ledger_owner can log in; it must be NOLOGIN"))
    if len(findings) == 1 and findings[0][0] == "OK":
        findings.append(("OK", "triggers enabled, indexes valid, no function open to PUBLIC"))
    return findings
