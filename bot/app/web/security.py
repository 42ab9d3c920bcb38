"""Security headers on every answer: no script at all, no framing, no sniffing.

The pages need no JavaScript, so the policy allows none; styles come only from our own
stylesheet (no inline style either), so an injected attribute could not restyle a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:  # redirects and aiohttp's own answers get them too
        error.headers.update(HEADERS)
        raise
    for name, value in HEADERS.items():  # a page may set a stricter or its own policy
        response.headers.setdefault(name, value)
    return response
