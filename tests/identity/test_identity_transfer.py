"""Transfers and departures take effect on the very next request, on SQLite and PostgreSQL,
and concurrent transfers of one person leave exactly one active primary membership."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.ids import to_global_id
from tests.identity.conftest import World, change_events

ME = """
query { me { staff { loginNo memberships(includeEnded: true) { status endReason org { name } } }
             effectiveRoles { org { name } roles } } }
"""
ORG_MEMBERS = "query M($org: ID!) { orgMembers(orgId: $org) { totalCount } }"
STAFF = "query S($id: ID!) { staff(id: $id) { loginNo } }"
TRANSFER = """
mutation Transfer($input: TransferStaffInput!) {
  transferStaff(input: $input) {
    staff { version }
    endedMembership { status endReason endsOn org { name } }
    membership { status postType roles startsOn org { name } }
  }
}
"""
END = """
mutation End($input: EndMembershipInput!) {
  endMembership(input: $input) { staff { status } sessionsEnded membership { status endReason } }
}
"""
REFRESH = """
mutation Refresh($token: String!) { refreshToken(input: {refreshToken: $token}) { accessToken } }
"""
AUDIT = "query A { auditEvents { edges { node { action targetId reason } } } }"


def code(body: dict[str, Any]) -> str:
    assert "errors" in body, body
    return str(body["errors"][0]["extensions"]["code"])


async def test_a_transferred_admin_loses_the_old_departments_rights_at_once(
    db_world: World,
) -> None:
    world = db_world
    # given: the admin of 投资促进局 is signed in and administers it
    token = await world.token("tzcj_admin")
    tzcj, kjcx = world.gid("Org", "tzcj"), world.gid("Org", "kjcx")
    clerk = world.gid("Staff", "tzcj_clerk")
    assert (await world.ok(ORG_MEMBERS, {"org": tzcj}, token=token))["orgMembers"]["totalCount"]
    assert (await world.ok(STAFF, {"id": clerk}, token=token))["staff"]["loginNo"]
    version = (await world.staff_row("tzcj_admin")).version
    # when: the 管委会 admin transfers them to 科教创新区, without roles there
    data = await world.ok(
        TRANSFER,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_admin"),
                "expectedVersion": version,
                "toOrgId": kjcx,
                "position": "科员",
                "reason": "干部交流",
            }
        },
        as_="root_admin",
    )
    # then: both sides of the move, in one change
    moved = data["transferStaff"]
    assert moved["endedMembership"] == {
        "status": "ENDED",
        "endReason": "TRANSFER",
        "endsOn": moved["membership"]["startsOn"],
        "org": {"name": "投资促进局"},
    }
    assert moved["membership"]["org"] == {"name": "科教创新区"}
    assert moved["membership"]["roles"] == []
    # and the very same access token, on the next request:
    assert code(await world.gql(ORG_MEMBERS, {"org": tzcj}, token=token)) == "FORBIDDEN"
    assert code(await world.gql(STAFF, {"id": clerk}, token=token)) == "NOT_FOUND"
    assert code(await world.gql(ORG_MEMBERS, {"org": kjcx}, token=token)) == "FORBIDDEN"
    me = await world.ok(ME, token=token)
    assert me["me"]["effectiveRoles"] == [{"org": {"name": "科教创新区"}, "roles": []}]
    # exactly one active primary membership, and exactly one audit event
    active = await world.active_memberships("tzcj_admin")
    assert [(m.org_id, m.post_type) for m in active] == [(world.orgs["kjcx"], "primary")]
    events = await world.audit_events()
    assert [(e.action, e.reason) for e in events] == [("membership.transfer", "干部交流")]
    # both departments' admins see the move in their audit trail
    for admin in ("tzcj_boss", "kjcx_admin"):
        trail = await world.ok(AUDIT, as_=admin)
        assert [e["action"] for e in change_events(trail)] == ["membership.transfer"]


async def test_a_transfer_needs_authority_over_both_orgs(world: World) -> None:
    version = (await world.staff_row("tzcj_clerk")).version
    request = {
        "staffId": world.gid("Staff", "tzcj_clerk"),
        "expectedVersion": version,
        "toOrgId": world.gid("Org", "kjcx"),
        "reason": "调动",
    }
    # the old department's admin alone cannot move someone into another bureau
    body = await world.gql(TRANSFER, {"input": request}, as_="tzcj_admin")
    assert code(body) == "FORBIDDEN"
    # within their own subtree they can
    inside = {**request, "toOrgId": world.gid("Org", "tzcj")}
    data = await world.ok(TRANSFER, {"input": inside}, as_="tzcj_admin")
    assert data["transferStaff"]["membership"]["org"]["name"] == "投资促进局"
    # bad input changes nothing
    future = {**request, "expectedVersion": version + 1, "effectiveOn": "2999-01-01"}
    assert code(await world.gql(TRANSFER, {"input": future}, as_="root_admin")) == (
        "BAD_USER_INPUT"
    )
    no_reason = {**request, "expectedVersion": version + 1, "reason": " "}
    assert code(await world.gql(TRANSFER, {"input": no_reason}, as_="root_admin")) == (
        "BAD_USER_INPUT"
    )
    assert len(await world.audit_events()) == 1


async def test_a_departed_staff_members_tokens_stop_working_at_once(db_world: World) -> None:
    world = db_world
    # given: the clerk is signed in with an access and a refresh token
    tokens = (await world.login("tzcj_clerk"))["data"]["login"]
    assert (await world.ok(ME, token=tokens["accessToken"]))["me"]["staff"]
    (membership,) = await world.active_memberships("tzcj_clerk")
    assert membership.id is not None
    # when: their only membership ends
    data = await world.ok(
        END,
        {
            "input": {
                "membershipId": to_global_id("Membership", membership.id),
                "expectedVersion": membership.version,
                "endReason": "RESIGN",
                "reason": "个人原因辞职",
            }
        },
        as_="tzcj_admin",
    )
    # then
    assert data["endMembership"]["staff"]["status"] == "DEPARTED"
    assert data["endMembership"]["sessionsEnded"] == 1
    assert code(await world.gql(ME, token=tokens["accessToken"])) == "UNAUTHENTICATED"
    assert code(await world.gql(REFRESH, {"token": tokens["refreshToken"]})) == "UNAUTHENTICATED"
    assert code(await world.login("tzcj_clerk")) == "UNAUTHENTICATED"
    assert [e.action for e in await world.audit_events()] == ["membership.end"]
    # and the admin can no longer see them (no active membership in their subtree)
    body = await world.gql(STAFF, {"id": world.gid("Staff", "tzcj_clerk")}, as_="tzcj_admin")
    assert code(body) == "NOT_FOUND"


async def test_twenty_concurrent_transfers_leave_one_active_primary(db_world: World) -> None:
    world = db_world
    # given
    token = await world.token("root_admin")
    version = (await world.staff_row("tzcj_clerk")).version
    targets = ["kjcx", "kjcx_office", "tzcj", "root"]

    def request(i: int) -> dict[str, Any]:
        return {
            "input": {
                "staffId": world.gid("Staff", "tzcj_clerk"),
                "expectedVersion": version,
                "toOrgId": world.gid("Org", targets[i % len(targets)]),
                "reason": f"并发调动 {i}",
            }
        }

    # when
    bodies = await asyncio.gather(
        *(world.gql(TRANSFER, request(i), token=token) for i in range(20))
    )
    # then: one wins, every other answers CONFLICT (never a 500)
    winners = [b for b in bodies if "errors" not in b]
    losers = [code(b) for b in bodies if "errors" in b]
    assert len(winners) == 1
    assert losers == ["CONFLICT"] * 19
    active = await world.active_memberships("tzcj_clerk")
    assert len([m for m in active if m.post_type == "primary"]) == 1
    assert len(await world.audit_events()) == 1
    assert (await world.staff_row("tzcj_clerk")).version == version + 1


async def test_concurrent_transfers_with_fresh_versions_all_serialise(db_world: World) -> None:
    """Clients that re-read and retry after CONFLICT all get through, one at a time."""
    world = db_world
    token = await world.token("root_admin")
    staff_id = world.gid("Staff", "tzcj_clerk")
    orgs = ["kjcx", "tzcj", "kjcx_office", "tzcj_office", "root"]

    async def transfer_with_retry(org: str) -> int:
        for attempt in range(50):
            version = (await world.staff_row("tzcj_clerk")).version
            body = await world.gql(
                TRANSFER,
                {
                    "input": {
                        "staffId": staff_id,
                        "expectedVersion": version,
                        "toOrgId": world.gid("Org", org),
                        "reason": "retry",
                    }
                },
                token=token,
            )
            if "errors" not in body:
                return attempt
            assert code(body) in ("CONFLICT", "BAD_USER_INPUT"), body
            if code(body) == "BAD_USER_INPUT":  # already in that org: move on
                return attempt
            await asyncio.sleep(0.01 * attempt)
        raise AssertionError("never got through")

    await asyncio.gather(*(transfer_with_retry(org) for org in orgs))
    active = await world.active_memberships("tzcj_clerk")
    assert len([m for m in active if m.post_type == "primary"]) == 1
    events = await world.audit_events()
    version = (await world.staff_row("tzcj_clerk")).version
    assert len(events) == version - 1  # one event per change, and one change per version


async def test_a_transfer_keeps_position_and_rank_unless_given(world: World) -> None:
    async def move(login_no: str, to: str, **extra: str) -> dict:
        version = (await world.staff_row(login_no)).version
        query = (
            "mutation T($input: TransferStaffInput!) { transferStaff(input: $input) "
            "{ membership { position rank } endedMembership { position rank } } }"
        )
        given = {
            "staffId": world.gid("Staff", login_no),
            "expectedVersion": version,
            "toOrgId": world.gid("Org", to),
            "reason": "工作需要",
            **extra,
        }
        return (await world.ok(query, {"input": given}, as_="root_admin"))["transferStaff"]

    kept = await move("tzcj_clerk", "kjcx")  # neither given: the post left's
    assert kept["membership"] == kept["endedMembership"] == {"position": "科员", "rank": "一级科员"}
    told = await move("kjcx_clerk", "tzcj", position="副科长", rank="")  # both given
    assert told["membership"] == {"position": "副科长", "rank": ""}
