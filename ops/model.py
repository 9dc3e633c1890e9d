"""The trained Rasa model for this checkout, trained only when its inputs changed.

`rasa train` in Rasa 3.6 always writes a new model (restoring unchanged parts from its cache,
which still takes about 20 seconds). Here the model is named after a fingerprint of what it is
trained from (config, domain, training data, Rasa's version), so a start with nothing changed
skips training altogether, and several processes starting at once train it only once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from ats.settings import PROJECT_ROOT

MODELS = PROJECT_ROOT / "models"
KEEP = 3  # older fingerprints kept, for switching branches back and forth


def _inputs() -> list[Path]:
    files = [PROJECT_ROOT / "config.yml", PROJECT_ROOT / "domain.yml"]
    return files + sorted((PROJECT_ROOT / "data").rglob("*.yml"))


def fingerprint() -> str:
    digest = hashlib.sha256(version("rasa").encode())
    for path in _inputs():
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"helpdesk-{fingerprint()}.tar.gz"


def ensure_model(*, quiet: bool = True) -> Path:
    """The model for the current data, trained first when there is none yet."""
    target = model_path()
    if target.exists():
        return target
    MODELS.mkdir(exist_ok=True)
    with (MODELS / ".training.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be training this very model
        if target.exists():
            return target
        print("Training the model (only when data, config or domain changed)...", flush=True)
        staging = MODELS / f".training-{os.getpid()}"
        command = [
            sys.executable,
            "-m",
            "server.rasa_train",  # `rasa train`, with the libraries' warnings filtered
            "--out",
            str(staging),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ]
        try:
            _train(command, quiet=quiet)
            os.replace(staging / target.name, target)  # appears whole, never half-written
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _prune(target)
    return target


def _train(command: list[str], *, quiet: bool) -> None:
    """Quiet: what Rasa prints (its progress, and where it saved the model, the staging folder)
    is shown only when training fails; its warnings (stderr) always show."""
    if not quiet:
        subprocess.run(command, cwd=PROJECT_ROOT, check=True)
        return
    result = subprocess.run(
        [*command, "--quiet"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    if result.returncode:
        sys.stdout.write(result.stdout)  # Rasa prints its errors there
        sys.stdout.flush()
        raise subprocess.CalledProcessError(result.returncode, command)


def _prune(current: Path) -> None:
    older = sorted(
        (p for p in MODELS.glob("helpdesk-*.tar.gz") if p != current),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in older[KEEP:]:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    print(ensure_model(quiet=False))
