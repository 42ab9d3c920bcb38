"""Insights: sign-in by /dashboard link, who may see the pages, and that the numbers are
right (expected values counted by hand from the seeded community)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient

from bot import signin
from bot.app.web.sessions import COOKIE
from storage.timestamps import to_db
from tests.tickets.desk import Desk

INSIGHTS = "/insights/local/demo"
BASE = "http://board.test"


def link_of(text: str) -> str:
    found = re.search(r"http://board\.test(/signin\?token=[\w.\-]+)", text)
    assert found, text
    return found.group(1)


async def dashboard_link(desk: Desk, who: str) -> str:
    """Run /dashboard as `who` and return the path of the link the DM carried."""
    desk.session.app.services.board_url = BASE
    reply = await desk.run(who, "/dashboard")
    assert "sent you a sign-in link" in reply, reply
    return link_of(desk.c.direct_messages(desk.c.member(who))[-1].text)


async def sign_in(client: TestClient, path: str, status: int = 303) -> str:
    """Open the link (a page with a button), press the button; the answer's body."""
    opened = await client.get(path)
    assert opened.status == 200, await opened.text()
    token = path.split("token=", 1)[1]
    pressed = await client.post("/signin", data={"token": token}, allow_redirects=False)
    assert pressed.status == status, await pressed.text()
    return await pressed.text()


async def test_a_moderator_signs_in_and_sees_the_insights(desk: Desk, client: TestClient) -> None:
    path = await dashboard_link(desk, "Mo")
    pressed = await client.post(
        "/signin", data={"token": path.split("token=")[1]}, allow_redirects=False
    )
    assert pressed.status == 303 and pressed.headers["Location"] == INSIGHTS
    cookie = pressed.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1
    page = await client.get(INSIGHTS)
    text = await page.text()
    assert page.status == 200, text
    assert "Insights for" in text and "Tickets opened and resolved per week" in text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "<script" not in text


async def test_the_cookie_is_secure_behind_https(desk: Desk, client: TestClient) -> None:
    path = await dashboard_link(desk, "Amy")
    token = path.split("token=")[1]
    pressed = await client.post(
        "/signin",
        data={"token": token},
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
    )
    assert pressed.status == 303
    assert "Secure" in pressed.headers["Set-Cookie"]


async def test_a_member_gets_no_link_and_a_members_link_never_opens_insights(
    desk: Desk, client: TestClient
) -> None:
    desk.session.app.services.board_url = BASE
    reply = await desk.run("Ben", "/dashboard")
    assert "admins, ambassadors and moderators" in reply
    assert desk.c.direct_messages(desk.c.member("Ben")) == []
    # Even a correctly signed link for a member opens nothing.
    services = desk.session.app.services
    key = await signin.signing_key(services)
    token = signin.issue(key, signin.Kind.LINK, "local:demo", "ben", services.clock.now())
    pressed = await client.post("/signin", data={"token": token}, allow_redirects=False)
    assert pressed.status == 403 and "No access to these insights" in await pressed.text()
    assert COOKIE not in pressed.cookies
    assert (await client.get(INSIGHTS)).status == 403


async def test_expired_reused_and_tampered_links_are_refused(
    desk: Desk, client: TestClient
) -> None:
    path = await dashboard_link(desk, "Alice")
    await sign_in(client, path)
    client.session.cookie_jar.clear()
    again = await client.post(
        "/signin", data={"token": path.split("token=")[1]}, allow_redirects=False
    )
    assert again.status == 403 and "already used" in await again.text()
    assert (await client.get(INSIGHTS)).status == 403

    late = await dashboard_link(desk, "Alice")
    desk.clock.advance(timedelta(minutes=10, seconds=1))
    expired = await client.get(late)
    assert expired.status == 403 and "has expired" in await expired.text()

    fresh = await dashboard_link(desk, "Alice")
    body, signature = fresh.split("token=")[1].split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    tampered = await client.get(f"/signin?token={forged}.{signature}")
    assert tampered.status == 403 and "does not work" in await tampered.text()
    assert "run /dashboard" in (await tampered.text()).lower()


async def test_a_demoted_member_is_refused_on_the_next_request(
    desk: Desk, client: TestClient
) -> None:
    await sign_in(client, await dashboard_link(desk, "Amy"))
    assert (await client.get(INSIGHTS)).status == 200
    amy = desk.c.member("Amy")
    desk.c.members[amy.id] = replace(amy, roles=())
    refused = await client.get(INSIGHTS)
    assert refused.status == 403 and "no longer" in await refused.text()
    assert (await client.get(f"{INSIGHTS}/tickets-weekly.csv")).status == 403


async def test_dashboard_says_so_when_direct_messages_are_closed(desk: Desk) -> None:
    desk.session.app.services.board_url = BASE
    desk.c.dms_closed.add("mo")
    reply = await desk.run("Mo", "/dashboard")
    assert "cannot send you direct messages" in reply


async def seed(desk: Desk) -> None:
    """A community's fortnight, written as the bot would have stored it."""
    db = desk.session.app.services.db
    t0 = datetime(2026, 1, 5, 9)  # a Monday
    await desk.open("Ben", "Dark mode")  # 1: answered after 2 h, resolved after 10 h
    await desk.open("Cy", "Invoices as PDF")  # 2: answered after 4 h, open, 3 votes
    await desk.open("Dee", "Secret salary question", "private:yes")  # 3: private, 9 votes
    await desk.open("Ben", "Export to CSV")  # 4: declined after 30 h
    await promises(desk)
    rows = {
        1: (t0, t0 + timedelta(hours=2), t0 + timedelta(hours=10), "done", 0, "amy"),
        2: (t0, t0 + timedelta(hours=4), None, None, 3, "amy"),
        3: (t0 + timedelta(days=8), None, None, None, 9, None),
        4: (t0 + timedelta(days=1), None, t0 + timedelta(days=2, hours=6), "declined", 0, None),
    }
    for number, (opened, first, resolved, outcome, votes, owner) in rows.items():
        await db.execute(
            "UPDATE tickets SET opened_at = ?, first_response_at = ?, resolved_at = ?,"
            " outcome = ?, vote_count = ?, owner_id = ?, status = ?, active = ?"
            " WHERE community = 'local:demo' AND number = ?",
            (
                to_db(opened),
                first and to_db(first),
                resolved and to_db(resolved),
                outcome,
                votes,
                owner,
                "resolved" if resolved else ("claimed" if owner else "open"),
                0 if resolved else 1,
                number,
            ),
        )
    for member, joined, accepted, posted in (
        ("n1", t0, t0 + timedelta(minutes=5), t0 + timedelta(days=1)),  # within the week
        ("n2", t0 + timedelta(days=1), None, t0 + timedelta(days=9)),  # 8 days: too late
        ("n3", t0 + timedelta(days=7), t0 + timedelta(days=7, hours=1), None),  # never
    ):
        await db.execute(
            "INSERT INTO welcome_members (community, member_id, name, joined_at, accepted_at,"
            " first_post_at) VALUES ('local:demo', ?, ?, ?, ?, ?)",
            (member, member, to_db(joined), accepted and to_db(accepted), posted and to_db(posted)),
        )
    for flag, (rule, reported, outcome, created, settle_hours) in enumerate(
        (
            ("links", False, "delete", t0, 1),
            ("links", False, "dismiss", t0 + timedelta(days=1), 3),
            ("caps", False, "warn", t0 + timedelta(days=8), 2),
            (None, True, "warn", t0 + timedelta(days=9), 5),
            (None, True, "dismiss", t0 + timedelta(days=9), 7),
        ),
        start=1,
    ):
        await db.execute(
            "INSERT INTO moderation_flags (id, community, author_id, author_name, status,"
            " outcome, acted_at, created_at, last_activity_at) VALUES"
            " (?, 'local:demo', 'ben', 'Ben', 'settled', ?, ?, ?, ?)",
            (
                flag,
                outcome,
                to_db(created + timedelta(hours=settle_hours)),
                to_db(created),
                to_db(created),
            ),
        )
        if rule:
            await db.execute(
                "INSERT INTO moderation_hits (community, flag_id, channel_id, message_id,"
                " rule, action, at) VALUES ('local:demo', ?, 'general', ?, ?, 'flag', ?)",
                (flag, f"m{flag}", rule, to_db(created)),
            )
        if reported:
            await db.execute(
                "INSERT INTO moderation_reports (community, flag_id, channel_id, message_id,"
                " reporter_id, reporter_name, at) VALUES ('local:demo', ?, 'general', ?,"
                " 'cy', 'Cy', ?)",
                (flag, f"m{flag}", to_db(created)),
            )
        if outcome == "warn":
            await db.execute(
                "INSERT INTO moderation_infractions (community, member_id, member_name, kind,"
                " moderator_id, flag_id, at) VALUES ('local:demo', 'ben', 'Ben', 'warn',"
                " 'mo', ?, ?)",
                (flag, to_db(created)),
            )
    await db.execute(
        "INSERT INTO kudos (community, giver_id, receiver_id, receiver_name, reason,"
        " given_at) VALUES ('local:demo', 'cy', 'amy', 'Amy', 'thanks', ?)",
        (to_db(t0 + timedelta(days=2)),),
    )


async def promises(desk: Desk) -> None:
    """Amy's promised updates, made with the real command from Monday 2026-01-05 09:00:
    A (#1, due 01-07 09:00) kept by the update of 01-06; B (#1, due 01-07 09:00) broken,
    the next update came 01-08; C (#4, due 01-11 09:00) kept by the resolution of 01-10;
    D (#2, due 01-28) falls after the range."""
    day = timedelta(days=1)
    await desk.run("Amy", "/ticket update #1 Looking into it next:2d")  # A
    desk.clock.advance(day)
    await desk.run("Amy", "/ticket update #1 Halfway there next:1d")  # keeps A; B
    desk.clock.advance(2 * day)
    await desk.run("Amy", "/ticket update #1 Sorry, this took longer")  # B was due a day ago
    await desk.run("Amy", "/ticket update #4 Checking with finance next:3d")  # C
    await desk.run("Amy", "/ticket update #2 After the release next:20d")  # D
    desk.clock.advance(2 * day)
    await desk.run("Amy", "/ticket resolve #4 Not planned this year")  # keeps C


async def table_of(client: TestClient, name: str) -> list[list[str]]:
    response = await client.get(f"{INSIGHTS}/{name}.csv?from=2026-01-05&to=2026-01-18")
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(await response.text())))


async def test_the_numbers_of_a_seeded_community_are_right(desk: Desk, client: TestClient) -> None:
    await seed(desk)
    desk.clock.set(datetime(2026, 1, 20, 9, tzinfo=UTC))  # every promise due, every week over
    await sign_in(client, await dashboard_link(desk, "Mo"))
    assert await table_of(client, "tickets-weekly") == [
        ["Week of", "Opened", "Resolved"],
        ["2026-01-05", "3", "2"],  # 1, 2, 4 opened; 1 and 4 resolved
        ["2026-01-12", "1", "0"],  # the private one
    ]
    # First responses 2 h and 4 h: median 3 h. Resolutions 10 h and 30 h: median 20 h.
    assert await table_of(client, "tickets-times") == [
        ["Measure", "Value"],
        ["Time to first ambassador response (tickets opened in range)", "3.0 h"],
        ["Time to resolution (tickets resolved in range)", "20.0 h"],
        ["Promised updates given on time (promises due in range)", "67 % (2/3)"],  # A, C
    ]
    assert await table_of(client, "outcomes") == [
        ["Outcome", "Tickets"],
        ["declined", "1"],
        ["done", "1"],
    ]
    voted = await table_of(client, "most-voted")
    assert [row[0] for row in voted[1:]] == ["#2"]  # the private #3 (9 votes) is never named
    unclaimed = await table_of(client, "oldest-unclaimed")
    assert unclaimed[1:] == []  # #2 has an owner, #3 is private
    assert await table_of(client, "flags-weekly") == [
        ["Week of", "Rule", "Flags"],
        ["2026-01-05", "links", "2"],
        ["2026-01-12", "caps", "1"],
        ["2026-01-12", "report", "2"],
    ]
    # Settled after 1, 3, 2, 5, 7 h: median 3 h. Reported: 2, of which 1 acted on.
    assert await table_of(client, "moderation-summary") == [
        ["Measure", "Value"],
        ["Time to settle a flag (median)", "3.0 h"],
        ["Reported flags that led to an action", "50 %"],
    ]
    assert await table_of(client, "actions") == [
        ["Decision", "Count"],
        ["message deleted", "1"],
        ["flag dismissed", "2"],
        ["warned", "2"],
    ]
    german = await client.get(f"{INSIGHTS}/actions.csv?from=2026-01-05&to=2026-01-18&lang=de")
    assert "Nachricht gelöscht,1" in await german.text() and "warn," not in await german.text()
    summary = await client.get(
        f"{INSIGHTS}/moderation-summary.csv?from=2026-01-05&to=2026-01-18&lang=de"
    )
    assert "3,0 Std." in await summary.text()
    assert await table_of(client, "repeat-offenders") == [["Member", "Infractions"], ["Ben", "2"]]
    assert await table_of(client, "welcome-weekly") == [
        ["Week of", "Joins", "Kudos"],
        ["2026-01-05", "2", "1"],
        ["2026-01-12", "1", "0"],
    ]
    assert await table_of(client, "welcome-summary") == [
        ["Measure", "Value"],
        ["Members who joined", "3"],
        ["Of them, accepted the rules", "67 %"],
        ["Posted within 7 days of joining (joined in range, first week over)", "33 % (1/3)"],
        ["Kudos given", "1"],
    ]


async def test_promises_not_due_yet_and_first_weeks_not_over_are_not_counted(
    desk: Desk, client: TestClient
) -> None:
    await seed(desk)  # the clock is at 2026-01-10 09:00: C is due tomorrow
    await sign_in(client, await dashboard_link(desk, "Mo"))
    assert (await table_of(client, "tickets-times"))[3][1] == "50 % (1/2)"  # A kept, B not
    assert (await table_of(client, "welcome-summary"))[3][1] == "—"  # nobody's week is over
    desk.clock.set(datetime(2026, 1, 18, 9, tzinfo=UTC))  # n1's and n2's weeks are over
    await sign_in(client, await dashboard_link(desk, "Mo"))
    assert (await table_of(client, "welcome-summary"))[3][1] == "50 % (1/2)"


async def test_csv_matches_the_table_and_private_tickets_are_never_named(
    desk: Desk, client: TestClient
) -> None:
    await seed(desk)
    await sign_in(client, await dashboard_link(desk, "Mo"))
    page = await (await client.get(f"{INSIGHTS}?from=2026-01-05&to=2026-01-18")).text()
    assert "Secret salary question" not in page
    section = page[page.index('id="tickets-weekly"') :]
    cells = re.findall(r"<td>([^<]*)</td>", section[: section.index("</table>")])
    rows = (await table_of(client, "tickets-weekly"))[1:]
    assert cells == [cell for row in rows for cell in row]
    for name in ("most-voted", "oldest-unclaimed", "outcomes"):
        assert "Secret salary" not in str(await table_of(client, name))
    chart = await client.get(f"{INSIGHTS}/tickets-weekly.svg?from=2026-01-05&to=2026-01-18")
    assert chart.status == 200 and chart.headers["Content-Type"] == "image/svg+xml"
    svg = await chart.text()
    assert "<svg" in svg and "<script" not in svg and "2026-01-12" in svg


async def test_a_range_typed_wrongly_is_said_and_the_default_shown(
    desk: Desk, client: TestClient
) -> None:
    await sign_in(client, await dashboard_link(desk, "Mo"))
    text = await (await client.get(f"{INSIGHTS}?from=2026-13-01&to=2026-01-02")).text()
    assert "could not be read" in text and "last 12 weeks" in text
    text = await (await client.get(f"{INSIGHTS}?from=2026-02-01&to=2026-01-02")).text()
    assert "ends before it starts" in text


async def test_the_weekly_digest_links_to_the_insights(desk: Desk) -> None:
    desk.session.app.services.board_url = None
    assert "/insights/" not in await desk.run("Amy", "/ticket digest")
    desk.session.app.services.board_url = BASE
    digest = await desk.run("Amy", "/ticket digest")
    assert f"{BASE}{INSIGHTS}" in digest and "/dashboard" in digest
