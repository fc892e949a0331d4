"""The command line, against a given DSN and against its own embedded cluster."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from ledgerguard import migrate
from ledgerguard.cli import main

from ledger_state import bypassing_triggers


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_migrate_sql_prints_the_offline_sql_without_a_database():
    result = CliRunner().invoke(main, ["migrate", "--sql"], env={"LEDGERGUARD_DSN": None}, catch_exceptions=False)
    assert result.exit_code == 0
    assert "CREATE SCHEMA ledger;" in result.output and "INSERT INTO alembic_version" in result.output


def test_migrate_then_doctor_on_a_given_database(empty_database):
    dsn = empty_database()
    result = invoke("--dsn", dsn, "migrate")
    assert result.exit_code == 0 and result.stdout.strip() == f"revision base -> {migrate.head()}"
    assert "invariant gate: no new finding" in result.stderr  # progress goes to stderr
    doctor = invoke("--dsn", dsn, "doctor")
    assert doctor.exit_code == 0 and "FAIL" not in doctor.output


def _as(dsn: str, login: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, user=login)


@pytest.mark.parametrize("login", ["lg_oncall", "lg_auditor"])
def test_doctor_and_check_work_for_oncall_and_auditor(login, dsn):
    """Issue 18: `ledgerguard doctor` as on-call or auditor ended in a traceback (permission denied for table
    alembic_version): the version table is now readable by both, and doctor reports as for the DBA."""
    doctor = invoke("--dsn", _as(dsn, login), "doctor")
    assert doctor.exit_code == 0 and f"revision {migrate.head()} deployed" in doctor.output, doctor.output
    assert invoke("--dsn", _as(dsn, login), "check").exit_code == 0


def test_doctor_as_a_login_that_may_not_read_says_so_in_one_line(dsn, db):
    db.execute("REVOKE SELECT ON public.alembic_version FROM ledger_auditor")
    db.commit()
    result = invoke("--dsn", _as(dsn, "lg_auditor"), "doctor")
    assert result.exit_code == 3, result.output
    assert [line for line in result.output.splitlines() if line.strip()] == [
        "Error: ledgerguard doctor: permission denied for table alembic_version"
        " (run it as a login IN ROLE ledger_oncall, ledger_auditor or ledger_migrator)"]


def test_a_login_that_is_only_a_ledger_migrator_runs_the_later_migrations(dsn, later_release):
    """Issue 18: after the first migration, a login only IN ROLE ledger_migrator got `permission denied for
    table alembic_version`. The version table belongs to the migrating side now: it applies the next release's
    revision, downgrades it and applies it again."""
    baseline = migrate.head()
    later_release()
    migrator = _as(dsn, "lg_dba")
    up = invoke("--dsn", migrator, "migrate")
    assert up.exit_code == 0 and up.stdout.strip().endswith(f"{baseline} -> 9000"), up.output
    down = invoke("--dsn", migrator, "migrate", "--downgrade", "-1")
    assert down.exit_code == 0 and down.stdout.strip().endswith(f"-> {baseline}"), down.output
    assert invoke("--dsn", migrator, "migrate").exit_code == 0 and migrate.current(dsn) == "9000"


def test_doctor_warns_when_any_login_may_connect(dsn, db):
    """A database CONNECT is open to PUBLIC (a clone, or one the migrating role did not own): any login can
    take advisory locks there. doctor warns with the statement to run; once revoked, the warning is gone."""
    open_db = invoke("--dsn", dsn, "doctor")
    assert open_db.exit_code == 0 and "WARN  database" in open_db.output and "REVOKE CONNECT" in open_db.output
    db.execute(f'REVOKE CONNECT ON DATABASE "{db.info.dbname}" FROM PUBLIC')
    db.commit()
    assert "WARN" not in invoke("--dsn", dsn, "doctor").output


def test_check_on_a_database_that_is_no_ledger_says_so_in_one_line(empty_database):
    result = invoke("--dsn", empty_database(), "check")
    assert result.exit_code == 3
    assert [line for line in result.output.splitlines() if line.strip()] == [
        'Error: ledgerguard check: relation "ledger_check.catalog" does not exist: is this a ledger?'
        ' (ledgerguard doctor says what is deployed)']


LEDGER_COMMANDS = [["check"], ["check", "--since", "all", "--record"], ["checks"], ["doctor"], ["migrate"],
                   ["migrate", "--downgrade", "-1"], ["freeze", "vendor:9", "--ticket", "INC-1", "--reason", "r"],
                   ["adjust", "vendor:9", "1.00", "--ticket", "INC-1", "--reason", "r"],
                   ["kill-switch", "payouts", "off", "--ticket", "INC-1", "--reason", "r"]]


def _one_line_error(result) -> str:
    """What a command that could not run printed: exactly one line, exit 3 (a traceback fails the test: invoke
    does not catch exceptions)."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 3 and len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("args", LEDGER_COMMANDS, ids=" ".join)
def test_a_command_that_cannot_reach_its_database_says_so_in_one_line(args):
    line = _one_line_error(invoke("--dsn", "postgresql://nobody@127.0.0.1:1/ledger", *args))
    assert line.startswith(f"Error: ledgerguard {args[0]}: connection") and "127.0.0.1" in line, line


@pytest.mark.parametrize("args", [a for a in LEDGER_COMMANDS if a[0] not in ("doctor", "migrate")], ids=" ".join)
def test_a_command_on_a_database_that_is_no_ledger_says_so_in_one_line(args, empty_database):
    line = _one_line_error(invoke("--dsn", empty_database(), *args))
    assert line.startswith(f"Error: ledgerguard {args[0]}: ") and line.endswith(
        "is this a ledger? (ledgerguard doctor says what is deployed)"), line


@pytest.mark.parametrize("args, login, role", [
    (["freeze", "vendor:9", "--ticket", "INC-1", "--reason", "r"], "lg_auditor", "ledger_oncall"),
    (["kill-switch", "payouts", "off", "--ticket", "INC-1", "--reason", "r"], "lg_app", "ledger_oncall"),
    (["check", "--since", "all", "--record"], "lg_auditor", "ledger_oncall (--record, --incremental)"),
    (["migrate", "--downgrade", "-1"], "lg_oncall", "ledger_migrator"),
], ids=["freeze as auditor", "kill-switch as app", "record as auditor", "migrate as on-call"])
def test_a_login_without_the_commands_role_is_told_which_role_in_one_line(args, login, role, dsn, db):
    db.execute("SELECT ledger.create_wallet('vendor:9', 'VENDOR', 'USD')")
    db.commit()
    line = _one_line_error(invoke("--dsn", _as(dsn, login), *args))
    assert "permission denied" in line and line.endswith(f"(run it as a login IN ROLE {role})"), line
    assert db.execute("SELECT count(*) FROM ledger.audit_log").fetchone()[0] == 0
    assert migrate.current(dsn) == migrate.head()


def test_migrate_to_a_revision_that_does_not_exist_says_so_in_one_line(dsn):
    line = _one_line_error(invoke("--dsn", dsn, "migrate", "--revision", "9999"))
    assert line.startswith("Error: ledgerguard migrate: ") and "9999" in line, line


def test_doctor_fails_on_a_disabled_ledger_trigger(dsn, db):
    db.execute("ALTER TABLE ledger.entries DISABLE TRIGGER _900_zero_sum")
    db.commit()
    result = invoke("--dsn", dsn, "doctor")
    assert result.exit_code == 1
    assert "FAIL  trigger _900_zero_sum on ledger.entries is disabled" in result.output


def test_demo_shows_each_incident_refused_with_its_sqlstate(dsn):
    result = invoke("--dsn", dsn, "demo")
    assert result.exit_code == 0, result.output
    for code in ("LG013", "LG011", "LG003", "LG010", "LG002", "LG008", "LG012", "LG103", "LG108"):
        assert code in result.output
    assert "customer:alice     USD  ACTIVE       60.00" in result.output
    # the capture retried three times and the refund processed twice took effect once each
    assert result.output.count("capture_payment(1), attempt") == 3 and "vendor:42          USD  ACTIVE       35.00" in result.output
    assert "DETAIL: retry-after: " in result.output
    # batch and manual payout raced for one order: one payout; the callback burst ended at the highest sequence
    assert "created=False: one live payout per order" in result.output
    assert "['APPLIED', 'STALE', 'DUPLICATE', 'STALE', 'DUPLICATE', 'DUPLICATE', 'DUPLICATE', 'DUPLICATE']" in result.output
    assert "PAYOUT_PROVIDER    USD  ACTIVE       26.00" in result.output


def _cluster_dir(stderr: str) -> Path:
    """The cluster directory the CLI reported ("  <dsn> in <dir>")."""
    match = re.search(r"^  postgresql://\S+ in (\S+)$", stderr, re.M)
    assert match, stderr
    return Path(match.group(1))


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LEDGERGUARD_DSN"}


def test_without_a_dsn_the_cli_runs_on_a_throwaway_cluster_and_removes_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ledgerguard", "demo"], cwd=tmp_path, env=_clean_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Embedded PostgreSQL stopped and removed." in result.stderr
    assert "LG011" in result.stdout
    assert not _cluster_dir(result.stderr).exists()


LEDGER_COMMANDS = [
    ["check"], ["check", "--since", "all", "--format", "prometheus"], ["checks"], ["doctor"], ["migrate"],
    ["migrate", "--downgrade", "base"], ["freeze", "PLATFORM_MAIN", "--ticket", "INC-1", "--reason", "x"],
    ["unfreeze", "vendor:1", "--ticket", "INC-1", "--reason", "x"], ["adjust", "vendor:1", "1.00", "--ticket", "INC-1", "--reason", "x"],
    ["reverse", "1", "--ticket", "INC-1", "--reason", "x"], ["suspend-payouts", "vendor:1", "--ticket", "INC-1", "--reason", "x"],
    ["resume-payouts", "vendor:1", "--ticket", "INC-1", "--reason", "x"], ["recover-payout", "o1", "--ticket", "INC-1", "--reason", "x"],
    ["repair-balance", "vendor:1", "--ticket", "INC-1", "--reason", "x"],
    ["kill-switch", "payouts", "off", "--ticket", "INC-1", "--reason", "x"],
]


@pytest.mark.parametrize("args", LEDGER_COMMANDS, ids=[" ".join(a[:2]) for a in LEDGER_COMMANDS])
def test_a_command_on_a_real_ledger_refuses_to_run_without_a_dsn(args):
    """Issue 18: `ledgerguard check` without a DSN (a cron job that lost its environment) started a throwaway
    cluster and printed `OK  no findings` with exit 0, and a freeze was audited into a database then deleted.
    Every command but demo, serve and bench now exits 3 with one line naming the variable, and starts nothing."""
    result = CliRunner().invoke(main, args, env={"LEDGERGUARD_DSN": None}, catch_exceptions=False)
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "LEDGERGUARD_DSN" in lines[0], result.output
    assert "Starting an embedded" not in result.output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_and_removes_its_cluster_on_a_signal(sig, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "ledgerguard", "serve"], cwd=tmp_path, env=_clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("LEDGERGUARD_DSN="), proc.stderr.read()
        dsn = line.strip().split("=", 1)[1]
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT ledger.wallet_balance('PLATFORM_MAIN')").fetchone()[0] == 0
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=3)
    assert "Embedded PostgreSQL stopped and removed." in err
    assert not _cluster_dir(err).exists()


def _break_balance(db, wallet: str, delta: str, bucket: int = 0) -> None:
    with bypassing_triggers(db):
        db.execute("UPDATE ledger.wallet_buckets SET balance = balance + %s::numeric WHERE bucket = %s AND wallet_id = "
                   "(SELECT id FROM ledger.wallets WHERE code = %s)", (delta, bucket, wallet))
    db.commit()


def test_check_on_a_healthy_ledger_exits_0(dsn):
    result = invoke("--dsn", dsn, "check", "--since", "all")
    assert result.exit_code == 0 and result.output.startswith("OK  no findings (22 checks, window all history)")


def test_check_exit_status_follows_the_worst_severity_and_fail_on(dsn, db):
    _break_balance(db, "SUSPENSE", "3")
    low = invoke("--dsn", dsn, "check", "--since", "all")
    assert low.exit_code == 1 and "LOW" in low.output and "balance_mismatch" in low.output
    assert invoke("--dsn", dsn, "check", "--since", "all", "--fail-on", "HIGH").exit_code == 0
    _break_balance(db, "PLATFORM_MAIN", "3")
    high = invoke("--dsn", dsn, "check", "balance_mismatch", "--since", "all")
    assert high.exit_code == 2 and high.output.count("HIGH") >= 2


def test_check_json_parses_and_names_filter(dsn, db):
    _break_balance(db, "SUSPENSE", "3")
    result = invoke("--dsn", dsn, "check", "balance_mismatch", "negative_balances", "--since", "all", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["checks"] == ["balance_mismatch", "negative_balances"] and report["since"] is None
    assert report["worst_severity"] == "LOW"
    assert [(f["check_name"], f["subject"], f["amount"]) for f in report["findings"]] == [("balance_mismatch", "SUSPENSE", "3")]


def test_since_accepts_short_forms_and_postgres_intervals():
    from ledgerguard.checks import parse_since

    assert [parse_since(x) for x in ("24h", "15m", "7d", "90s", "all", "2 hours 30 minutes")] == [
        "24 hours", "15 minutes", "7 days", "90 seconds", None, "2 hours 30 minutes"]


def test_check_prometheus_output_passes_the_prometheus_parser(dsn, db):
    from prometheus_client.parser import text_string_to_metric_families

    _break_balance(db, "SUSPENSE", "3")
    result = invoke("--dsn", dsn, "check", "--format", "prometheus", "--since", "all")
    families = {f.name: f for f in text_string_to_metric_families(result.output)}
    assert set(families) == {"ledgerguard_check_findings", "ledgerguard_check_amount", "ledgerguard_check_worst_severity",
                             "ledgerguard_check_last_run_timestamp_seconds", "ledgerguard_provider_delta"}
    samples = {(s.labels.get("check"), s.labels.get("severity")): s.value for s in families["ledgerguard_check_findings"].samples}
    assert len(samples) == 22 * 4 and samples[("balance_mismatch", "LOW")] == 1 and sum(samples.values()) == 1
    assert families["ledgerguard_check_worst_severity"].samples[0].value == 1
    # every series names its window, so the every-minute and the nightly export never collide in one directory
    assert {s.labels["window"] for f in families.values() for s in f.samples} == {"all"}
    minutely = invoke("--dsn", dsn, "check", "--format", "prometheus")
    assert {s.labels["window"] for f in text_string_to_metric_families(minutely.output) for s in f.samples} == {"24 hours"}


def test_check_record_stores_the_run_and_unknown_names_exit_3(dsn, db):
    result = invoke("--dsn", dsn, "check", "--record")
    assert result.exit_code == 0
    assert db.execute("SELECT count(*) FROM ledger.check_runs").fetchone()[0] == 1
    unknown = invoke("--dsn", dsn, "check", "no_such_check")
    assert unknown.exit_code == 3 and "unknown check(s): no_such_check" in unknown.output
    assert invoke("--dsn", "postgresql://nobody@127.0.0.1:1/x", "check").exit_code == 3


def test_check_incremental_reports_what_is_new_since_the_last_incremental_run(dsn, db):
    db.execute("SELECT ledger.create_wallet('cli-a', 'USER', 'USD')")
    db.execute("SELECT ledger.post_transaction('cli-0', 'TRANSFER', "
               "'[{\"wallet\": \"SUSPENSE\", \"amount\": \"-5.00\"}, {\"wallet\": \"PLATFORM_MAIN\", \"amount\": \"5.00\"}]')")
    db.commit()
    first = invoke("--dsn", dsn, "check", "--incremental")
    assert first.exit_code == 0 and "window all history (first incremental run)" in first.output
    # Bucket 15 of PLATFORM_MAIN: the debit below takes bucket 0 (a multi-bucket wallet that may not go negative
    # debits bucket 0), so its own chain stays sound and the stored balance alone is wrong.
    _break_balance(db, "PLATFORM_MAIN", "3", bucket=15)  # no new posting: the next window does not reach back to it
    quiet = invoke("--dsn", dsn, "check", "--incremental", "--format", "json")
    assert quiet.exit_code == 0 and json.loads(quiet.stdout)["findings"] == []
    db.execute("SELECT ledger.post_transaction('cli-1', 'TRANSFER', "
               "'[{\"wallet\": \"PLATFORM_MAIN\", \"amount\": \"-1.00\"}, {\"wallet\": \"cli-a\", \"amount\": \"1.00\"}]')")
    db.commit()
    touched = invoke("--dsn", dsn, "check", "--incremental")
    assert touched.exit_code == 1 and "balance_mismatch" in touched.output and "PLATFORM_MAIN" in touched.output
    assert db.execute("SELECT count(*) FROM ledger.check_runs WHERE watermark IS NOT NULL").fetchone()[0] == 3
    assert invoke("--dsn", dsn, "check", "negative_balances", "--incremental").exit_code == 3


def test_checks_lists_the_catalog(dsn):
    result = invoke("--dsn", dsn, "checks")
    assert result.exit_code == 0 and result.output.count("replaces:") == 22


def test_the_shipped_catalog_fingerprints_match_a_migrated_database(dsn):
    from ledgerguard import doctor

    assert doctor.fingerprints(dsn) == doctor.shipped()["objects"], "run `make docs` to regenerate catalog.json"


def test_doctor_reports_a_drifted_function_and_a_missing_grant(dsn, db):
    db.execute("CREATE OR REPLACE FUNCTION ledger_check.threshold(p_name text) RETURNS text LANGUAGE sql STABLE "
               "AS $$ SELECT '0' $$")
    db.execute("REVOKE EXECUTE ON FUNCTION ledger.capture_payment(bigint, text) FROM ledger_app")
    db.commit()
    result = invoke("--dsn", dsn, "doctor")
    assert result.exit_code == 1
    assert "FAIL  function ledger_check.threshold(text) differs from what the package ships" in result.output
    assert "FAIL  function ledger.capture_payment(bigint,text) differs from what the package ships" in result.output


def test_oncall_commands_print_the_audit_row(dsn, db):
    db.execute("SELECT ledger.create_wallet('vendor:9', 'VENDOR', 'USD')")
    db.commit()
    frozen = invoke("--dsn", dsn, "freeze", "vendor:9", "--mode", "DEBITS", "--ticket", "INC-1", "--reason", "fraud review")
    assert frozen.exit_code == 0, frozen.output
    assert "action        freeze_wallet" in frozen.output and '"freeze_mode": "DEBITS"' in frozen.output
    again = invoke("--dsn", dsn, "freeze", "vendor:9", "--mode", "DEBITS", "--ticket", "INC-1", "--reason", "again")
    assert again.exit_code == 1 and "LG302" in again.output
    assert invoke("--dsn", dsn, "freeze", "vendor:9", "--reason", "no ticket").exit_code == 3  # --ticket is required
    assert invoke("--dsn", dsn, "unfreeze", "vendor:9", "--ticket", "INC-1", "--reason", "cleared").exit_code == 0
    assert invoke("--dsn", dsn, "adjust", "vendor:9", "12.50", "--ticket", "INC-2", "--reason", "missing credit").exit_code == 0
    assert invoke("--dsn", dsn, "adjust", "vendor:9", "-2.50", "--ticket", "INC-2", "--reason", "too much").exit_code == 0
    assert invoke("--dsn", dsn, "suspend-payouts", "vendor:9", "--ticket", "INC-3", "--reason", "dup").exit_code == 0
    assert invoke("--dsn", dsn, "resume-payouts", "vendor:9", "--ticket", "INC-3", "--reason", "ok").exit_code == 0
    off = invoke("--dsn", dsn, "kill-switch", "payouts", "off", "--retry-after", "2099-01-01T00:00:00",
                 "--ticket", "INC-4", "--reason", "provider outage")
    assert off.exit_code == 0 and '"enabled": false' in off.output
    assert invoke("--dsn", dsn, "repair-balance", "vendor:9", "--ticket", "INC-5", "--reason", "x").exit_code == 1
    assert db.execute("SELECT count(*) FROM ledger.audit_log").fetchone()[0] == 7


@pytest.mark.parametrize("args", [["check", "--format", "prom"], ["check", "--since"], ["check", "--no-such-option"],
                                  ["freeze", "vendor:9", "--reason", "no ticket"], ["no-such-command"]],
                         ids=" ".join)
def test_a_command_line_that_is_wrong_exits_3_never_2_which_means_findings(args, dsn):
    """Found by the review of issue 18: click's usage errors exit 2, which `check` uses for HIGH/CRITICAL, and the
    README's cron writer then replaced a good export with an empty file."""
    result = CliRunner().invoke(main, ["--dsn", dsn, *args])
    assert result.exit_code == 3 and "Error: " in result.output, result.output


@pytest.mark.parametrize("since", ["0", "-1d", "0 seconds"])
def test_a_window_that_checks_nothing_is_refused_never_healthy(since, dsn, db):
    _break_balance(db, "SUSPENSE", "3")
    line = _one_line_error(invoke("--dsn", dsn, "check", "--since", since))
    assert "is not a positive interval" in line, line


def test_migrate_says_what_it_cannot_do_in_one_line(dsn, empty_database):
    assert "the SQL of a downgrade is Alembic's" in _one_line_error(invoke("migrate", "--sql", "--downgrade", "-1"))
    assert "9999" in _one_line_error(invoke("migrate", "--sql", "--revision", "9999"))
    assert "nothing to downgrade" in _one_line_error(invoke("--dsn", empty_database(), "migrate", "--downgrade", "-1"))
    # a deploy job with the wrong login fails while nothing is pending, not on the day a revision comes
    line = _one_line_error(invoke("--dsn", _as(dsn, "lg_auditor"), "migrate"))
    assert line.endswith("(run it as a login IN ROLE ledger_migrator)") and "lg_auditor" in line, line


def test_a_setting_of_the_environment_that_makes_no_sense_is_one_line_exit_3(dsn):
    result = CliRunner().invoke(main, ["--dsn", dsn, "migrate"], env={"LEDGERGUARD_LOCK_RETRIES": "many"})
    assert result.exit_code == 3 and "LEDGERGUARD_LOCK_RETRIES='many' is not a whole number" in result.output, result.output
