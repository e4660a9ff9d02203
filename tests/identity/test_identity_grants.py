"""What memberships grant, and when; what reading members costs; demo credentials."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, update
from sqlmodel import col

from hub.auth.grants import today
from hub.auth.passwords import demo_password_hash
from hub.ids import to_global_id
from hub.models import Membership, Staff
from hub.settings import Settings
from tests.identity.conftest import World

ME = "query { me { effectiveRoles { org { name } roles postType } } }"
ADD = """
mutation Add($input: AddMembershipInput!) {
  addMembership(input: $input) { membership { id version startsOn } staff { version } }
}
"""
END = """
mutation End($input: EndMembershipInput!) {
  endMembership(input: $input) { membership { status endsOn } staff { status } }
}
"""
MEMBERS = """
query M($org: ID!, $first: Int!) {
  orgMembers(orgId: $org, first: $first, filter: {includeSubtree: true}) {
    edges { node { position org { name } staff { name primaryMembership { org { name } }
                   memberships(includeEnded: true) { postType org { name } } } } }
  }
}
"""


@contextmanager
def count_statements(world: World) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = world.app.state.hub.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_post_grants_nothing_before_it_starts(world: World) -> None:
    # given: an acting post (代理) as admin of 科教创新区, starting next week
    version = (await world.staff_row("tzcj_clerk")).version
    starts = (today() + timedelta(days=7)).isoformat()
    data = await world.ok(
        ADD,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_clerk"),
                "expectedVersion": version,
                "membership": {
                    "orgId": world.gid("Org", "kjcx"),
                    "postType": "ACTING",
                    "roles": ["ADMIN"],
                    "startsOn": starts,
                },
            }
        },
        as_="root_admin",
    )
    # then: nothing yet
    roles = (await world.ok(ME, as_="tzcj_clerk"))["me"]["effectiveRoles"]
    assert [r["org"]["name"] for r in roles] == ["投资促进局综合科"]
    # when it is called off before it starts, it ends the day it would have begun
    added = data["addMembership"]["membership"]
    ended = await world.ok(
        END,
        {
            "input": {
                "membershipId": added["id"],
                "expectedVersion": added["version"],
                "endReason": "EXPIRED",
                "reason": "取消代理",
            }
        },
        as_="root_admin",
    )
    assert ended["endMembership"]["membership"] == {"status": "ENDED", "endsOn": starts}
    assert ended["endMembership"]["staff"]["status"] == "ACTIVE"  # the primary post remains


async def test_a_fixed_term_post_grants_nothing_after_its_end(world: World) -> None:
    async with world.db() as s:
        await s.exec(
            update(Membership)
            .where(col(Membership.staff_id) == world.staff["tzcj_admin"])
            .values(ends_on=date(2024, 6, 30))
        )
        # the change is not made through the API, so bump the version as every change does
        await s.exec(
            update(Staff)
            .where(col(Staff.id) == world.staff["tzcj_admin"])
            .values(version=col(Staff.version) + 1)
        )
    body = await world.gql(
        "query M($org: ID!) { orgMembers(orgId: $org) { totalCount } }",
        {"org": world.gid("Org", "tzcj")},
        as_="tzcj_admin",
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_reading_members_costs_the_same_statements_for_any_page_size(
    world: World,
) -> None:
    # given: enough members under the root for pages of different sizes
    org = world.gid("Org", "root")
    token = await world.token("admin")
    await world.ok(MEMBERS, {"org": org, "first": 1}, token=token)  # warm the caches
    counts = {}
    # when
    for size in (1, 8):
        with count_statements(world) as statements:
            data = await world.ok(MEMBERS, {"org": org, "first": size}, token=token)
        assert len(data["orgMembers"]["edges"]) == size
        counts[size] = len(statements)
    # then
    assert counts[1] == counts[8], counts


async def test_the_per_request_check_is_one_statement_with_a_warm_cache(world: World) -> None:
    token = await world.token("tzcj_clerk")
    await world.ok("{ rootOrg { name } }", token=token)
    with count_statements(world) as signed:
        await world.ok("{ rootOrg { name } }", token=token)
    with count_statements(world) as anonymous:
        await world.ok("{ rootOrg { name } }")
    # an anonymous request reads the response cache's public version instead
    anonymous = [s for s in anonymous if "public_version" not in s]
    assert len(signed) == len(anonymous) + 1
    assert "auth_session" in signed[0] and "staff" in signed[0]


def test_demo_credentials_exist_outside_production_only(tmp_path: Path) -> None:
    development = Settings(environment="development", data_dir=tmp_path)
    production = Settings(environment="production", data_dir=tmp_path, secret_key="s" * 40)
    assert development.demo_password_value == "hub-demo-2026"
    assert demo_password_hash(development) is not None
    assert demo_password_hash(production) is None


def test_global_ids_of_identity_types_are_stable() -> None:
    assert to_global_id("Staff", 7) == "U3RhZmY6Nw"
