"""The application layer: wiring of core, cogs and adapters into a running bot, and the ways
it is run (command line, terminal console, scripts, the local session). Only this package
knows every part; cogs and adapters depend on the neutral core in `bot` alone.
"""
