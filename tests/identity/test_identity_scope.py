"""No cross-org leaks: what each viewer may read and change, by list, by node and by
mutation argument. Every refused attempt answers FORBIDDEN, NOT_FOUND or UNAUTHENTICATED and
carries no staff data."""

from __future__ import annotations

from typing import Any

import pytest

from hub.ids import to_global_id
from tests.identity.conftest import World

ORG_MEMBERS = """
query Members($org: ID!, $filter: MemberFilter) {
  orgMembers(orgId: $org, filter: $filter) {
    totalCount
    edges { node { id position postType staff { loginNo name } org { name } } }
  }
}
"""
STAFF = "query Staff($id: ID!) { staff(id: $id) { loginNo name mobile } }"
NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on Staff { loginNo } ... on Membership { position } }
}
"""
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }"
SUSPEND = """
mutation Suspend($id: ID!, $v: Int!) {
  suspendStaff(input: {staffId: $id, expectedVersion: $v, reason: "test"}) { staff { status } }
}
"""
UPDATE = """
mutation Update($id: ID!, $v: Int!) {
  updateMembership(input: {membershipId: $id, expectedVersion: $v, position: "局长"}) {
    membership { position }
  }
}
"""
END = """
mutation End($id: ID!, $v: Int!) {
  endMembership(input: {membershipId: $id, expectedVersion: $v, endReason: DISMISS,
                        reason: "test"}) { membership { status } }
}
"""
TRANSFER = """
mutation Transfer($id: ID!, $v: Int!, $to: ID!) {
  transferStaff(input: {staffId: $id, expectedVersion: $v, toOrgId: $to, reason: "test"}) {
    staff { version }
  }
}
"""
ADD = """
mutation Add($id: ID!, $v: Int!, $org: ID!) {
  addMembership(input: {staffId: $id, expectedVersion: $v,
                        membership: {orgId: $org, postType: CONCURRENT}}) {
    membership { id }
  }
}
"""
CREATE = """
mutation Create($org: ID!) {
  createStaff(input: {loginNo: "new_one", name: "新人", gender: MALE,
                      membership: {orgId: $org}}) { staff { id } }
}
"""


def refused(body: dict[str, Any], *codes: str) -> str:
    """The error code of a refused operation, after checking that it carried no data."""
    assert "errors" in body, body
    code = str(body["errors"][0]["extensions"]["code"])
    assert code in codes, body
    data = body.get("data")
    assert data is None or all(v is None for v in data.values()), body
    assert "王小雨" not in str(body) and "tzcj_clerk" not in str(body)
    return code


async def membership_of(world: World, login_no: str) -> tuple[str, int]:
    (membership,) = await world.active_memberships(login_no)
    assert membership.id is not None
    return to_global_id("Membership", membership.id), membership.version


async def test_an_admin_lists_members_of_their_subtree(world: World) -> None:
    # when
    data = await world.ok(ORG_MEMBERS, {"org": world.gid("Org", "tzcj")}, as_="tzcj_admin")
    office = await world.ok(ORG_MEMBERS, {"org": world.gid("Org", "tzcj_office")}, as_="tzcj_admin")
    # then
    logins = {e["node"]["staff"]["loginNo"] for e in data["orgMembers"]["edges"]}
    assert logins == {"tzcj_admin", "tzcj_reviewer", "tzcj_boss"}
    assert [e["node"]["staff"]["name"] for e in office["orgMembers"]["edges"]] == ["王小雨"]


async def test_members_filter_by_name_pinyin_and_post_type(world: World) -> None:
    org = world.gid("Org", "tzcj")
    subtree = {"includeSubtree": True}

    async def logins(filter: dict[str, Any]) -> list[str]:
        data = await world.ok(ORG_MEMBERS, {"org": org, "filter": filter}, as_="tzcj_admin")
        return sorted(e["node"]["staff"]["loginNo"] for e in data["orgMembers"]["edges"])

    assert await logins(subtree) == ["tzcj_admin", "tzcj_boss", "tzcj_clerk", "tzcj_reviewer"]
    assert await logins({**subtree, "search": "小雨"}) == ["tzcj_clerk"]
    assert await logins({**subtree, "search": "wang xiao"}) == ["tzcj_clerk"]
    assert await logins({**subtree, "search": "tzcj_boss"}) == ["tzcj_boss"]
    assert await logins({**subtree, "postTypes": ["CONCURRENT"]}) == []
    assert await logins({**subtree, "staffStatus": ["SUSPENDED"]}) == []


async def test_an_admin_of_one_bureau_cannot_read_members_of_another(world: World) -> None:
    clerk = world.gid("Staff", "tzcj_clerk")
    membership, _ = await membership_of(world, "tzcj_clerk")
    # by list
    for org in ("tzcj", "tzcj_office"):
        body = await world.gql(ORG_MEMBERS, {"org": world.gid("Org", org)}, as_="kjcx_admin")
        assert refused(body, "FORBIDDEN") == "FORBIDDEN"
    # by id and by node
    refused(await world.gql(STAFF, {"id": clerk}, as_="kjcx_admin"), "NOT_FOUND")
    refused(await world.gql(NODE, {"id": clerk}, as_="kjcx_admin"), "NOT_FOUND")
    refused(await world.gql(NODE, {"id": membership}, as_="kjcx_admin"), "NOT_FOUND")
    nodes = await world.ok(NODES, {"ids": [clerk, membership]}, as_="kjcx_admin")
    assert nodes["nodes"] == [None, None]


async def test_an_admin_of_one_bureau_cannot_change_members_of_another(world: World) -> None:
    # given
    clerk = world.gid("Staff", "tzcj_clerk")
    version = (await world.staff_row("tzcj_clerk")).version
    membership, m_version = await membership_of(world, "tzcj_clerk")
    before = await world.audit_count()
    attempts = [
        (SUSPEND, {"id": clerk, "v": version}),
        (UPDATE, {"id": membership, "v": m_version}),
        (END, {"id": membership, "v": m_version}),
        (TRANSFER, {"id": clerk, "v": version, "to": world.gid("Org", "kjcx")}),
        (ADD, {"id": clerk, "v": version, "org": world.gid("Org", "kjcx")}),
    ]
    # when / then
    for mutation, variables in attempts:
        refused(await world.gql(mutation, variables, as_="kjcx_admin"), "NOT_FOUND")
    # a person they can see, into an org they do not administer
    kjcx_clerk = world.gid("Staff", "kjcx_clerk")
    kjcx_version = (await world.staff_row("kjcx_clerk")).version
    body = await world.gql(
        ADD,
        {"id": kjcx_clerk, "v": kjcx_version, "org": world.gid("Org", "tzcj")},
        as_="kjcx_admin",
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await world.gql(CREATE, {"org": world.gid("Org", "tzcj")}, as_="kjcx_admin")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # nothing changed
    assert (await world.staff_row("tzcj_clerk")).version == version
    assert await world.audit_count() == before


async def test_plain_staff_see_themselves_and_nobody_else(world: World) -> None:
    me = world.gid("Staff", "tzcj_clerk")
    colleague = world.gid("Staff", "tzcj_admin")
    assert (await world.ok(STAFF, {"id": me}, as_="tzcj_clerk"))["staff"]["loginNo"] == (
        "tzcj_clerk"
    )
    assert (await world.ok(NODE, {"id": me}, as_="tzcj_clerk"))["node"]["loginNo"] == "tzcj_clerk"
    body = await world.gql(STAFF, {"id": colleague}, as_="tzcj_clerk")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await world.gql(ORG_MEMBERS, {"org": world.gid("Org", "tzcj_office")}, as_="tzcj_clerk")
    refused(body, "FORBIDDEN")
    # a reviewer is no admin either
    body = await world.gql(ORG_MEMBERS, {"org": world.gid("Org", "tzcj")}, as_="tzcj_reviewer")
    refused(body, "FORBIDDEN")


async def test_anonymous_viewers_get_no_staff_data(world: World) -> None:
    clerk = world.gid("Staff", "tzcj_clerk")
    membership, _ = await membership_of(world, "tzcj_clerk")
    refused(await world.gql(ORG_MEMBERS, {"org": world.gid("Org", "tzcj")}), "UNAUTHENTICATED")
    refused(await world.gql(STAFF, {"id": clerk}), "NOT_FOUND")
    refused(await world.gql(NODE, {"id": clerk}), "NOT_FOUND")
    refused(await world.gql(NODE, {"id": membership}), "NOT_FOUND")
    version = (await world.staff_row("tzcj_clerk")).version
    refused(await world.gql(SUSPEND, {"id": clerk, "v": version}), "UNAUTHENTICATED")
    audit = await world.gql("{ auditEvents { totalCount } }")
    refused(audit, "UNAUTHENTICATED")


async def test_certificate_numbers_are_nowhere_in_the_schema(world: World) -> None:
    data = await world.ok("{ __schema { types { name fields { name } inputFields { name } } } }")
    names = [
        f"{t['name']}.{f['name']}"
        for t in data["__schema"]["types"]
        for f in (t["fields"] or []) + (t["inputFields"] or [])
    ]
    assert not [n for n in names if "cert" in n.lower() or "password_hash" in n.lower()]


@pytest.mark.parametrize("login", ["root_admin", "admin"])
async def test_admins_above_see_the_whole_subtree(world: World, login: str) -> None:
    clerk = world.gid("Staff", "tzcj_clerk")
    data = await world.ok(STAFF, {"id": clerk}, as_=login)
    assert data["staff"]["loginNo"] == "tzcj_clerk"
