"""Guided intake flows: YAML files walked one step at a time by one runner."""
