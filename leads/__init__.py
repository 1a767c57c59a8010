"""Leads: qualified requests for a counsellor, their scoring, routing, lifecycle and notification outbox."""
