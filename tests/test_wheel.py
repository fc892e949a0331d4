"""The runtime apart from the tooling (issue 19): the wheel a deployment installs carries the client, the
errors, the checks, migrate/deploy/online, the CLI and the SQL with its migrations; the benchmark and the
revision tooling stay in the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    return next(out.glob("ledgerguard-*.whl"))


def test_the_wheel_carries_the_runtime_and_the_sql_and_no_development_tooling(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for runtime in ("cli", "client", "errors", "checks", "migrate", "deploy", "online", "doctor", "db", "resources"):
        assert f"ledgerguard/{runtime}.py" in names, runtime
    assert "ledgerguard/_shipped/sql/manifest.txt" in names and "ledgerguard/_shipped/migrations/env.py" in names
    assert any(n.startswith("ledgerguard/_shipped/migrations/versions/0022_baseline/") for n in names)
    assert not [n for n in names if n.startswith(("bench/", "devtools/", "tests/"))
                or n in ("ledgerguard/bench.py", "ledgerguard/revisions.py", "ledgerguard/bench_setup.sql")]


def test_an_installed_ledgerguard_migrates_offline_and_says_the_benchmark_is_not_there(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("LEDGERGUARD_DSN", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ledgerguard", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)

    where = subprocess.run([sys.executable, "-c", "import ledgerguard; print(ledgerguard.__file__)"], env=env,
                           capture_output=True, text=True).stdout
    assert where.startswith(str(site)), where  # the wheel's copy, not the checkout's
    offline = run("migrate", "--sql")
    assert offline.returncode == 0 and "CREATE TABLE ledger.entries" in offline.stdout, offline.stderr[-2000:]
    bench = run("bench", "--quick")
    assert bench.returncode == 3 and "development tooling" in bench.stderr, bench.stdout + bench.stderr
