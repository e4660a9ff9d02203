"""Static files hub serves itself (the pages' stylesheet and script, GraphiQL's bundle): read
and gzipped once, at import, with a version (a hash of the content) for their address, so that
a browser may keep them for a year."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    """A file, its gzipped form, and a version for its address."""

    body: bytes
    gzipped: bytes
    media_type: str
    version: str

    @classmethod
    def read(cls, path: Path, media_type: str) -> Asset:
        body = path.read_bytes()
        return cls(
            body=body,
            gzipped=gzip.compress(body, 9, mtime=0),
            media_type=media_type,
            version=hashlib.sha256(body).hexdigest()[:12],
        )

    def answer(self, request: Request) -> Response:
        """The file, gzipped when the client accepts it; kept a year at its versioned address
        (``?v=<version>``), five minutes at a bare one."""
        versioned = request.query_params.get("v") == self.version
        cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=300"
        headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
        body = self.body
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=self.media_type, headers=headers)
