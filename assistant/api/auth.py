"""Who may use the app: the one login rule of the chat page and the HTTP API.

In: Settings (host, ASSISTANT_AUTH_USER / ASSISTANT_AUTH_PASSWORD) and, per API request, its
Authorization header. Out: `login()` -> the (user, password) pair the page and the API require,
None on loopback without one configured, AssistantError off loopback without one (nothing is
served then); `api_guard()` -> a FastAPI dependency accepting HTTP Basic with that pair or
`Authorization: Bearer <password>`, answering 401 otherwise. Compared in constant time.
Not handled here: the page's own login form (Gradio's auth), TLS (put a proxy in front).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets
from collections.abc import Callable

from fastapi import HTTPException, Request

from assistant.config import Settings
from assistant.errors import AssistantError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login(settings: Settings) -> tuple[str, str] | None:
    """The login from Settings; required (AssistantError without it) off loopback."""
    if settings.auth_user and settings.auth_password:
        return settings.auth_user, settings.auth_password.get_secret_value()
    if is_loopback(settings.host):
        return None
    raise AssistantError(f"serving on {settings.host} (not loopback) needs a login: set "
                         "ASSISTANT_AUTH_USER and ASSISTANT_AUTH_PASSWORD, or use --host 127.0.0.1")


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def authorized(header: str, user: str, password: str) -> bool:
    """Whether an Authorization header carries the login: Basic user:password, or Bearer password."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return _same(value.strip(), password)
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return _same(given_user, user) & _same(given_password, password)


def api_guard(settings: Settings) -> Callable[[Request], None]:
    """The dependency every /api and /v1 route runs: passes everything when no login applies."""
    required = login(settings)

    def guard(request: Request) -> None:
        if required and not authorized(request.headers.get("authorization", ""), *required):
            raise HTTPException(401, "login required: HTTP Basic, or Bearer <password>",
                                headers={"WWW-Authenticate": 'Basic realm="assistant"'})
    return guard
