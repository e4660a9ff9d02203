"""Request ids: taken from ``X-Request-ID`` when sane, else made; echoed on every response."""

from __future__ import annotations

import re
import uuid
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.logs import request_id_var

_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """A request id for every request. One sent in ``X-Request-ID`` is kept only when it
    comes from a trusted proxy (a load balancer that made it) and is sane; anyone else's is
    replaced, so that audit events and logs never carry an id a client chose."""

    def __init__(self, app: ASGIApp, networks: tuple[IPv4Network | IPv6Network, ...] = ()) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        client = scope.get("client")
        if self.networks and client and _in(client[0], self.networks):
            for name, value in scope["headers"]:
                if name == b"x-request-id":
                    incoming = value.decode("latin-1")
                    break
        request_id = incoming if _SANE.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class ClientAddressMiddleware:
    """The client's address: the peer's, unless the peer is one of ``HUB_TRUSTED_PROXIES``;
    then the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy.

    uvicorn is started with its own forwarded-header handling off, so this is the only place
    that believes the header. With no trusted proxies (the default) the header is ignored.
    """

    def __init__(self, app: ASGIApp, networks: tuple[IPv4Network | IPv6Network, ...]) -> None:
        self.app = app
        self.networks = networks

    def _trusted(self, host: str) -> bool:
        return _in(host, self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.networks:
            client = scope.get("client")
            if client and self._trusted(client[0]):
                forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
                hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
                for hop in reversed(hops):
                    if not self._trusted(hop):
                        try:
                            ip_address(hop)
                        except ValueError:
                            break  # not an address: keep the proxy's own
                        scope = dict(scope, client=(hop, 0))
                        break
        await self.app(scope, receive, send)


def _in(host: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)
