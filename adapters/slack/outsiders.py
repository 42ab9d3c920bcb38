"""Members Slack's directory cannot describe: people of another organisation.

In a Slack Connect channel, members of the other organisation write messages and react
like anyone else, but ``users.info`` answers ``user_not_found`` for them. They are people,
not bots: their messages are moderated and can be reported. What the event itself says
about them (``user_profile``, sent with their messages) gives the name shown in flags.
"""

from __future__ import annotations

from typing import Any

from bot.model import Community, Member


def outside_member(community: Community, user_id: str, profile: dict[str, Any]) -> Member:
    """A person with no roles here, named as their own workspace names them."""
    name = profile.get("name") or profile.get("display_name") or user_id
    display = profile.get("display_name") or profile.get("real_name") or name
    return Member(community, user_id, name, display_name=display)
