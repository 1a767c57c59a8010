"""Ughi: settings, database, CLI and the wiring of the app."""

__version__ = "0.1.0"
