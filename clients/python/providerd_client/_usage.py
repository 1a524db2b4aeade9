"""Report PydanticAI usage to providerd's usage socket.

`usage` may be a PydanticAI RunUsage/RequestUsage (PydanticAI 2.x exposes
`result.usage` as a property, older versions as a method: both work), any object
with those attributes (`request_tokens`/`response_tokens` too), or a dict.

A record is acknowledged only once providerd has it on disk. A failed
connection is retried with the same `id`, so a record whose acknowledgement was
lost is still counted once (within providerd's id window, 24 h by default).
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping

from ._socket import request, request_async

__all__ = ["report_usage", "report_usage_async", "usage_record"]


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


def usage_record(service_name: str, model_string: str, usage: Any, record_id: str) -> dict[str, Any]:
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
    `"duplicate": true` for a resend, and `"budget": "exceeded"` with
    `"budget_name"` when a blocking budget it falls under is used up: the record
    still counts). Raises ProviderdError on `{"ok": false}` or when providerd
    cannot be reached after `attempts` tries."""
    record = usage_record(service_name, model_string, usage, id or str(uuid.uuid4()))
    return request(record, path=socket_path, attempts=attempts, timeout=timeout)


async def report_usage_async(
    service_name: str,
    model_string: str,
    usage: Any,
    *,
    socket_path: str | None = None,
    id: str | None = None,
    attempts: int = 5,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """`report_usage` for an event loop."""
    record = usage_record(service_name, model_string, usage, id or str(uuid.uuid4()))
    return await request_async(record, path=socket_path, attempts=attempts, timeout=timeout)
