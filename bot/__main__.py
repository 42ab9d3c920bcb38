"""``python -m bot``: see `bot.app.cli`."""

from bot.app.cli import main

raise SystemExit(main())
