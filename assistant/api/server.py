"""Serving an ASGI app (the API with the chat page mounted) with uvicorn in this process.

In: the app, host and port. Out: `Served` — started in a background thread (`start()`), with its
URL, and `close()` that stops it and waits for the port to be released; `run()` blocks until
Ctrl-C (`assistant serve`).
Not handled here: what is served (rest.py, ui/app.py), who may use it (auth.py).
"""

from __future__ import annotations

import threading
import time

import uvicorn

from assistant.errors import AssistantError


class Served:
    def __init__(self, app, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)  # in a thread: the main thread keeps Ctrl-C
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.url = f"http://{shown}:{port}/"
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn")

    def start(self, timeout: float = 30.0) -> Served:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise AssistantError(f"cannot serve on {self.url}: is the port in use?")
            time.sleep(0.02)
        return self

    def run(self) -> None:
        """Serve until Ctrl-C."""
        self.start()
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(10)
