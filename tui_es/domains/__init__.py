"""Domains tui-es can run; each depends only on :mod:`tui_es.es`."""

from __future__ import annotations

from tui_es.es.domain import Domain


def available() -> dict[str, str]:
    return {"bank": "tui_es.domains.bank"}


def load_domain(name: str) -> Domain:
    import importlib

    modules = available()
    if name not in modules:
        raise KeyError(f"unknown domain {name!r} (available: {', '.join(modules)})")
    module = importlib.import_module(modules[name])
    domain: Domain = module.DOMAIN
    return domain
