"""The dispatcher routes events, isolates failures and enforces permissions."""

from __future__ import annotations

import logging

import pytest

from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.cog import Cog, command, listen
from bot.commands import Option, OptionType, Permission
from bot.errors import UserError
from bot.events import MessagePosted
from bot.i18n import CORE_LOCALES, FALLBACK_LOCALE, I18n
from bot.interaction import Interaction
from bot.outgoing import Button
from bot.platform import Capability
from bot.settings import Settings
from storage.database import TransactionConflict


class Exploding(Cog):
    name = "exploding"

    @listen(MessagePosted)
    async def explode(self, event: MessagePosted) -> None:
        raise RuntimeError("boom")

    @command("explode", "Fails on purpose.", Option("text", "Anything", required=False))
    async def fail(self, interaction: Interaction) -> None:
        raise RuntimeError("boom")


class Recording(Cog):
    name = "recording"
    seen: list[str]

    async def setup(self) -> None:
        self.seen = []

    @listen(MessagePosted)
    async def record(self, event: MessagePosted) -> None:
        self.seen.append(event.message.text)

    @command(
        "repeat",
        "Repeat a number of times.",
        Option("times", "How often", OptionType.INTEGER, min_value=1, max_value=3),
        Option("text", "What to say"),
        private=False,
    )
    async def repeat(self, interaction: Interaction) -> None:
        times = interaction.args["times"]
        assert isinstance(times, int)
        await interaction.reply(" ".join([interaction.args.text("text") or ""] * times))

    @command("secret", "Moderators only.", permission=Permission.MODERATOR)
    async def secret(self, interaction: Interaction) -> None:
        await interaction.reply("the secret")

    @command("refuse", "Always refuses.")
    async def refuse(self, interaction: Interaction) -> None:
        raise UserError("Please pick a ticket number first.")


@pytest.fixture
async def bot(settings: Settings, clock) -> LocalSession:  # type: ignore[no-untyped-def]
    session = await LocalSession.open(settings, clock=clock, cog_types=[Exploding, Recording])
    session.community.add_member("Ben")
    session.community.add_member("Mo", roles=("Moderators",))
    yield session
    await session.app.close()


def recording(bot: LocalSession) -> Recording:
    return next(c for c in bot.app.dispatcher.cogs if isinstance(c, Recording))


async def test_a_failing_listener_is_logged_and_the_next_one_still_runs(
    bot: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    c = bot.community
    with caplog.at_level(logging.ERROR):
        await c.post(c.member("Ben"), "general", "hello")
        await c.post(c.member("Ben"), "general", "again")
    assert recording(bot).seen == ["hello", "again"]
    failures = [r for r in caplog.records if "Exploding.explode failed" in r.getMessage()]
    assert len(failures) == 2
    # The log says which message (its channel and id), never what it says: it may hold a secret.
    assert "id='1'" in failures[0].getMessage() and "hello" not in failures[0].getMessage()


async def test_a_crashing_command_apologises_privately_and_the_bot_goes_on(
    bot: LocalSession,
) -> None:
    c = bot.community
    ben = c.member("Ben")
    await c.run(ben, "/explode")
    assert "something went wrong on our side" in c.last_private(ben)
    await c.run(ben, "/repeat 2 hi")
    assert c.read("general")[-1].text == "hi hi"


async def test_user_errors_reach_only_the_member(bot: LocalSession) -> None:
    c = bot.community
    ben = c.member("Ben")
    await c.run(ben, "/refuse")
    assert c.last_private(ben) == "Please pick a ticket number first."
    assert c.read("general") == []


async def test_typed_options_are_validated_with_usage(bot: LocalSession) -> None:
    c = bot.community
    ben = c.member("Ben")
    await c.run(ben, "/repeat many hi")
    assert "<times> must be a number" in c.last_private(ben)
    await c.run(ben, "/repeat 9 hi")
    assert "<times> must be at most 3" in c.last_private(ben)
    await c.run(ben, "/repeat")
    assert "Missing <times>. Usage: /repeat <times> <text>" in c.last_private(ben)
    assert c.read("general") == []


async def test_members_cannot_run_moderator_commands(bot: LocalSession) -> None:
    c = bot.community
    await c.run(c.member("Ben"), "/secret")
    assert "only members with the moderator role" in c.last_private(c.member("Ben"))
    await c.run(c.member("Mo"), "/secret")
    assert c.read("general")[-1].text == "the secret"


async def test_unknown_commands_point_to_help(bot: LocalSession) -> None:
    c = bot.community
    await c.run(c.member("Ben"), "/frobnicate")
    assert c.last_private(c.member("Ben")) == "There is no command /frobnicate. Try /help."


async def test_a_german_member_gets_the_core_answers_in_german(bot: LocalSession) -> None:
    c = bot.community
    zoe = c.add_member("Zoe", locale="de")
    await c.run(zoe, "/repeat")
    assert c.last_private(zoe) == "Es fehlt `times`. Aufruf: /repeat <times> <text>"
    await c.run(zoe, "/repeat 9 hi")
    assert c.last_private(zoe) == "`times` darf höchstens 3 sein."
    await c.run(zoe, "/frobnicate")
    assert c.last_private(zoe) == "Den Befehl /frobnicate gibt es nicht. Versuch es mit /help."
    await c.run(zoe, "/explode")
    assert c.last_private(zoe).startswith("Entschuldige, bei uns ist etwas schiefgegangen")
    await c.run(zoe, "/secret")
    assert c.last_private(zoe).startswith("Das dürfen leider nur Mitglieder mit der Rolle")
    assert c.read("general") == []


async def test_cog_refusals_stay_as_the_cog_wrote_them(bot: LocalSession) -> None:
    c = bot.community
    zoe = c.add_member("Zoe", locale="de")
    await c.run(zoe, "/refuse")
    assert c.last_private(zoe) == "Please pick a ticket number first."


async def test_which_one_offers_only_the_sub_commands_the_member_may_use(
    settings: Settings, clock: VirtualClock
) -> None:
    session = await LocalSession.open(settings, clock=clock, cog_types=[Grouped])
    try:
        c = session.community
        ben = c.add_member("Ben")
        mo = c.add_member("Mo", roles=("Moderators",))
        await c.run(ben, "/desk")
        assert c.last_private(ben) == "Did you mean /desk open <title>?"
        await c.run(mo, "/desk")
        assert c.last_private(mo) == "Which one? /desk close <number> · /desk open <title>"
        await c.run(ben, "/vault")
        assert c.last_private(ben).startswith("Sorry, only members with the moderator role")
    finally:
        await session.app.close()


async def test_a_button_nobody_handles_any_more_gets_a_polite_answer(
    bot: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    c = bot.community
    ben = c.member("Ben")
    old = c.record("general", "botschafter", "an old poll", buttons=(Button("poll:yes", "Yes"),))
    with caplog.at_level(logging.DEBUG, logger="bot.dispatcher"):
        await c.press(ben, old.number, "Yes")
    assert c.last_private(ben).startswith("This button or form no longer does anything.")
    [note] = [r for r in caplog.records if r.name == "bot.dispatcher"]
    assert note.levelno == logging.DEBUG  # nothing an operator has to act on
    assert note.getMessage() == "no handler for a ButtonPressed with id 'poll:yes'"


class Grouped(Cog):
    name = "grouped"

    @command("desk open", "Open.", Option("title", "Title"))
    async def open(self, interaction: Interaction) -> None:
        await interaction.reply("opened")

    @command(
        "desk close",
        "Close.",
        Option("number", "Number", OptionType.INTEGER),
        permission=Permission.MODERATOR,
    )
    async def close(self, interaction: Interaction) -> None:
        await interaction.reply("closed")

    @command("vault open", "Open the vault.", permission=Permission.MODERATOR)
    async def vault(self, interaction: Interaction) -> None:
        await interaction.reply("vault")


async def test_a_crashing_command_never_logs_what_the_member_typed(
    bot: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    c = bot.community
    with caplog.at_level(logging.ERROR):
        await c.run(c.member("Ben"), "/explode xoxb-1234-secret-token")
    assert "handler failed on CommandInvoked" in caplog.text
    assert "path='explode'" in caplog.text  # enough context to find the bug ...
    assert "secret-token" not in caplog.text  # ... without what may be a pasted secret


class LosesARace(Cog):
    """A listener whose first transaction loses a race, as one can on PostgreSQL."""

    name = "loses_a_race"
    attempts: list[str]

    async def setup(self) -> None:
        self.attempts = []

    @listen(MessagePosted)
    async def count(self, event: MessagePosted) -> None:
        self.attempts.append(event.message.text)
        if len(self.attempts) == 1:
            raise TransactionConflict("could not serialize access")


async def test_a_listener_that_lost_a_transaction_race_runs_again(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    session = await LocalSession.open(settings, clock=clock, cog_types=[LosesARace])
    try:
        session.community.add_member("Ben")
        c = session.community
        with caplog.at_level(logging.ERROR):
            await c.post(c.member("Ben"), "general", "hello")
        cog = next(x for x in session.app.dispatcher.cogs if isinstance(x, LosesARace))
        assert cog.attempts == ["hello", "hello"]
        assert "failed" not in caplog.text
    finally:
        await session.app.close()


class Pausing(Cog):
    name = "pausing"

    @command("calm", "Slows a channel down.", requires=(Capability.SLOW_MODE,))
    async def calm(self, interaction: Interaction) -> None:
        await interaction.reply("calmer")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "/calm is not available here: local mode cannot set slow mode."),
        (
            "de",
            "/calm ist hier nicht verfügbar: Lokalmodus kann das nicht "
            "(den Langsam-Modus einstellen).",
        ),
        ("pl", "(włączać tryb powolny)"),
    ],
)
async def test_a_command_the_platform_cannot_carry_out_says_why_in_the_members_language(
    settings: Settings, clock: VirtualClock, locale: str, expected: str
) -> None:
    session = await LocalSession.open(settings, clock=clock, cog_types=[Pausing])
    try:
        platform = session.app.services.platform(session.community.community)
        platform.capabilities = frozenset(Capability) - {Capability.SLOW_MODE}  # type: ignore[misc]
        member = session.community.add_member("Zofia", locale=locale)
        await session.community.run(member, "/calm")
        answer = session.community.last_private(member)
    finally:
        await session.app.close()
    assert expected in answer and "calmer" not in answer


def test_every_capability_has_a_phrase_in_the_core_catalog() -> None:
    english = I18n.load([CORE_LOCALES]).entries(FALLBACK_LOCALE)
    missing = [c.name for c in Capability if f"core.capability.{c.name.lower()}" not in english]
    assert missing == []
