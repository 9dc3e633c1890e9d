"""Load: N applicants at once doing the whole status flow over REST, against a stock Rasa bot.

Run by hand (never in the test suite):

    .venv/bin/python bench/conversation_load.py --concurrency 20 --conversations 100

It starts the help desk (`helpdesk run` in a temporary folder: its own SQLite ATS with one
bench applicant per conversation, mail into an outbox folder), and a stock `rasa init` bot
(trained once into bench/out/stockbot). Each help desk conversation is: greeting, status
question, reference, email address, the code read from the outbox, thanks. Each stock
conversation sends the same number of messages to the stock bot. The two loads run one after
the other, so each has the machine to itself; it prints messages per second, p50/p95/p99
latency, errors, and each server's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "bench" / "out"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(PROJECT))

from bench.rasa_profile import read as read_profile  # noqa: E402
from bench.rasa_profile import record as record_profile  # noqa: E402
from tests.servers import RunningHelpdesk, free_port  # noqa: E402

# The load comes from one address, as one client: the help desk's limits per client address
# (messages a minute, codes an hour) are turned off or raised beyond it.
BENCH_CLIENT_LIMITS = {
    "HELPDESK_MESSAGES_PER_MINUTE": "0",
    "HELPDESK_CODE_MAILS_PER_HOUR": "1000000",
    "HELPDESK_CODE_MAILS_PER_ADDRESS_PER_HOUR": "1000000",
    "HELPDESK_CODE_MAILS_TOTAL_PER_HOUR": "1000000",
    "HELPDESK_CODE_REQUESTS_PER_CLIENT_PER_HOUR": "1000000",
}
STOCK_MESSAGES = ["hello", "I am feeling sad", "yes", "are you a bot?", "great", "goodbye"]


@dataclass
class Load:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    memory_mb: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Messages answered per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        ordered = sorted(self.latencies) or [0.0]

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

        rate = self.rate
        memory = ", ".join(f"{k} {v:.0f} MB" for k, v in self.memory_mb.items())
        cpu = self.cpu_seconds * 1000 / len(self.latencies) if self.latencies else 0.0
        return (
            f"| {self.name} | {len(self.latencies)} | {rate:.1f} | "
            f"{statistics.median(ordered):.0f} / {pct(0.95):.0f} / {pct(0.99):.0f} ms | "
            f"{cpu:.1f} ms | {self.errors} | {memory} |"
        )


def bench_applicants(path: Path, count: int) -> list[tuple[str, str]]:
    """An import file with one acknowledged, in-screening application per conversation."""
    from ats.reference import generate_reference
    from ats.rows import COLUMNS

    people = []
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(count):
            reference, address = generate_reference(), f"bench{i}@example.com"
            people.append((reference, address))
            writer.writerow(
                {
                    "reference": reference,
                    "candidate_name": f"Bench Applicant{i}",
                    "candidate_email": address,
                    "candidate_language": "en",
                    "vacancy_code": "BENCH-1",
                    "vacancy_title": "Load Tester",
                    "recruiter_name": "Eva Jansen",
                    "recruiter_email": "eva.jansen@example.com",
                    "applied_at": "2026-01-05T10:00:00",
                    "acknowledged_at": "2026-01-06T10:00:00",
                    "status": "screening",
                }
            )
    return people


def _tree(pid: int) -> list[int]:
    pids, found = [pid], []
    while pids:
        current = pids.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pids.extend(int(c) for c in children)
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children: a cost per message that other
    load on the machine does not distort, unlike latency."""
    return sum(_own_cpu_seconds(current) for current in _tree(pid))


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for current in _tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        except (OSError, AttributeError):
            continue
    return total / 1024


THINK_SECONDS = 0.0  # --think: an applicant's mean pause before each message


async def post(session: aiohttp.ClientSession, url: str, sender: str, text: str, load: Load):
    if THINK_SECONDS:
        # reading the reply and typing: between half and one and a half times the mean
        await asyncio.sleep(THINK_SECONDS * random.uniform(0.5, 1.5))
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json()
            if response.status != 200:
                load.errors += 1
            load.latencies.append((time.perf_counter() - started) * 1000)
            return body
    except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError):
        load.errors += 1
        return []


class Outbox:
    """The help desk's outbox folder, read incrementally: address -> latest one-time code.

    One reader for all conversations, looking only at files it has not seen, so the load
    generator spends its CPU on requests rather than on re-reading mail.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: set[str] = set()
        self.codes: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def _scan(self) -> None:
        if not self.folder.exists():
            return
        for name in os.listdir(self.folder):
            if name in self.seen or not name.endswith("verification_code.eml"):
                continue
            self.seen.add(name)
            text = (self.folder / name).read_text(errors="replace")
            to = re.search(r"^To: (.+)$", text, re.MULTILINE)
            code = re.search(r"code is (\d{6})", text)
            if to and code:
                self.codes[to.group(1).strip()] = code.group(1)

    async def code_for(self, address: str, timeout: float = 10) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if address in self.codes:
                return self.codes.pop(address)
            async with self._lock:
                await asyncio.to_thread(self._scan)
            if address in self.codes:
                return self.codes.pop(address)
            await asyncio.sleep(0.05)
        return None


async def helpdesk_conversation(
    session, desk: RunningHelpdesk, outbox: Outbox, person, load: Load
) -> None:
    reference, address = person
    sender = f"bench-{address}"
    for text in ("Hello", "did you get my application?", f"my reference is {reference}", address):
        await post(session, desk.webhook, sender, text, load)
    code = await outbox.code_for(address)
    if code is None:
        load.errors += 1
        return
    replies = await post(session, desk.webhook, sender, code, load)
    if "Load Tester" not in " ".join(r.get("text", "") for r in replies):
        load.errors += 1
    await post(session, desk.webhook, sender, "thanks!", load)


async def stock_conversation(session, url: str, number: int, load: Load) -> None:
    for text in STOCK_MESSAGES:
        await post(session, url, f"stock-{number}", text, load)


async def run_load(name: str, conversations, concurrency: int) -> Load:
    load = Load(name)
    limit = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(conversation) -> None:
            async with limit:
                await conversation(session, load)

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in conversations))
        load.seconds = time.perf_counter() - started
    return load


def stock_bot() -> Path:
    """A `rasa init` project, trained once and kept in bench/out/stockbot."""
    project = OUT / "stockbot"
    if not list((project / "models").glob("*.tar.gz")):
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        print("Training the stock `rasa init` bot once (a few minutes)...", flush=True)
        subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return project


def start_stock(project: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--port", str(port), "--model", "models"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            import urllib.request

            urllib.request.urlopen(f"http://localhost:{port}/", timeout=2)
            return process, port
        except OSError:
            time.sleep(1)
    process.kill()
    raise RuntimeError("the stock bot did not start")


def production_env(home: Path) -> dict[str, str]:
    """The production topology on loopback services, in a fresh database and Redis db."""
    import psycopg2
    import redis

    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS helpdesk_bench_production WITH (FORCE)")
        cursor.execute("CREATE DATABASE helpdesk_bench_production")
    admin.close()
    redis.Redis(db=14).flushdb()
    url = "postgresql://postgres@127.0.0.1:5432/helpdesk_bench_production"
    return {
        "ATS_DATABASE_URL": url,
        "HELPDESK_TRACKER_STORE_URL": url,
        "HELPDESK_REDIS_URL": "redis://127.0.0.1:6379/14",
        "HELPDESK_EVENT_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/",
        "HELPDESK_EVENT_QUEUE": "helpdesk_bench",
        "HELPDESK_SPOOL_DIR": str(home / "spool"),
        "HELPDESK_RASA_SERVERS": "2",
        "HELPDESK_ACTION_SERVERS": os.environ.get("BENCH_ACTION_SERVERS", "2"),
    }


ROLES = {
    "server.rasa_server": "rasa",
    "serve actions": "actions",
    "nginx: ": "nginx",  # its master's and workers' process titles
}


def _roles(root: int) -> list[tuple[int, str]]:
    """The help desk's processes with their roles (Rasa server, action server, nginx)."""
    found = []
    for pid in _tree(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        role = next((name for key, name in ROLES.items() if key in command), None)
        if role:
            found.append((pid, role))
    return found


# the services of the production topology, by process name: they run beside the help desk on the
# same cores, outside its process tree
SERVICES = {"postgres": "PostgreSQL", "redis-server": "Redis", "beam.smp": "RabbitMQ"}


def cpu_by_service() -> dict[str, float]:
    """CPU seconds used so far by the machine's PostgreSQL, Redis and RabbitMQ processes (a
    database connection's process that ends meanwhile takes its share with it)."""
    used: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            service = SERVICES.get((entry / "comm").read_text().strip())
        except OSError:
            continue
        if service:
            used[service] = used.get(service, 0.0) + _own_cpu_seconds(int(entry.name))
    return used


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds used so far by each role's processes together."""
    used: dict[str, float] = {}
    for pid, role in _roles(root):
        used[role] = used.get(role, 0.0) + _own_cpu_seconds(pid)
    return used


def memory_by_process(root: int) -> dict[str, float]:
    """Resident memory of each process the help desk runs, by role."""
    memory: dict[str, float] = {}
    for pid, role in _roles(root):
        number = sum(1 for name in memory if name.startswith(role)) + 1
        memory[f"{role}{number}"] = rss_mb_single(pid)
    return memory


def rss_mb_single(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[20])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds an applicant pauses before each message (default 0: closed loop, "
        "every conversation sends its next message as soon as it has the reply)",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="2 Rasa servers and 2 action servers behind nginx, on PostgreSQL (ATS and "
        "tracker store), Redis and RabbitMQ on loopback",
    )
    parser.add_argument(
        "--profile",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="sample each Rasa and action server with py-spy for SECONDS during the first help "
        "desk load (bench/out/profile-rasaN.txt, profile-actionsN.txt) and print where their "
        "time went",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate the help desk's load and the stock bot's this many times per "
        "concurrency, and give the median of the pairs' ratios (the machine's speed can drift "
        "between one load and the next by more than a change measured)",
    )
    args = parser.parse_args()
    global THINK_SECONDS
    THINK_SECONDS = args.think
    OUT.mkdir(parents=True, exist_ok=True)

    stock = stock_bot()
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as home:
        count = args.conversations * len(args.concurrency) * args.rounds
        people = bench_applicants(Path(home) / "applicants.csv", count)
        production = production_env(Path(home)) if args.production else {}
        env = {
            **os.environ,
            "ATS_DATABASE_URL": f"sqlite:///{Path(home) / 'ats.db'}",
            **production,
        }
        subprocess.run([str(BIN / "helpdesk"), "ats", "migrate"], env=env, check=True)
        subprocess.run(
            [str(BIN / "helpdesk"), "ats", "import", "-q", str(Path(home) / "applicants.csv")],
            env=env,
            check=True,
        )
        # the load comes from one address: the limits per client address would refuse it
        desk = RunningHelpdesk(Path(home), extra_env={**BENCH_CLIENT_LIMITS, **production}).start()
        process, port = start_stock(stock)
        try:
            results = asyncio.run(measure(args, desk, people, process, port))
        finally:
            desk.stop()
            # kept for reading after the run: the help desk's warnings under load
            shutil.copyfile(desk.log, OUT / "helpdesk-run.log")
            process.terminate()
            process.wait()

    print("\n| load | messages | msg/s | p50 / p95 / p99 | CPU per message | errors | memory |")
    print("|---|---|---|---|---|---|---|")
    for load in results:
        print(load.row())


def start_profiles(desk: RunningHelpdesk, seconds: float) -> list[tuple[Path, Any]]:
    """py-spy on each Rasa server and action server for `seconds` (none when 0)."""
    if not seconds:
        return []
    started = []
    numbers: dict[str, int] = {}
    for pid, role in _roles(desk.process.pid):
        if role == "nginx":
            continue
        numbers[role] = numbers.get(role, 0) + 1
        output = OUT / f"profile-{role}{numbers[role]}.txt"
        process = record_profile(pid, seconds, output)
        if process is not None:
            started.append((output, process))
    return started


def report_profiles(profiling: list[tuple[Path, Any]]) -> None:
    for output, process in profiling:
        process.wait()
        if output.exists():
            print(f"\nWhere {output.name} went (py-spy):")
            print(read_profile(output).table(35), flush=True)


async def measure(
    args: argparse.Namespace,
    desk: RunningHelpdesk,
    people: list[tuple[str, str]],
    stock: subprocess.Popen,
    port: int,
) -> list[Load]:
    results: list[Load] = []
    url = f"http://localhost:{port}/webhooks/rest/webhook"
    outbox = Outbox(desk.outbox)
    loads = [c for c in args.concurrency for _ in range(args.rounds)]
    ratios: dict[int, list[float]] = {}
    for number, concurrency in enumerate(loads):
        start = number * args.conversations
        batch = people[start : start + args.conversations]
        used, by_role = cpu_seconds(desk.process.pid), cpu_by_role(desk.process.pid)
        by_service, generator = cpu_by_service(), time.process_time()
        profiling = start_profiles(desk, args.profile) if number == 0 else []
        load = await run_load(
            f"help desk, {concurrency} concurrent",
            [(lambda s, lo, p=p: helpdesk_conversation(s, desk, outbox, p, lo)) for p in batch],
            concurrency,
        )
        load.cpu_seconds = cpu_seconds(desk.process.pid) - used
        load.memory_mb = memory_by_process(desk.process.pid)
        report_profiles(profiling)
        results.append(load)
        print(load.row(), flush=True)
        messages = len(load.latencies) or 1
        print(
            "  CPU per message by role: "
            + ", ".join(
                f"{role} {(seconds - by_role.get(role, 0.0)) * 1000 / messages:.1f} ms"
                for role, seconds in cpu_by_role(desk.process.pid).items()
            ),
            flush=True,
        )
        services = ", ".join(
            f"{name} {(seconds - by_service.get(name, 0.0)) * 1000 / messages:.1f} ms"
            for name, seconds in cpu_by_service().items()
            if args.production
        )
        print(
            f"  and outside the help desk: {services or 'no services'}; the load generator "
            f"{(time.process_time() - generator) * 1000 / messages:.1f} ms",
            flush=True,
        )
        used = cpu_seconds(stock.pid)
        load = await run_load(
            f"stock rasa init, {concurrency} concurrent",
            [
                (lambda s, lo, n=n: stock_conversation(s, url, n, lo))
                for n in range(start, start + args.conversations)
            ],
            concurrency,
        )
        load.cpu_seconds = cpu_seconds(stock.pid) - used
        load.memory_mb = {"rasa": rss_mb(stock.pid)}
        results.append(load)
        print(load.row(), flush=True)
        ratio = results[-2].rate / load.rate if load.rate else 0.0
        ratios.setdefault(concurrency, []).append(ratio)
        print(f"  ratio {ratio:.2f}x", flush=True)
    if args.rounds > 1:
        for concurrency, measured in ratios.items():
            shown = ", ".join(f"{r:.2f}x" for r in measured)
            median = statistics.median(measured)
            print(f"{concurrency} concurrent: ratio {median:.2f}x (median of {shown})")
    return results


if __name__ == "__main__":
    main()
