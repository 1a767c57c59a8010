"""Signing in and out: passwords, tokens, throttling."""
