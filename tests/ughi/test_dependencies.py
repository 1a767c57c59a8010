"""requirements.lock pins every dependency of pyproject.toml, runtime and dev, at a version its bound allows."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = [Requirement(r) for r in (*PYPROJECT["dependencies"], *PYPROJECT["optional-dependencies"]["dev"])]


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate((ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and name and version, f"requirements.lock:{number}: not an exact pin: {line!r}"
        key = canonicalize_name(name)
        assert key not in pins, f"requirements.lock:{number}: {name} is pinned twice"
        pins[key] = Version(version)
    return pins


def test_the_lock_pins_exact_versions_and_not_ughi_itself() -> None:
    pins = locked()
    assert len(pins) >= len(DECLARED)
    assert canonicalize_name(PYPROJECT["name"]) not in pins


@pytest.mark.parametrize("requirement", DECLARED, ids=str)
def test_every_declared_dependency_is_locked_within_its_bound(requirement: Requirement) -> None:
    pins = locked()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is in pyproject.toml but not in requirements.lock: run `make lock`"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"requirements.lock has {requirement.name}=={pins[name]}, outside pyproject.toml's {requirement}"
    )
