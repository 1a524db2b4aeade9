"""A PydanticAI agent run the providerd way: its model from models.json, its key
from the env file (systemd EnvironmentFile=, or `set -a; . providers.env`), its
usage reported to providerd.

    PROVIDERD_SERVICE=rag_agent python example_agent.py "What is providerd?"
"""

from __future__ import annotations

import json
import os
import sys

from pydantic_ai import Agent

from providerd_client import report_usage

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
    agent = Agent(config["model"], model_settings=settings)
    prompt = sys.argv[1] if len(sys.argv) > 1 else "Say hello."
    result = agent.run_sync(prompt)
    print(result.output)
    print(json.dumps(report_usage(service, config["model"], result.usage)))


if __name__ == "__main__":
    main()
