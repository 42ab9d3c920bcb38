"""The test workspace: the same cast as the local community, as Slack members."""

from __future__ import annotations

from slack_fake_api import SlackApiFake

ALICE, MO, AMY, BEN, DORA = "U0ALICE", "U0MO", "U0AMY", "U0BEN", "U0DORA"
GENERAL, WELCOME, MODERATORS, AMBASSADORS, TICKETS = (
    "C0GENERAL",
    "C0WELCOME",
    "C0MODS",
    "C0AMBS",
    "C0TICKETS",
)


def seed(fake: SlackApiFake) -> None:
    fake.add_user(ALICE, "Alice")
    fake.add_user(MO, "Mo")
    fake.add_user(AMY, "Amy", locale="de-DE")
    fake.add_user(BEN, "Ben")
    fake.add_user(DORA, "Dora", deleted=True)
    fake.add_group("S0ADMINS", "Admins", [ALICE])
    fake.add_group("S0MODS", "Moderators", [MO])
    fake.add_group("S0AMBS", "Ambassadors", [AMY])
    fake.add_channel(GENERAL, "general", general=True)
    fake.add_channel(WELCOME, "welcome")
    fake.add_channel("C0RULES", "rules")
    fake.add_channel(MODERATORS, "moderators")
    fake.add_channel(AMBASSADORS, "ambassadors")
    fake.add_channel(TICKETS, "tickets")
    for channel in fake.channels:
        fake.members[channel] |= {ALICE, MO, AMY, BEN}
