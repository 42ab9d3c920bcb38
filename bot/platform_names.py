"""A platform's name as people read it, in their language.

Adapters name themselves in code (``discord``, ``slack``, ``local``); texts that name the
platform ("not available on {platform}", "{platform} has no timeouts") get its shown name
from the catalogs (``core.platform_name``), so a German community reads "Lokalmodus", not
the English "local mode". Each shipped adapter's name has a text in every catalog
(tests/core/test_platform_names.py, which lists them); a name with no English text at all
raises `KeyError` where it is shown, so a new adapter is added to that test.
"""

from __future__ import annotations

from bot.i18n import I18n


def platform_name(i18n: I18n, platform: str, locale: str) -> str:
    """`platform` (an adapter's ``name``, or a community key's platform part) in `locale`."""
    return i18n.text(f"core.platform_name.{platform}", locale)
