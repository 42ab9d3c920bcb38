"""The local community: an in-process platform for tests, the terminal and scripts."""

from adapters.local.community import LocalCommunity, LocalMessage
from adapters.local.platform import LocalPlatform

__all__ = ["LocalCommunity", "LocalMessage", "LocalPlatform"]
