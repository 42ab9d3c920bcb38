"""docs/languages.md stays true: the session in "Channel languages and language teams" is
what the bot prints for the example configuration and script."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from bot.app.runner import run_script
from bot.settings import Settings

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "languages.md"
EXAMPLES = ROOT / "docs" / "examples"


async def test_the_documented_session_is_what_the_bot_prints(settings: Settings) -> None:
    section = DOC.read_text(encoding="utf-8").split("## Channel languages and language teams")[1]
    session = section.split("### A session", 1)[1]
    transcript = re.findall(r"```text\n\$ [^\n]*\n(.*?)```", session, re.S)[0]
    folder = settings.data_dir.parent
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("languages.toml", "languages.script"):
        shutil.copy(EXAMPLES / name, folder / name)
    settings.config_file = folder / "languages.toml"
    out = io.StringIO()
    assert await run_script(folder / "languages.script", settings, out) == 0
    assert out.getvalue() == transcript


async def test_create_refuses_a_channel_that_is_there(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "twice.script"
    script.write_text("create #general-de\ncreate #general-de\n", encoding="utf-8")
    out = io.StringIO()
    assert await run_script(script, settings, out) == 1
    assert out.getvalue() == "(#general-de created)\n"
    assert "twice.script:2: #general-de exists already" in capsys.readouterr().err
