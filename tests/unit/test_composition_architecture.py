"""What every service's composition root keeps to (issue 20, sections 2 and 3; ADRs 26 and 27),
read from the source of the four services: the use cases get the narrow dependencies they use,
never the kernel; the routes read the typed container, not names in ``app.state``; a decision
hands its result back with its events, not through a captured list; each consumer is built by
one ``consumer()`` function; and ``bootstrap.py`` assigns nothing to what it already built."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
NAMES = ("registration", "interventions", "reporting", "notifications")


def source(service: str) -> Path:
    return SERVICES / service / "src" / service


# The composition (stays at a service's package root whatever its layout; ``metrics.py`` registers
# the service's instruments on the kernel, for bootstrap) and the routes.
COMPOSITION = {
    "metrics.py",
    "__init__.py",
    "__main__.py",
    "main.py",
    "bootstrap.py",
    "container.py",
    "settings.py",
    "deps.py",
}
ROUTES = {"api.py", "schemas.py"}


def use_case_modules(service: str) -> list[Path]:
    """The modules behind the routes: ``app/*.py`` and ``projections/*.py`` in a service laid
    out by layer; in one laid out by feature folders (issue 20, section 4), every module but the
    composition, the routes and the migrations."""
    root = source(service)
    if (root / "app").is_dir():
        return sorted([*(root / "app").glob("*.py"), *(root / "projections").glob("*.py")])
    return sorted(
        p
        for p in root.rglob("*.py")
        if "migrations" not in p.relative_to(root).parts and p.name not in COMPOSITION | ROUTES
    )


def route_modules(service: str) -> list[Path]:
    """``api/*.py`` by layer; every feature's ``api.py`` and ``schemas.py``, and ``deps.py``, by feature."""
    root = source(service)
    if (root / "api").is_dir():
        return sorted((root / "api").glob("*.py"))
    return sorted([*(p for p in root.rglob("*.py") if p.name in ROUTES), root / "deps.py"])


def dotted(service: str, path: Path) -> str:
    return ".".join((service, *path.relative_to(source(service)).with_suffix("").parts))


def _imports(path: Path) -> set[str]:
    """Every ``module`` and ``module.name`` the file imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def _module_names(path: Path) -> set[str]:
    """The names a module assigns at its top level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }


@pytest.mark.parametrize("service", NAMES)
def test_no_application_module_takes_the_kernel(service: str) -> None:
    modules = use_case_modules(service)
    assert len(modules) > 5
    offenders = [p.name for p in modules if "gsi_kernel.runtime.Kernel" in _imports(p)]
    assert offenders == [], "pass the use case what it uses (db, writer, clock…), not the Kernel"


@pytest.mark.parametrize("service", NAMES)
def test_the_api_reads_its_use_cases_from_the_container(service: str) -> None:
    api = route_modules(service)
    assert len(api) > 3
    assert [p.name for p in api if "app.state" in p.read_text(encoding="utf-8")] == []
    deps = [p for p in api if p.name == "deps.py"]
    assert len(deps) == 1
    assert "gsi_kernel.http.app.parts_of" in _imports(deps[0])


@pytest.mark.parametrize("service", NAMES)
def test_no_use_case_gets_its_result_back_through_a_captured_list(service: str) -> None:
    """A decision returns its result with its events (``Decision``); ``execute`` hands it back."""
    modules = use_case_modules(service)
    assert [p.name for p in modules if "[:] =" in p.read_text(encoding="utf-8")] == []


@pytest.mark.parametrize("service", NAMES)
def test_consumers_are_functions_not_module_handler_tables(service: str) -> None:
    modules = use_case_modules(service)
    assert [p.name for p in modules if "HANDLERS" in _module_names(p)] == []
    builders = [p for p in modules if "def consumer(" in p.read_text(encoding="utf-8")]
    assert builders, "every service follows another's topic (reviewers, persons, reports…)"
    bootstrap = source(service) / "bootstrap.py"
    wired = _imports(bootstrap)
    assert [dotted(service, p) for p in builders if dotted(service, p) not in wired] == []
    assert bootstrap.read_text(encoding="utf-8").count(".consumer(") == len(builders), "each built there"


@pytest.mark.parametrize("service", NAMES)
def test_the_composition_root_mutates_nothing_it_built(service: str) -> None:
    """No attribute of something already built is assigned (``wiring.consumers = …``), and no
    untyped side table (``kernel.extras``) carries collaborators."""
    tree = ast.parse((source(service) / "bootstrap.py").read_text(encoding="utf-8"))
    assigned = [
        ast.unparse(target)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute | ast.Subscript)
    ]
    assert assigned == []
    users = [p.name for p in source(service).rglob("*.py") if ".extras" in p.read_text(encoding="utf-8")]
    assert users == []
