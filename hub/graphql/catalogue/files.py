"""Downloadable files: blank forms and filled sample forms."""

from __future__ import annotations

from urllib.parse import quote

import strawberry

from hub.models import StoredFile


@strawberry.type(description="A file a citizen can download, such as a blank or sample form.")
class File:
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="File name, e.g. 《再生育申请审批表》.html.")
    content_type: str = strawberry.field(description="MIME type.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content, hex.")
    url: str = strawberry.field(
        description="Download address: a path on this hub (`/files/…`) or an external URL."
    )

    @classmethod
    def from_model(cls, m: StoredFile) -> File:
        url = m.url or f"/files/{m.id}/{quote(m.name)}"
        return cls(
            pk=m.id or 0,
            name=m.name,
            content_type=m.content_type,
            size=m.size,
            sha256=m.sha256,
            url=url,
        )
