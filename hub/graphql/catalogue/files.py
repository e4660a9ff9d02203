"""Downloadable files: blank forms and filled sample forms."""

from __future__ import annotations

from urllib.parse import quote

import strawberry
from strawberry.types import Info

from hub.graphql.context import Context
from hub.models import StoredFile


@strawberry.type(description="A file a citizen can download, such as a blank or sample form.")
class File:
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="File name, e.g. 《再生育申请审批表》.html.")
    content_type: str = strawberry.field(description="MIME type.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content, hex.")
    external_url: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, m: StoredFile) -> File:
        return cls(
            pk=m.id or 0,
            name=m.name,
            content_type=m.content_type,
            size=m.size,
            sha256=m.sha256,
            external_url=m.url,
        )

    @strawberry.field(
        description="Download address, absolute: on this hub (`HUB_PUBLIC_URL` + `/files/…`; "
        "relative only in production without HUB_PUBLIC_URL) or an external URL."
    )
    def url(self, info: Info[Context, None]) -> str:
        if self.external_url:
            return self.external_url
        return f"{info.context.public_base}/files/{self.pk}/{quote(self.name)}"
