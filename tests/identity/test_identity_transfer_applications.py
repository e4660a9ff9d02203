"""Online transfer applications (在线提出申请): applied for by the person or their admin,
decided by an admin over the org applied to (approval makes the transfer), withdrawn by
whoever applied or the person; one pending per person."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.ids import to_global_id
from tests.identity.conftest import World

APPLICATION = """
  id status statusLabel version position rank reason decisionNote decidedAt staffName
  staff { loginNo } appliedBy { loginNo } decidedBy { loginNo }
  fromOrg { name } toOrg { name } fromMembership { org { name } }
"""
APPLY = f"""
mutation Apply($input: ApplyForTransferInput!) {{
  applyForTransfer(input: $input) {{ application {{ {APPLICATION} }} membership {{ id }} }}
}}
"""
DECIDE = f"""
mutation Decide($input: DecideTransferApplicationInput!) {{
  decideTransferApplication(input: $input) {{
    application {{ {APPLICATION} }}
    membership {{ postType position rank status org {{ name }} }}
  }}
}}
"""
WITHDRAW = f"""
mutation Withdraw($input: WithdrawTransferApplicationInput!) {{
  withdrawTransferApplication(input: $input) {{ application {{ {APPLICATION} }} }}
}}
"""
LIST = """
query L($status: TransferStatus) {
  transferApplications(status: $status, first: 10) {
    totalCount edges { node { id status staffName staff { loginNo } } }
  }
}
"""
NODE = "query N($id: ID!) { node(id: $id) { id ... on TransferApplication { status } } }"
ME = "query { me { effectiveRoles { org { name } } } }"
AUDIT = """
query A($actions: [String!]) {
  auditEvents(filter: {actions: $actions}) { edges { node { action actor { loginNo } targetId } } }
}
"""
ACTIONS = [f"transfer_application.{a}" for a in ("apply", "approve", "reject", "withdraw")]


def code(body: dict[str, Any]) -> str:
    assert "errors" in body, body
    return str(body["errors"][0]["extensions"]["code"])


async def apply(world: World, login_no: str, to: str, as_: str, **more: Any) -> dict[str, Any]:
    request = {"staffId": world.gid("Staff", login_no), "toOrgId": world.gid("Org", to)}
    request.update({"reason": "家庭原因，申请调往科教创新区", **more})
    return await world.gql(APPLY, {"input": request}, as_=as_)


async def applied(world: World, login_no: str, to: str, as_: str) -> dict[str, Any]:
    body = await apply(world, login_no, to, as_)
    assert "errors" not in body, body
    application: dict[str, Any] = body["data"]["applyForTransfer"]["application"]
    return application


def decision(app: dict[str, Any], approve: bool, **more: Any) -> dict[str, Any]:
    request = {"applicationId": app["id"], "expectedVersion": app["version"], "approve": approve}
    return {"input": {**request, **more}}


def withdrawal(app: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"input": {"applicationId": app["id"], "expectedVersion": app["version"], **more}}


async def trail(world: World) -> list[tuple[str, str]]:
    return [
        (e.action, str(e.actor_id))
        for e in await world.audit_events()
        if e.action.startswith("transfer_application.")
    ]


async def test_an_approved_application_moves_the_person(db_world: World) -> None:
    world = db_world
    # when: the clerk applies themself to move to 科教创新区办公室
    app = await applied(world, "tzcj_clerk", "kjcx_office", as_="tzcj_clerk")
    # then
    assert app["status"] == "PENDING" and app["statusLabel"] == "待审批"
    assert app["staffName"] == "王小雨" and app["appliedBy"] == {"loginNo": "tzcj_clerk"}
    assert app["fromOrg"] == {"name": "投资促进局综合科"}
    assert app["toOrg"] == {"name": "科教创新区办公室"}
    # seen by the person, both sides' admins; not by a clerk elsewhere
    for login_no, total in (("tzcj_clerk", 1), ("tzcj_admin", 1), ("kjcx_admin", 1)):
        seen = await world.ok(LIST, as_=login_no)
        assert seen["transferApplications"]["totalCount"] == total, login_no
    assert (await world.ok(LIST, as_="kjcx_clerk"))["transferApplications"]["totalCount"] == 0
    assert code(await world.gql(NODE, {"id": app["id"]}, as_="kjcx_clerk")) == "NOT_FOUND"
    node = await world.ok(NODE, {"id": app["id"]}, as_="kjcx_admin")
    assert node["node"] == {"id": app["id"], "status": "PENDING"}
    # the receiving admin sees who it is, not their staff record (not theirs yet)
    (edge,) = (await world.ok(LIST, as_="kjcx_admin"))["transferApplications"]["edges"]
    assert edge["node"]["staffName"] == "王小雨" and edge["node"]["staff"] is None
    # the old org's admin may not decide for the receiving org; a stale version is CONFLICT
    assert code(await world.gql(DECIDE, decision(app, True), as_="tzcj_admin")) == "FORBIDDEN"
    stale = decision(app, True, expectedVersion=app["version"] + 1)
    assert code(await world.gql(DECIDE, stale, as_="kjcx_admin")) == "CONFLICT"
    # when: the receiving org's admin approves
    data = await world.ok(DECIDE, decision(app, True, note="同意"), as_="kjcx_admin")
    # then: approved, and the person moved, in the same change
    decided = data["decideTransferApplication"]
    assert decided["application"]["status"] == "APPROVED"
    assert decided["application"]["decidedBy"] == {"loginNo": "kjcx_admin"}
    assert decided["application"]["version"] == app["version"] + 1
    assert decided["membership"] == {  # the application named no 职务 or 职级: kept
        "postType": "PRIMARY",
        "position": "科员",
        "rank": "一级科员",
        "status": "ACTIVE",
        "org": {"name": "科教创新区办公室"},
    }
    active = await world.active_memberships("tzcj_clerk")
    assert [(m.org_id, m.post_type) for m in active] == [(world.orgs["kjcx_office"], "primary")]
    me = await world.ok(ME, as_="tzcj_clerk")
    assert me["me"]["effectiveRoles"] == [{"org": {"name": "科教创新区办公室"}}]
    # decided once only
    again = decision(decided["application"], True)
    assert code(await world.gql(DECIDE, again, as_="kjcx_admin")) == "BAD_USER_INPUT"
    ids = world.staff
    assert await trail(world) == [
        ("transfer_application.apply", str(ids["tzcj_clerk"])),
        ("transfer_application.approve", str(ids["kjcx_admin"])),
    ]
    # both sides' admins find both events in their trail
    for admin in ("tzcj_boss", "kjcx_admin"):
        events = await world.ok(AUDIT, {"actions": ACTIONS}, as_=admin)
        assert [e["node"]["action"] for e in events["auditEvents"]["edges"]] == [
            "transfer_application.approve",
            "transfer_application.apply",
        ]
        assert events["auditEvents"]["edges"][0]["node"]["targetId"] == app["id"]


async def test_an_admin_applies_and_an_unrelated_admin_is_refused(world: World) -> None:
    # given: 投资促进局's admin applies for the clerk to move within the bureau
    app = await applied(world, "tzcj_clerk", "tzcj", as_="tzcj_admin")
    assert app["appliedBy"] == {"loginNo": "tzcj_admin"}
    # the admin of an unrelated bureau: the id names nothing, the list holds nothing
    assert code(await world.gql(DECIDE, decision(app, True), as_="kjcx_admin")) == "NOT_FOUND"
    assert code(await world.gql(WITHDRAW, withdrawal(app), as_="kjcx_admin")) == "NOT_FOUND"
    assert (await world.ok(LIST, as_="kjcx_admin"))["transferApplications"]["totalCount"] == 0
    # the person may not decide their own move
    assert code(await world.gql(DECIDE, decision(app, True), as_="tzcj_clerk")) == "FORBIDDEN"
    # a rejection gives its reason
    no_reason = decision(app, False)
    assert code(await world.gql(DECIDE, no_reason, as_="tzcj_boss")) == "BAD_USER_INPUT"
    too_long = decision(app, False, note="长" * 501)
    assert code(await world.gql(DECIDE, too_long, as_="tzcj_boss")) == "BAD_USER_INPUT"
    # when
    data = await world.ok(DECIDE, decision(app, False, note="编制已满"), as_="tzcj_boss")
    # then: rejected, nobody moved, and another application may follow
    rejected = data["decideTransferApplication"]
    assert rejected["application"]["status"] == "REJECTED"
    assert rejected["application"]["decisionNote"] == "编制已满"
    assert rejected["membership"] is None
    active = await world.active_memberships("tzcj_clerk")
    assert [m.org_id for m in active] == [world.orgs["tzcj_office"]]
    assert (await world.staff_row("tzcj_clerk")).version == 1
    pending = await world.ok(LIST, {"status": "PENDING"}, as_="tzcj_admin")
    assert pending["transferApplications"]["totalCount"] == 0
    await applied(world, "tzcj_clerk", "kjcx", as_="tzcj_clerk")
    assert [action for action, _ in await trail(world)] == [
        "transfer_application.apply",
        "transfer_application.reject",
        "transfer_application.apply",
    ]


async def test_withdrawal_and_one_pending_application_per_person(db_world: World) -> None:
    world = db_world
    app = await applied(world, "tzcj_clerk", "kjcx_office", as_="tzcj_clerk")
    # a second one, by the person or their admin, is refused with the pending one's id
    for applicant in ("tzcj_clerk", "tzcj_admin"):
        body = await apply(world, "tzcj_clerk", "kjcx", as_=applicant)
        assert code(body) == "CONFLICT"
        extensions = body["errors"][0]["extensions"]
        assert extensions["reason"] == "PENDING_APPLICATION"
        assert extensions["applicationId"] == app["id"]
    # only whoever applied, or the person, withdraws
    for admin in ("kjcx_admin", "tzcj_admin"):
        assert code(await world.gql(WITHDRAW, withdrawal(app), as_=admin)) == "FORBIDDEN"
    stale = withdrawal(app, expectedVersion=app["version"] + 1)
    assert code(await world.gql(WITHDRAW, stale, as_="tzcj_clerk")) == "CONFLICT"
    data = await world.ok(WITHDRAW, withdrawal(app), as_="tzcj_clerk")
    withdrawn = data["withdrawTransferApplication"]["application"]
    assert withdrawn["status"] == "WITHDRAWN"
    assert withdrawn["decidedBy"] == {"loginNo": "tzcj_clerk"}
    late = decision(withdrawn, True)
    assert code(await world.gql(DECIDE, late, as_="kjcx_admin")) == "BAD_USER_INPUT"
    # the place is free again: the admin applies, and withdraws their own application
    second = await applied(world, "tzcj_clerk", "kjcx", as_="tzcj_admin")
    assert "errors" not in await world.gql(WITHDRAW, withdrawal(second), as_="tzcj_admin")
    assert [action for action, _ in await trail(world)] == [
        "transfer_application.apply",
        "transfer_application.withdraw",
        "transfer_application.apply",
        "transfer_application.withdraw",
    ]


async def test_concurrent_applications_leave_one_pending(db_world: World) -> None:
    world = db_world
    token = await world.token("tzcj_clerk")
    targets = ["kjcx", "kjcx_office", "tzcj", "root"]

    async def one(i: int) -> dict[str, Any]:
        request = {
            "staffId": world.gid("Staff", "tzcj_clerk"),
            "toOrgId": world.gid("Org", targets[i % len(targets)]),
            "reason": f"并发申请 {i}",
        }
        return await world.gql(APPLY, {"input": request}, token=token)

    bodies = await asyncio.gather(*(one(i) for i in range(12)))
    winners = [b for b in bodies if "errors" not in b]
    losers = [b["errors"][0]["extensions"] for b in bodies if "errors" in b]
    assert len(winners) == 1
    assert [(e["code"], e["reason"]) for e in losers] == [("CONFLICT", "PENDING_APPLICATION")] * 11
    assert len(await trail(world)) == 1


async def test_applications_are_bounded_and_guarded(world: World) -> None:
    bad = [
        ({"reason": " "}, "BAD_USER_INPUT"),
        ({"reason": "长" * 501}, "BAD_USER_INPUT"),
        ({"position": "长" * 51}, "BAD_USER_INPUT"),
        ({"rank": "长" * 51}, "BAD_USER_INPUT"),
        ({"toOrgId": to_global_id("Org", 999)}, "NOT_FOUND"),
        ({"toOrgId": world.gid("Org", "tzcj_office")}, "BAD_USER_INPUT"),  # already there
    ]
    for change, expected in bad:
        assert code(await apply(world, "tzcj_clerk", "kjcx", "tzcj_clerk", **change)) == expected
    # someone else's move: only an admin over their primary org (others do not see them)
    assert code(await apply(world, "tzcj_clerk", "kjcx", "kjcx_clerk")) == "NOT_FOUND"
    assert code(await apply(world, "tzcj_clerk", "kjcx", "kjcx_admin")) == "NOT_FOUND"
    # anonymous callers are refused everything
    app_id = to_global_id("TransferApplication", 1)
    staff = world.gid("Staff", "tzcj_clerk")
    anonymous = [
        (LIST, None),
        (APPLY, {"input": {"staffId": staff, "toOrgId": world.gid("Org", "kjcx"), "reason": "z"}}),
        (DECIDE, decision({"id": app_id, "version": 1}, True)),
        (WITHDRAW, withdrawal({"id": app_id, "version": 1})),
    ]
    for query, variables in anonymous:
        assert code(await world.gql(query, variables)) == "UNAUTHENTICATED"
    assert await trail(world) == []


async def test_an_application_whose_post_changed_meanwhile_cannot_be_approved(
    world: World,
) -> None:
    app = await applied(world, "tzcj_clerk", "kjcx_office", as_="tzcj_clerk")
    # meanwhile an admin over both transfers the clerk elsewhere
    move = {
        "staffId": world.gid("Staff", "tzcj_clerk"),
        "expectedVersion": (await world.staff_row("tzcj_clerk")).version,
        "toOrgId": world.gid("Org", "tzcj"),
        "reason": "工作需要",
    }
    transfer = (
        "mutation T($input: TransferStaffInput!) { transferStaff(input: $input) { staff { id } } }"
    )
    await world.ok(transfer, {"input": move}, as_="root_admin")
    body = await world.gql(DECIDE, decision(app, True), as_="kjcx_admin")
    assert code(body) == "BAD_USER_INPUT"
    assert "primary post changed" in body["errors"][0]["message"]
    active = await world.active_memberships("tzcj_clerk")
    assert [m.org_id for m in active] == [world.orgs["tzcj"]]


TRAIL = """
query T($actions: [String!]) {
  auditEvents(filter: {actions: $actions}) {
    edges { node { action before after org { name } orgs { code name } } }
  }
}
"""


TRANSFER_STAFF = """
mutation Transfer($id: ID!, $v: Int!, $to: ID!) {
  transferStaff(input: {staffId: $id, expectedVersion: $v, toOrgId: $to, reason: "调动"}) {
    staff { version }
  }
}
"""


async def test_a_transfer_reads_in_the_apis_terms(world: World) -> None:
    """The trail of a transfer names both orgs, by global id and code, never by row id or
    path."""
    clerk = world.staff["tzcj_clerk"]
    version = (await world.staff_row("tzcj_clerk")).version
    joined = to_global_id("Org", world.orgs["kjcx_office"])
    moved = {"id": to_global_id("Staff", clerk), "v": version, "to": joined}
    await world.ok(TRANSFER_STAFF, moved, as_="admin")
    events = await world.ok(TRAIL, {"actions": ["membership.transfer"]}, as_="admin")
    (edge,) = events["auditEvents"]["edges"]
    event = edge["node"]
    left = to_global_id("Org", world.orgs["tzcj_office"])
    assert event["before"]["orgId"] == left and event["before"]["orgCode"] == "GW-TZCJ-01"
    assert event["after"]["orgId"] == joined and event["after"]["orgCode"] == "GW-KJCX-01"
    assert event["before"]["staffId"] == to_global_id("Staff", clerk)
    assert event["before"]["id"].startswith("TWVtYmVyc2hpc")  # a Membership's global id
    assert event["org"]["name"] == "投资促进局综合科"
    assert [o["code"] for o in event["orgs"]] == ["GW-TZCJ-01", "GW-KJCX-01"]
    for snapshot in (event["before"], event["after"]):
        assert not any("path" in key.lower() or "_" in key for key in snapshot)
        assert not any(isinstance(v, int) and k.endswith("Id") for k, v in snapshot.items())


async def test_a_decided_application_reads_in_the_apis_terms(world: World) -> None:
    app = await applied(world, "tzcj_clerk", "kjcx_office", as_="tzcj_clerk")
    await world.ok(DECIDE, decision(app, True), as_="kjcx_admin")
    approved = await world.ok(
        TRAIL, {"actions": ["transfer_application.approve"]}, as_="kjcx_admin"
    )
    event = approved["auditEvents"]["edges"][0]["node"]
    after = event["after"]
    assert after["id"] == app["id"]
    assert after["decidedBy"] == to_global_id("Staff", world.staff["kjcx_admin"])
    assert (after["fromOrgCode"], after["toOrgCode"]) == ("GW-TZCJ-01", "GW-KJCX-01")
    assert {o["code"] for o in event["orgs"]} == {"GW-TZCJ-01", "GW-KJCX-01"}


MAY = """
query M($id: ID!) {
  node(id: $id) { ... on TransferApplication { viewerMayDecide viewerMayWithdraw } }
}
"""


async def test_each_viewer_is_told_what_they_may_do_with_an_application(
    db_world: World,
) -> None:
    """viewerMayDecide and viewerMayWithdraw say what the mutations would allow, so that a
    client shows only the buttons that work."""
    world = db_world
    app = await applied(world, "tzcj_clerk", "kjcx_office", as_="tzcj_clerk")

    async def may(login_no: str) -> tuple[bool, bool]:
        found = (await world.ok(MAY, {"id": app["id"]}, as_=login_no))["node"]
        return found["viewerMayDecide"], found["viewerMayWithdraw"]

    # pending: the person may withdraw, the receiving admin may decide, the old admin neither
    assert await may("tzcj_clerk") == (False, True)
    assert await may("kjcx_admin") == (True, False)
    assert await may("tzcj_admin") == (False, False)
    # and the mutations agree
    assert code(await world.gql(DECIDE, decision(app, True), as_="tzcj_clerk")) == "FORBIDDEN"
    assert code(await world.gql(DECIDE, decision(app, True), as_="tzcj_admin")) == "FORBIDDEN"
    assert code(await world.gql(WITHDRAW, withdrawal(app), as_="tzcj_admin")) == "FORBIDDEN"
    assert code(await world.gql(WITHDRAW, withdrawal(app), as_="kjcx_admin")) == "FORBIDDEN"
    rejected = decision(app, False, note="编制已满")
    await world.ok(DECIDE, rejected, as_="kjcx_admin")
    # decided: nobody may do either any more
    for login_no in ("tzcj_clerk", "kjcx_admin", "tzcj_admin"):
        assert await may(login_no) == (False, False), login_no
