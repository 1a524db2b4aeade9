"""providerd's client for agents: report usage, ask budgets. Standard library only;
PydanticAI is imported only by `providerd_client.pydantic_ai` (the capability) and,
when it is installed, makes `BudgetExceeded` a `UsageLimitExceeded`.

    from providerd_client import report_usage, check_budget
    check_budget("rag_agent", "openai:gpt-4o-mini")      # raises BudgetExceeded
    result = agent.run_sync("...")
    report_usage("rag_agent", "openai:gpt-4o-mini", result.usage)

Or, with PydanticAI, one line on the agent:

    from providerd_client.pydantic_ai import ProviderdBudget
    agent = Agent(model, capabilities=[ProviderdBudget("rag_agent")])
"""

from ._socket import DEFAULT_SOCKET, ProviderdError
from ._usage import report_usage
from .budgets import BudgetExceeded, BudgetState, BudgetStatus, budget, check_budget, usage_limits

__all__ = [
    "DEFAULT_SOCKET",
    "ProviderdError",
    "report_usage",
    "budget",
    "check_budget",
    "usage_limits",
    "BudgetExceeded",
    "BudgetState",
    "BudgetStatus",
]
