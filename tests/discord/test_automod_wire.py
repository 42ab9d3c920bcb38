"""``rules export --discord-automod`` and ``discord automod sync`` against a strict fake
Discord on 127.0.0.1: real discord.py HTTP code, Discord's answers as Discord gives them
(403 without Manage Server, 429 with Retry-After, 50035 Invalid Form Body beyond the
documented limits), and rules of other people on the server that must stay untouched."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from adapters.discord.automod_cli import sync_automod
from bot.app.cli import build_parser
from bot.settings import Settings
from cogs.moderation.automod.cli import run_export
from tests.discord.wire_fake import BOT_ID, GUILD_ID, FakeDiscord, as_json, serving

RULES = """
[community]
locale = "de"

[[moderation.rules]]
name = "scams"
type = "keywords"
keywords = ["cheap pills", "free nitro*"]
action = "delete_and_flag"
exempt_roles = ["Moderators"]

[[moderation.rules]]
name = "links"
type = "regex"
patterns = ['discord\\.gg/\\w+']
action = "delete_and_flag"
"""
OTHERS_RULE = {
    "id": "5000",
    "guild_id": str(GUILD_ID),
    "name": "Spam filter",
    "creator_id": "42",
    "event_type": 1,
    "trigger_type": 1,
    "trigger_metadata": {"keyword_filter": ["spam"], "regex_patterns": [], "allow_list": []},
    "actions": [{"type": 1, "metadata": {}}],
    "enabled": True,
    "exempt_roles": [],
    "exempt_channels": [],
}
MODERATORS_ROLE = "777"
# Discord's documented limits, which the fake enforces as Discord does.
LIMITS = {"keyword_filter": (1000, 60), "regex_patterns": (10, 260), "allow_list": (100, 60)}


@dataclass
class AutoModDiscord(FakeDiscord):
    """The one-server fake Discord, plus the AutoMod rules endpoints."""

    manage_guild: bool = True
    rate_limit_once: float | None = None  # seconds of Retry-After on the next write
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (method, rule name)
    refused: int = 0
    ids: Any = field(default_factory=lambda: count(6000))

    def app(self) -> web.Application:
        app = super().app()
        base = "/api/v10/guilds/{guild}"
        app.router.add_get(f"{base}/auto-moderation/rules", self.list_rules)
        app.router.add_post(f"{base}/auto-moderation/rules", self.create_rule)
        app.router.add_patch(f"{base}/auto-moderation/rules/{{rule}}", self.edit_rule)
        app.router.add_delete(f"{base}/auto-moderation/rules/{{rule}}", self.delete_rule)
        app.router.add_get(f"{base}/roles", self.roles)
        app.router.add_get(f"{base}/channels", self.channels)
        return app

    def refusal(self, request: web.Request, write: bool) -> web.Response | None:
        if not self.manage_guild:
            self.refused += 1
            return as_json({"message": "Missing Permissions", "code": 50013}, status=403)
        if write and self.rate_limit_once is not None:
            wait, self.rate_limit_once = self.rate_limit_once, None
            self.refused += 1
            body = {"message": "You are being rate limited.", "retry_after": wait, "global": False}
            response = as_json(body, status=429)
            response.headers["Retry-After"] = str(wait)
            response.headers["Via"] = "1.1 google"  # discord.py's sign that it is Discord's
            return response
        return None

    async def list_rules(self, request: web.Request) -> web.Response:
        return self.refusal(request, False) or as_json(list(self.rules.values()))

    async def create_rule(self, request: web.Request) -> web.Response:
        refused = self.refusal(request, True)
        if refused is not None:
            return refused
        body = await request.json()
        invalid = form_errors(body)
        if invalid is not None:
            return invalid
        rule = stored(body, str(next(self.ids)))
        self.rules[rule["id"]] = rule
        self.writes.append(("POST", rule["name"]))
        return as_json(rule)

    async def edit_rule(self, request: web.Request) -> web.Response:
        refused = self.refusal(request, True)
        if refused is not None:
            return refused
        body = await request.json()
        invalid = form_errors(body)
        if invalid is not None:
            return invalid
        rule = self.rules[request.match_info["rule"]]
        rule.update(stored({**rule, **body}, rule["id"]))
        self.writes.append(("PATCH", rule["name"]))
        return as_json(rule)

    async def delete_rule(self, request: web.Request) -> web.Response:
        refused = self.refusal(request, True)
        if refused is not None:
            return refused
        rule = self.rules.pop(request.match_info["rule"])
        self.writes.append(("DELETE", rule["name"]))
        return web.Response(status=204)

    async def roles(self, request: web.Request) -> web.Response:
        everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0}
        mods = {"id": MODERATORS_ROLE, "name": "Moderators", "permissions": "0", "position": 1}
        return as_json([everyone, mods])

    async def channels(self, request: web.Request) -> web.Response:
        return as_json([])


def stored(body: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """A rule as Discord returns it: ids as strings, empty metadata fields filled in."""
    metadata = {"keyword_filter": [], "regex_patterns": [], "allow_list": []}
    actions = [
        {"type": a["type"], "metadata": {"custom_message": "", **a.get("metadata", {})}}
        for a in body.get("actions", [])
    ]
    return {
        **body,
        "id": rule_id,
        "guild_id": str(GUILD_ID),
        "creator_id": str(BOT_ID),
        "trigger_metadata": {**metadata, **body.get("trigger_metadata", {})},
        "actions": actions,
        "exempt_roles": [str(r) for r in body.get("exempt_roles", [])],
        "exempt_channels": [str(c) for c in body.get("exempt_channels", [])],
    }


def form_errors(body: dict[str, Any]) -> web.Response | None:
    """Discord's 50035 for a rule beyond its limits, in Discord's error shape."""
    errors: dict[str, Any] = {}
    for key, (most, chars) in LIMITS.items():
        values = body.get("trigger_metadata", {}).get(key, [])
        if len(values) > most:
            errors[key] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")
        for index, value in enumerate(values):
            if len(value) > chars:
                message = f"Must be {chars} or fewer in length."
                errors.setdefault(key, {})[str(index)] = _error("BASE_TYPE_MAX_LENGTH", message)
    if not errors:
        return None
    body = {"code": 50035, "message": "Invalid Form Body", "errors": {"trigger_metadata": errors}}
    return as_json(body, status=400)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


@pytest.fixture
async def fake() -> AsyncIterator[AutoModDiscord]:
    server = AutoModDiscord()
    server.rules[OTHERS_RULE["id"]] = json.loads(json.dumps(OTHERS_RULE))
    async with serving(server) as running:
        yield running


async def export_to(tmp_path: Path, settings: Settings, rules: str, name: str) -> Path:
    config, output = tmp_path / f"{name}.toml", tmp_path / f"{name}.json"
    config.write_text(rules, encoding="utf-8")
    args = argparse.Namespace(
        discord_automod=True,
        rules_file=config,
        community=None,
        output=output,
        alert_channel=None,
        timeout=None,
    )
    assert await run_export(args, settings) == 0
    return output


async def sync(settings: Settings, fake: AutoModDiscord, file: Path) -> int:
    settings.discord_token = SecretStr(fake.token)
    args = argparse.Namespace(file=str(file), guild=None, alert_channel=None, timeout=None)
    return await sync_automod(args, settings)


async def sync_configured(settings: Settings, fake: AutoModDiscord, *options: str) -> int:
    """``python -m bot discord automod sync`` without a file, parsed as the CLI does (so
    the application layer's export is what gets applied)."""
    settings.discord_token = SecretStr(fake.token)
    args = build_parser().parse_args(["discord", "automod", "sync", *options])
    return int(await args.handler(args, settings))


async def test_sync_creates_then_changes_nothing_then_modifies_and_deletes_only_its_own(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = await export_to(tmp_path, settings, RULES, "first")
    capsys.readouterr()
    assert await sync(settings, fake, first) == 0
    assert "Wire Test: 2 created; 1 other rule left alone" in capsys.readouterr().out
    scams = next(r for r in fake.rules.values() if r["name"] == "Botschafter: scams")
    assert scams["trigger_metadata"]["keyword_filter"] == ["cheap pills", "free nitro*"]
    assert scams["exempt_roles"] == [MODERATORS_ROLE]  # "Moderators", looked up on the server
    [block] = scams["actions"]
    assert block["metadata"]["custom_message"].startswith("Blockiert:")  # the community's
    assert len(block["metadata"]["custom_message"]) <= 150

    fake.writes.clear()
    assert await sync(settings, fake, first) == 0
    out = capsys.readouterr().out
    assert "Wire Test: nothing to change (2 of the bot's rules up to date;" in out
    assert fake.writes == []

    changed = RULES.replace('"free nitro*"]', '"free nitro*", "crypto gift"]')
    changed = changed[: changed.index('[[moderation.rules]]\nname = "links"')]
    second = await export_to(tmp_path, settings, changed, "second")
    capsys.readouterr()
    assert await sync(settings, fake, second) == 0
    assert "1 modified, 1 deleted; 1 other rule left alone" in capsys.readouterr().out
    assert sorted(fake.writes) == [
        ("DELETE", "Botschafter: links"),
        ("PATCH", "Botschafter: scams"),
    ]
    assert fake.rules[OTHERS_RULE["id"]] == OTHERS_RULE, "someone else's rule is untouched"


async def test_a_rule_whose_exempt_role_is_unknown_now_stays_on_the_server_as_it_was(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A renamed role leaves the rule's new version out; the protection in place stays."""
    assert await sync(settings, fake, await export_to(tmp_path, settings, RULES, "first")) == 0
    before = next(r for r in fake.rules.values() if r["name"] == "Botschafter: scams")
    renamed = RULES.replace('exempt_roles = ["Moderators"]', 'exempt_roles = ["Mods"]')
    file = await export_to(tmp_path, settings, renamed, "renamed")
    capsys.readouterr()
    fake.writes.clear()
    assert await sync(settings, fake, file) == 0
    out = capsys.readouterr().out
    assert "Botschafter: scams: the server has no role named @Mods" in out
    assert fake.writes == []
    assert fake.rules[before["id"]] == before


async def test_a_second_copy_of_one_of_the_bots_rules_is_deleted_and_then_nothing_changes(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """Two runs at once (or a run cut off) can leave one rule twice; the copy would hold a
    keyword-rule slot and block on its own forever."""
    file = await export_to(tmp_path, settings, RULES, "first")
    assert await sync(settings, fake, file) == 0
    scams = next(r for r in fake.rules.values() if r["name"] == "Botschafter: scams")
    fake.rules["9000"] = {**scams, "id": "9000"}
    fake.writes.clear()
    assert await sync(settings, fake, file) == 0
    assert fake.writes == [("DELETE", "Botschafter: scams")]
    names = sorted(r["name"] for r in fake.rules.values())
    assert names == ["Botschafter: links", "Botschafter: scams", "Spam filter"]
    fake.writes.clear()
    assert await sync(settings, fake, file) == 0
    assert fake.writes == []


async def test_without_manage_server_sync_says_which_permission_and_changes_nothing(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = await export_to(tmp_path, settings, RULES, "rules")
    fake.manage_guild = False
    assert await sync(settings, fake, file) == 1
    err = capsys.readouterr().err
    assert "Wire Test: the bot lacks the Manage Server permission" in err
    assert "Server Settings → Roles" in err and "Traceback" not in err
    assert list(fake.rules) == [OTHERS_RULE["id"]] and fake.writes == []


async def test_a_429_is_waited_out_for_as_long_as_retry_after_says(
    fake: AutoModDiscord, settings: Settings, tmp_path: Path
) -> None:
    file = await export_to(tmp_path, settings, RULES, "rules")
    fake.rate_limit_once = 0.4
    started = time.monotonic()
    assert await sync(settings, fake, file) == 0
    assert time.monotonic() - started >= 0.4
    assert fake.refused == 1 and len(fake.writes) == 2  # retried once, nothing twice


async def test_a_rule_beyond_discords_limits_is_refused_with_discords_reason(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A hand-edited file the export would never write: Discord's 50035, in words."""
    file = tmp_path / "edited.json"
    rule = {
        "name": "Botschafter: long",
        "event_type": 1,
        "trigger_type": 1,
        "trigger_metadata": {"keyword_filter": ["x" * 61]},
        "actions": [{"type": 1, "metadata": {"custom_message": "no"}}],
        "enabled": True,
        "exempt_roles": [],
        "exempt_channels": [],
    }
    file.write_text(json.dumps({"community": None, "rules": [rule]}), encoding="utf-8")
    assert await sync(settings, fake, file) == 1
    err = capsys.readouterr().err
    assert "rule 'Botschafter: long': Discord refused it as beyond its limits" in err
    assert "keyword_filter.0: Must be 60 or fewer in length." in err
    assert list(fake.rules) == [OTHERS_RULE["id"]]


async def test_what_the_export_writes_for_a_long_list_discord_accepts(
    fake: AutoModDiscord, settings: Settings, tmp_path: Path
) -> None:
    words = ", ".join(f'"word{i}"' for i in range(2500))
    rules = f'[[moderation.rules]]\nname = "long"\ntype = "keywords"\nkeywords = [{words}]\n'
    rules += 'action = "delete_and_flag"\n'
    file = await export_to(tmp_path, settings, rules, "long")
    assert await sync(settings, fake, file) == 0
    ours = sorted(r["name"] for r in fake.rules.values() if r["name"].startswith("Botschafter"))
    assert ours == [f"Botschafter: long ({i}/3)" for i in (1, 2, 3)]


async def test_only_the_free_keyword_rule_slots_are_used(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for index in range(4):  # with the first, five of Discord's six slots are others'
        other = {**OTHERS_RULE, "id": str(5001 + index), "name": f"Other {index}"}
        fake.rules[other["id"]] = other
    file = await export_to(tmp_path, settings, RULES, "rules")
    capsys.readouterr()
    assert await sync(settings, fake, file) == 0
    out = capsys.readouterr().out
    assert "Wire Test: 1 created; 5 other rules left alone" in out
    assert "not applied: Botschafter: links: the server's other rules use 5 of Discord's 6" in out
    assert sum(r["trigger_type"] == 1 for r in fake.rules.values()) == 6


async def test_an_export_for_another_platforms_community_is_refused(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "slack.json"
    file.write_text(json.dumps({"community": "slack:T123", "rules": []}), encoding="utf-8")
    assert await sync(settings, fake, file) == 2
    assert "holds the rules of slack:T123, not of a Discord server" in capsys.readouterr().err
    assert fake.writes == []


async def test_a_file_that_is_not_an_export_is_refused_with_how_to_write_one(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "other.json"
    file.write_text(json.dumps({"rules": [{"name": "Spam filter"}]}), encoding="utf-8")
    assert await sync(settings, fake, file) == 2
    assert "not an AutoMod export" in capsys.readouterr().err
    assert fake.writes == [] and fake.rules[OTHERS_RULE["id"]] == OTHERS_RULE


async def test_an_export_for_one_server_goes_to_that_server_only(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file = tmp_path / "one.json"
    for guild, expected in ((GUILD_ID, 0), (GUILD_ID + 1, 1)):
        file.write_text(
            json.dumps({"community": f"discord:{guild}", "rules": []}), encoding="utf-8"
        )
        assert await sync(settings, fake, file) == expected
    out, err = capsys.readouterr()
    assert "Wire Test: nothing to change (0 of the bot's rules up to date;" in out
    assert f"{GUILD_ID + 1}: the bot is not on this server" in err


async def test_sync_without_a_file_applies_the_configured_rules_and_says_what_does_not_fit(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "botschafter.toml"
    watch = '[[moderation.rules]]\nname = "refunds"\ntype = "keywords"\n'
    watch += 'keywords = ["refund"]\naction = "flag"\n'
    config.write_text(RULES + watch, encoding="utf-8")
    settings.config_file = config
    assert await sync_configured(settings, fake) == 0
    out = capsys.readouterr().out
    assert f"{config}: 3 keyword/regex rule(s) → 2 AutoMod rule(s)" in out
    assert "Not exported (1):\n  refunds: the whole rule: " in out, "what does not fit is said"
    assert "Wire Test: 2 created; 1 other rule left alone" in out
    assert "Apply with" not in out, "nothing is left to apply"
    scams = next(r for r in fake.rules.values() if r["name"] == "Botschafter: scams")
    assert scams["exempt_roles"] == [MODERATORS_ROLE]
    assert scams["actions"][0]["metadata"]["custom_message"].startswith("Blockiert:")

    fake.writes.clear()
    assert await sync_configured(settings, fake) == 0
    assert "Wire Test: nothing to change (2 of the bot's rules up to date;" in (
        capsys.readouterr().out
    )
    assert fake.writes == []

    config.write_text(RULES.replace('"free nitro*"]', '"free nitro*", "crypto gift"]'))
    assert await sync_configured(settings, fake) == 0
    assert "Wire Test: 1 modified, 1 unchanged; 1 other rule left alone" in (
        capsys.readouterr().out
    )
    assert fake.writes == [("PATCH", "Botschafter: scams")]
    scams = next(r for r in fake.rules.values() if r["name"] == "Botschafter: scams")
    assert scams["trigger_metadata"]["keyword_filter"][-1] == "crypto gift"
    assert fake.rules[OTHERS_RULE["id"]] == OTHERS_RULE


async def test_sync_without_a_file_uses_the_servers_own_rules_and_the_alert_and_timeout(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "botschafter.toml"
    own = RULES.replace(
        "[[moderation.rules]]", f'[[communities."discord:{GUILD_ID}".moderation.rules]]'
    )
    own = own.replace("[community]", f'[communities."discord:{GUILD_ID}".community]')
    config.write_text(
        own + '\n[[moderation.rules]]\nname = "x"\ntype = "keywords"\n'
        'keywords = ["x"]\naction = "delete_and_flag"\n',
        encoding="utf-8",
    )
    settings.config_file = config
    options = ("--alert-channel", "1234567890", "--timeout", "10m")
    assert await sync_configured(settings, fake, *options) == 0
    assert "Wire Test: 2 created;" in capsys.readouterr().out
    names = sorted(r["name"] for r in fake.rules.values())
    assert names == ["Botschafter: links", "Botschafter: scams", "Spam filter"]
    scams = next(r for r in fake.rules.values() if r["name"] == "Botschafter: scams")
    kinds = {a["type"]: a["metadata"] for a in scams["actions"]}
    assert kinds[2]["channel_id"] == "1234567890" and kinds[3]["duration_seconds"] == 600


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (("--timeout", "soon"), "--timeout 'soon'"),
        (("--alert-channel", "#alerts"), "give the channel's ID"),
        (("-", "--timeout", "10m"), "--timeout: the export in - already says what its rules do"),
    ],
)
async def test_bad_sync_options_are_refused_before_anything_changes(
    fake: AutoModDiscord,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    error: str,
) -> None:
    assert await sync_configured(settings, fake, *options) == 2
    assert error in capsys.readouterr().err
    assert fake.writes == [] and list(fake.rules) == [OTHERS_RULE["id"]]


async def test_sync_without_a_file_refuses_a_broken_configuration_before_logging_in(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[[moderation.rules]\n", encoding="utf-8")
    settings.config_file = config
    assert await sync_configured(settings, fake) == 2
    assert "not a TOML file in UTF-8" in capsys.readouterr().err
    assert fake.writes == [] and list(fake.rules) == [OTHERS_RULE["id"]]


LONG_START = (
    "Harassment, threats and doxxing of members, moderators and staff, in public channels and "
)
LONG_RULES = f"""
[[moderation.rules]]
name = "{LONG_START}threads"
type = "keywords"
keywords = ["doxx*"]
action = "delete_and_flag"

[[moderation.rules]]
name = "{LONG_START}voice chats"
type = "keywords"
keywords = ["swat*"]
action = "delete_and_flag"
"""


def ours(fake: AutoModDiscord) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in fake.rules.values() if r["name"].startswith("Botschafter")}


async def test_two_long_rule_names_that_begin_alike_stay_two_rules_and_sync_twice_is_a_no_op(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert len(LONG_START) > 87  # both names are over Discord's 100 with the prefix
    file = await export_to(tmp_path, settings, LONG_RULES, "long")
    assert await sync(settings, fake, file) == 0
    assert "Wire Test: 2 created; 1 other rule left alone" in capsys.readouterr().out
    rules = ours(fake)
    assert len(rules) == 2 and all(len(name) <= 100 for name in rules)
    assert sorted(r["trigger_metadata"]["keyword_filter"][0] for r in rules.values()) == [
        "doxx*",
        "swat*",
    ]
    again = await export_to(tmp_path, settings, LONG_RULES, "again")
    assert json.loads(again.read_text()) == json.loads(file.read_text()), "stable names"
    fake.writes.clear()
    assert await sync(settings, fake, again) == 0
    assert "nothing to change (2 of the bot's rules up to date;" in capsys.readouterr().out
    assert fake.writes == []


async def test_a_renamed_rule_is_edited_in_place_not_deleted_and_created_again(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Same keywords, new name (renamed in the configuration, or a long name an earlier
    version cut without its tag): the rule keeps its id and the server is never without it."""
    assert await sync(settings, fake, await export_to(tmp_path, settings, RULES, "first")) == 0
    scams = ours(fake)["Botschafter: scams"]
    renamed = RULES.replace('name = "scams"', f'name = "{LONG_START}scams"')
    file = await export_to(tmp_path, settings, renamed, "renamed")
    capsys.readouterr()
    fake.writes.clear()
    assert await sync(settings, fake, file) == 0
    assert "Wire Test: 1 modified, 1 unchanged; 1 other rule left alone" in (
        capsys.readouterr().out
    )
    [(method, name)] = fake.writes
    assert method == "PATCH" and name.startswith(f"Botschafter: {LONG_START[:40]}")
    assert fake.rules[scams["id"]]["name"] == name and len(name) <= 100
    fake.writes.clear()
    assert await sync(settings, fake, file) == 0
    assert fake.writes == []


async def test_a_file_naming_one_rule_twice_is_refused_before_anything_changes(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What an older export wrote for two long names that begin alike: applying it would
    silently keep one of the two."""
    file = await export_to(tmp_path, settings, RULES, "rules")
    document = json.loads(file.read_text())
    for rule in document["rules"]:
        rule["name"] = "Botschafter: " + LONG_START[:86] + "…"
    file.write_text(json.dumps(document), encoding="utf-8")
    assert await sync(settings, fake, file) == 2
    assert "is there more than once, and sync knows each rule by its name" in (
        capsys.readouterr().err
    )
    assert fake.writes == [] and list(fake.rules) == [OTHERS_RULE["id"]]


async def test_a_renamed_rule_whose_exempt_role_is_unknown_now_stays_on_the_server_as_it_was(
    fake: AutoModDiscord,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A new name (renamed in the configuration, or a long name the export now tags) with a
    role the server does not know: as for an unchanged name, the rule in place is kept."""
    assert await sync(settings, fake, await export_to(tmp_path, settings, RULES, "first")) == 0
    before = ours(fake)["Botschafter: scams"]
    renamed = RULES.replace('name = "scams"', 'name = "scams and fraud"').replace(
        'exempt_roles = ["Moderators"]', 'exempt_roles = ["Mods"]'
    )
    file = await export_to(tmp_path, settings, renamed, "renamed")
    capsys.readouterr()
    fake.writes.clear()
    assert await sync(settings, fake, file) == 0
    assert "Botschafter: scams and fraud: the server has no role named @Mods" in (
        capsys.readouterr().out
    )
    assert fake.writes == []
    assert fake.rules[before["id"]] == before
