"""Root fields of the public catalogue: services, datasets, orgs and how they are organised."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from hub.catalogue import lookups
from hub.catalogue.datasets import DatasetFilterArgs
from hub.catalogue.services import ServiceFilterArgs, ServiceOrderBy
from hub.errors import BadUserInput, NotFound
from hub.graphql.catalogue.dataset_reads import DatasetProvider, list_datasets, list_providers
from hub.graphql.catalogue.datasets import Dataset
from hub.graphql.catalogue.inputs import DatasetFilter, ServiceFilter, ServiceOrder
from hub.graphql.catalogue.materials import Material
from hub.graphql.catalogue.orgs import Org
from hub.graphql.catalogue.service_reads import list_services
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.catalogue.themes import Bundle, LifeEvent, Theme
from hub.graphql.context import Context
from hub.graphql.enums import Audience
from hub.graphql.paging import paginate
from hub.graphql.prefetch import prefetch_services, selected_paths
from hub.graphql.relay import NODE_FETCHERS, Connection, Node
from hub.ids import from_global_id, row_id
from hub.paging import PageArgs

MAX_NODES = 100
T = TypeVar("T")


async def _fetch_nodes(ctx: Context, ids: list[strawberry.ID]) -> list[Node | None]:
    if len(ids) > MAX_NODES:
        raise BadUserInput(f"Ask for at most {MAX_NODES} ids at once.")
    wanted: dict[str, list[tuple[int, int]]] = defaultdict(list)
    results: list[Node | None] = [None] * len(ids)
    for index, global_id in enumerate(ids):
        type_name, pk = from_global_id(global_id)
        number = row_id(pk)
        if type_name in NODE_FETCHERS and number is not None:
            wanted[type_name].append((index, number))
    for type_name, entries in wanted.items():
        fetched = await NODE_FETCHERS[type_name](ctx, [pk for _, pk in entries])
        for (index, _), node in zip(entries, fetched, strict=True):
            results[index] = node
    return results


async def _one(ctx: Context, statement: Any, convert: Callable[[Any], T], what: str) -> T:
    rows = await ctx.rows(statement.limit(1))
    if not rows:
        raise NotFound(f"No {what}.")
    return convert(rows[0])


@strawberry.type
class CatalogueQuery:
    @strawberry.field(
        description="Any object by its global id; null (and a NOT_FOUND error at this path, "
        "the rest of the answer intact) when it is not there."
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        (found,) = await _fetch_nodes(info.context, [id])
        if found is None:
            raise NotFound(f"No object with id {id!r}.")
        return found

    @strawberry.field(description="Objects by global id, in order; null where not found.")
    async def nodes(self, info: Info[Context, None], ids: list[strawberry.ID]) -> list[Node | None]:
        return await _fetch_nodes(info.context, ids)

    @strawberry.field(description="Published service items, filtered and paged.")
    async def services(
        self,
        info: Info[Context, None],
        filter: ServiceFilter | None = None,
        order_by: ServiceOrder = ServiceOrderBy.DEFAULT,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ServiceItem]:
        filters = filter.to_args() if filter else ServiceFilterArgs()
        page = PageArgs(first, after, last, before)
        selected = selected_paths(info, ("edges", "node"))
        return await list_services(info.context, filters, page, order_by, selected)

    @strawberry.field(
        description="One published service item by its catalogue code; null and NOT_FOUND "
        "at this path when there is none."
    )
    async def service(self, info: Info[Context, None], code: str) -> ServiceItem | None:
        statement = lookups.published_service(code)
        row = await _one(info.context, statement, lambda row: row, f"service {code!r}")
        await prefetch_services(info.context, [row], selected_paths(info))
        return ServiceItem.from_model(row)

    @strawberry.field(description="Datasets of the catalogue, filtered and paged.")
    async def datasets(
        self,
        info: Info[Context, None],
        filter: DatasetFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Dataset]:
        filters = filter.to_args() if filter else DatasetFilterArgs()
        return await list_datasets(info.context, filters, PageArgs(first, after, last, before))

    @strawberry.field(
        description="The orgs that provide datasets, most datasets first; one per providing "
        "department (tens), so not paged."
    )
    async def dataset_providers(self, info: Info[Context, None]) -> list[DatasetProvider]:
        return await list_providers(info.context)

    @strawberry.field(
        description="One dataset by its catalogue code; null and NOT_FOUND at this path when "
        "there is none."
    )
    async def dataset(self, info: Info[Context, None], code: str) -> Dataset | None:
        statement = lookups.dataset_by_code(code)
        return await _one(info.context, statement, Dataset.from_model, f"dataset {code!r}")

    @strawberry.field(description="The root of the org tree (the 管委会).")
    async def root_org(self, info: Info[Context, None]) -> Org:
        return await _one(info.context, lookups.root_org(), Org.from_model, "root org")

    @strawberry.field(
        description="One org by its code; null and NOT_FOUND at this path when there is none."
    )
    async def org(self, info: Info[Context, None], code: str) -> Org | None:
        statement = lookups.org_by_code(code)
        return await _one(info.context, statement, Org.from_model, f"org {code!r}")

    @strawberry.field(
        description="National themes (or, with local: true, the city's own), optionally for "
        "one audience; tens of them (59 national), so not paged."
    )
    async def themes(
        self,
        info: Info[Context, None],
        audience: Audience | None = None,
        local: bool = False,
    ) -> list[Theme]:
        statement = lookups.themes(audience.value if audience is not None else None, local)
        return [Theme.from_model(t) for t in await info.context.rows(statement)]

    @strawberry.field(description="Life events, in display order; a few tens, not paged.")
    async def life_events(self, info: Info[Context, None]) -> list[LifeEvent]:
        statement = lookups.life_events()
        return [LifeEvent.from_model(e) for e in await info.context.rows(statement)]

    @strawberry.field(
        description="One published 一件事 bundle by its code; null and NOT_FOUND at this path "
        "when there is none."
    )
    async def bundle(self, info: Info[Context, None], code: str) -> Bundle | None:
        statement = lookups.published_bundle(code)
        return await _one(info.context, statement, Bundle.from_model, f"bundle {code!r}")

    @strawberry.field(
        description="Published 一件事 bundles (tens of them: not paged), in catalogue order."
    )
    async def bundles(self, info: Info[Context, None]) -> list[Bundle]:
        statement = lookups.published_bundles()
        return [Bundle.from_model(b) for b in await info.context.rows(statement)]

    @strawberry.field(description="Materials, by name.")
    async def materials(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Material]:
        statement = lookups.materials_by_name()
        return await paginate(
            info.context, statement, PageArgs(first, after, last, before), Material.from_model
        )
