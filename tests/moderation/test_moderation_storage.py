"""The moderation repository: folding, one claim per flag, report limits, failed actions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.audit import AuditLog
from storage.database import Database
from storage.moderation import (
    AlreadyReported,
    DecisionKind,
    FlagStatus,
    HitReason,
    InfractionDraft,
    MessageSnapshot,
    ModerationRepository,
    NewHit,
    ReportLimit,
    ReportLimitReached,
)
from storage.timestamps import to_db
from tests.migrating import apply_migrations_before

C = "local:test"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(database_target: str | Path) -> AsyncIterator[ModerationRepository]:
    db = await Database.open(database_target)
    yield ModerationRepository(db, AuditLog(db))
    await db.close()


def snapshot(message_id: str, author: str = "ben", at: datetime = T0) -> MessageSnapshot:
    return MessageSnapshot("general", "general", message_id, author, author.title(), "x", "", at)


async def test_the_same_rule_never_hits_one_message_twice(repo: ModerationRepository) -> None:
    first = await repo.record_hits(C, snapshot("1"), [NewHit("swears", "flag", "x")], T0, T0)
    again = await repo.record_hits(
        C, snapshot("1"), [NewHit("swears", "flag", "x"), NewHit("caps", "flag", "X")], T0, T0
    )
    assert first.filed is not None and first.filed.created
    assert [h.rule for h in again.new] == ["caps"]
    assert again.filed is not None and again.filed.flag.id == first.filed.flag.id


async def test_a_burst_by_one_member_folds_into_one_flag(repo: ModerationRepository) -> None:
    ids = set()
    for n in range(20):
        now = T0 + timedelta(seconds=n)
        recorded = await repo.record_hits(
            C,
            snapshot(str(n), at=now),
            [NewHit("burst", "flag", "")],
            now,
            now - timedelta(minutes=10),
        )
        assert recorded.filed is not None
        ids.add(recorded.filed.flag.id)
    assert len(ids) == 1
    details = await repo.details(C, ids.pop())
    assert details is not None and len(details.messages) == 20
    other = await repo.record_hits(
        C, snapshot("x", author="zoe"), [NewHit("burst", "flag", "")], T0, T0
    )
    assert other.filed is not None and other.filed.flag.id not in ids | {details.flag.id}


async def test_two_simultaneous_claims_make_one_decision(repo: ModerationRepository) -> None:
    filed = (await repo.record_hits(C, snapshot("1"), [NewHit("r", "flag", "")], T0, T0)).filed
    assert filed is not None
    draft = InfractionDraft("ben", "Ben", "warn", "r")
    # Each run as the dispatcher runs a handler: again if PostgreSQL reports the race.
    again = repo._db.retrying
    results = await asyncio.gather(
        again(lambda: repo.decide(C, filed.flag.id, "warn", "mo", "", T0, 1, draft)),
        again(lambda: repo.decide(C, filed.flag.id, "dismiss", "max", "", T0, 1, None)),
    )
    assert sorted(r.kind for r in results) == [DecisionKind.CLAIMED, DecisionKind.CLOSED]
    assert len(await repo.infractions(C, "ben", 10)) == 1


async def test_quorum_needs_distinct_moderators(repo: ModerationRepository) -> None:
    filed = (await repo.record_hits(C, snapshot("1"), [NewHit("r", "flag", "")], T0, T0)).filed
    assert filed is not None
    draft = InfractionDraft("ben", "Ben", "ban", "r")
    first = await repo.decide(C, filed.flag.id, "ban", "mo", "", T0, 2, draft)
    repeat = await repo.decide(C, filed.flag.id, "ban", "mo", "", T0, 2, draft)
    second = await repo.decide(C, filed.flag.id, "ban", "max", "", T0, 2, draft)
    assert (first.kind, repeat.kind, second.kind) == (
        DecisionKind.PENDING,
        DecisionKind.DUPLICATE_VOTE,
        DecisionKind.CLAIMED,
    )
    assert second.flag is not None and second.flag.status is FlagStatus.ACTING


async def test_reports_are_unique_and_rate_limited(repo: ModerationRepository) -> None:
    limit = ReportLimit(2, timedelta(hours=1))
    await repo.file_report(C, snapshot("1"), "amy", "Amy", None, "rude", T0, T0, limit)
    with pytest.raises(AlreadyReported):
        await repo.file_report(C, snapshot("1"), "amy", "Amy", None, "rude", T0, T0, limit)
    await repo.file_report(C, snapshot("2"), "amy", "Amy", None, "rude", T0, T0, limit)
    with pytest.raises(ReportLimitReached) as raised:
        await repo.file_report(C, snapshot("3"), "amy", "Amy", None, "rude", T0, T0, limit)
    assert raised.value.retry_at == T0 + timedelta(hours=1)
    later = T0 + timedelta(hours=1, seconds=1)
    await repo.file_report(C, snapshot("3"), "amy", "Amy", None, "rude", later, later, limit)


async def test_a_refused_action_reopens_the_flag_and_voids_the_infraction(
    repo: ModerationRepository,
) -> None:
    filed = (await repo.record_hits(C, snapshot("1"), [NewHit("r", "flag", "")], T0, T0)).filed
    assert filed is not None
    decision = await repo.decide(
        C, filed.flag.id, "kick", "mo", "", T0, 1, InfractionDraft("ben", "Ben", "kick", "r")
    )
    assert decision.infraction_id is not None
    assert await repo.reopen(C, filed.flag.id, "missing permission", "mo", T0)
    assert not await repo.reopen(C, filed.flag.id, "again", "mo", T0)  # only an acting flag
    flag = await repo.flag(C, filed.flag.id)
    assert flag is not None and flag.status is FlagStatus.OPEN and flag.error
    assert await repo.infractions(C, "ben", 10) == []
    assert await repo.infraction_counts(C, "ben", T0 - timedelta(days=1)) == {}


async def test_reasons_are_stored_as_key_and_values(repo: ModerationRepository) -> None:
    reasons = (
        HitReason("keyword", (("keyword", "därn*"),)),
        HitReason("burst", (("count", 5), ("seconds", 2.5), ("limit", 4))),
        HitReason("credential.slack_token"),
    )
    recorded = await repo.record_hits(C, snapshot("1"), [NewHit("r", "flag", "x", reasons)], T0, T0)
    assert recorded.filed is not None
    details = await repo.details(C, recorded.filed.flag.id)
    assert details is not None
    [hit] = details.hits
    assert hit.reasons == reasons and hit.legacy_reason == ""
    assert isinstance(hit.reasons[1].values[1][1], float)  # 2.5 s stays 2.5, 4 stays 4
    assert isinstance(hit.reasons[1].values[2][1], int)


async def test_migration_7_keeps_the_words_of_hits_stored_before_it(
    empty_database_target: str | Path,
) -> None:
    """A database from before 0007 gets the reasons column; its hits keep their English
    words, which flags show as they are."""
    db = await Database.open(empty_database_target, migrate=False)
    await apply_migrations_before(db, 7)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO moderation_flags (id, community, author_id, author_name, created_at,"
            " last_activity_at) VALUES (1, ?, 'ben', 'Ben', ?, ?)",
            (C, to_db(T0), to_db(T0)),
        )
        await tx.execute(
            "INSERT INTO moderation_hits (community, flag_id, channel_id, message_id, rule,"
            " action, matched, reason, at) VALUES (?, 1, 'general', '1', 'swearing', 'flag',"
            " 'd.a.r.n', ?, ?)",
            (C, "keyword 'darn'", to_db(T0)),
        )
    assert "0007_moderation_reasons" in await db.migrate()
    details = await ModerationRepository(db, AuditLog(db)).details(C, 1)
    assert details is not None
    [hit] = details.hits
    assert (hit.matched, hit.reasons, hit.legacy_reason) == ("d.a.r.n", (), "keyword 'darn'")
    await db.close()
