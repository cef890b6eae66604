"""Verb-noun functions the views call: they own transactions and enqueue work."""
