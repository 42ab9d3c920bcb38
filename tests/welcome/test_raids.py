"""Raid measures in local mode: a wave fires, the bot acts by itself, shows it, takes it back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.local import LocalPlatform
from bot.app.local_session import LocalSession
from bot.errors import MissingPermission, PlatformUnavailable
from bot.platform import Capability
from cogs.welcome import WelcomeCog
from cogs.welcome.raids import RaidGuard
from storage import privacy
from storage.jobs import Job
from tests.welcome.conftest import Configure

YOUNG = timedelta(hours=2)
MEASURES = {
    "welcome.raids.slow_mode_channels": ["general"],
    "welcome.raids.slow_mode_seconds": 60,
    "welcome.raids.timeout_younger_than_hours": 24,
    "welcome.raids.timeout_hours": 12,
    "welcome.raids.pause_invites": True,
    "welcome.raids.quiet_minutes": 30,
}


async def _wave(session: LocalSession, count: int = 5, young: int = 2, first: int = 1) -> None:
    """`count` joins ten seconds apart (Raider`first`, ...), the last `young` of them fresh
    accounts."""
    for n in range(1, count + 1):
        if n > 1:
            await session.advance(timedelta(seconds=10))
        age = YOUNG if n > count - young else timedelta(days=365)
        await session.community.join(f"Raider{first + n - 1}", account_age=age)


def _alert(session: LocalSession):
    [alert] = session.community.read("#moderators")
    return alert


async def test_without_measures_a_wave_only_raises_its_alert(
    session: LocalSession, cog: WelcomeCog
):
    await _wave(session)
    c = session.community
    assert "Suggested actions" in _alert(session).text
    assert "Raid measures" not in _alert(session).text
    assert c.channel_named("general").slow_mode == 0
    assert c.timeouts == {} and not c.invites_paused


async def test_a_wave_takes_the_configured_measures_and_the_alert_lists_them(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    await configure(MEASURES)
    await _wave(session)
    c = session.community
    assert c.channel_named("general").slow_mode == 60
    assert c.invites_paused
    assert set(c.timeouts) == {"raider4", "raider5"}
    alert = _alert(session)
    text = alert.text
    assert "Raid measures" in text
    assert "Slow mode 60s in #general: ✅ done" in text
    assert "Invites paused: ✅ done" in text
    assert "Timed out for 12h (2 new accounts): @Raider4, @Raider5: ✅ done" in text
    assert "Suggested actions" not in text
    assert set(alert.reactions) == {"↩️", "⏹️"}
    # Invites are paused: the next raider cannot even join.
    with pytest.raises(PermissionError, match="paused"):
        await c.join("Raider6")


async def test_a_moderators_undo_reaction_takes_everything_back(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    c.channel_named("general").slow_mode = 5  # set by the admins before the raid
    await configure(MEASURES)
    await _wave(session)
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    assert c.channel_named("general").slow_mode == 5
    assert not c.invites_paused
    assert c.timeouts == {}
    text = _alert(session).text
    assert "**Raid measures undone** by @Mo" in text
    assert text.count("↩️ taken back") == 3
    assert "React ↩️" not in text
    audit = await session.app.services.audit.recent(c.community.key)
    actions = [(e.action, e.actor_id, e.details.get("outcome")) for e in audit]
    assert ("welcome.raid_undone", "mo", None) in actions
    assert ("welcome.raid.slow_mode", "bot", "done") in actions
    assert ("welcome.raid.slow_mode", "mo", "undone") in actions
    assert ("welcome.raid.timeout", "mo", "undone") in actions


async def test_a_members_reaction_on_the_alert_does_nothing(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    number = _alert(session).number
    await c.react(c.member("Ben"), number, "↩️")
    await c.react(c.member("Ben"), number, "⏹️")
    assert c.channel_named("general").slow_mode == 60
    assert c.invites_paused and len(c.timeouts) == 2
    assert "ben" not in c.message(number).reactions.get("↩️", [])
    assert "React ↩️ to undo all of this" in _alert(session).text


async def test_ending_the_raid_state_keeps_the_timeouts_and_undo_still_lifts_them(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    assert c.channel_named("general").slow_mode == 0
    assert not c.invites_paused
    assert len(c.timeouts) == 2
    text = _alert(session).text
    assert "**Raid state ended** by @Mo" in text
    assert "React ↩️ to undo the rest" in text
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    assert c.timeouts == {}


async def test_the_raid_state_ends_by_itself_after_the_quiet_period(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    await session.advance(timedelta(minutes=29))
    assert c.channel_named("general").slow_mode == 60
    await session.advance(timedelta(minutes=1))
    assert c.channel_named("general").slow_mode == 0
    assert not c.invites_paused
    assert len(c.timeouts) == 2
    assert "**Raid state over** (no join for a while)" in _alert(session).text


async def test_a_refused_measure_is_shown_as_refused_never_as_done(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    async def refuse(self, community, paused, reason):
        raise MissingPermission("my role lacks the “Manage Server” permission")

    monkeypatch.setattr(LocalPlatform, "pause_invites", refuse)
    await configure(MEASURES)
    await _wave(session)
    text = _alert(session).text
    assert "Invites paused: ❌ refused: my role lacks the “Manage Server” permission" in text
    assert "Slow mode 60s in #general: ✅ done" in text
    audit = await session.app.services.audit.recent(session.community.community.key)
    [entry] = [e for e in audit if e.action == "welcome.raid.invites"]
    assert entry.details["outcome"] == "refused"


def _refuse_taking_back(monkeypatch: pytest.MonkeyPatch, kind: str, error: str) -> None:
    """The platform takes the raid's slow mode (60 s) or invites pause but refuses to take
    it back, as after the bot's role lost the permission; `monkeypatch.undo()` grants it."""
    if kind == "slow_mode":
        slow_mode = LocalPlatform.set_slow_mode

        async def set_slow_mode(self, channel, seconds, reason):
            if seconds < 60:
                raise MissingPermission(error)
            await slow_mode(self, channel, seconds, reason)

        monkeypatch.setattr(LocalPlatform, "set_slow_mode", set_slow_mode)
        return
    pause = LocalPlatform.pause_invites

    async def pause_invites(self, community, paused, reason):
        if not paused:
            raise MissingPermission(error)
        await pause(self, community, paused, reason)

    monkeypatch.setattr(LocalPlatform, "pause_invites", pause_invites)


def _logged(session: LocalSession, start: str) -> int:
    return sum(line.startswith(start) for line in session.community.transcript)


async def test_a_crash_before_the_measures_loses_none_and_repeats_none(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """The join that fires the wave commits the raid and its act job; a crash before the
    slow mode and invites steps are taken leaves them to that job, which takes each once."""
    c = session.community
    c.channel_named("general").slow_mode = 5
    await configure(MEASURES)

    async def crash(self, community, wave_id):
        raise RuntimeError("the process died")

    monkeypatch.setattr(RaidGuard, "act", crash)
    await _wave(session)
    assert c.channel_named("general").slow_mode == 5 and not c.invites_paused
    monkeypatch.undo()
    await session.run_due_jobs()
    await session.run_due_jobs()
    await cog.raids.act(c.community, 1)  # a second process, or the job run again
    assert c.channel_named("general").slow_mode == 60 and c.invites_paused
    assert _logged(session, "(slow mode in #general: 60s") == 1
    assert _logged(session, "(invites paused") == 1
    assert _logged(session, "(timed out raider4") == 1
    # The value replaced is the one from before the raid, whatever a retry saw later.
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    assert c.channel_named("general").slow_mode == 5


async def test_measures_written_but_not_carried_out_before_a_crash_go_out_once(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """State and outbox entries are committed before anything reaches the platform; the
    alert says they are waiting meanwhile, and the restarted delivery carries each out once."""
    c = session.community
    services = session.app.services
    await configure(MEASURES)

    async def nothing(*pendings):
        return []

    monkeypatch.setattr(services.outbox, "deliver", nothing)
    await _wave(session)
    assert c.channel_named("general").slow_mode == 0 and c.timeouts == {}
    monkeypatch.undo()
    await services.outbox.start()
    await services.outbox.run_due()
    await session.run_due_jobs()
    assert c.channel_named("general").slow_mode == 60 and c.invites_paused
    assert set(c.timeouts) == {"raider4", "raider5"}
    assert _logged(session, "(slow mode in #general") == 1
    assert _logged(session, "(invites paused") == 1
    text = _alert(session).text
    assert "waiting for the platform" not in text
    assert text.count("✅ done") == 3


async def test_a_measure_waiting_for_the_platform_is_shown_as_waiting(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    calls = []

    async def rate_limited(self, channel, seconds, reason):
        calls.append(seconds)
        raise PlatformUnavailable("Discord asks to wait 30 s.")

    monkeypatch.setattr(LocalPlatform, "set_slow_mode", rate_limited)
    await configure(MEASURES)
    await _wave(session)
    assert "Slow mode 60s in #general: ⏳ waiting for the platform" in _alert(session).text
    monkeypatch.undo()
    await session.advance(timedelta(minutes=2))
    assert session.community.channel_named("general").slow_mode == 60
    assert "Slow mode 60s in #general: ✅ done" in _alert(session).text
    assert calls == [60]


async def test_on_a_platform_without_the_measures_the_alert_says_they_were_not_available(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    missing = {Capability.SLOW_MODE, Capability.PAUSE_INVITES, Capability.TIMEOUT}
    monkeypatch.setattr(LocalPlatform, "capabilities", frozenset(Capability) - missing)
    await configure(MEASURES)
    await _wave(session)
    text = _alert(session).text
    assert "Slow mode 60s in #general: not available on local mode" in text
    assert "Invites paused: not available on local mode" in text
    assert "Time-outs for new accounts: not available on local mode" in text
    assert "✅" not in text
    assert session.community.timeouts == {} and not session.community.invites_paused


async def test_two_processes_acting_on_one_raid_at_once_take_each_step_once(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """Two processes (here: two transactions at once, on PostgreSQL two connections) take
    the measures and undo them together: the community's turn and the step keys let one
    of each happen."""
    c = session.community
    await configure(MEASURES)

    async def crash(self, community, wave_id):
        raise RuntimeError("the process died")

    monkeypatch.setattr(RaidGuard, "act", crash)
    await _wave(session)
    monkeypatch.undo()
    await asyncio.gather(cog.raids.act(c.community, 1), cog.raids.act(c.community, 1))
    await session.run_due_jobs()
    assert _logged(session, "(slow mode in #general: 60s") == 1
    assert _logged(session, "(invites paused") == 1
    await asyncio.gather(
        cog.raids.finish(c.community, 1, "undone", "mo"),
        cog.raids.finish(c.community, 1, "undone", "alice"),
    )
    assert _logged(session, "(slow mode in #general: 0s") == 1
    assert _logged(session, "(invites resumed") == 1
    audit = await session.app.services.audit.recent(c.community.key)
    assert [e.action for e in audit].count("welcome.raid_undone") == 1


async def test_a_raiders_time_out_is_in_their_privacy_export_and_forgotten_with_them(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    await configure(MEASURES)
    await _wave(session)
    db, key = session.app.services.db, session.community.community.key
    found = {f.entry.name: f.rows for f in await privacy.export(db, key, "raider4")}
    [step] = found["welcome_raid_steps"]
    assert (step["kind"], step["name"], step["status"]) == ("timeout", "Raider4", "done")
    await privacy.forget(db, key, "raider4", actor="alice", at=session.clock.now())
    found = {f.entry.name: f.rows for f in await privacy.export(db, key, "raider4")}
    assert found["welcome_raid_steps"] == []


RULES_FIRST = {
    "welcome.rules.enabled": True,
    "welcome.raids.require_rules": True,
    "welcome.raids.quiet_minutes": 30,
}


async def test_newcomers_of_a_raid_post_only_after_accepting_the_rules(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure(RULES_FIRST)
    await _wave(session)
    assert "Newcomers of the raid post only after accepting the rules: ✅ done" in (
        _alert(session).text
    )
    raider = c.member("Raider5")
    held = await c.post(raider, "general", "buy cheap followers")
    assert c.message(held.number).deleted
    assert "accepting the rules" in c.direct_messages(raider)[-1].text
    # A member from before the raid, and a raider who accepted, post as usual.
    assert not c.message((await c.post(c.member("Ben"), "general", "hi all")).number).deleted
    await c.run(c.member("Raider4"), "/welcome accept")
    said = await c.post(c.member("Raider4"), "general", "hello, I read the rules")
    assert not c.message(said.number).deleted
    # Ending the raid state lifts the requirement.
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    assert not c.message((await c.post(raider, "general", "hello")).number).deleted
    assert "Newcomers of the raid post only after accepting the rules: ↩️ taken back" in (
        _alert(session).text
    )


async def test_requiring_the_rules_without_rules_acceptance_says_what_it_needs(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure({**RULES_FIRST, "welcome.rules.enabled": False})
    await _wave(session)
    assert "rules: ⚠️ needs rules acceptance ([welcome.rules] enabled = true)" in (
        _alert(session).text
    )
    said = await c.post(c.member("Raider5"), "general", "hello")
    assert not c.message(said.number).deleted


async def test_a_moderators_undo_while_the_bot_was_away_is_acted_on_after_the_reconnect(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    number = _alert(session).number
    c.disconnect()
    await c.react(c.member("Ben"), number, "↩️")
    await c.react(c.member("Mo"), number, "⏹️")
    await c.react(c.member("Mo"), number, "↩️")
    assert c.channel_named("general").slow_mode == 60
    await c.connect()
    assert c.channel_named("general").slow_mode == 0
    assert c.timeouts == {} and not c.invites_paused
    assert "**Raid measures undone** by @Mo" in _alert(session).text
    await c.connect()  # a second reconnect finds nothing left to do
    audit = await session.app.services.audit.recent(c.community.key)
    assert [e.action for e in audit].count("welcome.raid_undone") == 1


async def test_a_join_while_the_quiet_periods_end_is_running_still_lets_the_raid_end(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    """The end job was already taken (so a join cannot move it) when a join came: the job
    finds the raid not quiet and must leave a later end behind, or the raid lasts forever."""
    c = session.community
    await configure({**MEASURES, "welcome.raids.pause_invites": False})
    await _wave(session)
    await session.advance(timedelta(minutes=29, seconds=59))
    db = session.app.services.db
    key = "welcome:raid-end:" + c.community.key + ":1"
    far = (session.clock.now() + timedelta(days=1)).isoformat()
    await db.execute(
        "UPDATE jobs SET status = 'running', lease_expires = ? WHERE idempotency_key = ?",
        (far, key),
    )
    await c.join("Raider6", account_age=YOUNG)
    [row] = await db.fetch_all(
        "SELECT id, community, kind FROM jobs WHERE idempotency_key = ?", (key,)
    )
    await cog.raids.on_end_job(
        Job(row[0], row[1], row[2], session.clock.now(), {"wave": 1}, key, 1)
    )
    await db.execute("UPDATE jobs SET status = 'done' WHERE idempotency_key = ?", (key,))
    await session.advance(timedelta(minutes=30))
    assert c.channel_named("general").slow_mode == 0
    assert "**Raid state over** (no join for a while)" in _alert(session).text


async def test_ending_a_raid_claims_back_only_what_it_took_back(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """The ended alert never says slow mode or invites are back: not where the raid took
    neither, nor where the platform refused to take one back (its line says so)."""
    c = session.community
    await configure({"welcome.raids.timeout_younger_than_hours": 24})
    await _wave(session)
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    text = _alert(session).text
    assert "**Raid state ended** by @Mo" in text
    assert "slow mode" not in text.lower() and "invites" not in text.lower()


async def test_an_end_the_platform_refused_is_not_announced_as_done(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    _refuse_taking_back(monkeypatch, "slow_mode", "Manage Channels is missing")
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    assert c.channel_named("general").slow_mode == 60
    text = _alert(session).text
    assert "could not be taken back" in text
    assert "slow mode and invites are back" not in text


async def test_a_join_committed_while_the_quiet_end_decides_keeps_the_raid_state(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """Another process's join lands between the end job's look at the raid and its end:
    the end, decided under the community's turn, sees the join and comes later instead."""
    c = session.community
    await configure({**MEASURES, "welcome.raids.pause_invites": False})
    await _wave(session)
    stale = await cog.raids.raids.get(1)
    await session.advance(timedelta(minutes=29, seconds=59))
    await c.join("Raider6", account_age=YOUNG)
    session.clock.set(stale.last_join_at + timedelta(minutes=30))
    real_get = cog.raids.raids.get

    async def read_before_the_join(wave_id, tx=None):
        return stale if tx is None else await real_get(wave_id, tx)

    monkeypatch.setattr(cog.raids.raids, "get", read_before_the_join)
    await cog.raids.on_end_job(
        Job(0, c.community.key, "welcome.raid_end", stale.last_join_at, {"wave": 1}, "k", 1)
    )
    monkeypatch.undo()
    assert c.channel_named("general").slow_mode == 60
    assert "React ↩️ to undo all of this" in _alert(session).text
    await session.advance(timedelta(minutes=30))
    assert c.channel_named("general").slow_mode == 0


SLOW_ONLY = {**MEASURES, "welcome.raids.pause_invites": False}


async def test_a_second_raid_during_an_outage_restores_the_channels_own_slow_mode(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """The first raid's end is still waiting for the platform when a second raid reads the
    channel: it shows the first raid's slow mode, yet what the second raid restores is the
    channel's own setting from before either."""
    c = session.community
    c.channel_named("general").slow_mode = 5
    await configure(SLOW_ONLY)
    await _wave(session)

    async def down(self, channel, seconds, reason):
        raise PlatformUnavailable("the platform is not answering")

    monkeypatch.setattr(LocalPlatform, "set_slow_mode", down)
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    assert c.channel_named("general").slow_mode == 60
    await session.advance(timedelta(minutes=5))
    await _wave(session, first=6)
    first, second = session.community.read("#moderators")
    assert "Slow mode 60s in #general: ⏳ being taken back" in first.text
    monkeypatch.undo()
    await session.advance(timedelta(minutes=15))
    assert c.channel_named("general").slow_mode == 60  # the second raid's
    assert "Slow mode 60s in #general: ↩️ taken back" in c.message(first.number).text
    await c.react(c.member("Mo"), second.number, "⏹️")
    assert c.channel_named("general").slow_mode == 5
    assert "Slow mode 60s in #general: ↩️ taken back" in c.message(second.number).text


async def test_a_second_raid_after_a_refused_end_restores_the_channels_own_slow_mode(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """The first raid's slow mode could not be taken back (no permission): the second raid
    finds it on the channel and still restores the setting from before the first; the
    first raid's ↩️ meanwhile does not lift the second raid's slow mode, and its alert says
    the second raid has it now."""
    c = session.community
    c.channel_named("general").slow_mode = 5
    await configure(SLOW_ONLY)
    await _wave(session)
    _refuse_taking_back(monkeypatch, "slow_mode", "Manage Channels is missing")
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    await session.advance(timedelta(minutes=5))
    await _wave(session, first=6)
    monkeypatch.undo()
    first, second = session.community.read("#moderators")
    await c.react(c.member("Alice"), first.number, "↩️")
    assert c.channel_named("general").slow_mode == 60  # the second raid's, still in place
    text = c.message(first.number).text
    assert "Slow mode 60s in #general: ➡️ left to the later raid, which restores" in text
    assert "could not be taken back" not in text and "again" not in text
    await c.react(c.member("Mo"), second.number, "⏹️")
    assert c.channel_named("general").slow_mode == 5


async def test_undo_leaves_a_time_out_a_moderator_changed_and_says_so(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    # A moderator gives Raider4 a week instead (by hand, in the platform's own menu).
    week = session.clock.now() + timedelta(days=7)
    c.timeouts["raider4"] = week.isoformat()
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    assert c.timeouts == {"raider4": week.isoformat()}
    text = _alert(session).text
    assert "(1 new account): @Raider5: ↩️ taken back" in text
    assert "(1 new account): @Raider4: ✋ not lifted: a moderator changed the time-out" in text
    assert "**Raid measures undone** by @Mo" in text
    audit = await session.app.services.audit.recent(c.community.key)
    kept = [
        e for e in audit if e.action == "welcome.raid.timeout" and e.subject == "member:raider4"
    ]
    assert kept[0].details["outcome"] == "kept"


async def test_undo_of_a_raider_who_left_since_is_not_left_waiting_for_a_retry(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    """Raiders often leave or are banned before the undo: their time-out cannot be lifted
    (the platform knows no such member), a retry would fail the same way, so the alert
    says why it stays instead of asking for one, and calls the raid undone."""
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    await c.leave(c.member("Raider4"))
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    text = _alert(session).text
    assert "@Raider4: 👋 not lifted: no longer a member (the time-out ends by itself)" in text
    assert "(1 new account): @Raider5: ↩️ taken back" in text
    assert "**Raid measures undone** by @Mo" in text
    assert "could not be taken back" not in text and "again" not in text
    audit = await session.app.services.audit.recent(c.community.key)
    gone = [e for e in audit if e.subject == "member:raider4" and e.actor_id == "mo"]
    assert [e.details["outcome"] for e in gone] == ["gone"]


async def test_undo_after_the_time_outs_ran_out_claims_no_take_back(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    """A day later the raid's 12-hour time-outs are long over: ↩️ has nothing of theirs to
    lift, asks the platform nothing, and the alert says they ended by themselves."""
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    await session.advance(timedelta(hours=24))
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    text = _alert(session).text
    assert "@Raider4, @Raider5: ⌛ already over: the time-out had ended by itself" in text
    assert "**Raid measures undone** by @Mo" in text and "@Raider5: ↩️" not in text
    assert _logged(session, "(timeout of raider4 lifted") == 0


async def test_undo_after_the_slowed_channel_was_deleted_is_not_left_waiting_for_a_retry(
    session: LocalSession, cog: WelcomeCog, configure: Configure
):
    """Moderators often delete a channel a raid flooded: its slow mode went with it, so
    the undo has nothing to take back there and no retry to offer."""
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    del c.channels[c.channel_named("general").id]
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    text = _alert(session).text
    assert "🗑️ nothing to take back: the channel no longer exists" in text
    assert "**Raid measures undone** by @Mo" in text
    assert "could not be taken back" not in text and "again" not in text


async def _press_again(session: LocalSession, name: str, emoji: str) -> None:
    """A moderator takes their reaction off the alert and adds it again."""
    c, number = session.community, _alert(session).number
    await c.unreact(c.member(name), number, emoji)
    await c.react(c.member(name), number, emoji)


async def test_a_refused_undo_is_retried_by_the_next_undo_and_never_claimed_before(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    c = session.community
    c.channel_named("general").slow_mode = 5
    await configure(MEASURES)
    await _wave(session)
    _refuse_taking_back(monkeypatch, "slow_mode", "my role lacks Manage Channels")
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    text = _alert(session).text
    assert "Slow mode 60s in #general: ❌ could not be taken back: my role lacks" in text
    assert "**Raid measures undone**" not in text
    assert "not everything is back yet" in text
    assert "react ↩️ again" in text
    assert c.timeouts == {} and not c.invites_paused
    # Refused again: still said so.
    await _press_again(session, "Mo", "↩️")
    assert "❌ could not be taken back" in _alert(session).text
    monkeypatch.undo()  # the admins granted the permission
    await _press_again(session, "Mo", "↩️")
    assert c.channel_named("general").slow_mode == 5
    text = _alert(session).text
    assert "**Raid measures undone** by @Mo" in text
    assert text.count("↩️ taken back") == 3 and "again" not in text
    assert _logged(session, "(invites resumed") == 1
    assert _logged(session, "(timeout of raider4 lifted") == 1
    # Nothing is left to retry: a further ↩️ changes nothing.
    await _press_again(session, "Mo", "↩️")
    assert _logged(session, "(slow mode in #general: 5s") == 1
    audit = await session.app.services.audit.recent(c.community.key)
    assert [e.action for e in audit].count("welcome.raid_undone") == 1


async def test_an_ended_raids_alert_tells_how_to_retry_a_refused_end_keeping_the_time_outs(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """After an end the platform refused in part, the alert names the control that retries
    it and keeps the time-outs (⏹️ again), not only the ↩️ that also lifts them."""
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    _refuse_taking_back(monkeypatch, "slow_mode", "my role lacks Manage Channels")
    await c.react(c.member("Mo"), _alert(session).number, "⏹️")
    text = _alert(session).text
    assert "❌ could not be taken back" in text
    assert "react ⏹️ again (take your reaction off and add it back) to retry" in text
    monkeypatch.undo()
    await _press_again(session, "Mo", "⏹️")
    assert c.channel_named("general").slow_mode == 0
    assert set(c.timeouts) == {"raider4", "raider5"}
    text = _alert(session).text
    assert "Slow mode 60s in #general: ↩️ taken back" in text and "again" not in text


async def test_a_refused_end_is_retried_by_a_later_undo(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    _refuse_taking_back(monkeypatch, "invites", "my role lacks Manage Server")
    await session.advance(timedelta(minutes=30))  # the raid state ends by itself
    assert c.invites_paused
    assert "Invites paused: ❌ could not be taken back" in _alert(session).text
    monkeypatch.undo()
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    assert not c.invites_paused and c.timeouts == {}
    assert "Invites paused: ↩️ taken back" in _alert(session).text


async def test_reading_the_controls_again_after_a_reconnect_retries_nothing(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
):
    """A retry is a moderator's new ↩️; the reactions read again on every reconnect are old."""
    c = session.community
    await configure(MEASURES)
    await _wave(session)
    _refuse_taking_back(monkeypatch, "slow_mode", "my role lacks Manage Channels")
    await c.react(c.member("Mo"), _alert(session).number, "↩️")
    monkeypatch.undo()
    c.disconnect()
    await c.connect()
    assert c.channel_named("general").slow_mode == 60
    assert "❌ could not be taken back" in _alert(session).text
