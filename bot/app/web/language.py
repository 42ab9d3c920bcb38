"""Which language a page is shown in, and its texts.

A ``?lang=`` switch wins (and is remembered in a cookie); else the browser's
``Accept-Language`` by preference; else the community's default language. The texts are
the web catalog (``locales/``) plus the core's and cogs' catalogs, whose ticket words
(``tickets.action.*``) the timeline reuses so the board says what the thread says.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.i18n import CORE_LOCALES, SHIPPED_LOCALES, I18n, normalise_locale
from bot.languages import own_name
from cogs import all_cogs

WEB_LOCALES = Path(__file__).parent / "locales"
COOKIE = "lang"
# A year: a visitor who picked a language keeps it.
COOKIE_SECONDS = 365 * 24 * 3600


def language_names() -> dict[str, str]:
    """Each shipped language by its own name (CLDR's, through Babel), for the page's language
    switch: ``Deutsch``, ``Français``, ``Polski``; a language joins once it is shipped."""
    return {code: own_name(code) for code in SHIPPED_LOCALES}


def load_texts() -> I18n:
    return I18n.load([CORE_LOCALES, *(c.locales for c in all_cogs() if c.locales), WEB_LOCALES])


def chosen(request: web.Request) -> str | None:
    """A language the visitor picked with ``?lang=``, if it is one we ship."""
    picked = normalise_locale(request.query.get("lang"))
    return picked if picked in SHIPPED_LOCALES else None


def pick(request: web.Request, default: str) -> str:
    """The page's language: ``?lang=``, the cookie, ``Accept-Language``, then `default`."""
    for candidate in (chosen(request), normalise_locale(request.cookies.get(COOKIE))):
        if candidate in SHIPPED_LOCALES:
            return candidate
    for candidate in accepted(request.headers.get("Accept-Language", "")):
        if candidate in SHIPPED_LOCALES:
            return candidate
    fallback = normalise_locale(default)
    return fallback if fallback in SHIPPED_LOCALES else "en"


def accepted(header: str) -> list[str]:
    """``de-DE,de;q=0.9,en;q=0.8`` → languages by preference; malformed parts are skipped,
    ``q=0`` means "not this one"."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = normalise_locale(tag.strip())
        if language and language != "*" and quality > 0:
            ranked.append((-quality, position, language))
    return [language for _, _, language in sorted(ranked)]


def remember(request: web.Request, response: web.StreamResponse) -> None:
    """Keep a ``?lang=`` choice for the next pages."""
    picked = chosen(request)
    if picked is not None and request.cookies.get(COOKIE) != picked:
        response.set_cookie(
            COOKIE, picked, max_age=COOKIE_SECONDS, samesite="Lax", httponly=True, path="/"
        )
