"""Error types: problems meant for a member's eyes versus bugs.

A `UserError` carries a polite, actionable message; the dispatcher shows it privately to
the member who caused it and changes nothing else. Any other exception is a bug: it is
logged with context and the member sees a generic apology.
"""

from __future__ import annotations

from collections.abc import Mapping


class UserError(Exception):
    """Bad input or a refused action; the message is shown to the member as is.

    With a catalog `key` (see `bot.i18n.core_error`), the dispatcher shows the text in the
    member's language instead; `message` then holds the English text, for logs, scripts
    and configuration files.
    """

    def __init__(
        self, message: str, *, key: str = "", values: Mapping[str, str | int] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.values = dict(values or {})


class PermissionDenied(UserError):
    """The member lacks the permission level an action needs."""


class ConfigError(Exception):
    """A configuration file or value is invalid; the message names file, key and problem."""


class PlatformUnreachable(ConfigError):
    """A platform could not be reached while connecting (the network, DNS, a refused
    connection, a timeout, the platform's own 5xx): not a wrong setting, and it may pass.

    The running bot tries again with backoff (`bot.app.connecting`) instead of exiting; a
    one-shot command (``slack check``, ``discord sync``) reports it in one line, as it does
    a `ConfigError`. The message names the platform and never holds a secret.
    """


class TemporaryFailure(Exception):
    """Something outside the bot failed (an endpoint down, a timeout); a retry may work.

    The scheduler retries the job and logs the message as one line without a traceback,
    so the message must be fit for logs and the jobs table: it never holds a secret.
    """


class PlatformError(Exception):
    """Base for errors a platform adapter raises for an action that did not happen."""


class Unsupported(PlatformError):
    """The platform lacks the capability for this action."""

    def __init__(self, platform: str, capability: str) -> None:
        super().__init__(f"{platform} cannot {capability}")
        self.platform = platform
        self.capability = capability


class DirectMessagesClosed(PlatformError):
    """The member does not accept direct messages from the bot."""


class MissingPermission(PlatformError):
    """The bot lacks a platform permission, or the target outranks it."""


class PlatformUnavailable(PlatformError):
    """The platform failed or could not be reached; the same action may work later."""


class NotFound(PlatformError):
    """The message, channel or member no longer exists."""
