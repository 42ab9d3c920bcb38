"""Platform adapters: translate platform events and actions to and from the neutral core."""
