"""Who the bot is inside a local community."""

BOT_ID = "botschafter"
BOT_NAME = "Botschafter"
