"""docs/languages.md stays true: the run in "Which language a member reads" is what the bot
prints for the example community and docs/examples/members-languages.script."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.app.runner import run_script
from bot.settings import Settings

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "languages.md"
EXAMPLES = ROOT / "docs" / "examples"


async def test_the_documented_run_is_what_the_bot_prints(settings: Settings) -> None:
    section = DOC.read_text(encoding="utf-8").split("## Which language a member reads")[1]
    section = section.split("\n## ", 1)[0]
    [shown] = re.findall(r"```text\n\$ [^\n]*\n(.*?)```", section, re.S)
    settings.config_file = EXAMPLES / "botschafter.toml"
    out = io.StringIO()
    assert await run_script(EXAMPLES / "members-languages.script", settings, out) == 0
    assert out.getvalue() == shown
