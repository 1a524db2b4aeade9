"""Budgets as providerd answers them: every budget that applies to a service
calling a model, whether they allow the call, and why not.

Amounts are `Decimal` (providerd sends them as exact decimal strings), times
`datetime` in UTC. providerd answers from its own view: the database's spend plus
its host's acknowledged records, fresh within a second for this host and within
each other host's flush interval; `as_of` and `stale` say how fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._socket import request, request_async

try:  # PydanticAI installed: BudgetExceeded is one of its usage-limit errors.
    from pydantic_ai.exceptions import UsageLimitExceeded as _LimitError
except ImportError:  # the core needs the standard library only

    class _LimitError(Exception):  # type: ignore[no-redef]
        pass


__all__ = ["BudgetState", "BudgetStatus", "BudgetExceeded", "budget", "budget_async", "check_budget", "usage_limits"]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class BudgetState:
    """One budget in its current period."""

    name: str
    scope: str
    period: str
    action: str
    state: str
    """`ok`, `warning` (a threshold below the limit reached) or `exceeded`."""
    limit_usd: Decimal
    spent_usd: Decimal
    remaining_usd: Decimal
    percent: float
    period_start: datetime
    resets_at: datetime
    as_of: datetime
    stale: bool
    unpriced_requests: int

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> BudgetState:
        return cls(
            name=item["name"],
            scope=item["scope"],
            period=item["period"],
            action=item["action"],
            state=item["state"],
            limit_usd=Decimal(item["limit_usd"]),
            spent_usd=Decimal(item["spent_usd"]),
            remaining_usd=Decimal(item["remaining_usd"]),
            percent=float(item["percent"]),
            period_start=_time(item["period_start"]),
            resets_at=_time(item["resets_at"]),
            as_of=_time(item["as_of"]),
            stale=bool(item["stale"]),
            unpriced_requests=int(item["unpriced_requests"]),
        )


@dataclass(frozen=True)
class BudgetStatus:
    """providerd's answer for a service and a model."""

    allowed: bool
    budgets: list[BudgetState]
    blocked_by: list[tuple[str, str]]
    """(budget name, reason) for each blocking budget that refuses: `exceeded`,
    `stale` (with budgets.fail_closed) or `unpriced` (with budgets.unpriced: block)."""

    @classmethod
    def from_json(cls, answer: dict[str, Any]) -> BudgetStatus:
        return cls(
            allowed=bool(answer["allowed"]),
            budgets=[BudgetState.from_json(item) for item in answer.get("budgets", [])],
            blocked_by=[(item["name"], item["reason"]) for item in answer.get("blocked_by", [])],
        )

    def budget(self, name: str) -> BudgetState | None:
        return next((item for item in self.budgets if item.name == name), None)


class BudgetExceeded(_LimitError):
    """A blocking budget refuses the next model request. The budget that fired is
    in the attributes, not only in the message (`name`, `scope`, `period`,
    `limit_usd`, `spent_usd`, `resets_at`, `reason`); `status` holds every budget
    that applies. A subclass of PydanticAI's `UsageLimitExceeded` when PydanticAI
    is installed, so code that handles usage limits handles this too."""

    def __init__(self, status: BudgetStatus, service: str, model: str):
        name, reason = status.blocked_by[0]
        fired = status.budget(name)
        self.status = status
        self.service = service
        self.model = model
        self.name = name
        self.reason = reason
        self.scope = fired.scope if fired else ""
        self.period = fired.period if fired else ""
        self.limit_usd = fired.limit_usd if fired else Decimal(0)
        self.spent_usd = fired.spent_usd if fired else Decimal(0)
        self.resets_at = fired.resets_at if fired else None
        why = {
            "exceeded": f"spent ${self.spent_usd} of ${self.limit_usd} this {self.period}",
            "stale": "its spend cannot be read from the database and budgets.fail_closed is set",
            "unpriced": f"{model} has no price and budgets.unpriced is block",
        }.get(reason, reason)
        until = f"; resets {self.resets_at.isoformat()}" if self.resets_at and reason == "exceeded" else ""
        super().__init__(f"budget {name} ({self.scope}) refuses {service} calling {model}: {why}{until}")

    def __reduce__(self) -> Any:  # pickling keeps the attributes (PydanticAI's errors cross processes)
        return (self.__class__, (self.status, self.service, self.model))


def budget(service: str, model: str, *, socket_path: str | None = None, timeout: float = 5.0) -> BudgetStatus:
    """Every budget that applies to `service` calling `model`, and whether they allow it."""
    answer = request(
        {"op": "budget", "service_name": service, "model_string": model}, path=socket_path, attempts=3, timeout=timeout
    )
    return BudgetStatus.from_json(answer)


async def budget_async(service: str, model: str, *, socket_path: str | None = None, timeout: float = 5.0) -> BudgetStatus:
    """`budget` for an event loop."""
    answer = await request_async(
        {"op": "budget", "service_name": service, "model_string": model}, path=socket_path, attempts=3, timeout=timeout
    )
    return BudgetStatus.from_json(answer)


def check_budget(service: str, model: str, *, socket_path: str | None = None) -> BudgetStatus:
    """`budget`, raising `BudgetExceeded` when a blocking budget refuses."""
    status = budget(service, model, socket_path=socket_path)
    if not status.allowed:
        raise BudgetExceeded(status, service, model)
    return status


def usage_limits(service: str, model: str, base: Any = None, *, socket_path: str | None = None) -> Any:
    """A PydanticAI `UsageLimits` whose `cost_limit` is the smallest amount any
    blocking budget that applies has left (`base`'s other limits kept, and its own
    `cost_limit` if smaller). A run then stops with `UsageLimitExceeded` before it
    spends past the budget, within one process; the capability holds across runs,
    processes and hosts. Raises `BudgetExceeded` if a budget refuses already."""
    from pydantic_ai.usage import UsageLimits

    status = check_budget(service, model, socket_path=socket_path)
    remaining = [item.remaining_usd for item in status.budgets if item.action == "block"]
    limits = base if base is not None else UsageLimits()
    if not remaining:
        return limits
    least = min(remaining)
    if limits.cost_limit is not None:
        least = min(least, Decimal(str(limits.cost_limit)))
    return replace(limits, cost_limit=least)
