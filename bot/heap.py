"""The garbage collector and the structures the bot keeps for as long as it runs.

Python's full collection walks every object that could hold a reference cycle, and the
event loop waits while it does: with a 10,000-keyword rule set, discord.py's caches and the
modules loaded, a full collection took 50 to 180 ms on the development machine, and every
message that arrived meanwhile waited too (issue 15's pipeline benchmark: the p99 from a
frame to its flag). Structures built to last (what start-up loads, a compiled rule set)
are no garbage while the bot runs, so once they are built `keep_built` collects what is
garbage already and moves every object still alive out of the collector's sight
(`gc.freeze`): later full collections walk only what was made since. A frozen object is
still freed by its reference count when dropped (a replaced rule set holds no cycles);
`release_built` at shutdown gives everything back to the collector (tests start and stop
many bots in one process).
"""

from __future__ import annotations

import gc


def keep_built() -> None:
    """After building something that lasts: one full collection now, shorter ones later."""
    gc.collect()
    gc.freeze()


def release_built() -> None:
    """At shutdown: what was kept becomes collectable again."""
    gc.unfreeze()
