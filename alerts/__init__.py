"""Deciding and telling: watchlists, the matcher, the outbox, channels and the daemon."""
