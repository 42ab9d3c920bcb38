"""Kudos: public thanks, counted per member, no self-kudos, rate-limited, monthly top."""

from __future__ import annotations

from datetime import timedelta

from bot.app.local_session import LocalSession
from cogs.welcome import WelcomeCog


async def test_kudos_posts_a_public_thank_you_with_the_count(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    ben, amy = c.member("Ben"), c.member("Amy")
    await c.run(ben, "/kudos give @Amy for the export fix")
    thanks = c.read("#general")[-1]
    assert thanks.private_to is None
    assert thanks.text == "🙌 Ben thanks @Amy: “for the export fix” (Amy has 1 kudos this month.)"
    assert amy.id in thanks.pinged
    await c.run(c.member("Mo"), "/kudos give @Amy again")
    assert c.read("#general")[-1].text.endswith("(Amy has 2 kudos this month.)")


async def test_reason_is_plain_text_that_cannot_ping_everyone(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    await c.run(c.member("Ben"), "/kudos give @Amy thanks @everyone **loud**")
    thanks = c.read("#general")[-1]
    assert "@\u200beveryone" in thanks.text
    assert thanks.pinged == ("amy",)


async def test_self_kudos_is_refused(session: LocalSession, cog: WelcomeCog):
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Ben I am great")
    assert "cannot give kudos to yourself" in c.last_private(ben)
    assert c.read("#general") == []
    await c.run(ben, "/kudos top")
    assert "No kudos yet this month" in c.read("#general")[-1].text


async def test_kudos_for_bots_and_strangers_are_refused(session: LocalSession, cog: WelcomeCog):
    c = session.community
    c.add_member("Helperbot", is_bot=True)
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Helperbot nice")
    assert "Bots do not collect kudos" in c.last_private(ben)
    await c.run(ben, "/kudos give @Nobody nice")
    assert "is not a member" in c.last_private(ben)
    assert c.read("#general") == []


async def test_missing_reason_gets_the_usage(session: LocalSession, cog: WelcomeCog):
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Amy")
    assert "Missing <reason>" in c.last_private(ben)


async def test_bare_kudos_explains_the_subcommands(session: LocalSession, cog: WelcomeCog):
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos @Amy thanks")
    assert "/kudos give <member> <reason>" in c.last_private(ben)
    assert "/kudos top" in c.last_private(ben)


async def test_givers_are_rate_limited_with_a_clear_wait(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.kudos.limit": 2, "welcome.kudos.window_hours": 24})
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Amy one")
    await session.advance(timedelta(hours=1))
    await c.run(ben, "/kudos give @Mo two")
    await session.advance(timedelta(hours=1))
    await c.run(ben, "/kudos give @Alice three")
    assert c.last_private(ben) == (
        "You have given 2 kudos in the last 24 hours, the most there can be. You can give more"
        " in 22h."
    )
    assert len(c.read("#general")) == 2
    # Someone else is not affected by Ben's budget.
    await c.run(c.member("Mo"), "/kudos give @Alice three")
    assert len(c.read("#general")) == 3
    await session.advance(timedelta(hours=22))
    await c.run(ben, "/kudos give @Alice three")
    assert c.read("#general")[-1].text.startswith("🙌 Ben thanks @Alice")


async def test_top_shows_this_months_leaderboard_only(session: LocalSession, cog: WelcomeCog):
    c = session.community
    await c.run(c.member("Ben"), "/kudos give @Alice last month")
    # The virtual clock starts on 5 January; February starts 27 days later.
    await session.advance(timedelta(days=27))
    await c.run(c.member("Ben"), "/kudos give @Amy one")
    await c.run(c.member("Mo"), "/kudos give @Amy two")
    await c.run(c.member("Alice"), "/kudos give @Ben three")
    await c.run(c.member("Amy"), "/kudos top")
    board = c.read("#general")[-1].text.splitlines()
    assert board == [
        "🏆 **Kudos leaderboard for 2026-02**",
        "1. Amy: 2",
        "2. Ben: 1",
        "Amy, you have received 2 kudos this month.",
    ]
    assert c.read("#general")[-1].pinged == ()


async def test_kudos_channel_gets_the_thanks_and_the_giver_a_confirmation(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.kudos.channel": "ambassadors"})
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Amy great talk")
    assert c.read("#ambassadors")[-1].text.startswith("🙌 Ben thanks @Amy")
    assert c.read("#general") == []
    assert c.last_private(ben) == "Thank you! Your kudos are posted in #ambassadors."


async def test_public_kudos_speak_the_communitys_language_not_the_givers(
    session: LocalSession, cog: WelcomeCog, configure
):
    c = session.community
    c.add_member("Jonas", locale="de")
    await c.run(c.member("Jonas"), "/kudos give @Amy danke")
    assert c.read("#general")[-1].text == (
        "🙌 Jonas thanks @Amy: “danke” (Amy has 1 kudos this month.)"
    )
    await configure({"community.locale": "de"})
    await c.run(c.member("Ben"), "/kudos give @Amy thanks")
    assert c.read("#general")[-1].text == (
        "🙌 Ben dankt @Amy: „thanks“ (Amy hat diesen Monat 2 Kudos.)"
    )
    await c.run(c.member("Ben"), "/kudos top")
    assert c.read("#general")[-1].text.splitlines() == [
        "🏆 **Kudos-Bestenliste für Januar 2026**",
        "1. Amy: 2",
        "Ben, du hast diesen Monat 0 Kudos bekommen.",
    ]


async def test_a_german_giver_is_told_the_rate_limit_in_german(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.kudos.limit": 1, "welcome.kudos.window_hours": 48})
    c = session.community
    jonas = c.add_member("Jonas", locale="de")
    await c.run(jonas, "/kudos give @Amy danke")
    await c.run(jonas, "/kudos give @Ben danke")
    assert c.last_private(jonas) == (
        "Du hast in den letzten 2 Tagen schon 1 Kudos vergeben, mehr geht nicht."
        " In 2 Tg. kannst du wieder welche geben."
    )


async def test_kudos_can_be_switched_off(session: LocalSession, cog: WelcomeCog, configure):
    await configure({"welcome.kudos.enabled": False})
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Amy thanks")
    assert c.last_private(ben) == "Kudos are switched off in this community."
    assert c.read("#general") == []


async def test_the_same_thanks_retried_at_once_is_one_kudos_and_one_post(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Amy for the export fix")
    await c.run(ben, "/kudos give @Amy for the export fix")  # no answer seen: a retry

    public = [m for m in c.read("#general") if m.private_to is None]
    assert [m.text for m in public] == [
        "🙌 Ben thanks @Amy: “for the export fix” (Amy has 1 kudos this month.)"
    ]
    assert "posted" in c.last_private(ben)
    await session.advance(timedelta(minutes=11))
    await c.run(ben, "/kudos give @Amy for the export fix")  # later: meant again
    assert c.read("#general")[-1].text.endswith("(Amy has 2 kudos this month.)")


async def test_top_names_the_month_in_the_communitys_language(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Alice"), "/config set community.locale pl")
    await c.run(c.member("Ben"), "/kudos give @Amy one")
    await c.run(c.member("Amy"), "/kudos top")
    assert c.read("#general")[-1].text.startswith("🏆 **Ranking kudosów: styczeń 2026**")
