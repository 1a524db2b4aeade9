"""A PydanticAI agent run the providerd way: its model from models.json, its key
from the env file (systemd EnvironmentFile=, or `set -a; . providers.env`), and
providerd's budgets obeyed and its usage reported by one capability.

    PROVIDERD_SERVICE=rag_agent python example_agent.py "What is providerd?"

Exits 3 when a budget refuses the request (nothing is sent to the model).
"""

from __future__ import annotations

import json
import os
import sys

from pydantic_ai import Agent

from providerd_client import BudgetExceeded
from providerd_client.pydantic_ai import ProviderdBudget

MODEL_MAP = os.environ.get("PROVIDERD_MODEL_MAP", "/run/providerd/models.json")


def model_for(service: str) -> dict:
    with open(MODEL_MAP) as handle:
        services = json.load(handle)["services"]
    if service not in services:
        raise SystemExit(f"{service} is not in {MODEL_MAP}")
    return services[service]


def main() -> None:
    service = os.environ.get("PROVIDERD_SERVICE", "rag_agent")
    config = model_for(service)
    settings = {"temperature": config["temperature"]}
    if config["max_tokens"] is not None:
        settings["max_tokens"] = config["max_tokens"]
    agent = Agent(config["model"], model_settings=settings, capabilities=[ProviderdBudget(service, model=config["model"])])
    prompt = sys.argv[1] if len(sys.argv) > 1 else "Say hello."
    try:
        result = agent.run_sync(prompt)
    except BudgetExceeded as refused:
        print(f"refused by budget {refused.name} until {refused.resets_at}: {refused}", file=sys.stderr)
        raise SystemExit(3)
    print(result.output)
    print(json.dumps({"run_id": result.run_id, "usage": {"input_tokens": result.usage.input_tokens, "output_tokens": result.usage.output_tokens}}))


if __name__ == "__main__":
    main()
