"""Membership mutations: each one atomic, version-guarded, audited exactly once, and
refused with a clear, typed error that leaves nothing changed."""

from __future__ import annotations

from typing import Any

from hub.ids import to_global_id
from tests.identity.conftest import World, change_events

CREATE = """
mutation Create($input: CreateStaffInput!) {
  createStaff(input: $input) {
    staff { id loginNo name namePinyin status version }
    membership { id postType position roles org { name } }
  }
}
"""
ADD = """
mutation Add($input: AddMembershipInput!) {
  addMembership(input: $input) {
    membership { id postType roles startsOn org { name } }
    staff { version }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateMembershipInput!) {
  updateMembership(input: $input) {
    membership { id position rank roles endsOn version }
    staff { version }
  }
}
"""
SUSPEND = """
mutation Suspend($input: StaffStatusInput!) {
  suspendStaff(input: $input) { staff { status version } sessionsEnded }
}
"""
REINSTATE = """
mutation Reinstate($input: StaffStatusInput!) {
  reinstateStaff(input: $input) { staff { status version } }
}
"""
ME = "query { me { staff { loginNo } effectiveRoles { org { name } roles postType } } }"
AUDIT = """
query Audit($org: ID) {
  auditEvents(orgId: $org) {
    totalCount
    edges { node { action actorName actor { loginNo } targetType targetId org { name }
                   before after reason at requestId } }
  }
}
"""


def error_code(body: dict[str, Any]) -> str:
    assert "errors" in body, body
    return str(body["errors"][0]["extensions"]["code"])


async def membership(world: World, login_no: str) -> tuple[str, int]:
    (m,) = await world.active_memberships(login_no)
    assert m.id is not None
    return to_global_id("Membership", m.id), m.version


async def test_create_staff_creates_a_person_who_can_sign_in(world: World) -> None:
    # given
    before = await world.audit_count()
    new = {
        "loginNo": "tzcj_new",
        "name": "吴晓峰",
        "gender": "MALE",
        "mobile": "13800000000",
        "initialPassword": "first-password-1",
        "membership": {
            "orgId": world.gid("Org", "tzcj_office"),
            "position": "科员",
            "rank": "一级科员",
        },
    }
    # when
    data = await world.ok(CREATE, {"input": new}, as_="tzcj_admin")
    # then
    created = data["createStaff"]
    assert created["staff"]["namePinyin"] == "wuxiaofeng"
    assert created["staff"]["status"] == "ACTIVE"
    assert created["membership"]["postType"] == "PRIMARY"
    assert created["membership"]["org"]["name"] == "投资促进局综合科"
    assert await world.audit_count() == before + 1
    assert "errors" not in await world.login("tzcj_new", "first-password-1")
    # the same login number again is a conflict, and changes nothing
    again = await world.gql(CREATE, {"input": new}, as_="tzcj_admin")
    assert error_code(again) == "CONFLICT"
    assert await world.audit_count() == before + 1


async def test_create_staff_validates_its_input(world: World) -> None:
    base = {
        "loginNo": "ok_login",
        "name": "吴晓峰",
        "gender": "MALE",
        "membership": {"orgId": world.gid("Org", "tzcj_office")},
    }
    bad = [
        {"loginNo": "has space"},
        {"name": "   "},
        {"mobile": "12345"},
        {"email": "not-an-email"},
        {"initialPassword": "short"},
        {
            "membership": {
                "orgId": world.gid("Org", "tzcj"),
                "startsOn": "2025-02-01",
                "endsOn": "2025-01-01",
            }
        },
    ]
    for change in bad:
        body = await world.gql(CREATE, {"input": {**base, **change}}, as_="tzcj_admin")
        assert error_code(body) == "BAD_USER_INPUT", change
        assert body["errors"][0]["message"]
    assert await world.audit_count() == 0


async def test_add_membership_grants_a_concurrent_post(world: World) -> None:
    # given: the 管委会 admin can see the clerk and administers both bureaus
    clerk = await world.staff_row("tzcj_clerk")
    request = {
        "staffId": world.gid("Staff", "tzcj_clerk"),
        "expectedVersion": clerk.version,
        "membership": {
            "orgId": world.gid("Org", "kjcx"),
            "postType": "CONCURRENT",
            "position": "兼职联络员",
        },
        "reason": "项目联络",
    }
    # when
    data = await world.ok(ADD, {"input": request}, as_="root_admin")
    # then
    assert data["addMembership"]["membership"]["postType"] == "CONCURRENT"
    assert data["addMembership"]["staff"]["version"] == clerk.version + 1
    me = await world.ok(ME, as_="tzcj_clerk")
    assert sorted(r["org"]["name"] for r in me["me"]["effectiveRoles"]) == [
        "投资促进局综合科",
        "科教创新区",
    ]
    # the same request again carries a stale version
    stale = await world.gql(ADD, {"input": request}, as_="root_admin")
    assert error_code(stale) == "CONFLICT"
    assert stale["errors"][0]["extensions"]["currentVersion"] == clerk.version + 1
    # a second primary post is refused with a pointer to transferStaff
    request = {
        **request,
        "expectedVersion": clerk.version + 1,
        "membership": {"orgId": world.gid("Org", "kjcx_office")},
    }
    body = await world.gql(ADD, {"input": request}, as_="root_admin")
    assert error_code(body) == "BAD_USER_INPUT"
    assert "transferStaff" in body["errors"][0]["message"]
    assert await world.audit_count() == 1


async def test_nobody_grants_a_role_they_do_not_hold(world: World) -> None:
    # given
    m_id, version = await membership(world, "tzcj_clerk")
    grant_reviewer = {"membershipId": m_id, "expectedVersion": version, "roles": ["REVIEWER"]}
    # when: an admin without the reviewer role tries to grant it
    body = await world.gql(UPDATE, {"input": grant_reviewer}, as_="tzcj_admin")
    # then
    assert error_code(body) == "FORBIDDEN"
    assert "reviewer" in body["errors"][0]["message"]
    # an admin who is also a reviewer may
    data = await world.ok(UPDATE, {"input": grant_reviewer}, as_="tzcj_boss")
    assert data["updateMembership"]["membership"]["roles"] == ["REVIEWER"]
    assert data["updateMembership"]["membership"]["version"] == version + 1
    me = await world.ok(ME, as_="tzcj_clerk")
    assert me["me"]["effectiveRoles"][0]["roles"] == ["REVIEWER"]
    assert await world.audit_count() == 1


async def test_update_membership_is_guarded_by_the_membership_version(world: World) -> None:
    m_id, version = await membership(world, "tzcj_clerk")
    first = {
        "membershipId": m_id,
        "expectedVersion": version,
        "position": "副科长",
        "endsOn": "2099-12-31",
    }
    data = await world.ok(UPDATE, {"input": first}, as_="tzcj_admin")
    assert data["updateMembership"]["membership"]["position"] == "副科长"
    assert data["updateMembership"]["membership"]["endsOn"] == "2099-12-31"
    stale = await world.gql(UPDATE, {"input": {**first, "position": "科长"}}, as_="tzcj_admin")
    assert error_code(stale) == "CONFLICT"
    cleared = await world.ok(
        UPDATE,
        {"input": {"membershipId": m_id, "expectedVersion": version + 1, "endsOn": None}},
        as_="tzcj_admin",
    )
    assert cleared["updateMembership"]["membership"]["endsOn"] is None
    assert cleared["updateMembership"]["membership"]["position"] == "副科长"
    nothing = await world.gql(
        UPDATE, {"input": {"membershipId": m_id, "expectedVersion": version + 2}}, as_="tzcj_admin"
    )
    assert error_code(nothing) == "BAD_USER_INPUT"
    assert await world.audit_count() == 2


async def test_nobody_edits_their_own_membership_or_status(world: World) -> None:
    for login in ("tzcj_admin", "admin"):
        m_id, version = await membership(world, login)
        body = await world.gql(
            UPDATE,
            {
                "input": {
                    "membershipId": m_id,
                    "expectedVersion": version,
                    "roles": ["ADMIN", "REVIEWER"],
                }
            },
            as_=login,
        )
        assert error_code(body) == "FORBIDDEN"
        staff = await world.staff_row(login)
        body = await world.gql(
            SUSPEND,
            {
                "input": {
                    "staffId": world.gid("Staff", login),
                    "expectedVersion": staff.version,
                    "reason": "self",
                }
            },
            as_=login,
        )
        assert error_code(body) == "FORBIDDEN"
    assert await world.audit_count() == 0


async def test_suspension_takes_effect_on_the_next_request_and_reinstatement_undoes_it(
    world: World,
) -> None:
    # given: the clerk is signed in
    clerk_token = await world.token("tzcj_clerk")
    assert (await world.ok(ME, token=clerk_token))["me"]["staff"]["loginNo"] == "tzcj_clerk"
    version = (await world.staff_row("tzcj_clerk")).version
    request = {
        "staffId": world.gid("Staff", "tzcj_clerk"),
        "expectedVersion": version,
        "reason": "违纪调查",
    }
    # when
    data = await world.ok(SUSPEND, {"input": request}, as_="tzcj_admin")
    # then
    assert data["suspendStaff"]["staff"]["status"] == "SUSPENDED"
    assert data["suspendStaff"]["sessionsEnded"] == 1
    assert error_code(await world.gql(ME, token=clerk_token)) == "UNAUTHENTICATED"
    assert error_code(await world.login("tzcj_clerk")) == "UNAUTHENTICATED"
    # suspending twice is refused (stale version, then wrong status)
    assert error_code(await world.gql(SUSPEND, {"input": request}, as_="tzcj_admin")) == "CONFLICT"
    # when
    reinstate = {**request, "expectedVersion": version + 1, "reason": "调查结束"}
    data = await world.ok(REINSTATE, {"input": reinstate}, as_="tzcj_admin")
    # then
    assert data["reinstateStaff"]["staff"]["status"] == "ACTIVE"
    assert error_code(await world.gql(ME, token=clerk_token)) == "UNAUTHENTICATED"  # stays ended
    assert "errors" not in await world.login("tzcj_clerk")
    assert await world.audit_count() == 2


async def test_audit_events_record_who_did_what_within_the_admins_subtree(
    world: World,
) -> None:
    # given: one change in each bureau, the first with a known request id
    version = (await world.staff_row("tzcj_clerk")).version
    await world.ok(
        SUSPEND,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_clerk"),
                "expectedVersion": version,
                "reason": "违纪调查",
            }
        },
        as_="tzcj_admin",
        headers={"X-Request-ID": "req-suspend-1"},
    )
    version = (await world.staff_row("kjcx_clerk")).version
    await world.ok(
        SUSPEND,
        {
            "input": {
                "staffId": world.gid("Staff", "kjcx_clerk"),
                "expectedVersion": version,
                "reason": "长期病假",
            }
        },
        as_="kjcx_admin",
    )
    # when
    tzcj = await world.ok(AUDIT, as_="tzcj_admin")
    kjcx = await world.ok(AUDIT, as_="kjcx_admin")
    everything = await world.ok(AUDIT, as_="admin")
    # then
    (event,) = change_events(tzcj)
    assert event["action"] == "staff.suspend"
    assert event["actor"]["loginNo"] == "tzcj_admin"
    assert event["actorName"] == "李文博"
    assert event["targetType"] == "staff"
    assert event["targetId"] == world.gid("Staff", "tzcj_clerk")
    assert event["org"]["name"] == "投资促进局综合科"
    assert event["before"]["status"] == "active"
    assert event["after"]["status"] == "suspended"
    assert event["reason"] == "违纪调查"
    # the client's own X-Request-ID is not believed (no trusted proxy): hub made the id
    assert event["requestId"] != "req-suspend-1"
    assert len(event["requestId"]) == 32
    assert "cert" not in str(event) and "110101" not in str(event)
    assert [e["reason"] for e in change_events(kjcx)] == ["长期病假"]
    assert len(change_events(everything)) == 2
    # an admin cannot point the query at another bureau, and plain staff read nothing
    body = await world.gql(AUDIT, {"org": world.gid("Org", "kjcx")}, as_="tzcj_admin")
    assert error_code(body) == "FORBIDDEN"
    body = await world.gql(AUDIT, as_="tzcj_reviewer")
    assert error_code(body) == "FORBIDDEN"
