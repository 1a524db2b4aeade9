"""A PydanticAI capability that makes an agent obey providerd's budgets:

    from providerd_client.pydantic_ai import ProviderdBudget
    agent = Agent("openai:gpt-4o-mini", capabilities=[ProviderdBudget("rag_agent")])

Before each model request it asks providerd whether the service may call the
model, and raises `BudgetExceeded` when a blocking budget refuses: the request is
never sent. After each request it reports that request's usage, with an id made
of the run, the step and the attempt, so a report retried (or sent again by a
resumed run) counts once. Budgets then hold across runs, processes and hosts,
which `UsageLimits` alone, one run in one process, cannot.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models import ModelRequestContext
from pydantic_ai.tools import RunContext

from ._socket import ProviderdError
from ._usage import report_usage_async
from .budgets import BudgetExceeded, budget_async

__all__ = ["ProviderdBudget", "model_string"]

logger = logging.getLogger("providerd_client")


def model_string(request_context: ModelRequestContext) -> str:
    """The `provider:model` string providerd prices and budgets by, for the
    model serving this request."""
    model = request_context.model
    return f"{model.system}:{model.model_name}"


@dataclass
class ProviderdBudget(AbstractCapability[Any]):
    """Budgets and usage reporting through providerd's socket.

    `service`: the service name budgets and usage are kept under. `model`: the
    model string to use instead of the serving model's `system:model_name`.
    `report`: also report each request's usage (turn off when the agent reports
    usage another way). A report that cannot reach providerd is logged, not
    raised: the request has been made and paid for either way.
    """

    service: str
    model: str | None = None
    socket_path: str | None = None
    report: bool = True

    async def before_model_request(self, ctx: RunContext[Any], request_context: ModelRequestContext) -> ModelRequestContext:
        model = self.model or model_string(request_context)
        status = await budget_async(self.service, model, socket_path=self.socket_path)
        if not status.allowed:
            raise BudgetExceeded(status, self.service, model)
        return request_context

    async def after_model_request(
        self, ctx: RunContext[Any], *, request_context: ModelRequestContext, response: ModelResponse
    ) -> ModelResponse:
        if self.report:
            model = self.model or model_string(request_context)
            # A run without an id (never in a PydanticAI that has capabilities, but
            # the field is optional) gets a random one: a shared "None" would make
            # every other run's report a duplicate, and its usage would be lost.
            run_id = ctx.run_id or f"anonymous-{uuid.uuid4()}"
            record_id = f"pydantic-ai:{run_id}:{ctx.run_step}:{request_context.attempt}"
            try:
                await report_usage_async(self.service, model, response.usage, id=record_id, socket_path=self.socket_path)
            except ProviderdError as error:
                logger.warning("usage of %s not reported to providerd: %s", record_id, error)
        return response
