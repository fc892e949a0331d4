"""A throwaway PostgreSQL cluster for the demo, the tests and the CLI.

Guarantees:
- it lives in a project-local directory (``.ledgerguard/clusters``), listens
  only on 127.0.0.1 on a free port, trusts local connections, and is removed
  when stopped;
- PostgreSQL refuses to run as root, so when the caller is root every server
  binary runs as the unprivileged ``postgres`` OS user (or
  ``LEDGERGUARD_PG_USER``);
- a cluster whose creating process died (kill -9, a lost terminal) is stopped
  and removed by the next start in the same place, so nothing accumulates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path

import psycopg

PG_MAJOR = 15

# Settings of a throwaway cluster. Durability stays on (synchronous_commit):
# tests kill the server and expect every acknowledged transaction back.
DEFAULT_SETTINGS: dict[str, str] = {
    "max_connections": "200",
    "shared_buffers": "256MB",
    "max_locks_per_transaction": "256",
    "log_min_messages": "warning",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "timezone": "'UTC'",
    "wal_level": "replica",
    "max_wal_senders": "4",
}


class ClusterError(RuntimeError):
    """The embedded cluster could not be created, started or stopped."""


def find_bindir() -> Path:
    """Directory of the PostgreSQL 15 server binaries."""
    candidates = []
    if os.environ.get("LEDGERGUARD_PG_BINDIR"):
        candidates.append(Path(os.environ["LEDGERGUARD_PG_BINDIR"]))
    candidates.append(Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin"))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise ClusterError(
        f"PostgreSQL {PG_MAJOR} server binaries not found "
        f"(looked in {', '.join(str(c) for c in candidates)}). "
        f"Install them with `make deps` (Debian package postgresql-{PG_MAJOR}) "
        "or set LEDGERGUARD_PG_BINDIR."
    )


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> pwd.struct_passwd | None:
    """The OS user that runs the server: None means the caller itself."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("LEDGERGUARD_PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise ClusterError(
            f"running as root, and there is no OS user {name!r} to run PostgreSQL as; "
            f"install postgresql-{PG_MAJOR} (it creates 'postgres') or set LEDGERGUARD_PG_USER"
        ) from None


def _reachable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """Can `user` traverse every directory from / down to `path`?"""
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        st = parent.stat()
        if st.st_uid == user.pw_uid:
            continue
        if not st.st_mode & 0o001:
            return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedCluster:
    """One throwaway PostgreSQL cluster; use as a context manager."""

    def __init__(self, name: str = "cli", base_dir: Path | None = None, settings: dict[str, str] | None = None):
        self.name = name
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.bindir = find_bindir()
        self.run_as = _server_user()
        self.base_dir = self._choose_base_dir(base_dir or Path.cwd() / ".ledgerguard" / "clusters")
        self.dir = self.base_dir / f"{name}-{os.getpid()}"
        self.datadir = self.dir / "data"
        self.logfile = self.dir / "server.log"
        self.port: int | None = None
        self.superuser = "postgres"

    # -- locations -----------------------------------------------------------------

    def _choose_base_dir(self, preferred: Path) -> Path:
        preferred = preferred.resolve()
        if self.run_as is None or _reachable_by(preferred, self.run_as):
            return preferred
        # A checkout inside a private directory (mktemp -d is 0700) cannot be
        # entered by the server user; use a private spot under the temp dir.
        return Path(tempfile.gettempdir()) / f"ledgerguard-{os.getuid()}" / "clusters"

    # -- running server binaries -----------------------------------------------------

    def _run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        extra: dict = {}
        if self.run_as is not None:
            extra = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
            env["HOME"] = self.run_as.pw_dir
        return subprocess.run(
            args, env=env, capture_output=True, text=True, cwd="/", check=False, **extra, **kwargs
        )

    def _chown(self, path: Path) -> None:
        if self.run_as is not None:
            os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> "EmbeddedCluster":
        self._prepare_dir()
        init = self._run([
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.superuser,
            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        ])
        if init.returncode != 0:
            raise ClusterError(f"initdb failed in {self.datadir}:\n{init.stdout}{init.stderr}")
        return self._launch()

    def start_replica(self, name: str | None = None) -> "EmbeddedCluster":
        """A hot standby of this running cluster: pg_basebackup -R, streaming on loopback."""
        replica = EmbeddedCluster(name or f"{self.name}-standby", base_dir=self.base_dir, settings=self.settings)
        replica._prepare_dir()
        backup = replica._run([
            str(self.bindir / "pg_basebackup"), "-D", str(replica.datadir), "-R", "-X", "stream", "--checkpoint=fast",
            "-h", "127.0.0.1", "-p", str(self.port), "-U", self.superuser,
        ])
        if backup.returncode != 0:
            replica.stop()
            raise ClusterError(f"pg_basebackup failed:\n{backup.stdout}{backup.stderr}")
        return replica._launch()

    def _prepare_dir(self) -> None:
        self.sweep_stale()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base_dir, 0o755)
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir()
        os.chmod(self.dir, 0o755)
        self._chown(self.dir)
        (self.dir / "owner.pid").write_text(str(os.getpid()))

    def _launch(self) -> "EmbeddedCluster":
        last_error = ""
        for _attempt in range(5):
            self.port = free_port()
            self._write_config()
            started = self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
                 "-w", "-t", "60", "start"],
                start_new_session=True,  # Ctrl-C in the terminal is ours to handle, not the server's
            )
            if started.returncode == 0:
                return self
            last_error = started.stdout + started.stderr + self._log_tail()
            if "could not bind" not in last_error and "in use" not in last_error:
                break
        raise ClusterError(f"PostgreSQL did not start in {self.datadir}:\n{last_error}")

    def _write_config(self) -> None:
        conf = dict(self.settings)
        conf.update({
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "''",
        })
        text = "\n".join(f"{key} = {value}" for key, value in conf.items()) + "\n"
        (self.datadir / "postgresql.ledgerguard.conf").write_text(text)
        self._chown(self.datadir / "postgresql.ledgerguard.conf")
        main_conf = self.datadir / "postgresql.conf"
        include = "include = 'postgresql.ledgerguard.conf'\n"
        if include not in main_conf.read_text():
            with main_conf.open("a") as fh:
                fh.write(include)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        """Run pg_ctl against this cluster (stop -m immediate, restart, promote …)."""
        return self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile), *args],
                         start_new_session=True)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server and remove its directory."""
        self._stop_at(self.dir, mode)

    def _stop_at(self, directory: Path, mode: str) -> None:
        datadir = directory / "data"
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(datadir), "-w", "-t", "60"]
        if (datadir / "postmaster.pid").exists():
            done = self._run([*pg_ctl, "-m", mode, "stop"], start_new_session=True)
            if done.returncode != 0 and (datadir / "postmaster.pid").exists():
                self._run([*pg_ctl, "-m", "immediate", "stop"], start_new_session=True)
        shutil.rmtree(directory, ignore_errors=True)

    def sweep_stale(self) -> None:
        """Stop and remove clusters here whose creating process is gone."""
        if not self.base_dir.is_dir():
            return
        for candidate in self.base_dir.iterdir():
            try:
                pid = int((candidate / "owner.pid").read_text())
            except (OSError, ValueError):
                continue
            if pid != os.getpid() and not _pid_alive(pid):
                self._stop_at(candidate, "immediate")

    def __enter__(self) -> "EmbeddedCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- connecting ------------------------------------------------------------------

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.dsn(dbname)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so context managers stop the cluster."""

    def _raise(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)


def wait_until_ready(dsn: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
