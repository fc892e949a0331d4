"""The alerts the runbooks name, in Prometheus (issue 18, item 6): the shipped rules pass `promtool check rules`
and their unit tests (`promtool test rules`), and fire on what `ledgerguard check --format prometheus` really
exports from a ledger with an incident in it. The Grafana dashboard reads the same series."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ledger_state import bypassing_triggers
from ledgerguard.cli import main

MONITORING = Path(__file__).resolve().parents[1] / "monitoring"
RULES = MONITORING / "prometheus" / "ledgerguard.rules.yml"
promtool = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(not promtool, reason="promtool is not installed (Debian package prometheus; make deps installs it)")


def _promtool(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


@needs_promtool
def test_the_shipped_rules_are_valid_and_pass_their_unit_tests():
    checked = _promtool("check", "rules", str(RULES))
    assert checked.returncode == 0 and "SUCCESS: 10 rules found" in checked.stdout, checked.stdout + checked.stderr
    tested = _promtool("test", "rules", "ledgerguard.rules.test.yml", cwd=RULES.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr


@needs_promtool
def test_the_alerts_fire_on_what_ledgerguard_exports(app, db, dsn, tmp_path):
    """An unbalanced transaction written around the guards: the export lints clean, and fed to Prometheus the
    invariant alert fires with its count while the payout alert stays quiet."""
    app.create_wallet("world", "EXTERNAL", "USD", True)
    app.create_wallet("alice", "USER", "USD")
    with bypassing_triggers(db):
        db.execute("""WITH t AS (INSERT INTO ledger.transactions (kind) VALUES ('TRANSFER') RETURNING id)
                      INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                      SELECT t.id, w.id, 'USD', 7.00, 0, 1, 7.00 FROM t, ledger.wallets w WHERE w.code = 'alice'""")
    db.commit()
    export = CliRunner().invoke(main, ["--dsn", dsn, "check", "--since", "all", "--format", "prometheus"]).stdout
    linted = _promtool("check", "metrics", stdin=export)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    series = []
    for line in export.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name_labels, value = line.rsplit(" ", 1)
        if name_labels.startswith("ledgerguard_check_last_run_timestamp_seconds"):
            series.append({"series": 'ledgerguard_check_last_run_timestamp_seconds{instance="db1"}', "values": "0+60x10"})
            continue
        name, _, labels = name_labels.partition("{")
        labels = ('instance="db1",' + labels) if labels else 'instance="db1"}'
        series.append({"series": f"{name}{{{labels}", "values": f"{value}x10"})
    unbalanced = sum(float(v) for n, v in (l.rsplit(" ", 1) for l in export.splitlines() if l.startswith("ledgerguard_check_findings{"))
                     if re.search(r'check="(unbalanced_transactions|orphaned_entries|broken_balance_chains|negative_balances)"', n))
    assert unbalanced >= 1
    test = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "LedgerguardUnbalancedTransactions", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "runbook_alert": "Ledger Invariant Violation", "instance": "db1"},
                "exp_annotations": {
                    "summary": f"The ledger breaks an invariant: {unbalanced:g} finding(s)",
                    "description": "ledgerguard check --since all names them; the guards should have refused this: "
                                   "look for disabled triggers (ledgerguard doctor)."}}]},
            {"eval_time": "5m", "alertname": "LedgerguardPayoutAnomaly", "exp_alerts": []},
            {"eval_time": "5m", "alertname": "LedgerguardChecksStale", "exp_alerts": []},
        ]}]}
    path = tmp_path / "export.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    tested = _promtool("test", "rules", str(path))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_dashboard_reads_the_exported_series_and_the_alerts_metrics():
    dashboard = json.loads((MONITORING / "grafana" / "ledgerguard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\b(ledgerguard_[a-z_]+)\b", expr)}
    exported = {"ledgerguard_check_findings", "ledgerguard_check_amount", "ledgerguard_check_worst_severity",
                "ledgerguard_check_last_run_timestamp_seconds"}
    assert used == exported, used
    rules = yaml.safe_load(RULES.read_text())
    alerted = {name for rule in rules["groups"][0]["rules"] for name in re.findall(r"\b(ledgerguard_[a-z_]+)\b", rule["expr"])}
    assert alerted <= exported
