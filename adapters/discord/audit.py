"""Audit-log reasons that Discord accepts: at most 512 characters as they travel.

discord.py sends a reason in the ``X-Audit-Log-Reason`` header, percent-encoded (every
non-ASCII character becomes up to twelve), and Discord refuses a request whose reason is
longer than 512 characters there, so a moderator's long or non-English reason would make
the whole kick or ban fail. The reason is shortened on a character boundary until its
encoded form fits, ending in "…" to show it was shortened.
"""

from __future__ import annotations

from urllib.parse import quote

REASON_LIMIT = 512
# What discord.py leaves unencoded in the header (``discord.http.HTTPClient.request``).
_SAFE = "/ "
_MORE = "…"


def audit_reason(reason: str) -> str | None:
    """The reason shortened to fit the header; None for no reason."""
    reason = " ".join(reason.split())
    if not reason:
        return None
    if _encoded_length(reason) <= REASON_LIMIT:
        return reason
    low, high = 0, len(reason)
    while low < high:  # the longest prefix whose shortened form still fits
        middle = (low + high + 1) // 2
        if _encoded_length(reason[:middle].rstrip() + _MORE) <= REASON_LIMIT:
            low = middle
        else:
            high = middle - 1
    return reason[:low].rstrip() + _MORE


def _encoded_length(text: str) -> int:
    return len(quote(text, safe=_SAFE))
