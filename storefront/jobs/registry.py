"""Which function runs each job: the `@job` and `@periodic` decorators fill one registry.

Features register their own handlers in their `jobs.py` module; the app factory imports those
modules from an explicit list (storefront/__init__.py), so this package never imports a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[[Session, dict[str, Any], datetime], None]
NAME_CHARS = 80  # jobs.name and periodic_runs.name
DEFAULT_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class JobSpec:
    """A registered handler: how often it may be tried, and how long a worker may hold it."""

    name: str
    fn: Handler
    max_attempts: int = 5
    lease: timedelta = DEFAULT_LEASE


@dataclass(frozen=True)
class PeriodicSpec:
    """A job enqueued once per slot: a fixed interval, or one read from a setting (in seconds)."""

    name: str
    every: timedelta | None = None
    every_setting: str | None = None

    def interval(self, config: Mapping[str, Any]) -> timedelta:
        """The interval in force (a setting is read each time, so a changed one takes effect)."""
        if self.every_setting is not None:
            return timedelta(seconds=int(config[self.every_setting]))
        assert self.every is not None
        return self.every


@dataclass(eq=False)  # compared by identity: one registry per process (tests swap in their own)
class Registry:
    """The handlers and periodic schedules known to this process."""

    handlers: dict[str, JobSpec] = field(default_factory=dict)
    periodic: dict[str, PeriodicSpec] = field(default_factory=dict)

    def add(self, spec: JobSpec) -> None:
        """Register a handler; a second, different function under the same name is a mistake."""
        if len(spec.name) > NAME_CHARS or not spec.name:
            raise ValueError(f"job names are 1 to {NAME_CHARS} characters: {spec.name!r}")
        known = self.handlers.get(spec.name)
        if known is not None and _origin(known.fn) != _origin(spec.fn):
            raise ValueError(f"two handlers for job {spec.name!r}: {_origin(known.fn)} and {_origin(spec.fn)}")
        self.handlers[spec.name] = spec


def _origin(fn: Handler) -> str:
    """module.qualname of a handler (re-importing a module registers the same one again)."""
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


REGISTRY = Registry()


def job(name: str, *, max_attempts: int = 5, lease_seconds: int = 300) -> Callable[[Handler], Handler]:
    """Register `fn(session, payload, now)` as the handler of job `name`.

    Handlers must be idempotent: a job may run again after a crash or a lost lease. The worker
    commits after a handler returns and rolls back if it raises (then retries with backoff).
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def register(fn: Handler) -> Handler:
        REGISTRY.add(JobSpec(name, fn, max_attempts, timedelta(seconds=lease_seconds)))
        return fn

    return register


def periodic(
    name: str,
    *,
    every: timedelta | None = None,
    every_seconds: int | None = None,
    every_setting: str | None = None,
    max_attempts: int = 1,
    lease_seconds: int = 300,
) -> Callable[[Handler], Handler]:
    """Register a handler that a worker enqueues once per interval (one of the three `every` forms).

    One attempt by default: the next slot is the retry, and a failure shows on /admin/jobs.
    """
    given = [value for value in (every, every_seconds, every_setting) if value is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of every, every_seconds, every_setting")
    interval = timedelta(seconds=every_seconds) if every_seconds is not None else every
    if interval is not None and interval <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    register_job = job(name, max_attempts=max_attempts, lease_seconds=lease_seconds)

    def register(fn: Handler) -> Handler:
        register_job(fn)
        REGISTRY.periodic[name] = PeriodicSpec(name, interval, every_setting)
        return fn

    return register
