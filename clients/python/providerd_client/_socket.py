"""One request line to providerd's usage socket, one reply line back."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from typing import Any

DEFAULT_SOCKET = "/run/providerd/usage.sock"


class ProviderdError(Exception):
    """providerd refused the request (`{"ok": false}`) or could not be reached."""


def socket_path(path: str | None = None) -> str:
    return path or os.environ.get("PROVIDERD_SOCKET") or DEFAULT_SOCKET


def _answer(reply: bytes) -> dict[str, Any]:
    answer = json.loads(reply)
    if not answer.get("ok"):
        raise ProviderdError(answer.get("error", "refused"))
    return answer


def request(payload: dict[str, Any], *, path: str | None = None, attempts: int = 5, timeout: float = 10.0) -> dict[str, Any]:
    """Sends `payload` and returns the reply; retried on a connection failure (the
    same line again: records carry an id, so a resend counts once)."""
    target = socket_path(path)
    line = (json.dumps(payload, separators=(",", ":")) + "\n").encode()
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(timeout)
                connection.connect(target)
                connection.sendall(line)
                reply = b""
                while not reply.endswith(b"\n"):
                    chunk = connection.recv(65536)
                    if not chunk:
                        raise ConnectionError("providerd closed the connection without a reply")
                    reply += chunk
        except OSError as error:  # not reachable or cut off: retry
            last_error = error
            time.sleep(min(2.0, 0.1 * 2**attempt))
            continue
        return _answer(reply)
    raise ProviderdError(f"cannot reach providerd at {target}: {last_error}")


async def request_async(
    payload: dict[str, Any], *, path: str | None = None, attempts: int = 5, timeout: float = 10.0
) -> dict[str, Any]:
    """`request` for an event loop: never blocks it."""
    target = socket_path(path)
    line = (json.dumps(payload, separators=(",", ":")) + "\n").encode()
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(target, limit=1 << 24), timeout)
            try:
                writer.write(line)
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), timeout)
            finally:
                writer.close()
            if not reply.endswith(b"\n"):
                raise ConnectionError("providerd closed the connection without a reply")
        except (OSError, asyncio.TimeoutError) as error:
            last_error = error
            await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
            continue
        return _answer(reply)
    raise ProviderdError(f"cannot reach providerd at {target}: {last_error}")
