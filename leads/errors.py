"""What can go wrong with a lead, as exceptions that carry their meaning (the admin API maps them to problems)."""

from __future__ import annotations


class LeadError(Exception):
    """A change to a lead that the rules do not allow."""

    def __init__(self, lead_id: int | None, detail: str) -> None:
        super().__init__(detail)
        self.lead_id = lead_id
        self.detail = detail


class InvalidTransition(LeadError):
    """The lead cannot move from its status to the one asked for (or closing without an outcome)."""

    def __init__(self, lead_id: int | None, from_status: str, to_status: str, detail: str = "") -> None:
        super().__init__(lead_id, detail or f"a lead cannot go from {from_status} to {to_status}")
        self.from_status = from_status
        self.to_status = to_status


class StaffUnavailable(LeadError):
    """The staff member cannot take leads (deactivated, or not a counsellor or admin)."""


class ContactGone(LeadError):
    """The person is no longer reachable: they erased their data, so nothing can be relayed to them."""
