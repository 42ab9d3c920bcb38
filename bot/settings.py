"""Process settings and secrets, from the environment or a ``.env`` file.

Community configuration (channels, roles, rules, templates) is not here: it lives in the
TOML file named by ``BOTSCHAFTER_CONFIG`` (see `bot.config`). Every field below is
documented in ``.env.example``; keep the two in step.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.database import DatabaseUnusable, parse_target, redact


class Settings(BaseSettings):
    # `env_ignore_empty`: a line left empty (``BOTSCHAFTER_CONFIG=`` as in .env.example)
    # means "not set", so copying .env.example to .env never turns a default into ".".
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,
    )

    config_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("BOTSCHAFTER_CONFIG", "config_file")
    )
    data_dir: Path = Field(
        default=Path("data"), validation_alias=AliasChoices("BOTSCHAFTER_DATA_DIR", "data_dir")
    )
    database: Path | None = Field(
        default=None, validation_alias=AliasChoices("BOTSCHAFTER_DATABASE", "database")
    )
    # sqlite:///path/to/file.db or postgresql://user:password@host/dbname; unset means the
    # SQLite file above (see `database_location`). It may hold a password: `masked` hides it.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    # Connections per process on PostgreSQL: one per transaction running at the same time.
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        validation_alias=AliasChoices("DATABASE_POOL_SIZE", "database_pool_size"),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias=AliasChoices("BOTSCHAFTER_LOG_LEVEL", "log_level")
    )
    # Third-party libraries log below INFO only when asked: their DEBUG lines carry SQL
    # parameters, tokens in requests and members' messages (see bot/logs.py).
    log_libraries_debug: bool = Field(
        default=False,
        validation_alias=AliasChoices("BOTSCHAFTER_LOG_LIBRARIES_DEBUG", "log_libraries_debug"),
    )
    local_community: str = Field(
        default="Botschafter Demo",
        validation_alias=AliasChoices("BOTSCHAFTER_LOCAL_COMMUNITY", "local_community"),
    )
    # At least a week: a finished job or delivery is what stops a replayed event from
    # repeating it, so it must outlive every replay (see bot/retention.py).
    retention_days: int = Field(
        default=30,
        ge=7,
        validation_alias=AliasChoices("BOTSCHAFTER_RETENTION_DAYS", "retention_days"),
    )
    # Scheduled backups of the SQLite database (``python -m bot backup`` on a timer): how
    # often (a duration such as ``1d`` or ``12h``; unset: never), how many to keep, and
    # where (default: a ``backups`` folder in the data folder). See bot/app/backup_schedule.py.
    backup_every: timedelta | None = Field(
        default=None, validation_alias=AliasChoices("BOTSCHAFTER_BACKUP_EVERY", "backup_every")
    )
    backup_keep: int = Field(
        default=7,
        ge=1,
        validation_alias=AliasChoices("BOTSCHAFTER_BACKUP_KEEP", "backup_keep"),
    )
    backup_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("BOTSCHAFTER_BACKUP_DIR", "backup_dir")
    )
    # Personal texts kept after a flag is settled (docs/privacy.md): the snapshots of the
    # flagged messages (and the words a rule matched), and what reporters wrote.
    snapshot_retention_days: int = Field(
        default=90,
        ge=1,
        validation_alias=AliasChoices(
            "BOTSCHAFTER_SNAPSHOT_RETENTION_DAYS", "snapshot_retention_days"
        ),
    )
    report_text_retention_days: int = Field(
        default=90,
        ge=1,
        validation_alias=AliasChoices(
            "BOTSCHAFTER_REPORT_TEXT_RETENTION_DAYS", "report_text_retention_days"
        ),
    )
    # How long a job or platform action claimed by a process stays its own without
    # renewal (renewed every third of it): with several processes, a dead one's work is
    # taken over after this. At least 3 s, so a slow database moment loses no lease.
    lease_seconds: float = Field(
        default=30.0,
        ge=3.0,
        validation_alias=AliasChoices("BOTSCHAFTER_LEASE_SECONDS", "lease_seconds"),
    )
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "discord_token")
    )
    discord_application_id: int | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_APPLICATION_ID", "discord_application_id"),
    )
    discord_guild_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), validation_alias=AliasChoices("DISCORD_GUILD_IDS", "discord_guild_ids")
    )
    discord_shard_count: int | Literal["auto"] | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_SHARD_COUNT", "discord_shard_count"),
    )
    # The shards this process connects, when shards are split across processes; needs
    # DISCORD_SHARD_COUNT (see `_check_shards` and docs/scaling.md).
    discord_shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(
        default=None, validation_alias=AliasChoices("DISCORD_SHARD_IDS", "discord_shard_ids")
    )
    # Wait for the shards a live process serves instead of refusing to start, and take them
    # over when that process stops or its claim lapses (a hot standby; docs/scaling.md).
    discord_standby: bool = Field(
        default=False, validation_alias=AliasChoices("DISCORD_STANDBY", "discord_standby")
    )
    discord_sync_commands: bool = Field(
        default=True,
        validation_alias=AliasChoices("DISCORD_SYNC_COMMANDS", "discord_sync_commands"),
    )
    discord_chunk_members: bool = Field(
        default=False,
        validation_alias=AliasChoices("DISCORD_CHUNK_MEMBERS", "discord_chunk_members"),
    )
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret"),
    )
    slack_mode: Literal["socket", "http"] = Field(
        default="socket", validation_alias=AliasChoices("SLACK_MODE", "slack_mode")
    )
    slack_http_host: str = Field(
        default="0.0.0.0", validation_alias=AliasChoices("SLACK_HTTP_HOST", "slack_http_host")
    )
    slack_http_port: int = Field(
        default=3000,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("SLACK_HTTP_PORT", "slack_http_port"),
    )
    slack_http_path: str = Field(
        default="/slack/events",
        validation_alias=AliasChoices("SLACK_HTTP_PATH", "slack_http_path"),
    )
    slack_admin_user_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_ADMIN_USER_TOKEN", "slack_admin_user_token"),
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"),
    )

    # The web server in the bot's process: the public ticket board, its Atom feeds, and
    # /healthz, /readyz and /metrics (docs/web.md). It listens on 127.0.0.1 unless told
    # otherwise; put a reverse proxy with HTTPS in front to publish the board.
    web_enabled: bool = Field(
        default=True, validation_alias=AliasChoices("WEB_ENABLED", "web_enabled")
    )
    web_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("WEB_HOST", "web_host")
    )
    web_port: int = Field(
        default=8080, ge=0, le=65535, validation_alias=AliasChoices("WEB_PORT", "web_port")
    )
    # The address the public reaches the board at (behind the proxy), for the links the bot
    # posts on trackers; unset: no links on platforms (local mode links the local address).
    web_public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("WEB_PUBLIC_URL", "web_public_url")
    )
    # With a token, /metrics answers any address that sends it as a bearer token; without
    # one, only requests from 127.0.0.1.
    web_metrics_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("WEB_METRICS_TOKEN", "web_metrics_token")
    )
    # Signs /dashboard sign-in links and insights session cookies; unset, a key is made
    # once and kept in the database (so links survive restarts). Never logged.
    web_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("WEB_SECRET", "web_secret")
    )

    @field_validator("web_public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        """An address a browser can open, kept without a trailing slash."""
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(
                "must start with https:// (or http://), e.g. https://board.example.org"
            )
        return value.rstrip("/") if value else value

    @field_validator("discord_guild_ids", "discord_shard_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """``DISCORD_GUILD_IDS=123, 456`` lists IDs separated by commas or spaces."""
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        """Shard IDs only mean something out of a known count: Discord assigns each server
        to shard ``(id >> 22) % count``, so every process must agree on the count."""
        count, ids = self.discord_shard_count, self.discord_shard_ids
        if count is not None and count != "auto" and count < 1:
            raise ValueError("DISCORD_SHARD_COUNT must be at least 1 (or auto)")
        if ids is None:
            return self
        if not isinstance(count, int):
            raise ValueError(
                "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT set to a number: the same total"
                " on every process that runs a share of the shards"
            )
        if not ids:
            raise ValueError("DISCORD_SHARD_IDS is empty; leave it unset to run every shard")
        outside = sorted({i for i in ids if not 0 <= i < count})
        if outside:
            raise ValueError(
                f"DISCORD_SHARD_IDS {', '.join(map(str, outside))} outside 0 to {count - 1}"
                f" (DISCORD_SHARD_COUNT is {count})"
            )
        if len(set(ids)) != len(ids):
            raise ValueError("DISCORD_SHARD_IDS names a shard twice")
        return self

    @model_validator(mode="after")
    def _check_standby(self) -> Settings:
        """A standby waits for a claim in the database it shares with the active process;
        one SQLite file serves one process, so there is nothing to wait for there."""
        if self.discord_standby and (
            self.database is not None or parse_target(self.database_location)[0] != "postgresql"
        ):
            raise ValueError(
                "DISCORD_STANDBY needs DATABASE_URL=postgresql://...: a standby waits for the"
                " active process's shards in the database both share (docs/scaling.md)"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        """A URL of an unknown kind is refused at start, naming the kinds that work (and
        never echoing a password)."""
        if value:
            try:
                parse_target(value)
            except DatabaseUnusable as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("backup_every", mode="before")
    @classmethod
    def _parse_backup_every(cls, value: object) -> object:
        """``1d``, ``12h``, ``1w``: the durations the bot's commands take; at least an hour
        (each backup copies the whole database)."""
        if not isinstance(value, str):
            return value
        from bot.commands import parse_duration
        from bot.errors import UserError

        try:
            every = parse_duration(value.strip())
        except UserError:
            raise ValueError("give a duration such as 1d, 12h or 1w") from None
        if every < timedelta(hours=1):
            raise ValueError("at least 1h: each backup copies the whole database")
        return every

    @property
    def backup_folder(self) -> Path:
        """Where scheduled backups go."""
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        """``info`` means INFO, as in most tools' log settings."""
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def database_location(self) -> str:
        """What `storage.database.Database.open` opens: ``--database`` /
        ``BOTSCHAFTER_DATABASE`` when given (a SQLite file), else ``DATABASE_URL``, else
        the data folder's ``botschafter.db``."""
        if self.database is None and self.database_url:
            return self.database_url
        return str(self.database_path)

    @property
    def database_path(self) -> Path | None:
        """The SQLite file, or None when the database is a PostgreSQL server."""
        if self.database is not None:
            return self.database
        if self.database_url:
            backend, where = parse_target(self.database_url)
            return Path(where) if backend == "sqlite" else None
        return self.data_dir / "botschafter.db"

    @property
    def wants_discord(self) -> bool:
        return self.discord_token is not None and bool(self.discord_token.get_secret_value())

    @property
    def wants_slack(self) -> bool:
        return self.slack_bot_token is not None and bool(self.slack_bot_token.get_secret_value())

    def masked(self) -> dict[str, str]:
        """Every setting as text with secrets replaced, safe to print or log."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[name] = "********" if value.get_secret_value() else "(empty)"
            else:
                shown[name] = "(not set)" if value is None else str(value)
        if self.database_url:
            shown["database_url"] = redact(self.database_url)
        shown["database_path"] = str(self.database_path or "(PostgreSQL)")
        return shown


def describe_error(error: ValidationError) -> str:
    """One line per bad setting, named as in .env.example. Values are never echoed: a
    token pasted into the wrong variable must not end up on screen or in a log."""
    lines = []
    for problem in error.errors():
        if not problem["loc"]:  # a check across settings names them in its message
            lines.append(problem["msg"].removeprefix("Value error, "))
            continue
        name, *rest = (str(part) for part in problem["loc"])
        entry = f" (entry {int(rest[0]) + 1})" if rest and rest[0].isdigit() else ""
        lines.append(f"{name}{entry}: {problem['msg']}")
    return "\n".join(lines)
