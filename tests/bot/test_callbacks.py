"""Button payloads stay within Telegram's 64 bytes and refuse anything tampered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine import callbacks as cb


def test_round_trip() -> None:
    data = cb.encode("topic", "safe-migration", 2)
    assert cb.decode(data) == cb.Action("topic", ("safe-migration", "2"))
    assert cb.decode(cb.encode("menu")) == cb.Action("menu")


def test_longest_article_id_fits() -> None:
    assert len(cb.encode("fb", "a" * 56, "yes").encode()) <= cb.MAX_BYTES


def test_wrong_arity_or_oversize_refused_when_encoding() -> None:
    with pytest.raises(ValueError):
        cb.encode("art")
    with pytest.raises(ValueError):
        cb.encode("topic", "x" * 70, 0)


@given(st.text(max_size=200))
def test_decode_never_raises_and_accepts_only_known_shapes(data: str) -> None:
    action = cb.decode(data)
    if action is not None:
        assert cb.ACTIONS[action.name] == len(action.args)
        assert len(data.encode()) <= cb.MAX_BYTES


@pytest.mark.parametrize("data", ["", "art", "art:", "art:A", "art:a:b", "nope:x", "art:../x", "menu:1", "art:x y"])
def test_tampered(data: str) -> None:
    assert cb.decode(data) is None
