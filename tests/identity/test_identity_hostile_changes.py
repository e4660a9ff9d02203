"""Changes and reads under attack: rights checked when a change commits, stale versions of
ended memberships, and posts or names a viewer may not see. Through the real app."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from hub.auth.grants import GrantCache
from hub.auth.session_check import viewer_for_session
from hub.auth.tokens import read_access_token
from hub.auth.viewer import Viewer
from hub.db import create_engine, session_factory, transaction
from hub.identity.memberships import Transfer, transfer_staff
from hub.identity.staff import suspend_staff
from hub.ids import to_global_id
from hub.models import Membership, Staff
from tests.identity.conftest import World, change_events

UPDATE = """
mutation Update($id: ID!, $v: Int!) {
  updateMembership(input: {membershipId: $id, expectedVersion: $v, position: "副科长"}) {
    membership { position version }
  }
}
"""
END = """
mutation End($id: ID!, $v: Int!) {
  endMembership(input: {membershipId: $id, expectedVersion: $v, endReason: RESIGN,
                        reason: "辞职"}) { membership { status } }
}
"""
TRANSFER = """
mutation Transfer($id: ID!, $v: Int!, $to: ID!) {
  transferStaff(input: {staffId: $id, expectedVersion: $v, toOrgId: $to, reason: "调动"}) {
    staff { version }
  }
}
"""
ADD = """
mutation Add($id: ID!, $v: Int!, $org: ID!) {
  addMembership(input: {staffId: $id, expectedVersion: $v,
                        membership: {orgId: $org, postType: CONCURRENT, position: "兼职"}}) {
    membership { id }
  }
}
"""
SUSPEND = """
mutation Suspend($id: ID!, $v: Int!) {
  suspendStaff(input: {staffId: $id, expectedVersion: $v, reason: "违纪调查"}) {
    staff { status }
  }
}
"""
STAFF_POSTS = """
query Posts($id: ID!) {
  staff(id: $id) {
    memberships(includeEnded: true) { id org { name } }
    primaryMembership { id }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id } }"
AUDIT = "{ auditEvents { edges { node { action actorName actor { loginNo } } } } }"


def code(body: dict[str, Any]) -> str:
    assert "errors" in body, body
    return str(body["errors"][0]["extensions"]["code"])


async def clerk_membership(world: World) -> Membership:
    (membership,) = await world.active_memberships("tzcj_clerk")
    return membership


async def viewer_of(world: World, login_no: str) -> Viewer:
    """The viewer the app resolves for that person's token, right now."""
    claims = read_access_token(world.settings, await world.token(login_no))
    return await viewer_for_session(world.app.state.hub.engine, GrantCache(), claims)


# ------------------------------------------------------------------------------ 5. commit time


@pytest.mark.parametrize(
    ("actor", "meanwhile"),
    [
        ("tzcj_admin", "suspended"),
        ("tzcj_admin", "transferred"),
        ("admin", "suspended"),  # the system admin is checked like anyone
        ("tzcj_admin", "nothing"),  # the control: the same race, and the change commits
    ],
)
async def test_a_change_commits_only_while_its_actor_keeps_the_rights_it_began_with(
    db_world: World, actor: str, meanwhile: str
) -> None:
    """A real race, not a simulated one: the actor's updateMembership request resolves its
    viewer (their token, their rights) while another admin's transaction, already open on a
    connection of its own, suspends or transfers them and holds the clerk's row (on SQLite:
    the writer lock). The request then waits on that lock; the other transaction commits; the
    request's change reaches its commit with a viewer from before the suspension. The
    per-request check cannot see this (it ran before); the commit-time check must: FORBIDDEN,
    and nothing written."""
    world = db_world
    # given
    token = await world.token(actor)
    other_admin = await viewer_of(world, "root_admin")
    actor_id = world.staff[actor]
    actor_version = (await world.staff_row(actor)).version
    clerk = await clerk_membership(world)
    assert clerk.id is not None
    resolved = asyncio.Event()

    def viewer_read(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "FROM auth_session JOIN staff" in statement:
            resolved.set()

    app_engine = world.app.state.hub.engine.sync_engine
    event.listen(app_engine, "after_cursor_execute", viewer_read)
    other = create_engine(world.settings)
    try:
        async with transaction(session_factory(other)) as session:
            if meanwhile == "suspended":
                await suspend_staff(
                    session=session,
                    actor=other_admin,
                    request_id="other-admin",
                    staff_id=actor_id,
                    expected_version=actor_version,
                    reason="停职审查",
                )
            elif meanwhile == "transferred":
                await transfer_staff(
                    session=session,
                    actor=other_admin,
                    request_id="other-admin",
                    staff_id=actor_id,
                    expected_version=actor_version,
                    data=Transfer(to_org_id=world.orgs["kjcx"]),
                    reason="调动",
                )
            await session.exec(
                select(Staff.id).where(col(Staff.id) == clerk.staff_id).with_for_update()
            )
            # when: the actor's request starts, and gets past its viewer check
            request = asyncio.create_task(
                world.gql(
                    UPDATE,
                    {"id": to_global_id("Membership", clerk.id), "v": clerk.version},
                    token=token,
                )
            )
            await asyncio.wait_for(resolved.wait(), timeout=20)
            await asyncio.sleep(0.1)  # let it run on to the lock it must wait for
        # the other admin's transaction has committed
        body = await asyncio.wait_for(request, timeout=30)
    finally:
        event.remove(app_engine, "after_cursor_execute", viewer_read)
        await other.dispose()
    # then
    after = await clerk_membership(world)
    actions = [e.action for e in await world.audit_events()]
    if meanwhile == "nothing":
        assert body["data"]["updateMembership"]["membership"]["position"] == "副科长"
        assert actions == ["membership.update"]
        return
    assert code(body) == "FORBIDDEN"
    assert body["data"] is None
    assert (after.position, after.version) == (clerk.position, clerk.version)
    assert "membership.update" not in actions
    assert (await world.staff_row("tzcj_clerk")).version == 1


# ------------------------------------------------------------------------------ 6. stale


async def test_a_stale_version_of_a_membership_another_change_ended_is_a_conflict(
    db_world: World,
) -> None:
    world = db_world
    # given: an admin read the clerk's membership; then another admin moved the clerk
    read = await clerk_membership(world)
    assert read.id is not None
    membership_id = to_global_id("Membership", read.id)
    version = (await world.staff_row("tzcj_clerk")).version
    moved = {"id": world.gid("Staff", "tzcj_clerk"), "v": version, "to": world.gid("Org", "tzcj")}
    await world.ok(TRANSFER, moved, as_="root_admin")
    # when: the first admin acts on what they read
    stale = {"id": membership_id, "v": read.version}
    update = await world.gql(UPDATE, stale, as_="tzcj_admin")
    end = await world.gql(END, stale, as_="tzcj_admin")
    # then: CONFLICT (reload), with the version it is at now
    for body in (update, end):
        assert code(body) == "CONFLICT"
        assert body["errors"][0]["extensions"]["currentVersion"] == read.version + 1
    # and whoever has seen it ended is told it cannot change
    current = {"id": membership_id, "v": read.version + 1}
    assert code(await world.gql(UPDATE, current, as_="tzcj_admin")) == "BAD_USER_INPUT"


# ------------------------------------------------------------------------------ 7. visibility


async def test_a_staff_members_posts_show_only_where_node_shows_them(db_world: World) -> None:
    """tzcj_admin sees both clerks through a post in 投资促进局; their posts in 科教创新区 are
    NOT_FOUND by node, so Staff.memberships and primaryMembership leave them out too."""
    world = db_world
    # given: the tzcj clerk also serves in 科教创新区; the kjcx clerk also in 投资促进局
    for login_no, org in (("tzcj_clerk", "kjcx_office"), ("kjcx_clerk", "tzcj_office")):
        version = (await world.staff_row(login_no)).version
        await world.ok(
            ADD,
            {"id": world.gid("Staff", login_no), "v": version, "org": world.gid("Org", org)},
            as_="root_admin",
        )
    for login_no in ("tzcj_clerk", "kjcx_clerk"):
        staff_id = world.gid("Staff", login_no)
        every = [m.id for m in await world.active_memberships(login_no)]
        # when
        mine = await world.ok(STAFF_POSTS, {"id": staff_id}, as_="tzcj_admin")
        above = await world.ok(STAFF_POSTS, {"id": staff_id}, as_="root_admin")
        themself = await world.ok(STAFF_POSTS, {"id": staff_id}, as_=login_no)
        # then: listed exactly when node answers
        listed = {m["id"] for m in mine["staff"]["memberships"]}
        by_node = set()
        for pk in every:
            gid = to_global_id("Membership", pk or 0)
            body = await world.gql(NODE, {"id": gid}, as_="tzcj_admin")
            if "errors" not in body:
                by_node.add(gid)
            else:
                assert code(body) == "NOT_FOUND"
        assert listed == by_node
        assert [m["org"]["name"] for m in mine["staff"]["memberships"]] == ["投资促进局综合科"]
        assert len(above["staff"]["memberships"]) == len(themself["staff"]["memberships"]) == 2
    # the kjcx clerk's primary post is in 科教创新区: not for tzcj_admin to see
    kjcx_clerk = world.gid("Staff", "kjcx_clerk")
    mine = await world.ok(STAFF_POSTS, {"id": kjcx_clerk}, as_="tzcj_admin")
    assert mine["staff"]["primaryMembership"] is None
    above = await world.ok(STAFF_POSTS, {"id": kjcx_clerk}, as_="root_admin")
    assert above["staff"]["primaryMembership"] is not None


async def test_an_audit_events_actor_name_is_shown_only_to_who_may_see_the_actor(
    db_world: World,
) -> None:
    world = db_world
    # given: the root admin (whom tzcj_admin may not see) suspends a clerk of 投资促进局
    version = (await world.staff_row("tzcj_clerk")).version
    await world.ok(
        SUSPEND, {"id": world.gid("Staff", "tzcj_clerk"), "v": version}, as_="root_admin"
    )
    assert "errors" in await world.gql(
        "query S($id: ID!) { staff(id: $id) { name } }",
        {"id": world.gid("Staff", "root_admin")},
        as_="tzcj_admin",
    )
    # when
    bureau = await world.ok(AUDIT, as_="tzcj_admin")
    above = await world.ok(AUDIT, as_="root_admin")
    # then
    (seen,) = change_events(bureau)
    assert seen == {"action": "staff.suspend", "actorName": None, "actor": None}
    (full,) = change_events(above)
    assert full["actorName"] == "孙国华" and full["actor"] == {"loginNo": "root_admin"}
