"""Running the check catalog from Python, and its three output formats.

The checks themselves are SQL (ledger_check.*); this module only calls them,
orders the findings, and renders them for a terminal, for tools (JSON) or
for Prometheus' text exposition format (node_exporter's textfile collector).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import class_row

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class Finding:
    check_name: str
    severity: str
    subject: str
    amount: Decimal | None
    detail: dict[str, Any]
    hint: str


@dataclass(frozen=True)
class Report:
    since: str | None
    checks: list[str]
    findings: list[Finding]
    checked_at: float
    incremental: bool = False

    @property
    def window(self) -> str:
        """What the run covered, as a stable label: 'incremental', 'all' (all history) or the interval text."""
        return "incremental" if self.incremental else "all" if self.since is None else self.since

    @property
    def worst(self) -> str | None:
        ranks = [SEVERITIES.index(f.severity) for f in self.findings]
        return SEVERITIES[max(ranks)] if ranks else None


def parse_since(text: str) -> str | None:
    """'24h', '15m', '7d', '90s', 'all' (or any PostgreSQL interval) -> interval text; 'all' -> None."""
    if text.strip().lower() in ("all", "none", "null"):
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if match:
        return f"{match.group(1)} {dict(s='seconds', m='minutes', h='hours', d='days')[match.group(2)]}"
    return text


def catalog(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("SELECT * FROM ledger_check.catalog ORDER BY name").fetchall()


def run(conn: psycopg.Connection, names: list[str] | None = None, since: str | None = "24 hours") -> Report:
    """Run the named checks (all when empty), worst findings first."""
    known = [row["name"] for row in catalog(conn)]
    unknown = sorted(set(names or []) - set(known))
    if unknown:
        raise ValueError(f"unknown check(s): {', '.join(unknown)}; `ledgerguard checks` lists them")
    chosen = names or known
    if since is not None and conn.execute("SELECT %s::interval <= interval '0'", (since,)).fetchone()[0]:
        raise ValueError(f"the window {since!r} is not a positive interval: it would check nothing ('all' is all history)")
    findings: list[Finding] = []
    with conn.cursor(row_factory=class_row(Finding)) as cur:
        for name in chosen:
            findings += cur.execute(
                psycopg.sql.SQL("SELECT * FROM ledger_check.{}(%s::interval)").format(psycopg.sql.Identifier(name)),
                (since,)).fetchall()
    findings.sort(key=lambda f: (-SEVERITIES.index(f.severity), f.check_name, f.subject))
    return Report(since=since, checks=chosen, findings=findings, checked_at=time.time())


def record(conn: psycopg.Connection, since: str | None) -> dict[str, Any]:
    """Run the whole catalog on the primary and store it in the check history."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("SELECT * FROM ledger_ops.record_check_run(%s::interval)", (since,)).fetchone()


def record_incremental(conn: psycopg.Connection) -> Report:
    """Check only what is new since the last incremental run, store the run, and report its findings."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        run = cur.execute("SELECT * FROM ledger_ops.record_incremental_check_run()").fetchone()
    with conn.cursor(row_factory=class_row(Finding)) as cur:
        findings = cur.execute(
            "SELECT check_name, severity, subject, amount, detail, hint FROM ledger.check_findings WHERE run_id = %s",
            (run["id"],)).fetchall()
    findings.sort(key=lambda f: (-SEVERITIES.index(f.severity), f.check_name, f.subject))
    since = "all history (first incremental run)" if run["since"] is None else f"new since run before ({run['since']})"
    return Report(since=since, checks=[row["name"] for row in catalog(conn)], findings=findings, checked_at=time.time(),
                  incremental=True)


def exit_status(report: Report, fail_on: str = "LOW") -> int:
    """0 healthy (or nothing at fail_on or worse), 1 worst LOW/MEDIUM, 2 worst HIGH/CRITICAL."""
    worst = report.worst
    if worst is None or SEVERITIES.index(worst) < SEVERITIES.index(fail_on):
        return 0
    return 2 if worst in ("HIGH", "CRITICAL") else 1


def as_table(report: Report) -> str:
    window = report.since or "all history"
    if not report.findings:
        return f"OK  no findings ({len(report.checks)} checks, window {window})\n"
    rows = [("SEVERITY", "CHECK", "SUBJECT", "AMOUNT", "HINT")]
    rows += [(f.severity, f.check_name, f.subject, "" if f.amount is None else str(f.amount), f.hint)
             for f in report.findings]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    lines.append(f"{len(report.findings)} finding(s), worst {report.worst} ({len(report.checks)} checks, window {window})")
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def as_json(report: Report) -> str:
    return json.dumps({
        "checked_at": report.checked_at,
        "since": report.since,
        "checks": report.checks,
        "worst_severity": report.worst,
        "findings": [{k: _jsonable(v) for k, v in asdict(f).items()} for f in report.findings],
    }, indent=2, default=_jsonable) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def as_prometheus(report: Report) -> str:
    """Gauges for every check and severity (zeros included, so alerts can test == 0). Every series carries the
    run's window label, so the every-minute run and the nightly all-history run can sit side by side in one
    node_exporter textfile directory (two files) without colliding; the rules take the worst window."""
    window = f'window="{_label(report.window)}"'
    # The provider-vs-internal totals per currency are the ledger_delta series; the check's other series count
    # its payouts only, so neither counts a payout twice.
    deltas = [f for f in report.findings if f.check_name == "provider_vs_internal" and "provider_total" in f.detail]
    counted = [f for f in report.findings if f not in deltas]
    out = [
        "# HELP ledgerguard_check_findings Findings of a ledgerguard check, by severity.",
        "# TYPE ledgerguard_check_findings gauge",
    ]
    for name in report.checks:
        for severity in SEVERITIES:
            count = sum(1 for f in counted if f.check_name == name and f.severity == severity)
            out.append(f'ledgerguard_check_findings{{check="{_label(name)}",severity="{severity}",{window}}} {count}')
    out += [
        "# HELP ledgerguard_check_amount Money at stake in a check's findings (sum of absolute amounts).",
        "# TYPE ledgerguard_check_amount gauge",
    ]
    for name in report.checks:
        total = sum(abs(f.amount) for f in counted if f.check_name == name and f.amount is not None)
        out.append(f'ledgerguard_check_amount{{check="{_label(name)}",{window}}} {total}')
    out += [
        "# HELP ledgerguard_provider_delta Provider-reported minus internal completed payout total over the check window,"
        " per currency (the ledger-desync postmortem's ledger_delta; only currencies that differ).",
        "# TYPE ledgerguard_provider_delta gauge",
    ]
    for f in deltas:
        out.append(f'ledgerguard_provider_delta{{currency="{_label(f.detail["currency"])}",{window}}} {f.amount}')
    worst = 0 if report.worst is None else SEVERITIES.index(report.worst) + 1
    out += [
        "# HELP ledgerguard_check_worst_severity Worst severity found: 0 healthy, 1 LOW, 2 MEDIUM, 3 HIGH, 4 CRITICAL.",
        "# TYPE ledgerguard_check_worst_severity gauge",
        f"ledgerguard_check_worst_severity{{{window}}} {worst}",
        "# HELP ledgerguard_check_last_run_timestamp_seconds When the checks last ran (Unix time).",
        "# TYPE ledgerguard_check_last_run_timestamp_seconds gauge",
        f"ledgerguard_check_last_run_timestamp_seconds{{{window}}} {report.checked_at:.3f}",
    ]
    return "\n".join(out) + "\n"


FORMATS = {"table": as_table, "json": as_json, "prometheus": as_prometheus}
