"""Slack's request signature, checked before a byte of the body is parsed.

Slack signs each HTTP request: ``X-Slack-Signature`` is ``v0=`` and the HMAC-SHA256 of
``v0:<timestamp>:<body>`` with the app's signing secret, and ``X-Slack-Request-Timestamp``
says when it was sent. Anyone can post to the bot's public URL, so anything unsigned,
wrongly signed, or with a missing, non-numeric or stale timestamp is refused here, and
only then is the body read as JSON or a form.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from pydantic import SecretStr

# Slack's own advice: refuse requests older than five minutes, so a captured request
# cannot be replayed later. The same window applies to clocks that run ahead.
MAX_AGE_SECONDS = 5 * 60


def signature_problem(
    secret: SecretStr, body: bytes, headers: Mapping[str, str], now: float
) -> str | None:
    """Why this request is not Slack's, in a few words fit for a log line; None if it is."""
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not stamp or not signature:
        return "no signature or timestamp"
    if not (stamp.isascii() and stamp.isdigit()):
        return "timestamp is not a number"
    if abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return "timestamp is more than five minutes off"
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.get_secret_value().encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(f"v0={digest}".encode(), signature.encode(errors="replace")):
        return "wrong signature"
    return None
