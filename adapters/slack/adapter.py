"""The Slack adapter: the platform actions plus a live connection that delivers events.

`start` checks the tokens (one clear line if Slack rejects one; `PlatformUnreachable` if
Slack cannot be reached, and the app calls `start` again later), learns the workspace and
the granted scopes, switches off deleting others' messages if the admin token cannot, joins
the configured public channels it is not in (naming each one it cannot use), wires the
bolt listeners and opens the connection. `stop` closes the connection, then lets work
already acknowledged finish, so a shutdown does not drop a ticket a member was just told
about.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Literal, TypeVar

from aiohttp import ClientError
from pydantic import BaseModel, ConfigDict, SecretStr
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError

from adapters.slack.admin_token import admin_token_problem
from adapters.slack.connection import Connection, HttpConnection, SocketModeConnection
from adapters.slack.errors import WebClient, code_of, status_of, translate
from adapters.slack.inbox import Inbox
from adapters.slack.listeners import Work, register
from adapters.slack.membership import check_membership
from adapters.slack.platform import SlackPlatform
from adapters.slack.rate_limits import waiting_out_rate_limits
from bot.errors import ConfigError, PlatformUnavailable, PlatformUnreachable
from bot.events import Connected

if TYPE_CHECKING:
    from bot.host import Host
    from bot.settings import Settings

log = logging.getLogger(__name__)

# Work acknowledged before a shutdown gets this long to finish (seconds); a cog waiting
# on a slow Slack call should not hold the process hostage.
DRAIN_TIMEOUT = 10.0
# Slack Web API calls give up after this many seconds (the SDK's default is 30).
API_TIMEOUT = 15

Mode = Literal["socket", "http"]
T = TypeVar("T")


class SlackOptions(BaseModel):
    """How to reach Slack. Tokens and the signing secret are `SecretStr` (plain strings
    are wrapped), so a repr or log line never shows them; their values are read only
    where Slack's libraries need them."""

    model_config = ConfigDict(frozen=True)

    bot_token: SecretStr
    app_token: SecretStr = SecretStr("")
    signing_secret: SecretStr = SecretStr("")
    mode: Mode = "socket"
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    http_path: str = "/slack/events"
    admin_user_token: SecretStr = SecretStr("")
    api_url: str = "https://slack.com/api/"

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackOptions:
        return cls(
            bot_token=stripped(settings.slack_bot_token),
            app_token=stripped(settings.slack_app_token),
            signing_secret=stripped(settings.slack_signing_secret),
            mode=settings.slack_mode,
            http_host=settings.slack_http_host,
            http_port=settings.slack_http_port,
            http_path=settings.slack_http_path,
            admin_user_token=stripped(settings.slack_admin_user_token),
            api_url=settings.slack_api_url,
        )

    def problems(self) -> list[str]:
        """What is wrong before asking Slack anything."""
        found = []
        if not self.bot_token.get_secret_value().startswith("xoxb-"):
            found.append(
                "SLACK_BOT_TOKEN must be the Bot User OAuth Token starting with xoxb- "
                "(OAuth & Permissions in your Slack app's settings)."
            )
        if self.mode == "socket" and not self.app_token.get_secret_value().startswith("xapp-"):
            found.append(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp- with the "
                "connections:write scope (Basic Information → App-Level Tokens), or set "
                "SLACK_MODE=http."
            )
        if self.mode == "http" and not self.signing_secret:
            found.append(
                "SLACK_SIGNING_SECRET is required in HTTP mode (Basic Information → "
                "App Credentials)."
            )
        admin = self.admin_user_token.get_secret_value()
        if admin and not admin.startswith("xoxp-"):
            found.append("SLACK_ADMIN_USER_TOKEN must be a User OAuth Token starting with xoxp-.")
        return found


def stripped(value: SecretStr | None) -> SecretStr:
    """A setting's secret without the blanks a copy and paste may add."""
    return SecretStr(value.get_secret_value().strip() if value is not None else "")


class SlackAdapter(SlackPlatform):
    def __init__(self, options: SlackOptions) -> None:
        client = WebClient(
            token=options.bot_token.get_secret_value(),
            base_url=options.api_url,
            timeout=API_TIMEOUT,
        )
        admin = (
            WebClient(
                token=options.admin_user_token.get_secret_value(),
                base_url=options.api_url,
                timeout=API_TIMEOUT,
            )
            if options.admin_user_token
            else None
        )
        super().__init__(client, admin)
        self.options = options
        self.work = Work()
        self.bolt: AsyncApp | None = None
        self.connection: Connection | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackAdapter:
        return cls(SlackOptions.from_settings(settings))

    async def start(self, host: Host) -> None:
        problems = self.options.problems()
        if problems:
            raise ConfigError("\n".join(problems))
        identity = await self.checked("SLACK_BOT_TOKEN", self.connect())
        with waiting_out_rate_limits():  # nothing waits on start-up: outlast any 429
            problem = await self.admin_token_problem()
        if problem is not None:
            self.disable_admin_deletes(problem)
        log.info(
            "Slack workspace %s (%s) as <@%s>; capabilities: %s",
            identity.team_name,
            identity.community.id,
            identity.bot_user_id,
            ", ".join(sorted(self.capabilities)),
        )
        config = await host.services.config.get(self.community)
        with waiting_out_rate_limits():
            membership = await check_membership(
                self, config.channel_settings(), join=not host.checking
            )
        self.would_join = membership.to_join_ids
        for label in membership.to_join:
            log.warning(
                "Slack channel %s: the bot is not in it yet and joins it when it starts", label
            )
        for line in membership.problems:
            log.warning("%s", line)
        if host.checking:
            return  # only checking: no connection, so the running bot misses no event
        self.bolt = AsyncApp(
            # Bolt would otherwise call auth.test on the first request, on the ack path;
            # we already know the answer from `connect`.
            authorize=self._authorizer(),
            client=WebClient(base_url=self.options.api_url, timeout=API_TIMEOUT),
            signing_secret=self.options.signing_secret.get_secret_value(),
            # HttpConnection checks the signature before parsing; bolt's own check would
            # parse the body first (and answer 500 to a malformed one).
            request_verification_enabled=False,
            logger=logging.getLogger("adapters.slack.bolt"),
            name="botschafter",
        )
        register(self.bolt, Inbox(self, host), self.work)
        self.connection = self._connection(self.bolt, partial(self._connected, host))
        if self.options.mode == "socket":
            try:
                await self.checked("SLACK_APP_TOKEN", self.connection.open())
            except ConfigError:
                await self.connection.close()  # nothing half-open before another attempt
                self.connection = None
                raise
            return
        try:
            await self.connection.open()
            self._connected(host)  # HTTP mode: events missed while the bot was down
        except OSError as error:
            raise ConfigError(
                f"Cannot listen for Slack on {self.options.http_host}:"
                f"{self.options.http_port}: {error.strerror or error} "
                "(set SLACK_HTTP_HOST / SLACK_HTTP_PORT)."
            ) from None

    async def admin_token_problem(self) -> str | None:
        """Why SLACK_ADMIN_USER_TOKEN cannot delete other people's messages (None if it can,
        or if none is set); a token Slack rejects outright stops the start."""
        if self.admin_client is None:
            return None
        identity = await self.checked("SLACK_ADMIN_USER_TOKEN", self.admin_client.auth_test())
        return await self.checked(
            "SLACK_ADMIN_USER_TOKEN", admin_token_problem(self.client, identity)
        )

    def _authorizer(self) -> Callable[[], Awaitable[AuthorizeResult]]:
        """Bolt's authorize hook; a plain function, since bolt injects by argument name."""
        identity = self.identity
        result = AuthorizeResult(
            enterprise_id=None,
            team_id=identity.community.id,
            team=identity.team_name,
            bot_user_id=identity.bot_user_id,
            bot_id=identity.bot_id,
            bot_token=self.options.bot_token.get_secret_value(),
        )

        async def authorize() -> AuthorizeResult:
            return result

        return authorize

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None
        try:
            await asyncio.wait_for(self.work.idle(), timeout=DRAIN_TIMEOUT)
        except TimeoutError:
            log.warning("stopped with %d Slack task(s) unfinished", len(self.work))

    def is_connected(self) -> bool:
        """Whether Slack's events can reach the bot now (/readyz)."""
        return self.connection is not None and self.connection.is_connected()

    def _connected(self, host: Host) -> None:
        """Let the cogs catch up on what happened while no events reached the bot; as
        tracked work, so the socket's receive loop is never held up by it."""
        self.work.start(host.deliver(Connected(self.identity.community)))

    def _connection(self, bolt: AsyncApp, on_connected: Callable[[], None]) -> Connection:
        options = self.options
        if options.mode == "http":
            return HttpConnection(
                bolt,
                options.signing_secret,
                options.http_host,
                options.http_port,
                options.http_path,
            )
        return SocketModeConnection(bolt, options.app_token, self.client, on_connected)

    async def checked(self, setting: str, step: Awaitable[T]) -> T:
        """Turn Slack's refusal of a token into one clear line; an unreachable Slack, or
        Slack's own trouble (a 5xx, ``internal_error``, a rate limit), into
        `PlatformUnreachable`."""
        try:
            return await step
        except SlackApiError as error:
            code = code_of(error)
            if isinstance(translate(error, "start"), PlatformUnavailable):
                raise self.unreachable(f"Slack answered {code} (HTTP {status_of(error)})") from None
            raise ConfigError(
                f"Slack rejected {setting} ({code}). Copy it again from your Slack app's "
                "settings; see docs/slack.md."
                if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked")
                else f"Slack refused to start with {setting}: {code} (see docs/slack.md)."
            ) from None
        except PlatformUnavailable as error:
            # The Web API client names only a network failure's type; its cause says more.
            cause = error.__context__
            network = isinstance(cause, ClientError | OSError)
            raise self.unreachable(_reason(cause) if network else str(error)) from None
        except (ClientError, OSError, TimeoutError) as error:
            raise self.unreachable(_reason(error)) from None

    def unreachable(self, what: str) -> PlatformUnreachable:
        return PlatformUnreachable(
            f"Could not reach Slack at {self.options.api_url} ({what}). Check the network "
            "connection and any proxy or firewall."
        )


def _reason(error: BaseException | None) -> str:
    return f"{type(error).__name__}: {error}".rstrip(": ")
