"""Knowledge-base search: normalisation, transliteration, stemming, ranking and the answer decision."""

from .index import Hit, SearchIndex, SearchResult

__all__ = ["Hit", "SearchIndex", "SearchResult"]
