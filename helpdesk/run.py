"""`helpdesk run`: everything `make run` does after installing, in the foreground.

Brings the ATS schema up to date, seeds demo data into an empty ATS, trains the model when the
training data, config or domain changed, then runs the action server and the Rasa server until
Ctrl-C, and stops both cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from actions.ats.demo import APPLICANTS, seed_demo
from actions.ats.migrate import upgrade
from actions.ats.store import ATSStore
from actions.settings import PROJECT_ROOT, Settings
from helpdesk.model import MODELS, ensure_model

RASA_PORT = int(os.environ.get("HELPDESK_RASA_PORT", "5005"))
ACTIONS_PORT = int(os.environ.get("HELPDESK_ACTIONS_PORT", "5055"))


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


async def prepare_ats(settings: Settings) -> int:
    """Migrate, and seed the demo data when the ATS is empty; returns the number seeded."""
    store = ATSStore.from_settings(settings)
    try:
        await upgrade(store.engine)
        if await store.count_applications():
            return 0
        return (await seed_demo(store, settings)).created
    finally:
        await store.close()


def _wait_for(url: str, processes: list[subprocess.Popen], timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(1)
    return False


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _endpoints() -> str:
    """endpoints.yml, or a copy pointing at the action server's port when that was changed."""
    if ACTIONS_PORT == 5055:
        return "endpoints.yml"
    text = (PROJECT_ROOT / "endpoints.yml").read_text()
    derived = PROJECT_ROOT / "var" / f"endpoints-{ACTIONS_PORT}.yml"
    derived.parent.mkdir(exist_ok=True)
    derived.write_text(text.replace("localhost:5055", f"localhost:{ACTIONS_PORT}"))
    return str(derived)


def run(settings: Settings, *, train_model: bool = True) -> int:
    seeded = asyncio.run(prepare_ats(settings))
    if seeded:
        print(f"Seeded the empty ATS with {seeded} demo applications.")
    try:
        model = ensure_model() if train_model else MODELS  # Rasa takes the newest in there
    except subprocess.CalledProcessError:
        print("Training the model failed; see the messages above.", file=sys.stderr)
        return 1
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    processes = [
        subprocess.Popen(
            [_bin("rasa"), "run", "actions", "--actions", "actions", "--port", str(ACTIONS_PORT)],
            cwd=PROJECT_ROOT,
            env=environment,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "helpdesk.rasa_server",
                "--model",
                str(model),
                "--port",
                str(RASA_PORT),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                _endpoints(),
            ],
            cwd=PROJECT_ROOT,
            env=environment,
        ),
    ]
    if settings.sweep_minutes:
        # the deadline monitor, which also sends mail that could not be sent before
        processes.append(
            subprocess.Popen(
                [_bin("helpdesk"), "sweep", "--loop"], cwd=PROJECT_ROOT, env=environment
            )
        )
    try:
        if not _wait_for(f"http://localhost:{RASA_PORT}/", processes):
            print("The Rasa server did not start; see the messages above.", file=sys.stderr)
            return 1
        _print_welcome(settings)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("A server stopped; stopping the other.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the help desk...")
        return 0
    finally:
        _stop(processes)


def _print_welcome(settings: Settings) -> None:
    example, aisha = APPLICANTS[0], APPLICANTS[7]
    mail = (
        f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else f"{settings.outbox_dir}/ (one .eml file per message)"
    )
    print(
        f"""
The candidate help desk is running.
  Careers page with the chat:  http://localhost:{RASA_PORT}/careers/  (Dutch: /careers/nl/)
  Recruiters' desk:            http://localhost:{RASA_PORT}/desk/
    (a login: .venv/bin/helpdesk desk add-recruiter you@example.com --admin)
  Rasa server (REST channel):  http://localhost:{RASA_PORT}/webhooks/rest/webhook
  Action server:               http://localhost:{ACTIONS_PORT}/webhook
  The chat widget's script:    http://localhost:{RASA_PORT}/chat/helpdesk-chat.js

Try it:
  curl -s http://localhost:{RASA_PORT}/webhooks/rest/webhook \\
       -H 'Content-Type: application/json' \\
       -d '{{"sender": "me", "message": "Hello"}}'

Then ask "Did you receive my application?", give a demo reference and email address, and
type the code from the mail:
  {aisha.reference}  {aisha.email}  (in screening)
  {example.reference}  {example.email}  (never acknowledged: the bot escalates)
Mail (codes, recruiter notifications) goes to: {mail}
  .venv/bin/helpdesk ats show {example.reference}

Press Ctrl-C to stop.
""",
        flush=True,
    )
