"""A small Slack on 127.0.0.1 for the adapter tests: Web API, response URLs, Socket Mode.

It keeps just enough workspace state (members, user groups, channels, messages, reactions)
for the real slack-sdk and slack-bolt code to run against it, answers with Slack's own
error codes, and records every call so tests can assert what the bot asked Slack to do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from slack_fake_limits import InvalidCursor, RateLimits, missing_scope, needed_scopes, page

TEAM_ID = "T0TEST"
TEAM_NAME = "Botschafter Test"
TEAM_HOST = "botschafter-test.slack.com"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
ADMIN_TOKEN = "xoxp-test-admin-token"
# Who the admin user token belongs to (open_rig adds them, a workspace admin, when used).
ADMIN_USER = "U0ADMIN"
SIGNING_SECRET = "test-signing-secret"
# A trigger_id is good for one views.open, within three seconds of the interaction that
# carried it (api.slack.com/docs/triggers), whatever the app's ack did.
TRIGGER_SECONDS = 3.0
_TRIGGER_FORMAT = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
# What Slack leaves unescaped in text it delivers: the markup it wrote itself (mentions,
# channels, special mentions, links). Every other &, < and > the member typed is escaped.
_MARKUP = re.compile(r"(<(?:[@#!][^<>]*|(?:https?|mailto):[^<>]*)>)")
ALL_SCOPES = (
    "commands,chat:write,chat:write.public,channels:read,groups:read,channels:history,"
    "groups:history,reactions:read,reactions:write,users:read,usergroups:read,"
    "usergroups:write,im:write,im:history,channels:manage,groups:write,channels:join"
)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """The next `times` calls of `method` fail: with Slack's JSON error `error`, else with
    an HTML error page (as Slack's load balancers answer a 5xx); `hang` seconds first."""

    method: str
    status: int
    error: str | None
    times: int
    hang: float


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    user: str | None = None
    bot_id: str | None = None
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    metadata: dict[str, Any] | None = None

    def as_slack(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.user:
            raw["user"] = self.user
        if self.bot_id:
            raw["bot_id"] = self.bot_id
        if self.blocks:
            raw["blocks"] = self.blocks
        if self.thread_ts:
            raw["thread_ts"] = self.thread_ts
        return raw


class SlackApiFake:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.scopes = ALL_SCOPES
        # The admin user token's user scopes (deleting others' messages needs chat:write).
        self.admin_scopes = "chat:write"
        self.tokens = {BOT_TOKEN, ADMIN_TOKEN}
        self.app_tokens = {APP_TOKEN}
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.messages: list[StoredMessage] = []
        self.deleted: list[StoredMessage] = []
        self.kick_restricted: set[str] = set()
        self.faults: list[Fault] = []
        # Slack's per-method budgets; a rate-limit test shrinks one with limits.set.
        self.limits = RateLimits()
        # Slack's free plan has no user groups: usergroups.* answer plan_upgrade_required.
        self.free_plan = False
        self._clock = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        # Socket Mode URLs carry a one-time ticket, as Slack's do: presenting it spends it.
        self.tickets: dict[str, bool] = {}  # ticket -> spent
        self.refused_handshakes = 0
        self._socket_connected = asyncio.Event()
        self.activity = asyncio.Event()
        # trigger_id -> when the interaction carrying it was sent (monotonic seconds).
        self.triggers: dict[str, float] = {}
        self.exchanged: set[str] = set()
        self.trigger_ttl = TRIGGER_SECONDS
        # Modals open now, by view id, as last opened or updated.
        self.views: dict[str, dict[str, Any]] = {}
        self.add_user(BOT_USER, "botschafter", bot=True)

    # -- workspace set-up ------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        bot: bool = False,
        admin: bool = False,
        locale: str = "en-US",
        deleted: bool = False,
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.casefold(),
            "real_name": name,
            "deleted": deleted,
            "is_bot": bot,
            "is_admin": admin,
            "is_owner": False,
            "locale": locale,
            "profile": {"display_name": name, "real_name": name},
        }
        self.users[user_id] = user
        return user

    def add_group(self, group_id: str, name: str, users: list[str]) -> None:
        self.groups[group_id] = {
            "id": group_id,
            "name": name,
            "handle": name.casefold(),
            "users": list(users),
        }

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        general: bool = False,
        private: bool = False,
        bot_member: bool = True,
    ) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not private,
            "is_group": private,
            "is_private": private,
            "is_general": general,
            "is_archived": False,
        }
        self.members[channel_id] = {BOT_USER} if bot_member else set()

    def bot_in(self, channel: str) -> bool:
        """Whether the bot is a member of a channel (a DM, not a channel, counts as in)."""
        return channel not in self.channels or BOT_USER in self.members[channel]

    def hears(self, event: dict[str, Any]) -> bool:
        """Whether Slack would send the bot this event: nothing from a channel it is not in
        (a message, a reaction), though `chat:write.public` lets it post there."""
        channel = event.get("channel") or (event.get("item") or {}).get("channel")
        if event.get("type") not in ("message", "reaction_added", "reaction_removed"):
            return True
        return not isinstance(channel, str) or self.bot_in(channel)

    def _visible(self, channel: str, user: str = BOT_USER) -> bool:
        """A private channel exists, for its API calls, only to its members."""
        found = self.channels.get(channel)
        return found is not None and (not found["is_private"] or user in self.members[channel])

    def post(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> str:
        """A message a member wrote (the test then delivers the matching event)."""
        message = StoredMessage(channel, self.next_ts(), text, user=user, thread_ts=thread_ts)
        self.messages.append(message)
        return message.ts

    def trigger(self) -> str:
        """A fresh trigger_id for an interaction sent now."""
        trigger_id = f"{next(self._clock)}.{int(time.time())}.{len(self.triggers):08x}"
        self.triggers[trigger_id] = time.monotonic()
        return trigger_id

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._clock)}.000100"

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        error: str | None = None,
        times: int = 1,
        hang: float = 0.0,
    ) -> None:
        """Make the next `times` calls of a Web API method fail, as in an outage."""
        self.faults.append(Fault(method, status, error, times, hang))

    # -- reading what the bot did ----------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts_in(self, channel: str) -> list[StoredMessage]:
        return [m for m in self.messages if m.channel == channel and m.bot_id == BOT_ID]

    def message(self, channel: str, ts: str) -> StoredMessage | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def private_to(self, user: str) -> list[str]:
        """Texts only `user` saw (as Slack shows them: entities decoded): ephemeral posts
        and ephemeral response_url replies."""
        texts = [
            c.params["text"]
            for c in self.called("chat.postEphemeral")
            if c.params.get("user") == user
        ]
        texts += [
            r["text"]
            for r in self.responses
            if r.get("response_type") == "ephemeral" and r.get("_user") == user
        ]
        return [shown(text) for text in texts]

    # -- server ----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, user: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{user}"

    async def start(self, port: int = 0) -> None:
        """Serve on `port` of 127.0.0.1 (0: a free one)."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{user}", self._respond)
        app.router.add_get("/socket", self._socket)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def close(self) -> None:
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _respond(self, request: web.Request) -> web.Response:
        """A response_url (``limits.refuse("response_url")`` makes it answer 429)."""
        wait = self.limits.check("response_url", {})
        if wait is not None:
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": str(wait)})
        body = await request.json()
        body["_user"] = request.match_info["user"]
        self.responses.append(body)
        self.activity.set()
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(parse_qsl(await request.text())))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(params.pop("token", ""))
        self.calls.append(Call(method, params, token))
        self.activity.set()
        valid = self.app_tokens if method == "apps.connections.open" else self.tokens
        if token not in valid:
            return _json({"ok": False, "error": "invalid_auth"})
        refused = (
            self._over_budget(method, params)
            or self._out_of_scope(method, params, token)
            or self._off_plan(method)
        )
        if refused is not None:
            return refused
        fault = self._fault_for(method)
        if fault is not None:
            await asyncio.sleep(fault.hang)
            if fault.error is not None:
                return _json({"ok": False, "error": fault.error}, status=fault.status)
            return web.Response(
                status=fault.status, text="<html>Server Error</html>", content_type="text/html"
            )
        handler = getattr(self, "_" + method.replace(".", "_").lower(), None)
        if handler is None:
            return _json({"ok": False, "error": "unknown_method"})
        result = handler(params, token)
        if method in PAGED and result.get("ok"):
            try:
                result = _paged(result, PAGED[method], params)
            except InvalidCursor:
                result = {"ok": False, "error": "invalid_cursor"}
        scopes = self.admin_scopes if token == ADMIN_TOKEN else self.scopes
        headers = {"x-oauth-scopes": scopes} if method == "auth.test" else None
        return _json(result, headers)

    def _over_budget(self, method: str, params: dict[str, Any]) -> web.Response | None:
        """Slack's answer to a method called more often than its tier allows."""
        wait = self.limits.check(method, params)
        if wait is None:
            return None
        body = {"ok": False, "error": "ratelimited"}
        return _json(body, {"Retry-After": str(wait)}, status=429)

    def _out_of_scope(self, method: str, params: dict[str, Any], token: str) -> web.Response | None:
        """``missing_scope`` for a bot-token call the granted scopes do not cover."""
        if token != BOT_TOKEN:
            return None
        private = {cid for cid, c in self.channels.items() if c.get("is_private")}
        refusal = missing_scope(needed_scopes(method, params, private), self.scopes)
        return None if refusal is None else _json(refusal)

    def _off_plan(self, method: str) -> web.Response | None:
        if self.free_plan and method.startswith("usergroups."):
            return _json({"ok": False, "error": "plan_upgrade_required"})
        return None

    def _fault_for(self, method: str) -> Fault | None:
        fault = next((f for f in self.faults if f.method == method), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
        return fault

    # -- Web API methods (the subset the adapter uses) -------------------------------------

    def _auth_test(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        user = BOT_USER if token == BOT_TOKEN else ADMIN_USER
        return {
            "ok": True,
            "url": f"https://{TEAM_HOST}/",
            "team": TEAM_NAME,
            "team_id": TEAM_ID,
            "user": "botschafter" if token == BOT_TOKEN else "admin",
            "user_id": user,
            "bot_id": BOT_ID,
        }

    def _apps_connections_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self.tickets[ticket] = False
        url = f"ws://127.0.0.1:{self.port}/socket?ticket={ticket}&app_id=A0TEST"
        return {"ok": True, "url": url}

    def _users_info(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        user = self.users.get(params["user"])
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _users_list(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "members": list(self.users.values())}

    def _conversations_members(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if params["channel"] not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": sorted(self.members[params["channel"]])}

    def _usergroups_list(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "usergroups": [dict(g) for g in self.groups.values()]}

    def _usergroups_users_list(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "users": list(self.groups[params["usergroup"]]["users"])}

    def _usergroups_users_update(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        users = params["users"]
        self.groups[params["usergroup"]]["users"] = (
            users.split(",") if isinstance(users, str) else list(users)
        )
        return {"ok": True}

    def _conversations_list(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """Public channels, and the private ones the bot is in (as Slack lists them)."""
        return {
            "ok": True,
            "channels": [
                {**c, "is_member": self.bot_in(cid)}
                for cid, c in self.channels.items()
                if self._visible(cid)
            ],
        }

    def _conversations_info(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel = params["channel"]
        if not self._visible(channel):
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {**self.channels[channel], "is_member": self.bot_in(channel)},
        }

    def _conversations_join(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """Public channels only; a bot must be invited to a private one."""
        channel = params["channel"]
        if "channels:join" not in self.scopes.split(","):
            return {"ok": False, "error": "missing_scope", "needed": "channels:join"}
        if not self._visible(channel):
            return {"ok": False, "error": "channel_not_found"}
        if self.channels[channel]["is_private"]:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if self.channels[channel]["is_archived"]:
            return {"ok": False, "error": "is_archived"}
        self.members[channel].add(BOT_USER)
        return {"ok": True, "channel": {**self.channels[channel], "is_member": True}}

    def _users_conversations(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        user = params["user"]
        shared = [
            c
            for cid, c in self.channels.items()
            if user in self.members[cid] and BOT_USER in self.members[cid]
        ]
        return {"ok": True, "channels": shared}

    def _conversations_kick(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel = self.channels[params["channel"]]
        if channel["is_general"]:
            return {"ok": False, "error": "cant_kick_from_general"}
        if channel["id"] in self.kick_restricted:
            return {"ok": False, "error": "restricted_action"}
        self.members[channel["id"]].discard(params["user"])
        return {"ok": True}

    def _conversations_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        user = self.users.get(params["users"])
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if user["deleted"]:
            return {"ok": False, "error": "user_disabled"}
        if user["is_bot"]:
            return {"ok": False, "error": "cannot_dm_bot"}
        return {"ok": True, "channel": {"id": "D" + user["id"]}}

    def _chat_postmessage(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel = params["channel"]
        if channel[:1] in ("C", "G") and not self._visible(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not self.bot_in(channel) and "chat:write.public" not in self.scopes.split(","):
            return {"ok": False, "error": "not_in_channel"}
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = StoredMessage(
            channel,
            self.next_ts(),
            params.get("text", ""),
            bot_id=BOT_ID,
            blocks=blocks,
            thread_ts=params.get("thread_ts"),
            metadata=metadata,
        )
        self.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_slack()}

    def _chat_postephemeral(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "message_ts": self.next_ts()}

    def _chat_update(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        message = self.message(params["channel"], params["ts"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.bot_id != BOT_ID:
            return {"ok": False, "error": "cant_update_message"}
        message.text = params.get("text", "")
        blocks = params.get("blocks")
        message.blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        return {"ok": True}

    def _chat_delete(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        user = ADMIN_USER if token == ADMIN_TOKEN else BOT_USER
        if params["channel"] in self.channels and not self._visible(params["channel"], user):
            return {"ok": False, "error": "channel_not_found"}
        message = self.message(params["channel"], params["ts"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        admin = self.users.get(ADMIN_USER, {})
        may_delete = token == ADMIN_TOKEN and (admin.get("is_admin") or admin.get("is_owner"))
        if message.bot_id != BOT_ID and not may_delete:
            return {"ok": False, "error": "cant_delete_message"}
        self.messages.remove(message)
        self.deleted.append(message)
        return {"ok": True}

    def _chat_getpermalink(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        ts = params["message_ts"]
        return {
            "ok": True,
            "permalink": f"https://{TEAM_HOST}/archives/{params['channel']}/p{ts.replace('.', '')}",
        }

    def _conversations_history(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """One message by ``latest`` + ``inclusive``, or the newest ``limit`` ones; message
        metadata only with ``include_all_metadata``, as on Slack."""
        if params["channel"].startswith("D"):
            if "im:history" not in self.scopes.split(","):
                return {"ok": False, "error": "missing_scope", "needed": "im:history"}
        elif refused := self._unreadable(params["channel"]):
            return refused
        if "latest" in params:
            found = self.message(params["channel"], params["latest"])
            return {"ok": True, "messages": [found.as_slack()] if found else []}
        in_channel = [m for m in self.messages if m.channel == params["channel"]]
        return {"ok": True, "messages": self._listed(in_channel, params)}

    def _conversations_replies(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if "latest" in params:
            return self._conversations_history(params, token)
        if refused := self._unreadable(params["channel"]):
            return refused
        thread = [
            m
            for m in self.messages
            if m.channel == params["channel"] and params["ts"] in (m.ts, m.thread_ts)
        ]
        return {"ok": True, "messages": self._listed(thread, params)}

    def _unreadable(self, channel: str) -> dict[str, Any] | None:
        """Slack's refusal to read a channel's history: the bot must be in it."""
        if not self._visible(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not self.bot_in(channel):
            return {"ok": False, "error": "not_in_channel"}
        return None

    @staticmethod
    def _listed(messages: list[StoredMessage], params: dict[str, Any]) -> list[dict[str, Any]]:
        newest = sorted(messages, key=lambda m: float(m.ts), reverse=True)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        listed = []
        for message in newest:
            raw = message.as_slack()
            if with_metadata and message.metadata:
                raw["metadata"] = message.metadata
            listed.append(raw)
        return listed

    def _reactions_add(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        message = self.message(params["channel"], params["timestamp"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        users = message.reactions.setdefault(params["name"], [])
        if BOT_USER in users:
            return {"ok": False, "error": "already_reacted"}
        users.append(BOT_USER)
        return {"ok": True}

    def _reactions_remove(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        message = self.message(params["channel"], params["timestamp"])
        users = message.reactions.get(params["name"], []) if message else []
        if BOT_USER not in users:
            return {"ok": False, "error": "no_reaction"}
        users.remove(BOT_USER)
        return {"ok": True}

    def _reactions_get(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        """Who reacted with what; without ``full=true`` Slack may leave users out (here:
        all but the first two of each emoji), so a complete read must ask for it."""
        refused = self._unreadable(params["channel"])
        if refused is not None:
            return refused
        message = self.message(params["channel"], params["timestamp"])
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        full = str(params.get("full", "")).lower() in ("1", "true")
        reactions = [
            {"name": name, "users": users if full else users[:2], "count": len(users)}
            for name, users in message.reactions.items()
            if users
        ]
        raw = {**message.as_slack(), **({"reactions": reactions} if reactions else {})}
        return {"ok": True, "type": "message", "channel": params["channel"], "message": raw}

    def _views_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        trigger_id = str(params.get("trigger_id", ""))
        if not _TRIGGER_FORMAT.match(trigger_id) or trigger_id not in self.triggers:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger_id in self.exchanged:
            return {"ok": False, "error": "exchanged_trigger_id"}
        if time.monotonic() - self.triggers[trigger_id] > self.trigger_ttl:
            return {"ok": False, "error": "expired_trigger_id"}
        self.exchanged.add(trigger_id)
        view_id = f"V{len(self.views) + 1:08d}"
        return {"ok": True, "view": self._show_view(view_id, params["view"])}

    def _views_update(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        view_id = str(params.get("view_id", ""))
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        return {"ok": True, "view": self._show_view(view_id, params["view"])}

    def _show_view(self, view_id: str, view: Any) -> dict[str, Any]:
        shown_view = dict(json.loads(view) if isinstance(view, str) else view)
        shown_view.update(id=view_id, hash=f"{time.time():.6f}")
        self.views[view_id] = shown_view
        return shown_view

    # -- Socket Mode -----------------------------------------------------------------------

    async def interrupt(self, refused_handshakes: int) -> None:
        """A network blip while Slack rotates sockets: the open sockets close and the next
        `refused_handshakes` handshakes fail (each still spends the ticket it presented)."""
        self.refused_handshakes = refused_handshakes
        for socket in self.sockets:
            await socket.close()

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        spent = self.tickets.get(ticket, True)
        self.tickets[ticket] = True
        if self.refused_handshakes:
            self.refused_handshakes -= 1
            return web.Response(status=503, text="service unavailable")
        if spent:
            return web.Response(status=401, text="invalid or used ticket")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self._socket_connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                self.activity.set()
        return socket

    async def wait_until(self, condition: Callable[[], object]) -> None:
        """Wait for the bot's network round trips (Socket Mode), five seconds at most."""
        async with asyncio.timeout(5):
            while True:
                self.activity.clear()
                if condition():
                    return
                await self.activity.wait()

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Send an envelope over Socket Mode, unless Slack would not send its event."""
        if not self.hears(envelope.get("payload", {}).get("event") or {}):
            return
        await asyncio.wait_for(self._socket_connected.wait(), timeout=5)
        await self.sockets[-1].send_json(envelope)


# The list in each paginated method's answer: cut into pages by `limit` and `cursor`.
PAGED = {
    "users.list": "members",
    "conversations.list": "channels",
    "users.conversations": "channels",
    "conversations.members": "members",
    "conversations.history": "messages",
    "conversations.replies": "messages",
}


def _paged(result: dict[str, Any], key: str, params: dict[str, Any]) -> dict[str, Any]:
    items, metadata = page(result[key], params)
    paged = {**result, key: items, "response_metadata": metadata}
    if key == "messages":
        paged["has_more"] = bool(metadata["next_cursor"])
    return paged


def escaped(text: str) -> str:
    """Text a member typed as Slack delivers it (a slash command's text, a message's):
    ``&``, ``<`` and ``>`` escaped, the mention and link markup Slack wrote left as is."""
    parts = _MARKUP.split(text)
    return "".join(
        part if index % 2 else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for index, part in enumerate(parts)
    )


def shown(text: str) -> str:
    """Slack's wire text as a member reads it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _json(
    body: dict[str, Any], headers: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    return web.json_response(body, headers=headers, status=status)
