"""Applies what the gateways return to the models, idempotently (DESIGN.md, layer 3)."""
