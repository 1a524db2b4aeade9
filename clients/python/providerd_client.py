"""Report PydanticAI usage to providerd's usage socket. Standard library only.

    from providerd_client import report_usage
    result = agent.run_sync("...")
    report_usage("rag_agent", "openai:gpt-4o-mini", result.usage)

`usage` may be a PydanticAI RunUsage/RequestUsage (PydanticAI 2.x exposes
`result.usage` as a property, older versions as a method: both work), any object
with those attributes (`request_tokens`/`response_tokens` too), or a dict.

A record is acknowledged only once providerd has it on disk. A failed
connection is retried with the same `id`, so a record whose acknowledgement was
lost is still counted once (within providerd's id window, 24 h by default).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import Any, Mapping

DEFAULT_SOCKET = "/run/providerd/usage.sock"

__all__ = ["report_usage", "ProviderdError", "DEFAULT_SOCKET"]


class ProviderdError(Exception):
    """providerd refused the record (`{"ok": false}`) or could not be reached."""


def _field(usage: Any, *names: str) -> int | None:
    for name in names:
        if isinstance(usage, Mapping):
            value = usage.get(name)
        else:
            value = getattr(usage, name, None)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"usage field {name} must be an int, got {type(value).__name__}")
            return value
    return None


def _record(service_name: str, model_string: str, usage: Any, record_id: str) -> dict[str, Any]:
    if callable(usage) and not isinstance(usage, Mapping):
        usage = usage()  # PydanticAI < 2: result.usage()
    record: dict[str, Any] = {"service_name": service_name, "model_string": model_string, "id": record_id}
    fields = {
        "input_tokens": ("input_tokens", "request_tokens"),
        "output_tokens": ("output_tokens", "response_tokens"),
        "cache_read_tokens": ("cache_read_tokens",),
        "cache_write_tokens": ("cache_write_tokens",),
        "request_count": ("requests", "request_count"),
    }
    for key, names in fields.items():
        value = _field(usage, *names)
        if value is not None:
            record[key] = value
    return record


def report_usage(
    service_name: str,
    model_string: str,
    usage: Any,
    *,
    socket_path: str | None = None,
    id: str | None = None,
    attempts: int = 5,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Send one usage record; return providerd's reply (`{"ok": true}`, or with
    `"duplicate": true` for a resend). Raises ProviderdError on `{"ok": false}` or
    when providerd cannot be reached after `attempts` tries."""
    path = socket_path or os.environ.get("PROVIDERD_SOCKET") or DEFAULT_SOCKET
    record = _record(service_name, model_string, usage, id or str(uuid.uuid4()))
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(timeout)
                connection.connect(path)
                connection.sendall(line)
                reply = b""
                while not reply.endswith(b"\n"):
                    chunk = connection.recv(4096)
                    if not chunk:
                        raise ConnectionError("providerd closed the connection without a reply")
                    reply += chunk
        except OSError as error:  # not reachable or cut off: retry with the same id
            last_error = error
            time.sleep(min(2.0, 0.1 * 2**attempt))
            continue
        answer = json.loads(reply)
        if not answer.get("ok"):
            raise ProviderdError(answer.get("error", "refused"))
        return answer
    raise ProviderdError(f"cannot reach providerd at {path}: {last_error}")
