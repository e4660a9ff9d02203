"""The ceiling for ``bench/graphql_bench.py``: the GraphQL reads without GraphQL.

Each endpoint issues the statements the resolvers and DataLoaders issue for the benchmark's
queries, in the same order and batches, on one ``AsyncSession`` from ``hub.db``; then it
shapes the ORM rows by hand into the very JSON ``/graphql`` answers (the benchmark checks
that the bodies are equal before it measures). Whatever separates these figures from the
GraphQL ones is the price of GraphQL: parsing, validation, execution, resolver wrapping and
DataLoader scheduling.

Run by the benchmark as ``python bench/raw_app.py --port 8711`` with ``HUB_DATA_DIR`` set.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlmodel import col
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.db import check_connection, create_engine, session_factory
from hub.ids import to_global_id
from hub.models import Material, MaterialRequirement, Org, ServiceItem, StoredFile
from hub.models.enums import (
    Audience,
    Exemption,
    ItemType,
    MaterialKind,
    Medium,
    Necessity,
    OrgKind,
    ServiceStatus,
    SourceChannel,
    TimeUnit,
)
from hub.paging import encode_cursor
from hub.settings import Settings
from hub.sharing.queries import lookups_allowed

# (a) one service's detail with its materials, forms and org.
DETAIL_QUERY = """query ServiceDetail($code: String!) {
  service(code: $code) {
    id code name shortName aliases itemType itemTypeLabel audience audienceLabel
    description conditions legalBasis
    legalTimeLimit { value unit text }
    promisedTimeLimit { value unit text }
    address hours phone onlineDepth onlineDepthLabel visits onlineUrl status updatedAt
    steps { position title description }
    fees { name amount unit basis }
    isFree
    org { id code name shortName kind kindLabel regionCode }
    materials {
      position necessity necessityLabel originalCount copyCount medium
      sourceChannel sourceChannelLabel fillNotes exemption exempt note
      material { id code name kind issuer description elicenseName exemptBy }
      blankForm { name contentType size sha256 url }
      sampleForm { name contentType size sha256 url }
    }
  }
}
"""

# (b) a page of services with their materials.
PAGE_QUERY = """query ServicePage($first: Int!) {
  services(first: $first) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        id code name itemType itemTypeLabel audience onlineDepth visits isFree
        materials {
          position necessity originalCount copyCount exempt
          material { id code name kind }
        }
      }
    }
  }
}
"""

# The same labels hub.graphql.catalogue.services shows.
_ONLINE_DEPTH_LABELS = {
    0: "不支持网办",
    1: "一级（信息公开）",
    2: "二级（在线预审）",
    3: "三级（网上受理）",
    4: "四级（全程网办）",
}
_NO_STORE = {"Cache-Control": "private, no-store"}


def _name(enum: Any, value: str) -> str:
    """A stored value as GraphQL spells it: the member's name."""
    return str(enum._value2member_map_[value].name)


def _unique(keys: Iterable[int | None]) -> list[int]:
    """Keys in first-seen order without repeats or None, as a DataLoader batches them."""
    return list(dict.fromkeys(k for k in keys if k is not None))


def _limit(value: int, unit: str) -> dict[str, Any]:
    return {
        "value": value,
        "unit": _name(TimeUnit, unit),
        "text": f"{value}个{TimeUnit.label_of(unit)}",
    }


def _org(m: Org) -> dict[str, Any]:
    return {
        "id": to_global_id("Org", m.id or 0),
        "code": m.code,
        "name": m.name,
        "shortName": m.short_name,
        "kind": _name(OrgKind, m.kind),
        "kindLabel": OrgKind.label_of(m.kind),
        "regionCode": m.region_code,
    }


#: where the request came to: hub's File.url is absolute outside production (HUB_PUBLIC_URL
#: unset), and the ceiling answers the same bytes
_BASE: ContextVar[str] = ContextVar("base", default="")


def _file(m: StoredFile | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "name": m.name,
        "contentType": m.content_type,
        "size": m.size,
        "sha256": m.sha256,
        "url": m.url or f"{_BASE.get()}/files/{m.id}/{quote(m.name)}",
    }


def _material(m: Material) -> dict[str, Any]:
    exempt_by = []
    if m.elicense_name:
        exempt_by.append(f"电子证照：{m.elicense_name}")
    if m.dataset_id is not None:
        exempt_by.append("部门间数据共享")
    return {
        "id": to_global_id("Material", m.id or 0),
        "code": m.code,
        "name": m.name,
        "kind": _name(MaterialKind, m.kind),
        "issuer": m.issuer,
        "description": m.description,
        "elicenseName": m.elicense_name,
        "exemptBy": exempt_by,
    }


Allowed = dict[tuple[int, int], bool]


def _exempt(
    r: MaterialRequirement, org_id: int, materials: dict[int, Material], ok: Allowed
) -> bool:
    """免提交 holds when the implementing org may look up the data behind the material."""
    dataset = materials[r.material_id].dataset_id
    return (
        r.exemption != Exemption.NONE and dataset is not None and ok.get((org_id, dataset), False)
    )


async def _lookups(
    session: Any,
    org_of: dict[int, int],
    requirements: Sequence[MaterialRequirement],
    materials: dict[int, Material],
) -> Allowed:
    """The same batched check hub makes (hub.sharing.queries.lookups_allowed)."""
    pairs = sorted(
        {
            (org_of[r.service_id], dataset)
            for r in requirements
            if r.exemption != Exemption.NONE
            and (dataset := materials[r.material_id].dataset_id) is not None
        }
    )
    if not pairs:
        return {}

    async def rows(statement: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    return dict(zip(pairs, await lookups_allowed(rows, pairs), strict=True))


def _requirement(
    r: MaterialRequirement,
    materials: dict[int, Material],
    files: dict[int, StoredFile],
    org_id: int,
    ok: Allowed,
) -> dict[str, Any]:
    return {
        "position": r.position,
        "necessity": _name(Necessity, r.necessity),
        "necessityLabel": Necessity.label_of(r.necessity),
        "originalCount": r.original_count,
        "copyCount": r.copy_count,
        "medium": _name(Medium, r.medium),
        "sourceChannel": _name(SourceChannel, r.source_channel),
        "sourceChannelLabel": SourceChannel.label_of(r.source_channel),
        "fillNotes": r.fill_notes,
        "exemption": _name(Exemption, r.exemption),
        "exempt": _exempt(r, org_id, materials, ok),
        "note": r.note,
        "material": _material(materials[r.material_id]),
        "blankForm": _file(files.get(r.blank_form_id)) if r.blank_form_id else None,
        "sampleForm": _file(files.get(r.sample_form_id)) if r.sample_form_id else None,
    }


def _service_detail(
    m: ServiceItem,
    org: Org,
    requirements: Sequence[MaterialRequirement],
    materials: dict[int, Material],
    files: dict[int, StoredFile],
    ok: Allowed,
) -> dict[str, Any]:
    return {
        "id": to_global_id("ServiceItem", m.id or 0),
        "code": m.code,
        "name": m.name,
        "shortName": m.short_name,
        "aliases": list(m.aliases),
        "itemType": _name(ItemType, m.item_type),
        "itemTypeLabel": ItemType.label_of(m.item_type),
        "audience": _name(Audience, m.audience),
        "audienceLabel": Audience.label_of(m.audience),
        "description": m.description,
        "conditions": m.conditions,
        "legalBasis": m.legal_basis,
        "legalTimeLimit": _limit(m.legal_limit, m.legal_limit_unit),
        "promisedTimeLimit": _limit(m.promised_limit, m.promised_limit_unit),
        "address": m.address,
        "hours": m.hours,
        "phone": m.phone,
        "onlineDepth": m.online_depth,
        "onlineDepthLabel": _ONLINE_DEPTH_LABELS.get(m.online_depth, str(m.online_depth)),
        "visits": m.visits,
        "onlineUrl": m.online_url,
        "status": _name(ServiceStatus, m.status),
        "updatedAt": m.updated_at.isoformat(),
        "steps": [
            {
                "position": i,
                "title": s.get("title", ""),
                "description": s.get("description", ""),
            }
            for i, s in enumerate(m.steps, start=1)
        ],
        "fees": [
            {
                "name": f.get("name", ""),
                "amount": float(f.get("amount", 0)),
                "unit": f.get("unit", ""),
                "basis": f.get("basis", ""),
            }
            for f in m.fees
        ],
        "isFree": not m.fees,
        "org": _org(org),
        "materials": [_requirement(r, materials, files, m.org_id, ok) for r in requirements],
    }


def _service_node(
    m: ServiceItem,
    requirements: Sequence[MaterialRequirement],
    materials: dict[int, Material],
    ok: Allowed,
) -> dict[str, Any]:
    return {
        "id": to_global_id("ServiceItem", m.id or 0),
        "code": m.code,
        "name": m.name,
        "itemType": _name(ItemType, m.item_type),
        "itemTypeLabel": ItemType.label_of(m.item_type),
        "audience": _name(Audience, m.audience),
        "onlineDepth": m.online_depth,
        "visits": m.visits,
        "isFree": not m.fees,
        "materials": [
            {
                "position": r.position,
                "necessity": _name(Necessity, r.necessity),
                "originalCount": r.original_count,
                "copyCount": r.copy_count,
                "exempt": _exempt(r, m.org_id, materials, ok),
                "material": {
                    "id": to_global_id("Material", r.material_id),
                    "code": materials[r.material_id].code,
                    "name": materials[r.material_id].name,
                    "kind": _name(MaterialKind, materials[r.material_id].kind),
                },
            }
            for r in requirements
        ],
    }


# The statements, as hub.graphql.loaders and hub.resolvers build them.
def _requirements_of(service_ids: Sequence[int]) -> Any:
    return (
        select(MaterialRequirement)
        .order_by(col(MaterialRequirement.position), col(MaterialRequirement.id))
        .where(col(MaterialRequirement.service_id).in_(service_ids))
    )


def _by_id(model: Any, ids: Sequence[int]) -> Any:
    return select(model).where(col(model.id).in_(ids))


def _published_services() -> Any:
    return (
        select(ServiceItem)
        .where(col(ServiceItem.status) == ServiceStatus.PUBLISHED)
        .order_by(col(ServiceItem.sort_order), col(ServiceItem.id))
    )


def create_raw_app(config: Settings | None = None) -> Starlette:
    settings = config if config is not None else Settings()
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        await check_connection(engine)
        state["engine"] = engine
        state["sessions"] = session_factory(engine)
        try:
            yield
        finally:
            await engine.dispose()

    async def service_detail(request: Request) -> Response:
        code = request.path_params["code"]
        _BASE.set((settings.public_url or str(request.base_url)).rstrip("/"))
        async with state["sessions"]() as session:
            found = list(
                (
                    await session.exec(
                        select(ServiceItem)
                        .where(
                            col(ServiceItem.code) == code,
                            col(ServiceItem.status) == ServiceStatus.PUBLISHED,
                        )
                        .limit(1)
                    )
                ).scalars()
            )
            if not found:
                return JSONResponse({"error": "not found"}, status_code=404)
            service = found[0]
            # GraphQL resolves org and materials in one tick: two batches, org first.
            orgs = list((await session.exec(_by_id(Org, [service.org_id]))).scalars())
            requirements = list((await session.exec(_requirements_of([service.id or 0]))).scalars())
            material_ids = _unique(r.material_id for r in requirements)
            file_ids = _unique(k for r in requirements for k in (r.blank_form_id, r.sample_form_id))
            materials: dict[int, Material] = {}
            files: dict[int, StoredFile] = {}
            if material_ids:
                rows = (await session.exec(_by_id(Material, material_ids))).scalars()
                materials = {m.id: m for m in rows if m.id is not None}
            if file_ids:
                rows = (await session.exec(_by_id(StoredFile, file_ids))).scalars()
                files = {f.id: f for f in rows if f.id is not None}
            org_of = {service.id or 0: service.org_id}
            ok = await _lookups(session, org_of, requirements, materials)
        detail = _service_detail(service, orgs[0], requirements, materials, files, ok)
        data = {"service": detail}
        return JSONResponse({"data": data}, headers=_NO_STORE)

    async def service_page(request: Request) -> Response:
        first = int(request.query_params.get("first", "20"))
        _BASE.set((settings.public_url or str(request.base_url)).rstrip("/"))
        statement = _published_services()
        async with state["sessions"]() as session:
            counted = select(func.count()).select_from(statement.order_by(None).subquery())
            total = int((await session.exec(counted)).scalar_one())
            limit = max(0, min(first, total))
            services = []
            if limit:
                services = list((await session.exec(statement.offset(0).limit(limit))).scalars())
            ids = [s.id or 0 for s in services]
            requirements: list[MaterialRequirement] = []
            if ids:
                requirements = list((await session.exec(_requirements_of(ids))).scalars())
            material_ids = _unique(r.material_id for r in requirements)
            materials: dict[int, Material] = {}
            if material_ids:
                rows = (await session.exec(_by_id(Material, material_ids))).scalars()
                materials = {m.id: m for m in rows if m.id is not None}
            org_of = {s.id or 0: s.org_id for s in services}
            ok = await _lookups(session, org_of, requirements, materials)
        by_service: dict[int, list[MaterialRequirement]] = {i: [] for i in ids}
        for r in requirements:
            by_service[r.service_id].append(r)
        cursors = [encode_cursor(i) for i in range(len(services))]
        data = {
            "services": {
                "totalCount": total,
                "pageInfo": {
                    "hasNextPage": len(services) < total,
                    "hasPreviousPage": False,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                },
                "edges": [
                    {
                        "cursor": cursor,
                        "node": _service_node(s, by_service[s.id or 0], materials, ok),
                    }
                    for cursor, s in zip(cursors, services, strict=True)
                ],
            }
        }
        return JSONResponse({"data": data}, headers=_NO_STORE)

    async def readyz(_request: Request) -> Response:
        await check_connection(state["engine"])
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[
            Route("/raw/service/{code}", service_detail),
            Route("/raw/services", service_page),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8711)
    args = parser.parse_args()
    # The same server settings as `hub serve`: one worker, warnings only, no access log.
    uvicorn.run(
        create_raw_app(),
        host=args.host,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
