"""Scores and reasons, the qualification threshold, routing to a centre, the lead card's answers, red flags."""

from __future__ import annotations

from bot.flows.loader import shipped_flows
from bot.flows.scoring import articles_for, centre_of, key_answers, qualifies, red_flags, region_of, score
from tests.flows.builders import build


def test_score_adds_the_points_of_the_rules_and_red_flags_that_hold() -> None:
    flow = build()
    assert score(flow, {}) == (0.0, [])
    total, reasons = score(flow, {"years": 3, "kind": "job", "phone": "+37491234567", "fees": True})
    assert total == 4.0
    assert reasons == ["two years or more (+1)", "x (+1)", "red flag: paid (+2)"]


def test_qualifies_at_the_threshold() -> None:
    flow = build()
    assert not qualifies(flow, {"years": 3})
    assert qualifies(flow, {"years": 3, "kind": "job", "phone": "+37491234567"})


def test_region_and_centre() -> None:
    flow = build()
    assert region_of(flow, {"region": "shirak-gyumri"}) == "shirak-gyumri"
    assert centre_of(flow, {"region": "shirak-gyumri"}) == "shirak-gyumri"
    assert region_of(flow, {"region": "atlantis"}) is None  # a stale answer is not a region
    assert centre_of(flow, {}) == "yerevan"  # the flow's fallback


def test_key_answers_in_step_order_without_skipped_ones() -> None:
    flow = build()
    answers = {"phone": "+37491234567", "kind": "job", "years": 2.5, "fees": False, "fee_note": None}
    assert key_answers(flow, answers, "en") == {
        "Kind": "Job",
        "Years": "2.5",
        "Fees": "No",
        "Phone": "+374 91 234567",
    }
    assert list(key_answers(flow, answers, "ru")) == ["Kind ru", "Years ru", "Fees ru", "Phone ru"]


def test_red_flags_and_articles_to_offer() -> None:
    flow = build()
    assert red_flags(flow, {"fees": False}) == []
    [flag] = red_flags(flow, {"fees": True})
    assert flag.id == "paid" and flag.text["hy"] == "Paid hy" and flag.article_ids == ("job-scams",)
    assert articles_for(flow, {"fees": True, "kind": "job"}) == ["job-scams", "check-job-offer"]
    assert articles_for(flow, {"kind": "study"}) == ["check-job-offer"]


def test_pre_departure_names_the_red_flags_of_a_risky_offer() -> None:
    flow = shipped_flows()["pre_departure"]
    risky = {
        "destination": "eu",
        "has_offer": True,
        "job_found": "agency",
        "agency_checked": "dont_know",
        "work_permit": "tourist",
        "contract": "on_arrival",
        "fees": True,
        "passport": True,
        "pay": "much_higher",
        "address_known": False,
        "pressure": True,
        "region": "shirak-gyumri",
    }
    assert [f.id for f in red_flags(flow, risky)] == [
        "passport_kept",
        "fees_asked",
        "tourist_visa",
        "no_contract",
        "agency_unchecked",
        "pay_too_good",
        "address_unknown",
        "rushed",
    ]
    assert qualifies(flow, risky) and centre_of(flow, risky) == "shirak-gyumri"
    articles = articles_for(flow, risky)
    assert articles[:2] == ["trafficking-signs", "trouble-abroad"] and "working-in-eu" in articles
    safe = risky | {
        "job_found": "employer",
        "work_permit": "work",
        "contract": "clear",
        "fees": False,
        "passport": False,
        "pay": "usual",
        "address_known": True,
        "pressure": False,
    }
    assert red_flags(flow, safe) == [] and not qualifies(flow, safe)


def test_business_idea_scoring_uses_the_typed_amounts() -> None:
    flow = shipped_flows()["business_idea"]
    answers = {"kind": "new_business", "own_money": 500_000, "jobs": 4, "investor": "diaspora", "experience": True}
    total, reasons = score(flow, answers)
    assert total == 4 and qualifies(flow, answers)
    assert "puts in money of their own (+1)" in reasons
    assert not qualifies(flow, {"kind": "new_business", "own_money": 0, "jobs": 1})
