"""docs/welcome.md stays true: its configuration passes the check, its session is real."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.app.runner import run_script
from bot.config import ConfigFile, check_file
from bot.settings import Settings
from cogs import all_cogs
from cogs.welcome.config import WelcomeConfig

DOC = Path(__file__).parents[2] / "docs" / "welcome.md"


def test_the_documented_configuration_is_valid(tmp_path: Path):
    example = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert example is not None
    path = tmp_path / "botschafter.toml"
    path.write_text(example.group(1), encoding="utf-8")
    sections = {c.name: c.config_model for c in all_cogs() if c.config_model is not None}
    effective = check_file(ConfigFile.load(path), sections)
    welcome = effective.section("welcome", WelcomeConfig)
    assert welcome.templates["de"] == ["Willkommen {member}! Fang mit {rules} an."]


def test_every_setting_is_in_the_documented_example():
    example = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert example is not None
    text = example.group(1)
    documented = set(re.findall(r"^(\[[\w.]+\])$", text, re.M))
    documented |= set(re.findall(r"^([\w.]+) = ", text, re.M))
    tables = {"welcome": WelcomeConfig}
    tables.update(
        {
            f"welcome.{name}": field.annotation
            for name, field in WelcomeConfig.model_fields.items()
            if isinstance(field.annotation, type) and hasattr(field.annotation, "model_fields")
        }
    )
    for table, model in tables.items():
        assert f"[{table}]" in documented, table
        for name, field in model.model_fields.items():
            nested = hasattr(field.annotation, "model_fields")
            assert nested or name in documented or f"{name}.en" in documented, f"{table}.{name}"


async def test_the_documented_session_is_what_the_bot_prints(settings: Settings):
    session = DOC.read_text(encoding="utf-8").split("## A session", 1)[1]
    config, script, transcript = re.findall(r"```\w+\n(.*?)```", session, re.S)[:3]
    folder = settings.data_dir.parent
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "botschafter.toml").write_text(config, encoding="utf-8")
    (folder / "welcome.script").write_text(script, encoding="utf-8")
    settings.config_file = folder / "botschafter.toml"
    out = io.StringIO()
    assert await run_script(folder / "welcome.script", settings, out) == 0
    assert out.getvalue() == transcript
