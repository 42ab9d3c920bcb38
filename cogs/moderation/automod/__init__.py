"""Discord's native AutoMod as the first line: the community's keyword and regex rules
exported within Discord's limits (`export`), and AutoMod's actions filed on the flag desk
(`filing`). The adapter applies an export (``python -m bot discord automod sync``) and turns
AutoMod's gateway events into neutral `FilterActed` events."""
