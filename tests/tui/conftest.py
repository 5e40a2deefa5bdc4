"""Fixtures for every dashboard test.

Timings differ on every run: the command trace draws them as placeholders here
(``TUI_ES_HIDE_TIMINGS``), so that screenshots of a trace are the same from run
to run. A test that looks at the real milliseconds unsets it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_es.tui.commands.trace import HIDE_TIMINGS


@pytest.fixture(autouse=True)
def hide_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HIDE_TIMINGS, "1")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder of the test's own: snapshot apps are loaded relative to it."""
    monkeypatch.chdir(tmp_path)
    return Path(".")
