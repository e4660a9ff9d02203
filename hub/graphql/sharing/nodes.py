"""Requests and grants by global id, for ``node``/``nodes``: only for the staff of the org
involved and the provider's reviewers and administrators (an id names nothing for others)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub import models
from hub.graphql.relay import NODE_FETCHERS, NodeFetcher
from hub.graphql.sharing.types import DatasetGrant, DatasetRequest
from hub.sharing.queries import visible_by_ids

if TYPE_CHECKING:
    from hub.graphql.context import Context


def _fetcher(model: Any, convert: Any) -> NodeFetcher:
    async def fetch(ctx: Context, pks: Sequence[int]) -> list[Any | None]:
        rows = await visible_by_ids(ctx.rows, ctx.viewer, model, pks)
        return [convert(r) if r is not None else None for r in rows]

    return fetch


def register_sharing_nodes() -> None:
    NODE_FETCHERS.update(
        {
            "DatasetRequest": _fetcher(models.DatasetRequest, DatasetRequest.from_model),
            "DatasetGrant": _fetcher(models.DatasetGrant, DatasetGrant.from_model),
        }
    )
