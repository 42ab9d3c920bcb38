"""Discord's documented limits for AutoMod rules (developer docs, "Auto Moderation").

Each number is Discord's; a rule beyond them is refused with error 50035 (Invalid Form
Body), so the export splits or leaves out what does not fit instead of sending it.
"""

from __future__ import annotations

# Trigger type KEYWORD (1): keyword_filter, regex_patterns and allow_list all live in it.
KEYWORD_TRIGGER = 1
# Event type MESSAGE_SEND (1): the rule runs when a member sends or edits a message.
MESSAGE_SEND = 1
# Action types.
BLOCK_MESSAGE = 1
SEND_ALERT_MESSAGE = 2
TIMEOUT = 3

KEYWORDS_PER_RULE = 1000  # keyword_filter entries
KEYWORD_CHARS = 60  # per keyword and per allow_list entry
PATTERNS_PER_RULE = 10  # regex_patterns entries
PATTERN_CHARS = 260  # per pattern
ALLOW_PER_RULE = 100  # allow_list entries of a KEYWORD rule (KEYWORD_PRESET: 1000)
KEYWORD_RULES_PER_SERVER = 6  # rules with the KEYWORD trigger, the bot's and others'
CUSTOM_MESSAGE_CHARS = 150  # BLOCK_MESSAGE's custom_message, shown to the author
EXEMPT_ROLES = 20
EXEMPT_CHANNELS = 50
TIMEOUT_MAX_SECONDS = 2_419_200  # four weeks, as for any timeout
RULE_NAME_CHARS = 100  # Discord's form caps the name; the server settings show it whole
