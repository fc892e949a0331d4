"""`ledgerguard bench`: guarded paths against the bare-insert limit, measured in one run.

Every figure is a ratio to a baseline measured in the same run on the same
cluster: the physical limit of this machine (a bare 3-row INSERT per
transaction into an unguarded table of the same shape, synchronous commit
on), or, where the question is what a design choice costs, the same work
without it. Load comes from pgbench with custom scripts (real connections,
-j 2); latencies are percentiles of pgbench's per-transaction log.

Two calibrations frame the ratios: the naive single-function design the
issue cites, and the floor, the rows a guarded posting writes (single and
bulk) in tables of the ledger's shape with no guard at all. No guarded path
can beat the floor on the same machine.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import psycopg

from ledgerguard import migrate
from ledgerguard.cluster import find_bindir

from devtools.refs import THIS_TREE, run_cli_at, tree_at

SETUP_SQL = Path(__file__).with_name("setup.sql")  # the benchmark's schema: bench.* tables, floor and workloads

# Durable like production: a benchmark with fsync or synchronous_commit off
# measures nothing a payments database would ever run.
BENCH_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "shared_buffers": "1GB", "max_wal_size": "4GB",
                  "checkpoint_timeout": "30min", "work_mem": "64MB", "maintenance_work_mem": "512MB"}

PAYERS = 1000
PAYEES = 1000
SPREAD_CURRENCIES = [f"Q{a}{b}" for a in "ABCD" for b in "ABCD"]  # 16 fee wallets instead of one
# A generic 3-leg post_transaction from a random payer to a random payee, the fee to PLATFORM_MAIN.
POST3_SCRIPT = "\\set a random(1, 1000)\n\\set b random(1, 1000)\nSELECT bench.post3(:client_id, :a, :b);"


@dataclass
class Row:
    scenario: str
    clients: int
    tps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    seconds: float | None = None
    baseline: str = ""
    ratio: float | None = None
    target: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ratio is None or self.target is None:
            return ""
        return "ok" if (self.ratio >= self.target if self.target > 0 else self.ratio <= -self.target) else "MISS"


@dataclass
class Bench:
    dsn: str
    quick: bool = False
    only: tuple[str, ...] = ()
    echo: Callable[[str], None] = print
    rows: list[Row] = field(default_factory=list)

    # -- plumbing -------------------------------------------------------------------------

    @property
    def seconds(self) -> int:
        return 5 if self.quick else 15  # the full run stays under fifteen minutes

    @property
    def client_counts(self) -> list[int]:
        return [8] if self.quick else [2, 4, 8]

    def conn(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)

    def phase(self, text: str) -> float:
        self.echo(f"[{time.strftime('%H:%M:%S')}] {text}")
        return time.monotonic()

    def pgbench(self, script: str, clients: int, seconds: int | None = None,
                dsn: str | None = None) -> tuple[float, float, float, int]:
        """(tps, p50 ms, p99 ms, failed transactions) of a pgbench run of `script` (on dsn, default the bench's)."""
        info = psycopg.conninfo.conninfo_to_dict(dsn or self.dsn)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "script.sql"
            path.write_text(script)
            os.chmod(tmp, 0o777)
            cmd = [str(find_bindir() / "pgbench"), "-n", "-c", str(clients), "-j", str(min(clients, 2)),
                   "-T", str(seconds or self.seconds), "-f", str(path), "-l", "--log-prefix", str(Path(tmp) / "log"),
                   "-h", info.get("host", "127.0.0.1"), "-p", str(info.get("port", 5432)),
                   "-U", info.get("user", "postgres"), info.get("dbname", "postgres")]
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, check=False)
            latencies = []
            for log in Path(tmp).glob("log*"):
                latencies += [int(line.split()[2]) / 1000 for line in log.read_text().splitlines() if line.strip()]
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
        if not match or done.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
        failed = len(re.findall(r"aborted|error", done.stderr))
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return float(match.group(1)), round(q[49], 3), round(q[98], 3), failed

    # -- the ledger to load ---------------------------------------------------------------

    def prepare(self) -> None:
        t0 = self.phase("migrating and creating 2,000 funded wallets, 16 fee currencies")
        migrate.upgrade(self.dsn)
        with self.conn() as conn:
            conn.execute(SETUP_SQL.read_text())
            conn.execute("SELECT bench.prepare(%s, %s, %s)", (PAYERS, PAYEES, SPREAD_CURRENCIES))
        self.echo(f"           done in {time.monotonic() - t0:.1f} s")

    def fresh_database(self, name: str, ref: str = THIS_TREE) -> str:
        """A new database beside the benchmark's, migrated by this tree or by the tree at git `ref`: for scenarios
        that need a ledger of their own."""
        with psycopg.connect(psycopg.conninfo.make_conninfo(self.dsn, dbname="postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        dsn = psycopg.conninfo.make_conninfo(self.dsn, dbname=name)
        if ref == THIS_TREE:
            migrate.upgrade(dsn)
            return dsn
        with tempfile.TemporaryDirectory(prefix="ledgerguard-ab-") as into:
            built = run_cli_at(tree_at(ref, Path(into)), dsn, "migrate")
        if built.returncode != 0:
            raise RuntimeError(f"migrating {name} with ledgerguard at {ref} failed: {built.stderr.strip()[-2000:]}")
        return dsn

    def payments(self, count: int, spread: bool) -> int:
        """Create `count` INITIATED payments to capture; returns the first id."""
        with self.conn() as conn:
            return conn.execute("SELECT bench.payments(%s, %s)", (count, spread)).fetchone()[0]

    # -- scenarios ----------------------------------------------------------------------

    def run(self) -> list[Row]:
        self.prepare()
        wanted = set(self.only or ("throughput", "bulk", "payouts", "checks"))
        if "throughput" in wanted:
            for clients in self.client_counts:
                self.throughput(clients)
        if "bulk" in wanted:
            self.bulk()
        if "payouts" in wanted:
            self.payouts()
        if "checks" in wanted:
            self.checks()
        return self.rows

    def throughput(self, clients: int) -> None:
        self.phase(f"throughput with {clients} clients, {self.seconds} s each")
        bare = self.measure("bare 3-row insert", clients, "SELECT bench.bare_posting();")
        for fee, wallet in (("spread", ":f"), ("to one hot row", "0")):  # the naive design, for calibration
            self.measure(f"naive single function, fee {fee}", clients,
                         "\\set a random(1, 1000)\n\\set b random(1001, 2000)\n\\set f random(1, 2000)\n"
                         f"SELECT bench.naive_post('n' || nextval('bench.txn'), :a, :b, {wallet});", bare)
        self.measure("floor: a posting's rows, no guard", clients,
                     "\\set a random(1, 1000)\n\\set b random(1, 1000)\n"
                     "SELECT bench.floor_post('f' || nextval('bench.txn'), :a, :b);", bare)
        # Payments to capture: no guarded path outruns the bare insert, so its rate with half again as margin.
        capacity = int(self.seconds * bare.tps * 1.5) + 1000
        first = self.payments(capacity, spread=False)
        hot = self.measure("capture (fee to PLATFORM_MAIN)", clients,
                           f"SELECT ledger.capture_payment(nextval('bench.capture_{first}'));", bare, 0.5,
                           setup=f"CREATE SEQUENCE IF NOT EXISTS bench.capture_{first} START {first}")
        first = self.payments(capacity, spread=True)
        spread = self.measure("capture (fee spread over 16 wallets)", clients,
                              f"SELECT ledger.capture_payment(nextval('bench.capture_{first}'));", bare,
                              setup=f"CREATE SEQUENCE IF NOT EXISTS bench.capture_{first} START {first}")
        if hot.tps and spread.tps:
            self.rows.append(Row("capture hot / spread", clients, ratio=round(hot.tps / spread.tps, 3),
                                 baseline="capture spread", target=0.9))
        self.measure("post_transaction 3 legs (PLATFORM_MAIN)", clients, POST3_SCRIPT, bare, 0.6)

    def measure(self, scenario: str, clients: int, script: str, baseline: Row | None = None,
                target: float | None = None, setup: str | None = None, dsn: str | None = None) -> Row:
        if setup:
            with self.conn() as conn:
                conn.execute(setup)
        tps, p50, p99, failed = self.pgbench(script, clients, dsn=dsn)
        row = Row(scenario, clients, round(tps, 1), p50, p99, baseline=baseline.scenario if baseline else "",
                  ratio=round(tps / baseline.tps, 3) if baseline and baseline.tps else None, target=target,
                  note=f"{failed} failed" if failed else "")
        self.rows.append(row)
        self.echo(f"           {scenario:<42} {clients} clients  {tps:9.1f} tps  p50 {p50} ms  p99 {p99} ms"
                  + (f"  x{row.ratio} of {row.baseline}" if row.ratio else ""))
        return row

    def bulk(self, sizes: list[int] | None = None) -> None:
        sizes = sizes or ([100_000] if self.quick else [100_000, 1_000_000])
        batches_took: dict[int, float] = {}
        for size in sizes:
            self.phase(f"bulk: {size:,} transactions (3 legs each)")
            # A backend of its own for each: memory a backend freed is not always given back, and would
            # count as the next phase's peak.
            floors: dict[str, float] = {}  # calibrations, at the first size only: the rows alone, in each form
            with self.conn() as conn:
                bare = timed(conn, "SELECT bench.bare_bulk(%s)", size)
                if size == sizes[0]:
                    if not self.quick:
                        floors["one call"] = timed(conn, "SELECT bench.floor_bulk(%s)", size)
                    # Each batch its own transaction, as the loader commits: every batch moves its buckets again.
                    floors["batches of 1,000"] = sum(timed(conn, "SELECT bench.floor_bulk(1000)")
                                                     for _ in range(size // 1000))
            one, one_memory, json_mb = None, None, {}
            if size == sizes[0] and not self.quick:  # larger sizes only show the batches stay linear
                requests = bulk_batches(f"one:{size}", size, size)
                json_mb["one call"] = len(requests[0]) / 2**20
                with self.conn() as conn, PeakMemory(conn.info.backend_pid) as one_memory:
                    one = post_batches(conn, requests)
            requests = bulk_batches(f"batches:{size}", size, 1000)
            json_mb["batches of 1,000"] = max(len(body) for body in requests) / 2**20
            with self.conn() as conn, PeakMemory(conn.info.backend_pid) as batch_memory:
                batches = batches_took[size] = post_batches(conn, requests)
            self.rows.append(Row(f"bulk bare insert ({size:,})", 1, seconds=round(bare, 2)))
            self.echo(f"           {'bulk bare insert':<42} {bare:7.2f} s")
            for form, floor in floors.items():
                name = f"bulk floor, {form}"
                self.rows.append(Row(f"{name} ({size:,})", 1, seconds=round(floor, 2), baseline="bulk bare insert",
                                     ratio=round(floor / bare, 2), note="calibration: the same rows, no guard"))
                self.echo(f"           {name:<42} {floor:7.2f} s  x{floor / bare:.2f} of bare")
            for form, secs, memory in (("one call", one, one_memory), ("batches of 1,000", batches, batch_memory)):
                if secs is None:
                    continue
                name = f"bulk, {form}"
                ratio = round(secs / bare, 2)
                note = (f"backend peak private memory {memory.peak_mb:.0f} MB,"
                        f" x{memory.peak_mb / json_mb[form]:.1f} of a call's {json_mb[form]:.1f} MB of JSON")
                if form in floors:
                    note += f"; x{secs / floors[form]:.2f} of the floor"
                self.rows.append(Row(f"{name} ({size:,})", 1, seconds=round(secs, 2), baseline="bulk bare insert",
                                     ratio=ratio, target=-5, note=note))
                self.echo(f"           {name:<42} {secs:7.2f} s  x{ratio} of bare (target <= 5); {note}")
        self.oversized_batch()
        if len(batches_took) == 2:  # never quadratic: ten times the transfers, about ten times the time
            scale = round(batches_took[1_000_000] / batches_took[100_000], 2)
            self.rows.append(Row("bulk in batches of 1,000: 1M / 100k", 1, ratio=scale, baseline="100k", target=-12,
                                 note="linear is 10"))
            self.echo(f"           1M / 100k in batches of 1,000: x{scale} (linear is 10)")

    def oversized_batch(self) -> None:
        """A call twice batches.max_bytes (50,000 transfers of 100 legs in the attack: 193 MB, 4.9 GB of memory)
        is refused before it is parsed: its memory is the server holding the call's text, not parsing it."""
        with self.conn() as conn:
            if not conn.execute("SELECT to_regprocedure('ledger.post_transactions(text)') IS NOT NULL").fetchone()[0]:
                return
            limit = int(conn.execute("SELECT value FROM ledger.settings WHERE name = 'batches.max_bytes'").fetchone()[0])
        legs = [{"wallet": f"p{1 + n}", "amount": "-1.00" if n % 2 else "1.00"} for n in range(100)]
        item = {"idempotency_key": "oversized", "kind": "TRANSFER", "legs": legs}
        body = json.dumps([item] * (2 * limit // len(json.dumps(item)) + 1))
        with self.conn() as conn, PeakMemory(conn.info.backend_pid) as memory:
            start = time.monotonic()
            try:
                conn.execute("SELECT ledger.post_transactions(%s::text)", (body,))
                refused = "accepted"
            except psycopg.Error as error:
                refused = error.sqlstate or "?"
            took = time.monotonic() - start
        mb = len(body) / 2**20
        note = f"{refused}; backend peak private memory {memory.peak_mb:.0f} MB, x{memory.peak_mb / mb:.1f} of its JSON"
        self.rows.append(Row(f"bulk, one call of {mb:.0f} MB refused", 1, seconds=round(took, 2), note=note))
        self.echo(f"           {'bulk, one call of %.0f MB refused' % mb:<42} {took:7.2f} s  {note}")

    def payouts(self) -> None:
        self.phase("payout_once: distinct orders, with and without the advisory lock; a storm on one order")
        lock = self.measure("payout_once, distinct orders", 8,
                            "\\set m random(1, 1000)\nSELECT * FROM ledger.payout_once('o' || nextval('bench.orders'), 'm' || :m, 1.00);")
        nolock = self.measure("payout_once without the lock", 8,
                              "\\set m random(1, 1000)\nSELECT * FROM bench.payout_once_nolock('n' || nextval('bench.orders'), 'm' || :m, 1.00);")
        self.rows.append(Row("payout_once lock / no lock", 8, ratio=round(lock.tps / nolock.tps, 3),
                             baseline="payout_once without the lock", target=0.9))
        storm = self.measure("payout_once storm, 8 clients one order", 8,
                             "SELECT * FROM ledger.payout_once('storm', 'm1', 1.00);")
        with self.conn() as conn:
            payouts = conn.execute("SELECT count(*) FROM ledger.payouts WHERE order_ref = 'storm'").fetchone()[0]
        storm.note = f"{payouts} payout, {storm.note or '0 failed'}"

    def checks(self) -> None:
        sizes = [1_000_000] if self.quick else [1_000_000, 10_000_000]
        for size in sizes:
            t0 = self.phase(f"checks: generating a ledger of {size:,} entries over 30 days, in a database of its own")
            dsn = self.fresh_database(f"bench_checks_{size}")
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SETUP_SQL.read_text())
                conn.execute("SELECT bench.generate_ledger(%s)", (size,))
                conn.execute("VACUUM ANALYZE ledger.entries")
                conn.execute("VACUUM ANALYZE ledger.transactions")
            self.echo(f"           generated in {time.monotonic() - t0:.1f} s")
            label = f"{size / 1_000_000:g}M entries"
            with psycopg.connect(dsn, autocommit=True) as conn:
                self.phase(f"checks: run_all and each check over all history and the 24 h window ({label})")
                # The median of three runs: on two cores one run varies by +-15 %.
                full = statistics.median(timed(conn, "SELECT count(*) FROM ledger_check.run_all(NULL)") for _ in range(3))
                window = statistics.median(timed(conn, "SELECT count(*) FROM ledger_check.run_all('24 hours')") for _ in range(3))
                conn.execute("SET jit = off")  # each check as run_all runs it
                each = [(name, timed(conn, f"SELECT count(*) FROM ledger_check.{name}(NULL)"),
                         timed(conn, f"SELECT count(*) FROM ledger_check.{name}('24 hours')"))
                        for (name,) in conn.execute("SELECT name FROM ledger_check.catalog ORDER BY name").fetchall()]
                first = timed(conn, "SELECT ledger_ops.record_incremental_check_run()")
                conn.execute("SELECT bench.post_new(1000)")
                incremental = timed(conn, "SELECT ledger_ops.record_incremental_check_run()")
            self.rows.append(Row(f"run_all, all history ({label})", 1, seconds=round(full, 2), note="median of 3; target <= 10 s"))
            self.rows.append(Row(f"run_all, 24 h window ({label})", 1, seconds=round(window, 3), note="median of 3; target <= 1 s"))
            self.rows.append(Row(f"incremental run, 1,000 new postings ({label})", 1, seconds=round(incremental, 3),
                                 note=f"target <= 0.1 s; the first (all history) took {first:.2f} s"))
            for name, all_history, day in sorted(each, key=lambda e: -e[1]):
                self.rows.append(Row(f"  {name} ({label})", 1, seconds=round(all_history, 3),
                                     note=f"24 h window {day:.3f} s"))
            self.echo(f"           run_all(NULL) {full:.2f} s; 24 hours {window:.3f} s; incremental {incremental:.3f} s")
            if size == sizes[-1]:  # the largest ledger only: the full run stays under fifteen minutes
                self.postings_under_checks(dsn, size)

    def postings_under_checks(self, checks_dsn: str, size: int) -> None:
        """3-leg postings into the generated ledger while the checks run: incremental every second (the cadence a
        scheduler would use), and run_all('24 hours') back to back (one of the two cores taken). Each is compared
        with postings alone measured just before and just after it: the ledger grows during the phase, and a
        single run alone before would count that drift as the checks' cost."""
        script = "\\set a random(1, 2000)\n\\set b random(1, 2000)\nSELECT bench.post_generated(:client_id, :a, :b);"
        million = f"{size / 1_000_000:g}M"
        before = self.measure(f"post_transaction, alone ({million})", 8, script, dsn=checks_dsn)
        cadences = [("incremental every 1 s", "SELECT ledger_ops.record_incremental_check_run()", 1.0)]
        if not self.quick:  # --quick: the cadence the target is about; back to back only shows a core taken
            cadences.append(("run_all 24 h back to back", "SELECT count(*) FROM ledger_check.run_all('24 hours')", 0))
        for label, sql, pause in cadences:
            stop = threading.Event()

            def loop(sql: str = sql, pause: float = pause) -> None:
                with psycopg.connect(checks_dsn, autocommit=True) as conn:
                    while not stop.is_set():
                        conn.execute(sql)
                        stop.wait(pause)

            checker = threading.Thread(target=loop, daemon=True)
            checker.start()
            try:
                during = self.measure(f"post_transaction, checks {label} ({million})", 8, script, dsn=checks_dsn)
            finally:
                stop.set()
                checker.join()
            after = self.measure(f"post_transaction, alone ({million})", 8, script, dsn=checks_dsn)
            alone = (before.tps + after.tps) / 2
            during.baseline, during.target = "alone, mean of just before and just after", 0.9
            during.ratio = round(during.tps / alone, 3) if alone else None
            during.note = "target: a drop of 10 % at most"
            self.echo(f"           x{during.ratio} of postings alone ({alone:.1f} tps, the mean of before and after)")
            before = after


    # -- A/B: one change, judged in one cluster ----------------------------------------------

    def ab(self, revisions: tuple[str, str], rounds: int = 5, seconds: int = 8) -> None:
        """post_transaction and capture at 8 clients, and the bulk loader, in two databases of this cluster, one
        migrated by ledgerguard at each git ref ("." is this tree as it is), runs alternating A B B A …: the noise of the machine falls on both arms alike.
        Beside the tps, the machine's CPU time per transaction (all processes, pgbench too, from /proc/stat) prices
        a posting without the wait."""
        scripts = {"post_transaction 3 legs": POST3_SCRIPT,
                   "capture (fee to PLATFORM_MAIN)": "SELECT ledger.capture_payment(nextval('bench.ab_capture'));"}
        loaded = "bulk, batches of 1,000"  # one connection: transfers per second
        transfers = 5000 * seconds
        arms = {}
        batches = True  # both have the batch entry point (revision 0006 on)
        for arm, revision in zip("AB", revisions):
            self.phase(f"A/B: database {arm} migrated by ledgerguard at {revision}, 2,000 funded wallets")
            dsn = self.fresh_database(f"bench_ab_{arm.lower()}", revision)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SETUP_SQL.read_text())
                conn.execute("SELECT bench.prepare(%s, %s, %s)", (PAYERS, PAYEES, SPREAD_CURRENCIES))
                first = conn.execute("SELECT bench.payments(%s, false)", (rounds * seconds * 4000 + 1000,)).fetchone()[0]
                conn.execute(f"CREATE SEQUENCE bench.ab_capture START {first}")
                conn.execute("VACUUM ANALYZE")
                batches &= conn.execute("SELECT to_regprocedure('ledger.post_transactions(jsonb)') IS NOT NULL").fetchone()[0]
            arms[arm] = dsn
        taken: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for n in range(1, rounds + 1):
            self.phase(f"A/B: round {n} of {rounds}, {seconds} s per run")
            for arm in ("A", "B") if n % 2 else ("B", "A"):  # A B, B A, …: a drift over the run falls on both arms
                dsn = arms[arm]
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("VACUUM ledger.wallet_buckets, ledger.payments")  # the rows every run updates
                for scenario, script in scripts.items():
                    busy = machine_busy_seconds()
                    tps = self.pgbench(script, 8, seconds, dsn=dsn)[0]
                    cpu_us = (machine_busy_seconds() - busy) / (tps * seconds) * 1e6
                    taken.setdefault((scenario, arm), []).append((tps, cpu_us))
                    self.echo(f"           {arm} {scenario:<32} {tps:8.1f} tps  {cpu_us:6.0f} µs CPU per transaction")
                if not batches:
                    continue
                requests = bulk_batches(f"ab:{n}", transfers, 1000)
                with psycopg.connect(dsn, autocommit=True) as conn:
                    busy = machine_busy_seconds()
                    tps = transfers / post_batches(conn, requests)
                    cpu_us = (machine_busy_seconds() - busy) / transfers * 1e6
                taken.setdefault((loaded, arm), []).append((tps, cpu_us))
                self.echo(f"           {arm} {loaded:<32} {tps:8.1f} transfers/s  {cpu_us:6.0f} µs CPU per transfer")
        for scenario in (*scripts, loaded) if batches else scripts:
            clients = 1 if scenario == loaded else 8
            for arm, revision in zip("AB", revisions):
                tps = statistics.median(t for t, _ in taken[scenario, arm])
                cpu = statistics.median(c for _, c in taken[scenario, arm])
                self.rows.append(Row(f"{scenario}, {arm} = {revision}", clients, tps=round(tps, 1),
                                     note=f"median of {rounds}; {cpu:.0f} µs machine CPU per transaction"))
            # Each round's B against the A of the same round: the pairs share the machine's moment.
            ratios = sorted(b[0] / a[0] for a, b in zip(taken[scenario, "A"], taken[scenario, "B"]))
            cpu_ratios = sorted(b[1] / a[1] for a, b in zip(taken[scenario, "A"], taken[scenario, "B"]))
            self.rows.append(Row(f"{scenario}, B / A", clients, ratio=round(statistics.median(ratios), 3),
                                 baseline=f"A = {revisions[0]}",
                                 note=f"median of the rounds' B / A, which ranged {ratios[0]:.2f}-{ratios[-1]:.2f}; "
                                      f"CPU per transaction {statistics.median(cpu_ratios):.3f} × A"))


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (user, nice, system, irq, softirq), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class PeakMemory:
    """Peak private (anonymous) memory of a backend while a block runs, sampled from /proc every 20 ms.

    RssAnon leaves out shared buffers, so it is what the backend itself
    holds: the after-trigger queue, sorts, hash tables, arrays.
    """

    def __init__(self, pid: int):
        self.path = Path(f"/proc/{pid}/status")
        self.peak_kb = 0
        self._stop = False

    def _sample(self) -> None:
        while not self._stop:
            try:
                for line in self.path.read_text().splitlines():
                    if line.startswith("RssAnon:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.02)

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        self._thread.join()


def bulk_batches(run: str, transactions: int, size: int) -> list[str]:
    """A loader's requests: 3-leg transfers to ledger.post_transactions, `size` to a batch, as JSON text.

    Built before the clock starts: making the JSON is the client's work, while
    parsing it is the entry point's and is timed.
    """
    return [json.dumps([{"idempotency_key": f"bulk:{run}:{g}", "kind": "TRANSFER",
                         "legs": [{"wallet": f"p{1 + g % 1000}", "amount": "-10.00"},
                                  {"wallet": f"m{1 + (g // 7) % 1000}", "amount": "9.00"},
                                  {"wallet": "PLATFORM_MAIN", "amount": "1.00"}]}
                        for g in range(start, min(start + size, transactions))])
            for start in range(0, transactions, size)]


def post_batches(conn: psycopg.Connection, batches: list[str]) -> float:
    """Seconds to post the batches, each call its own database transaction (`conn` is in autocommit), as a loader posts a file.

    Thousands of batches in one transaction would each move the same balance
    rows again, and versions an open transaction made cannot be pruned: every
    later batch walks longer version chains (measured: 50k -> 150k transfers
    in batches of 1,000 took 3.8 x as long; 1M would take 31 x 100k).
    """
    # As text where the revision takes it (0021 on): a jsonb argument is parsed whole by the server before the
    # call, at about 20 times its size, and the memory figure would be the parser's.
    text = conn.execute("SELECT to_regprocedure('ledger.post_transactions(text)') IS NOT NULL").fetchone()[0]
    call = "SELECT ledger.post_transactions(%s::text)" if text else "SELECT ledger.post_transactions(%s::jsonb)"
    start = time.monotonic()
    for body in batches:
        conn.execute(call, (body,))
    return time.monotonic() - start


def timed(conn: psycopg.Connection, sql: str, *params) -> float:
    start = time.monotonic()
    conn.execute(sql, params)
    return time.monotonic() - start


def table(rows: list[Row]) -> str:
    head = f"{'scenario':<46} {'clients':>7} {'tps':>9} {'p50 ms':>7} {'p99 ms':>7} {'seconds':>8} {'ratio':>7} {'target':>7}  vs"
    lines = [head, "-" * len(head)]
    for r in rows:
        target = "" if r.target is None else (f">= {r.target}" if r.target > 0 else f"<= {-r.target}")
        lines.append(f"{r.scenario:<46} {r.clients:>7} {fmt(r.tps):>9} {fmt(r.p50_ms):>7} {fmt(r.p99_ms):>7} "
                     f"{fmt(r.seconds):>8} {fmt(r.ratio):>7} {target:>7}  {r.baseline} {r.verdict} {r.note}".rstrip())
    return "\n".join(lines) + "\n"


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def as_json(rows: list[Row]) -> str:
    return json.dumps({"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
                       "rows": [asdict(r) | {"verdict": r.verdict} for r in rows]}, indent=2) + "\n"
