"""Reading who reacted to a message, for catching up after a (re)connect.

``reactions.get`` with ``full=true`` returns every user behind each emoji (without it Slack
may cut the list short). Emoji names are turned into the neutral spelling the live
``reaction_added`` events use (`adapters.slack.emoji.from_slack`), so a reaction found here
and the same reaction heard live are one and the same to the cogs.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.emoji import from_slack
from adapters.slack.errors import call
from adapters.slack.ids import split_channel
from bot.model import MessageRef, UserRef
from bot.platform import ReactionUsers


async def reactions_on(
    client: AsyncWebClient, message: MessageRef, bot_user_id: str
) -> list[ReactionUsers]:
    base, _ = split_channel(message.channel)
    response = await call(
        "read the reactions on a message",
        client.reactions_get(channel=base, timestamp=message.id, full=True),
    )
    found: list[ReactionUsers] = []
    for reaction in (response.get("message") or {}).get("reactions") or ():
        users = tuple(
            UserRef(message.community, user)
            for user in reaction.get("users") or ()
            if user != bot_user_id
        )
        if users:
            found.append(ReactionUsers(from_slack(reaction["name"]), users))
    return found
