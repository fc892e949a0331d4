"""The alerts the runbooks name, in Prometheus (issue 18, item 6): the shipped rules pass `promtool check rules`
and their unit tests (`promtool test rules`), and fire on what `ledgerguard check --format prometheus` really
exports from a ledger with an incident in it. The Grafana dashboard reads the same series."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
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
    assert checked.returncode == 0 and "SUCCESS: 14 rules found" in checked.stdout, checked.stdout + checked.stderr
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
    export = _export(dsn)
    unbalanced = sum(float(v) for n, v in (l.rsplit(" ", 1) for l in export.splitlines() if l.startswith("ledgerguard_check_findings{"))
                     if re.search(r'check="(unbalanced_transactions|orphaned_entries|broken_balance_chains|negative_balances)"', n))
    assert unbalanced >= 1
    _assert_alerts(export, tmp_path, [
        {"eval_time": "5m", "alertname": "LedgerguardUnbalancedTransactions", "exp_alerts": [{
            "exp_labels": {"severity": "critical", "runbook_alert": "Ledger Invariant Violation", "instance": "db1"},
            "exp_annotations": {
                "summary": f"The ledger breaks an invariant: {unbalanced:g} finding(s)",
                "description": "ledgerguard check --since all names them; the guards should have refused this: "
                               "look for disabled triggers (ledgerguard doctor)."}}]},
        {"eval_time": "5m", "alertname": "LedgerguardPayoutAnomaly", "exp_alerts": []},
        {"eval_time": "5m", "alertname": "LedgerguardChecksStale", "exp_alerts": []},
    ])


@needs_promtool
def test_the_ledger_delta_alert_reads_one_currencys_totals_not_the_sum_of_the_findings(app, tmp_path, dsn):
    """A 30.00 difference is one payout the provider calls succeeded and the ledger failed: the check reports that
    payout (30.00) and the USD totals (30.00). The alert once summed both (60, over its 50) and paged, and the
    state-mismatch alert counted two payouts; the delta alert reads the per-currency delta, stays quiet at 30.00
    and fires when a second payout takes USD to 55.00, and the state-mismatch alert counts the payouts."""
    app.create_wallet("card", "EXTERNAL", "USD", True)
    app.create_wallet("vendor", "VENDOR", "USD")
    app.post_transaction("sales", "TRANSFER", [("card", "-100.00"), ("vendor", "100.00")])

    def provider_says_succeeded_after_we_failed(order: str, amount: str) -> None:
        payout = app.payout_once(order, "vendor", amount)[0]
        app.fail_payout(payout, "bank rejected")
        app.record_provider_event("acme", "vendor", f"ev-{order}", 1, payout, f"acme-{order}", "succeeded", amount, "USD")

    provider_says_succeeded_after_we_failed("order:1", "30.00")
    export = _export(dsn)
    assert 'ledgerguard_provider_delta{currency="USD",window="all"} 30.00' in export.splitlines(), export
    # the payout is counted once, with its money once: the totals are the delta series alone
    assert 'ledgerguard_check_amount{check="provider_vs_internal",window="all"} 30.00' in export.splitlines(), export
    assert 'ledgerguard_check_findings{check="provider_vs_internal",severity="HIGH",window="all"} 1' in export.splitlines()
    _assert_alerts(export, tmp_path, [{"eval_time": "5m", "alertname": "LedgerguardProviderLedgerDelta", "exp_alerts": []}])
    mismatch = {"exp_labels": {"severity": "warning", "instance": "db1"}, "exp_annotations": {
        "summary": "1 payout(s) whose provider state differs from the ledger's for 30 minutes"}}
    _assert_alerts(export, tmp_path, [{"eval_time": "40m", "alertname": "LedgerguardProviderStateMismatch",
                                       "exp_alerts": [mismatch]}], minutes=45)

    provider_says_succeeded_after_we_failed("order:2", "25.00")
    _assert_alerts(_export(dsn), tmp_path, [{"eval_time": "5m", "alertname": "LedgerguardProviderLedgerDelta", "exp_alerts": [{
        "exp_labels": {"severity": "critical", "runbook_alert": "ledger_delta_gt_50", "instance": "db1", "currency": "USD"},
        "exp_annotations": {
            "summary": "USD payouts: provider and internal totals differ by 55",
            "description": "SELECT * FROM ledger_check.provider_vs_internal(NULL) names the payouts and both states."}}]}])


def _export(dsn: str) -> str:
    """`ledgerguard check --since all --format prometheus`, which promtool lints clean."""
    export = CliRunner().invoke(main, ["--dsn", dsn, "check", "--since", "all", "--format", "prometheus"]).stdout
    linted = _promtool("check", "metrics", stdin=export)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    return export


def _assert_alerts(export: str, tmp_path: Path, alert_rule_test: list[dict], minutes: int = 10) -> None:
    """Feed an export to the shipped rules as `minutes` of samples from instance db1; promtool asserts the alerts."""
    series = []
    for line in export.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name_labels, value = line.rsplit(" ", 1)
        if name_labels.startswith("ledgerguard_check_last_run_timestamp_seconds"):
            series.append({"series": 'ledgerguard_check_last_run_timestamp_seconds{instance="db1"}', "values": f"0+60x{minutes}"})
            continue
        name, _, labels = name_labels.partition("{")
        labels = ('instance="db1",' + labels) if labels else 'instance="db1"}'
        series.append({"series": f"{name}{{{labels}", "values": f"{value}x{minutes}"})
    test = {"rule_files": [str(RULES)], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": alert_rule_test}]}
    path = tmp_path / "export.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    tested = _promtool("test", "rules", str(path))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_dashboard_reads_the_exported_series_and_the_alerts_metrics():
    dashboard = json.loads((MONITORING / "grafana" / "ledgerguard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\b(ledgerguard_[a-z_]+)\b", expr)}
    exported = {"ledgerguard_check_findings", "ledgerguard_check_amount", "ledgerguard_check_worst_severity",
                "ledgerguard_check_last_run_timestamp_seconds", "ledgerguard_provider_delta"}
    assert used == exported, used
    rules = yaml.safe_load(RULES.read_text())
    alerted = {name for rule in rules["groups"][0]["rules"] for name in re.findall(r"\b(ledgerguard_[a-z_]+)\b", rule["expr"])}
    assert alerted <= exported


def test_the_readmes_cron_writers_keep_the_last_good_file_and_never_collide(dsn, tmp_path):
    """The README's two textfile writers, run as cron runs them (/bin/sh, nothing but PATH and the DSN): each
    writes a file of its own; the two together are what node_exporter accepts (no series twice); and a run that
    could not check (exit 3) leaves the last good file for LedgerguardChecksStale to age, never an empty one."""
    from prometheus_client.parser import text_string_to_metric_families

    readme = (MONITORING.parent / "README.md").read_text()
    writers = re.findall(r"^(?:\S+[ \t]+){5}(.*ledgerguard check.*--format prometheus.*)$", readme, re.MULTILINE)
    assert len(writers) == 2, writers
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LEDGERGUARD_DSN": dsn}

    def cron(line: str, database: str) -> int:
        line = line.replace("/var/lib/node_exporter/textfile", str(tmp_path))
        line = re.sub(r"LEDGERGUARD_DSN=\S+;", f"LEDGERGUARD_DSN='{database}';", line)
        return subprocess.run(["/bin/sh", "-c", line], env={**env, "LEDGERGUARD_DSN": database}, cwd=tmp_path,
                              timeout=300).returncode

    for line in writers:
        assert cron(line, dsn) == 0, line  # checked, and the file moved into place
    files = sorted(tmp_path.glob("*.prom"))
    assert [f.name for f in files] == ["ledgerguard-nightly.prom", "ledgerguard.prom"]
    seen: set[tuple] = set()
    for path in files:
        for family in text_string_to_metric_families(path.read_text()):
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                assert key not in seen, key
                seen.add(key)
    good = {path: path.read_text() for path in files}
    for line in writers:
        cron(line, "postgresql://nobody@127.0.0.1:1/ledger")
    assert {path: path.read_text() for path in files} == good
