"""Every domain the application offers, found without a hard-coded list.

A domain is a module of the :mod:`inkpick_desktop.domains` package that defines
``SERVICE = DomainService(...)``; :func:`services` imports each such module (all
but ``base``, ``registry``, ``modelcache`` and names starting with ``_``) and
returns their services ordered by ``DomainService.order`` then key (cinema,
music, courses, then any other). Adding a domain is therefore adding one file to
the package folder; nothing else changes.

Code that lives outside the package (a plugin imported by the user's start-up
script, or a test) calls :func:`register` instead; registered services are
merged with the discovered ones, and a registered key replaces a discovered one.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading

from inkpick_desktop import domains as _package
from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.errors import InvalidInputError

logger = logging.getLogger(__name__)

#: Modules of the package that are infrastructure, not domains.
NOT_DOMAINS = frozenset({"base", "registry", "modelcache"})

_lock = threading.Lock()
_registered: dict[str, DomainService] = {}


def register(service: DomainService) -> DomainService:
    """Add (or replace) a domain defined outside the package; returns it."""
    if not isinstance(service, DomainService):
        raise InvalidInputError(
            f"register() expects a DomainService, got {type(service).__name__}"
        )
    with _lock:
        _registered[service.key] = service
    return service


def unregister(key: str) -> None:
    """Remove a domain added by :func:`register` (no error if absent)."""
    with _lock:
        _registered.pop(key, None)


def discover() -> list[DomainService]:
    """Services of every domain module in the package folder(s), unsorted."""
    found: list[DomainService] = []
    for info in pkgutil.iter_modules(_package.__path__):
        if info.name in NOT_DOMAINS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        service = getattr(module, "SERVICE", None)
        if service is None:
            logger.debug("domains.%s defines no SERVICE; skipped", info.name)
            continue
        if not isinstance(service, DomainService):
            raise InvalidInputError(
                f"domains.{info.name}.SERVICE must be a DomainService, "
                f"got {type(service).__name__}"
            )
        found.append(service)
    return found


def services() -> dict[str, DomainService]:
    """Domain key -> service, in display order (cinema, music, courses, ...)."""
    by_key: dict[str, DomainService] = {}
    for service in discover():
        if service.key in by_key:
            raise InvalidInputError(f"two domain modules define key {service.key!r}")
        by_key[service.key] = service
    with _lock:
        by_key.update(_registered)
    ordered = sorted(by_key.values(), key=lambda s: (s.order, s.key))
    return {s.key: s for s in ordered}


def get(key: str) -> DomainService:
    """The service of domain ``key``; :class:`InvalidInputError` lists the known."""
    known = services()
    name = str(key).strip().lower()
    try:
        return known[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown domain {key!r}; known domains: " + ", ".join(known)
        ) from None
