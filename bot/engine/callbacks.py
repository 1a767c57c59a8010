"""Button payloads: short, versionless strings that fit Telegram's 64-byte callback_data."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_ARG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,55}$")

# action -> number of arguments it takes
ACTIONS: dict[str, int] = {
    "menu": 0,  # main menu
    "topics": 0,  # list of topics
    "topic": 2,  # topic id, page
    "art": 1,  # article id
    "fb": 2,  # article id, yes|no   ("did this help?")
    "lang": 1,  # language code, or "pick" for the picker
    "ask": 0,  # "ask a question": prompt to type
    "human": 0,  # talk to a counsellor
    "consent": 1,  # yes | no
    "privacy": 0,  # my data & privacy screen
    "mydata": 0,  # show what we hold
    "erase": 1,  # ask | yes
    "cmds": 0,  # what Ughi understands
    "flow": 1,  # start a guided intake: flow id
    "fres": 1,  # continue | restart an unfinished intake
    "ans": 2,  # step id, choice id
    "fnav": 1,  # back | skip | cancel | done
    "fedit": 1,  # step id to change, from the summary
    "fsend": 0,  # send the summary
    "share": 1,  # yes | no: pass the profile to a centre
    "reqs": 0,  # my requests
}


@dataclass(frozen=True)
class Action:
    name: str
    args: tuple[str, ...] = ()


def encode(name: str, *args: str | int) -> str:
    if ACTIONS.get(name) != len(args):
        raise ValueError(f"action {name} takes {ACTIONS.get(name)} arguments, got {len(args)}")
    data = ":".join([name, *(str(a) for a in args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str) -> Action | None:
    """The action a button stands for, or None when the data is stale, tampered or unknown."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    name, *args = data.split(":")
    if ACTIONS.get(name) != len(args) or not all(_ARG.match(a) for a in args):
        return None
    return Action(name, tuple(args))
