"""Migration Resource Centres by region, from knowledge/content/centres.yaml; unfilled fields stay hidden."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.articles import ARTICLE_ID, SHIPPED_CONTENT, ContentError

CONTACT_FIELDS = ("address", "phone", "email", "working_hours")
TO_FILL = "[CENTRE:"


@dataclass(frozen=True)
class Centre:
    id: str
    region: dict[str, str]
    city: dict[str, str]
    details: dict[str, str]  # only the fields staff have filled in
    response_days: int | None = None  # working days to answer a request, once staff set it

    def name_in(self, lang: str) -> str:
        region = self.region.get(lang) or self.region.get("en", self.id)
        city = self.city.get(lang) or self.city.get("en", "")
        return f"{region} — {city}" if city else region

    @property
    def needs_filling(self) -> bool:
        return set(self.details) != set(CONTACT_FIELDS) or self.response_days is None


def _filled(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if text and TO_FILL not in text else None


def parse_centres(data: Any, where: str) -> list[Centre]:
    if not isinstance(data, list):
        raise ContentError(f"{where}: expected a list of centres")
    centres = []
    for i, item in enumerate(data):
        at = f"{where}: centre #{i + 1}"
        if not isinstance(item, dict) or not ARTICLE_ID.match(str(item.get("id", ""))):
            raise ContentError(f"{at}: needs an id of a-z, 0-9 and '-'")
        region, city = item.get("region"), item.get("city") or {}
        if not isinstance(region, dict) or not isinstance(city, dict):
            raise ContentError(f"{at}: region and city map languages to names")
        days = _filled(item.get("response_days"))
        if days is not None and not days.isdigit():
            raise ContentError(f"{at}: response_days must be a whole number of working days")
        details = {f: v for f in CONTACT_FIELDS if (v := _filled(item.get(f))) is not None}
        centres.append(
            Centre(
                id=str(item["id"]),
                region={str(k): str(v) for k, v in region.items()},
                city={str(k): str(v) for k, v in city.items()},
                details=details,
                response_days=int(days) if days else None,
            )
        )
    return centres


@cache
def load_centres(path: Path = SHIPPED_CONTENT / "centres.yaml") -> tuple[Centre, ...]:
    if not path.exists():
        return ()
    return tuple(parse_centres(yaml.safe_load(path.read_text(encoding="utf-8")), str(path)))
