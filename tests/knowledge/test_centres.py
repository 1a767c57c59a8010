"""Centres: what staff filled in is shown, placeholders never are."""

from __future__ import annotations

import pytest

from knowledge.articles import ContentError
from knowledge.centres import load_centres, parse_centres


def test_shipped_centres_start_with_shirak_aragatsotn_yerevan() -> None:
    centres = load_centres()
    assert [c.city["en"] for c in centres[:3]] == ["Gyumri", "Ashtarak", "Yerevan"]
    assert all(c.region.keys() >= {"hy", "ru", "en"} for c in centres)


def test_filled_fields_are_kept_and_placeholders_dropped() -> None:
    [centre] = parse_centres(
        [
            {
                "id": "x",
                "region": {"en": "Shirak"},
                "city": {"en": "Gyumri"},
                "phone": "[CENTRE: fill in]",
                "email": "mrc@example.org",
                "response_days": 3,
            }
        ],
        "t",
    )
    assert centre.details == {"email": "mrc@example.org"} and centre.response_days == 3
    assert centre.needs_filling and centre.name_in("hy") == "Shirak — Gyumri"


@pytest.mark.parametrize(
    "item",
    [{"id": "Bad"}, {"id": "x", "region": "Shirak"}, {"id": "x", "region": {"en": "S"}, "response_days": "soon"}],
)
def test_malformed_entries_are_refused(item: dict[str, object]) -> None:
    with pytest.raises(ContentError, match="centre #1"):
        parse_centres([item], "centres.yaml")
