"""Keeping secrets out of what people see: URLs shown without credentials, logs with secrets masked.

In: a URL, or Settings (API key, login password, credentials inside the endpoint URL).
Out: `shown_url()` -> the URL without user:password@ and with query values masked
("https://proxy.example/v1?api-key=***"); `setup_logging()` -> the root logger at
Settings.log_level, its handler filtering every record through `SecretFilter`, which replaces any
configured secret value (and any URL's credentials) in the formatted message with "***".
Every message the project builds names an endpoint through shown_url(); the filter is the net for
what libraries log (httpx logs each request's full URL at INFO).
Not handled here: secrets the user types into a question (they are the user's own text), or
output that bypasses logging (print) with a secret inside: nothing of ours prints one.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from assistant.config import Settings

MASK = "***"
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.I)


def shown_url(url: str) -> str:
    """The URL as messages and the UI may show it: no user:password@, query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode([(k, MASK) for k, _ in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def secret_values(settings: Settings) -> list[str]:
    """Every secret string Settings hold: the API key, the login password, URL credentials."""
    found = [s.get_secret_value() for s in (settings.llm_api_key, settings.auth_password) if s]
    if settings.llm_base_url:
        parts = urlsplit(settings.llm_base_url)
        found += [parts.password] if parts.password else []
        found += [v for _, v in parse_qsl(parts.query)]
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)  # longest first


def redact(text: str, secrets: list[str]) -> str:
    """text with every secret value and every URL's credentials masked."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _URL.sub(lambda m: shown_url(m.group()) if "@" in m.group() or "?" in m.group()
                    else m.group(), text)


class SecretFilter(logging.Filter):
    """Masks secrets in each record's final message (arguments included), then lets it through."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(settings: Settings) -> None:
    """Log to stderr at Settings.log_level through the secret filter (called once by the CLI)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secret_values(settings)))
    handler.setLevel(settings.log_level.upper())  # libraries that set DEBUG on their own logger
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
