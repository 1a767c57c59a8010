"""The conversation: engine, channels, flows and UI strings."""
