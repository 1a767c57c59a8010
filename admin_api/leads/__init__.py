"""Leads for counsellors and admins."""
