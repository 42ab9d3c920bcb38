"""On Slack the manifest is English (Slack has no per-language commands), and the replies
follow the member: Slack's ``users.info`` (with ``include_locale``) gives each member's
language."""

from __future__ import annotations

from slack_harness import SlackRig
from slack_harness_users import BEN

ZOE, OLA = "U0ZOE", "U0OLA"


async def test_replies_follow_each_members_slack_language(rig: SlackRig) -> None:
    rig.fake.add_user(ZOE, "Zoé", locale="fr-FR")
    rig.fake.add_user(OLA, "Ola", locale="pl-PL")
    for user in (ZOE, OLA, BEN):
        await rig.command(user, "/help")
    [french], [polish], [english] = (rig.fake.private_to(u) for u in (ZOE, OLA, BEN))
    assert "Les commandes que vous pouvez utiliser ici" in french
    assert "Ouvrir un ticket" in french and "Open a ticket" not in french
    assert "Polecenia, których możesz tu użyć" in polish
    assert "Commands you can use here" in english
    info = rig.fake.called("users.info")
    assert info and all(call.params.get("include_locale") in ("1", "true") for call in info)
