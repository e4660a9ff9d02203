"""ASGI entry point for servers: ``uvicorn hub.asgi:app``. Settings come from the environment."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        # deferred: the app is built on first access, not at import, so importing the
        # package stays side-effect free
        from hub.app import create_app

        app = create_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)
