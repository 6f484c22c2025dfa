"""Adapters: what the application layer reaches the outside world through, behind its ports."""
