"""The ceiling for ``bench/sharing_bench.py``: ``verifyDatasetRecord`` without GraphQL and
without the auth framework.

``POST /raw/verify`` takes the very body the benchmark sends to ``/graphql`` (it reads only
``variables``: ``datasetId``, ``key``, ``claims``) and does the database work
:func:`hub.sharing.access.use_dataset` does for a verification, by hand, in one writing
transaction from ``hub.db`` (``BEGIN IMMEDIATE`` on SQLite, as ``run_change`` begins):

1. the dataset by id;
2. the active grants of the caller's org on it (the same SELECT as the domain's);
3. the record by ``(dataset_id, key)`` (the same SELECT, on the unique index);
4. the claims compared as the domain compares them (trimmed, upper-cased);
5. one row appended to ``dataset_access`` with :func:`hub.sharing.access_log.append`, so the
   hash chain is the same one ``hub audit verify`` walks.

It answers the JSON ``/graphql`` answers (the benchmark checks that the bodies are equal
before it measures). The caller is fixed at start (``--login``): no token is read, no session
looked up; that is the auth framework's share of the difference.

Run by the benchmark as ``python bench/raw_sharing_app.py --port 8721 --login tzcj_clerk``
with ``HUB_DATA_DIR`` set.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.db import check_connection, create_engine, session_factory, transaction
from hub.ids import decode_id
from hub.models import Dataset, DatasetGrant, DatasetRecord, Membership, Staff
from hub.models.enums import AccessMode, AccessOutcome, GrantStatus, MembershipStatus, PostType
from hub.settings import Settings
from hub.sharing.access_log import Call, KeyHasher, append
from hub.sharing.workdays import china_today


def _normal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().upper()


def _refused(message: str, status: int = 403) -> Response:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


async def _caller(factory: Any, login: str) -> tuple[int, int]:
    """The staff id of ``login`` and the org of their active primary post."""
    async with factory() as session:
        row = (
            await session.exec(
                select(Staff.id, Membership.org_id)
                .join(Membership, col(Membership.staff_id) == col(Staff.id))
                .where(
                    col(Staff.login_no) == login,
                    col(Membership.post_type) == PostType.PRIMARY,
                    col(Membership.status) == MembershipStatus.ACTIVE,
                )
            )
        ).first()
    if row is None:
        raise SystemExit(f"no staff {login!r} with an active primary post")
    return int(row[0]), int(row[1])


def create_raw_app(login: str, config: Settings | None = None) -> Starlette:
    settings = config if config is not None else Settings()
    hasher = KeyHasher(settings.access_log_key)
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        await check_connection(engine)
        state["engine"] = engine
        state["sessions"] = session_factory(engine)
        state["staff_id"], state["org_id"] = await _caller(state["sessions"], login)
        try:
            yield
        finally:
            await engine.dispose()

    async def verify(request: Request) -> Response:
        variables = json.loads(await request.body())["variables"]
        dataset_id = decode_id(variables["datasetId"], "Dataset")
        key = str(variables["key"]).strip()
        claims = {str(k): _normal(v) for k, v in dict(variables["claims"]).items()}
        wanted = sorted(claims)
        staff_id, org_id = state["staff_id"], state["org_id"]
        async with transaction(state["sessions"]) as session:
            dataset = await session.get(Dataset, dataset_id)
            if dataset is None or not dataset.served_by_hub:
                return _refused("no such served dataset", 404)
            today = china_today()
            grants = (
                await session.exec(
                    select(DatasetGrant)
                    .where(
                        col(DatasetGrant.grantee_org_id) == org_id,
                        col(DatasetGrant.dataset_id) == dataset_id,
                        col(DatasetGrant.status) == GrantStatus.ACTIVE,
                        col(DatasetGrant.starts_on) <= today,
                        or_(
                            col(DatasetGrant.ends_on).is_(None),
                            col(DatasetGrant.ends_on) >= today,
                        ),
                    )
                    .order_by(col(DatasetGrant.id).desc())
                )
            ).all()
            # A VERIFY call is allowed by any grant (QUERY includes VERIFY) naming the fields.
            grant = next((g for g in grants if set(wanted) <= set(g.fields)), None)
            outcome = AccessOutcome.ANSWERED if grant else AccessOutcome.NO_GRANT
            data = None
            if grant is not None:
                found = (
                    await session.exec(
                        select(DatasetRecord.key, DatasetRecord.data).where(
                            col(DatasetRecord.dataset_id) == dataset_id,
                            col(DatasetRecord.key).in_({key}),
                        )
                    )
                ).first()
                data = dict(found[1]) if found else None
            await append(
                session,
                Call(
                    staff_id=staff_id,
                    org_id=org_id,
                    grant_id=grant.id if grant else None,
                    dataset_id=dataset_id,
                    mode=AccessMode.VERIFY,
                    fields=wanted,
                    keys=1,
                    outcome=outcome,
                    request_id=request.headers.get("x-request-id") or uuid.uuid4().hex,
                    key_hash=hasher([key]),
                ),
            )
        if grant is None:
            return _refused("Your org holds no active grant on this dataset.")
        checks = [
            {"field": name, "matches": data is not None and _normal(data.get(name, "")) == value}
            for name, value in sorted(claims.items())
        ]
        body = {"data": {"verifyDatasetRecord": {"found": data is not None, "claims": checks}}}
        return JSONResponse(body, headers={"Cache-Control": "private, no-store"})

    async def readyz(_request: Request) -> Response:
        await check_connection(state["engine"])
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[Route("/raw/verify", verify, methods=["POST"]), Route("/readyz", readyz)],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8721)
    parser.add_argument("--login", default="tzcj_clerk", help="the caller, fixed at start")
    args = parser.parse_args()
    # The same server settings as `hub serve`: one worker, warnings only, no access log.
    uvicorn.run(
        create_raw_app(args.login),
        host=args.host,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
