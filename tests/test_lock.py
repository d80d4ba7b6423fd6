"""`make run` installs exactly what requirements.lock pins: every dependency pyproject.toml
declares must be pinned there, at a version its bounds allow (`make lock` refreshes it)."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT


def pinned() -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            found[canonicalize_name(name)] = version.strip()
    return found


def test_the_lock_pins_every_dependency_within_its_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = pinned()
    for spec in project["dependencies"]:
        wanted = Requirement(spec)
        name = canonicalize_name(wanted.name)
        assert name in lock, f"{wanted.name} is not in requirements.lock: run make lock"
        assert wanted.specifier.contains(lock[name]), f"{name}=={lock[name]} is not {wanted}"
