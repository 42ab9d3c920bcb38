"""The web server in the bot's process: the public ticket board, its Atom feeds, and the
operations surface (/healthz, /readyz, /metrics). See docs/web.md.

Part of the application layer: it reads storage and the running bot's services, and no
core module, cog or adapter knows it exists.
"""

from bot.app.web.server import WebServer, serving, start

__all__ = ["WebServer", "serving", "start"]
