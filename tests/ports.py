"""A port on 127.0.0.1 that nothing listens on, for a platform that cannot be reached yet
(a test then starts its fake there, as a router comes up after the bot)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the system just handed out and nobody holds now: connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
