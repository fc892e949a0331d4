"""Test harness: a real PostgreSQL 15, real roles, real parallel connections.

- One embedded cluster per test run (started in pytest_configure, stopped in
  pytest_unconfigure, also after a failure or Ctrl-C). Set
  LEDGERGUARD_TEST_HOST / _PORT / _USER to use an existing server instead.
- pytest-postgresql's `postgresql_noproc` builds a template database once
  (migrated to head, pgTAP and plpgsql_check installed); every test that
  asks for `db` gets its own database cloned from it.
- Login roles lg_app, lg_oncall, lg_auditor and lg_dba hold the group roles a
  user would have; tests act through them, not only as superuser.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories

from ledgerguard import migrate
from ledgerguard.client import Ledger
from ledgerguard.cluster import EmbeddedCluster

LOGIN_ROLES = {
    "lg_app": "ledger_app",
    "lg_app2": "ledger_app",
    "lg_oncall": "ledger_oncall",
    "lg_auditor": "ledger_auditor",
    "lg_oncall2": "ledger_oncall",
    "lg_dba": "ledger_migrator",
}

_cluster: EmbeddedCluster | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", help="run the long soak variants too")


def pytest_configure(config: pytest.Config) -> None:
    global _cluster
    if os.environ.get("LEDGERGUARD_TEST_PORT"):
        host = os.environ.get("LEDGERGUARD_TEST_HOST", "127.0.0.1")
        port = int(os.environ["LEDGERGUARD_TEST_PORT"])
        user = os.environ.get("LEDGERGUARD_TEST_USER", "postgres")
    else:
        # fsync off: tests crash the server process, never the machine.
        _cluster = EmbeddedCluster("test", settings={"fsync": "off", "full_page_writes": "off"}).start()
        host, port, user = "127.0.0.1", _cluster.port, _cluster.superuser
    config.option.postgresql_host = host
    config.option.postgresql_port = port
    config.option.postgresql_user = user
    config.option.postgresql_dbname = "lgtest"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _cluster is not None:
        _cluster.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak variant: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


def server_dsn(config: pytest.Config, dbname: str, user: str | None = None) -> str:
    o = config.option
    return f"postgresql://{user or o.postgresql_user}@{o.postgresql_host}:{o.postgresql_port}/{dbname}"


def prepare_template(host: str, port: int, user: str, dbname: str, **_: object) -> None:
    """pytest-postgresql loader: the template every test database is cloned from."""
    dsn = f"postgresql://{user}@{host}:{port}/{dbname}"
    migrate.upgrade(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for login, group in LOGIN_ROLES.items():
            conn.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{login}') "
                f"THEN CREATE ROLE {login} LOGIN; END IF; END $$")
            conn.execute(f"GRANT {group} TO {login}")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")


postgresql_noproc = factories.postgresql_noproc(load=[prepare_template])
db = factories.postgresql("postgresql_noproc")


@pytest.fixture
def dsn(db: psycopg.Connection, pytestconfig: pytest.Config) -> str:
    """Superuser DSN of this test's own migrated database."""
    return server_dsn(pytestconfig, db.info.dbname)


@pytest.fixture
def connect(dsn: str, pytestconfig: pytest.Config) -> Iterator[Callable[..., psycopg.Connection]]:
    """connect(login='lg_app', autocommit=True) -> a new connection to this test's database."""
    opened: list[psycopg.Connection] = []
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]

    def _connect(login: str | None = "lg_app", autocommit: bool = True, **kwargs) -> psycopg.Connection:
        conn = psycopg.connect(server_dsn(pytestconfig, dbname, login), autocommit=autocommit, **kwargs)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def app(connect) -> Ledger:
    """The ledger API as an application login (member of ledger_app)."""
    return Ledger(connect("lg_app"))


@pytest.fixture
def shop(app: Ledger) -> Ledger:
    """A buyer funded with 100,000.00 USD from a card wallet, and a seller: ready for payments."""
    app.create_wallet("card", "EXTERNAL", "USD", True)
    app.create_wallet("buyer", "USER", "USD")
    app.create_wallet("seller", "MERCHANT", "USD")
    app.post_transaction("fund", "TRANSFER", [("card", "-100000.00"), ("buyer", "100000.00")])
    return app


@pytest.fixture
def owner(connect) -> psycopg.Connection:
    """A session acting as ledger_owner: writes the tables directly."""
    conn = connect(None)
    conn.execute("SET ROLE ledger_owner")
    return conn


@pytest.fixture
def empty_database(pytestconfig: pytest.Config) -> Iterator[Callable[[], str]]:
    """empty_database() -> DSN of a new database with nothing of ours in it."""
    created: list[str] = []
    admin = server_dsn(pytestconfig, "postgres")

    def _create() -> str:
        name = f"lg_empty_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        created.append(name)
        return server_dsn(pytestconfig, name)

    yield _create
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in reversed(created):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_parallel(workers: int, task: Callable[[int, threading.Barrier], object]) -> list[object]:
    """Run task(i, barrier) in `workers` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers
    errors: list[BaseException] = []

    def _run(i: int) -> None:
        try:
            results[i] = task(i, barrier)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=_run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]
    return results


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """The SQLSTATE distribution of the hostile-input suite: every refusal it provoked, by code."""
    module = __import__("sys").modules.get("test_hostile_input")
    refused = getattr(module, "REFUSED", None)
    if refused:
        terminalreporter.write_sep("-", f"hostile input: {sum(refused.values())} calls, by outcome")
        for outcome, count in sorted(refused.items()):
            terminalreporter.write_line(f"{outcome}  {count:4d}")


def revision_on_top(doc: str, body: str, revision: str = "9000") -> str:
    """The source of a revision on top of the ledger's head, as a later release ships one: `body` holds its
    imports, upgrade() and downgrade(); {head} (and {baseline}, {comment}) are filled in by later_release."""
    return (f'"""{doc}"""\n\nrevision = "{revision}"\ndown_revision = "{{head}}"\nbranch_labels = None\n'
            f"depends_on = None\n\n" + body)


# A later release's revision that changes nothing but a comment: what a DBA's next `migrate` applies.
NEXT_RELEASE = revision_on_top("A later release: a comment of the ledger schema, and back.", '''
from ledgerguard.deploy import execute_batches


def upgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", "COMMENT ON SCHEMA ledger IS 'The ledger, a release later.';", "RESET ROLE;"])


def downgrade() -> None:
    execute_batches(["SET ROLE ledger_owner;", "COMMENT ON SCHEMA ledger IS {comment!r};", "RESET ROLE;"])
''')


@pytest.fixture
def later_release(tmp_path, monkeypatch):
    """later_release(source=NEXT_RELEASE) -> this tree plus one revision (9000) on top of the head, as the next
    release would ship it: `migrate` in this process runs it, and so does `python -m ledgerguard` in a process of
    its own (PYTHONPATH points at that tree)."""
    def _with(source: str = NEXT_RELEASE) -> Path:
        from ledgerguard import migrate, resources
        from releases import this_tree_with

        baseline = next((resources.migrations_dir() / "versions").glob("*_baseline.py"))
        comment = re.search(r"COMMENT ON SCHEMA ledger IS '(.*)';", (resources.sql_dir() / "schemas" / "ledger.sql").read_text())[1]
        tree = this_tree_with(tmp_path / "release", {"9000_later.py": source.format(
            head=migrate.head(), baseline=baseline, comment=comment)})
        monkeypatch.setattr(resources, "migrations_dir", lambda: tree / "migrations")
        monkeypatch.setenv("PYTHONPATH", str(tree / "src"))
        return tree
    return _with
