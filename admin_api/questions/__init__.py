"""Unanswered questions for editors."""
