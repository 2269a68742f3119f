"""The web front: demo support page, chat widget, Help Center FAQ (aiohttp)."""
