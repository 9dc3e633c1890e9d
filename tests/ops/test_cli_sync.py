"""`helpdesk ats sync <ats>` as an operator runs it, against a local fake of Greenhouse's API."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.ats.sync.test_greenhouse_pull import API_KEY, FakeHarvest, candidate, serving

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))


async def sync(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {
        **os.environ,
        "ATS_DATABASE_URL": f"sqlite:///{tmp_path / 'ats.db'}",
        "HELPDESK_SYNC_STATE_DIR": str(tmp_path / "sync"),
        **env,
    }
    if "GREENHOUSE_API_KEY" not in env:
        environment.pop("GREENHOUSE_API_KEY", None)
    migrated = await asyncio.create_subprocess_exec(
        HELPDESK, "ats", "migrate", env=environment, stdout=asyncio.subprocess.DEVNULL
    )
    assert await asyncio.wait_for(migrated.wait(), 120) == 0
    process = await asyncio.create_subprocess_exec(
        HELPDESK,
        "ats",
        "sync",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_a_sync_reports_its_pages_and_what_it_kept(tmp_path: Path) -> None:
    fake = FakeHarvest([candidate(n) for n in range(3)])
    fake.candidates[1]["applications"][0]["prospect"] = True
    async with serving(fake) as url:
        code, out, err = await sync(
            tmp_path, "greenhouse", GREENHOUSE_API_KEY=API_KEY, GREENHOUSE_API_URL=url
        )
    assert code == 0, err
    assert "greenhouse: 2 application(s) in 2 page(s); 1 skipped" in out
    assert "page 1:" in err and "page 2:" in err  # progress


async def test_without_an_api_key_or_with_a_wrong_one_the_operator_is_told(tmp_path: Path) -> None:
    code, _out, err = await sync(tmp_path, "greenhouse")
    assert code == 2 and "GREENHOUSE_API_KEY" in err
    async with serving(FakeHarvest([candidate(1)])) as url:
        code, _out, err = await sync(
            tmp_path, "greenhouse", GREENHOUSE_API_KEY="wrong", GREENHOUSE_API_URL=url
        )
    assert code == 1
    assert "401" in err and "Run it again to resume" in err
