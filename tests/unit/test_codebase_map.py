"""docs/codebase.md stays true: every module it names exists in the service whose section names
it, and every feature folder of every service is on the map with a docstring that names its
rules' modules (ADR 33: a newcomer finds a rule in one hop from the folder names)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "codebase.md"
SERVICES = ["registration", "interventions", "reporting", "notifications"]
NAMED = re.compile(r"`([a-z_]+(?:/[a-z_]+)*(?:\.py|/))`")


def section(service: str) -> str:
    text = MAP.read_text()
    start = text.index(f"## {service} (")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def package(service: str) -> Path:
    return ROOT / "services" / service / "src" / service


def features(service: str) -> list[Path]:
    return sorted(
        p.parent
        for p in package(service).glob("*/__init__.py")
        if p.parent.name not in {"migrations", "adapters", "__pycache__"}
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_module_the_map_names_exists(service: str) -> None:
    named = [n for n in NAMED.findall(section(service)) if not n.startswith("services/")]
    assert len(named) > 10
    # A bare module name stands in a folder's row (`domain.py`): it exists somewhere in the service.
    missing = [
        n
        for n in named
        if not ((package(service) / n).exists() or ("/" not in n and any(package(service).rglob(n))))
    ]
    assert missing == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_feature_folder_is_on_the_map_and_says_where_its_rules_are(service: str) -> None:
    text = section(service)
    found = features(service)
    assert len(found) >= 4
    for folder in found:
        assert f"`{folder.name}/" in text, f"{folder.name}/ is not on the map"
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        assert len(docstring.splitlines()) >= 2, f"{folder.name}/__init__.py says nothing"
        modules = {p.stem for p in folder.glob("*.py")} - {"__init__"}
        assert any(m in docstring for m in modules), f"{folder.name}/__init__.py names none of its modules"


@pytest.mark.parametrize("service", SERVICES)
def test_no_layer_folder_is_left(service: str) -> None:
    assert [d for d in ("api", "app", "domain", "projections") if (package(service) / d).is_dir()] == []
