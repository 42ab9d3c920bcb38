"""docs/welcome.md's raid session is real: the configuration, script and output it shows."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.app.runner import run_script
from bot.settings import Settings

DOC = Path(__file__).parents[2] / "docs" / "welcome.md"


async def test_the_documented_raid_is_what_the_bot_prints(settings: Settings):
    session = DOC.read_text(encoding="utf-8").split("## A raid", 1)[1]
    config, script, transcript = re.findall(r"```\w+\n(.*?)```", session, re.S)[:3]
    folder = settings.data_dir.parent
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "botschafter.toml").write_text(config, encoding="utf-8")
    (folder / "raid.script").write_text(script, encoding="utf-8")
    settings.config_file = folder / "botschafter.toml"
    out = io.StringIO()
    assert await run_script(folder / "raid.script", settings, out) == 0
    assert out.getvalue() == transcript
