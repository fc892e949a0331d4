"""A real PgBouncer in transaction pooling in front of the test cluster, started as the server's OS user.

Transaction pooling is what payments platforms run: a client's transactions may each run on another server
connection, and whatever a session leaves behind (a prepared statement, SET, SET ROLE, a session advisory
lock) is met by the next client of that server connection.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from ledgerguard.cluster import _server_user, free_port


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer",) if Path(p).exists()), None)


class PgBouncer:
    def __init__(self, server_host: str, server_port: int, logins: list[str], pool_size: int = 4):
        binary = pgbouncer_binary()
        assert binary, "pgbouncer is not installed (make deps installs it)"
        self.run_as = _server_user()
        self.dir = Path(tempfile.mkdtemp(prefix="lg-pgbouncer-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        (self.dir / "users.txt").write_text("".join(f'"{login}" ""\n' for login in logins))
        (self.dir / "pgbouncer.ini").write_text(f"""[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/users.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        if self.run_as is not None:
            for path in (self.dir, *self.dir.iterdir()):
                os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)
        extra = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []} if self.run_as else {}
        self.process = subprocess.Popen([binary, str(self.dir / "pgbouncer.ini")], cwd="/", stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, **extra)
        self.logins = logins

    def dsn(self, dbname: str, login: str) -> str:
        return f"postgresql://{login}@127.0.0.1:{self.port}/{dbname}"

    def wait_ready(self, dbname: str) -> "PgBouncer":
        deadline = time.monotonic() + 20
        while True:
            try:
                with psycopg.connect(self.dsn(dbname, self.logins[0]), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"pgbouncer did not start: {self.log()}") from None
                time.sleep(0.1)

    def log(self) -> str:
        path = self.dir / "pgbouncer.log"
        return path.read_text()[-3000:] if path.exists() else "(no log)"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
