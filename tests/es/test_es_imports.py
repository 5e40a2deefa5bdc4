"""The framework and the domains stay free of the UI and the SQL store."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tui_es"
HEAVY = ("textual", "sqlmodel", "sqlalchemy")
APP_LAYERS = ("tui_es.store", "tui_es.tui", "tui_es.cli")


def test_importing_the_framework_loads_no_ui_or_sql() -> None:
    code = (
        "import sys, tui_es.es, tui_es.domains.bank; "
        "bad=[m for m in sys.modules if m.split('.')[0] in ('textual','sqlmodel','sqlalchemy')]; "
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """Every module an import statement names, anywhere in the source (absolute names)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # "from tui_es import store" imports tui_es.store
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def imports_of(path: Path) -> list[tuple[int, str]]:
    return imported_modules(path.read_text(encoding="utf-8"), package_of(path))


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


FRAMEWORK_FILES = sorted((PACKAGE / "es").glob("*.py"))
DOMAIN_FILES = sorted((PACKAGE / "domains").rglob("*.py"))


def test_there_are_files_to_scan() -> None:
    assert len(FRAMEWORK_FILES) >= 10
    assert any(p.parent.name == "bank" for p in DOMAIN_FILES)


@pytest.mark.parametrize("path", FRAMEWORK_FILES, ids=lambda p: p.name)
def test_framework_imports(path: Path) -> None:
    forbidden = (*HEAVY, *APP_LAYERS, "tui_es.domains")
    bad = [
        (line, module)
        for line, module in imports_of(path)
        if any(within(module, f) for f in forbidden)
    ]
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_imports(path: Path) -> None:
    own = package_of(path)
    allowed = ("tui_es.es", "tui_es.paths", own)
    bad = []
    for line, module in imports_of(path):
        if any(within(module, h) for h in HEAVY):
            bad.append((line, module))
        elif within(module, "tui_es") and not any(within(module, a) for a in allowed):
            if module in ("tui_es.domains", "tui_es") and own.startswith(module):
                continue  # a parent package of its own, e.g. "from tui_es.domains import x"
            bad.append((line, module))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_the_scan_sees_through_import_forms() -> None:
    source = (
        "import os\n"
        "from tui_es import store\n"
        "def f():\n"
        "    import textual.app\n"
        "    from sqlalchemy.orm import Session\n"
        "from . import codec\n"
        "from ..tui import app\n"
    )
    modules = {m for _, m in imported_modules(source, "tui_es.es")}
    assert {"os", "tui_es.store", "textual.app", "sqlalchemy.orm"} <= modules
    assert {"tui_es.es.codec", "tui_es.tui.app"} <= modules
