"""The Slack adapter: slack-bolt's AsyncApp behind the platform protocol (docs/slack.md)."""

from adapters.slack.adapter import SlackAdapter, SlackOptions

__all__ = ["SlackAdapter", "SlackOptions"]
