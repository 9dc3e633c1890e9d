"""Where a running server spends its time: py-spy samples read into a table of functions.

`bench/conversation_load.py --profile SECONDS` samples each Rasa server with py-spy during the
first help desk load and prints the functions that held the most samples, inclusive (the
function and what it called) and self (the function's own code). py-spy is a profiling tool, not
a dependency of the help desk: `.venv/bin/python -m pip install py-spy` once.

Run on its own to read a saved profile again:

    .venv/bin/python bench/rasa_profile.py bench/out/profile-rasa1.txt --top 40
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# "function (path/to/module.py:123)": the line is dropped, a function counts once per stack
FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^:()]+)(?::\d+)?\)$")
# where a thread waits for work: the event loop in select (uvloop's, in C, so the last Python
# frame is Sanic's), thread pools and aiosqlite on their queues. Not counted: the percentages
# are of the time the server was busy.
IDLE = {
    "sanic/server/runners.py: serve",
    "concurrent/futures/thread.py: _worker",
    "aiosqlite/core.py: run",
    "threading.py: wait",
    "queue.py: get",
}


@dataclass
class Profile:
    samples: int
    inclusive: Counter[str]
    own: Counter[str]

    def table(self, top: int = 30) -> str:
        lines = [
            f"{self.samples} samples while busy",
            "| inclusive | self | function |",
            "|---|---|---|",
        ]
        for name, count in self.inclusive.most_common(top):
            lines.append(
                f"| {100 * count / self.samples:.1f}% | "
                f"{100 * self.own.get(name, 0) / self.samples:.1f}% | {name} |"
            )
        return "\n".join(lines)

    def share(self, pattern: str) -> float:
        """The percentage of samples with a frame matching `pattern` (a regular expression)."""
        return 100 * self.inclusive_matching(pattern) / self.samples if self.samples else 0.0

    def inclusive_matching(self, pattern: str) -> int:
        matches = [name for name in self.inclusive if re.search(pattern, name)]
        # a function called inside another that matches is not counted twice: the counts of
        # nested matches overlap, so take the largest, which is the outermost
        return max((self.inclusive[name] for name in matches), default=0)


def short(frame: str) -> str:
    """`resolve_by_type (rasa/shared/core/events.py:379)` -> `rasa/shared/core/events.py:
    resolve_by_type`, the site-packages and project prefixes dropped."""
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    path = found["path"]
    for marker in ("site-packages/", "python3.10/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}: {found['function']}"


def read(path: Path) -> Profile:
    """Reads py-spy's raw (collapsed) format: one stack per line, frames separated by `;`,
    then the number of samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [short(frame) for frame in stack.split(";")]
        # py-spy's first frame is the thread ("process 123:..." or a thread name)
        frames = [frame for frame in frames if ".py:" in frame]
        if not frames or frames[-1] in IDLE:
            continue
        samples += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    return Profile(samples, inclusive, own)


def record(pid: int, seconds: float, output: Path) -> subprocess.Popen | None:
    """Starts py-spy sampling `pid` for `seconds` into `output`; None without py-spy.

    py-spy pauses the process for each sample (not --nonblocking, whose stacks, read while
    the interpreter runs on, mix frames of different calls under load). With BENCH_PROFILE_GIL=1
    only the thread holding the GIL is sampled: where the Python CPU goes, not counting threads
    that wait on a database or a lock."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed: .venv/bin/python -m pip install py-spy", flush=True)
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(output),
            *(["--gil"] if os.environ.get("BENCH_PROFILE_GIL") == "1" else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    for path in args.profile:
        print(f"\n{path}")
        print(read(path).table(args.top))


if __name__ == "__main__":
    main()
