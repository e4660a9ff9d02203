"""Passwords: a reset by an admin forces a change before anything else; changing your own
ends your other sessions; a wrong current password counts like a failed sign-in."""

from __future__ import annotations

import json
from typing import Any

from hub.identity.credentials import ONE_TIME_ALPHABET, ONE_TIME_LENGTH
from tests.identity.conftest import PASSWORD, World

RESET = """
mutation Reset($input: ResetStaffPasswordInput!) {
  resetStaffPassword(input: $input) { staff { loginNo version } oneTimePassword sessionsEnded }
}
"""
CHANGE = """
mutation Change($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    staff { loginNo version } sessionsEnded
  }
}
"""
ME = "query { me { mustChangePassword staff { loginNo } } }"
STAFF = "query S($id: ID!) { staff(id: $id) { loginNo } }"
AUDIT = """
query A($actions: [String!]) {
  auditEvents(filter: {actions: $actions}) {
    edges { node { action actor { loginNo } targetId before after reason } }
  }
}
"""
NEW_PASSWORD = "my-own-password-9"


def code(body: dict[str, Any]) -> str:
    assert "errors" in body, body
    return str(body["errors"][0]["extensions"]["code"])


async def reset(world: World, login_no: str, as_: str, **changes: Any) -> dict[str, Any]:
    version = (await world.staff_row(login_no)).version
    request = {"staffId": world.gid("Staff", login_no), "expectedVersion": version}
    return await world.gql(RESET, {"input": {**request, "reason": "忘记密码", **changes}}, as_=as_)


async def test_after_a_reset_only_a_password_change_is_allowed(db_world: World) -> None:
    world = db_world
    # given: the clerk is signed in
    old = (await world.login("tzcj_clerk"))["data"]["login"]["accessToken"]
    version = (await world.staff_row("tzcj_clerk")).version
    # when: their admin resets the password
    body = await reset(world, "tzcj_clerk", as_="tzcj_admin")
    # then: a readable one-time password, once; every session of theirs has ended
    assert "errors" not in body, body
    data = body["data"]["resetStaffPassword"]
    one_time = data["oneTimePassword"]
    assert len(one_time) == ONE_TIME_LENGTH and set(one_time) <= set(ONE_TIME_ALPHABET)
    assert data["sessionsEnded"] == 1
    assert data["staff"]["version"] == version + 1
    assert code(await world.gql(ME, token=old)) == "UNAUTHENTICATED"
    assert code(await world.login("tzcj_clerk", PASSWORD)) == "UNAUTHENTICATED"
    # when: they sign in with the one-time password
    token = (await world.login("tzcj_clerk", one_time))["data"]["login"]["accessToken"]
    # then: `me` answers, and says what is required
    me = await world.ok(ME, token=token)
    assert me["me"] == {"mustChangePassword": True, "staff": {"loginNo": "tzcj_clerk"}}
    # and every other operation is refused as a whole, public reads and fragments included
    refused = [
        (STAFF, {"id": world.gid("Staff", "tzcj_clerk")}),
        ("{ rootOrg { name } }", None),
        ("{ me { mustChangePassword } rootOrg { name } }", None),
        ("query { ...F } fragment F on Query { me { mustChangePassword } rootOrg { name } }", None),
        ("query { ... on Query { transferApplications { totalCount } } }", None),
        ("mutation { logoutEverywhere { sessionsEnded } }", None),
        (
            RESET.replace("Reset(", "R("),
            {"input": {"staffId": "x", "expectedVersion": 1, "reason": "x"}},
        ),
    ]
    for query, variables in refused:
        body = await world.gql(query, variables, token=token)
        assert code(body) == "PASSWORD_CHANGE_REQUIRED", query
        assert body.get("data") is None
    # when: they choose their own password
    changed = await world.ok(CHANGE, {"current": one_time, "new": NEW_PASSWORD}, token=token)
    # then: the same session carries on, no longer restricted
    assert changed["changePassword"]["sessionsEnded"] == 0
    assert changed["changePassword"]["staff"]["version"] == version + 2
    staff = await world.ok(STAFF, {"id": world.gid("Staff", "tzcj_clerk")}, token=token)
    assert staff["staff"]["loginNo"] == "tzcj_clerk"
    assert (await world.ok(ME, token=token))["me"]["mustChangePassword"] is False
    assert code(await world.login("tzcj_clerk", one_time)) == "UNAUTHENTICATED"
    assert "errors" not in await world.login("tzcj_clerk", NEW_PASSWORD)
    # both changes are in the trail, once each, and no password is
    actions = ["staff.password_reset", "staff.password_change"]
    trail = await world.ok(AUDIT, {"actions": actions}, as_="tzcj_admin")
    events = [e["node"] for e in trail["auditEvents"]["edges"]]
    assert [(e["action"], e["actor"]["loginNo"]) for e in events] == [
        ("staff.password_change", "tzcj_clerk"),
        ("staff.password_reset", "tzcj_admin"),
    ]
    assert all(e["targetId"] == world.gid("Staff", "tzcj_clerk") for e in events)
    assert events[1]["reason"] == "忘记密码"
    assert events[1]["after"]["mustChangePassword"] is True
    for event in await world.audit_events():
        dumped = json.dumps([event.before, event.after, event.reason], ensure_ascii=False)
        assert one_time not in dumped and NEW_PASSWORD not in dumped
        assert "argon2" not in dumped


async def test_changing_your_password_ends_your_other_sessions(db_world: World) -> None:
    world = db_world
    laptop = (await world.login("tzcj_clerk"))["data"]["login"]["accessToken"]
    phone = (await world.login("tzcj_clerk"))["data"]["login"]["accessToken"]
    changed = await world.ok(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=laptop)
    assert changed["changePassword"]["sessionsEnded"] == 1
    assert code(await world.gql(ME, token=phone)) == "UNAUTHENTICATED"
    assert (await world.ok(ME, token=laptop))["me"]["staff"]["loginNo"] == "tzcj_clerk"
    row = await world.staff_row("tzcj_clerk")
    assert row.must_change_password is False and row.failed_logins == 0
    assert [e.action for e in await world.audit_events() if e.action.startswith("staff.")] == [
        "staff.password_change"
    ]


async def test_a_wrong_current_password_counts_like_a_failed_sign_in(world: World) -> None:
    # given: the lockout threshold is 3 in the identity tests
    token = await world.token("tzcj_clerk")
    # a new password that is refused anyway costs no attempt
    weak = await world.gql(CHANGE, {"current": "wrong-password", "new": "short"}, token=token)
    same = await world.gql(CHANGE, {"current": PASSWORD, "new": PASSWORD}, token=token)
    assert code(weak) == code(same) == "BAD_USER_INPUT"
    assert (await world.staff_row("tzcj_clerk")).failed_logins == 0
    # a right one after a wrong one forgives the count, as signing in does
    first = await world.gql(CHANGE, {"current": "wrong-1", "new": NEW_PASSWORD}, token=token)
    assert code(first) == "BAD_USER_INPUT"
    assert first["errors"][0]["extensions"]["reason"] == "WRONG_PASSWORD"
    assert first["errors"][0]["extensions"]["attemptsLeft"] == 2
    await world.ok(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=token)
    assert (await world.staff_row("tzcj_clerk")).failed_logins == 0
    # when: wrong three times
    answers = [
        await world.gql(CHANGE, {"current": f"wrong-{i}", "new": PASSWORD}, token=token)
        for i in range(3)
    ]
    # then: the third locks the account, for changePassword and sign-in alike
    assert [code(b) for b in answers] == ["BAD_USER_INPUT", "BAD_USER_INPUT", "TOO_MANY_REQUESTS"]
    assert answers[1]["errors"][0]["extensions"]["attemptsLeft"] == 1
    right = await world.gql(CHANGE, {"current": NEW_PASSWORD, "new": PASSWORD}, token=token)
    assert code(right) == "TOO_MANY_REQUESTS"
    assert right["errors"][0]["extensions"]["retryAfterSeconds"] > 0
    assert code(await world.login("tzcj_clerk", NEW_PASSWORD)) == "TOO_MANY_REQUESTS"
    row = await world.staff_row("tzcj_clerk")
    assert row.failed_logins == 3  # nothing counted while locked
    changes = [e for e in await world.audit_events() if e.action == "staff.password_change"]
    assert len(changes) == 1
    # the session itself goes on: the lock is on passwords, not on signed-in work
    assert (await world.ok(ME, token=token))["me"]["staff"]["loginNo"] == "tzcj_clerk"


async def test_only_an_admin_over_the_primary_org_resets_a_password(world: World) -> None:
    # not visible, not an admin, oneself, above one's own org, stale, no reason, anonymous
    assert code(await reset(world, "tzcj_clerk", as_="kjcx_admin")) == "NOT_FOUND"
    assert code(await reset(world, "tzcj_reviewer", as_="tzcj_clerk")) == "FORBIDDEN"
    assert code(await reset(world, "tzcj_admin", as_="tzcj_admin")) == "FORBIDDEN"
    assert code(await reset(world, "root_admin", as_="tzcj_admin")) == "NOT_FOUND"
    assert code(await reset(world, "tzcj_clerk", as_="tzcj_admin", expectedVersion=9)) == (
        "CONFLICT"
    )
    assert code(await reset(world, "tzcj_clerk", as_="tzcj_admin", reason=" ")) == (
        "BAD_USER_INPUT"
    )
    assert code(await reset(world, "tzcj_clerk", as_="tzcj_admin", reason="长" * 501)) == (
        "BAD_USER_INPUT"
    )
    anonymous = await world.gql(
        RESET,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_clerk"),
                "expectedVersion": 1,
                "reason": "x",
            }
        },
    )
    assert code(anonymous) == "UNAUTHENTICATED"
    signed_out = await world.gql(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD})
    assert code(signed_out) == "UNAUTHENTICATED"
    row = await world.staff_row("tzcj_clerk")
    assert row.must_change_password is False and row.version == 1
    # the admin over an org above, and the system admin, may
    assert "errors" not in await reset(world, "tzcj_clerk", as_="root_admin")
    assert "errors" not in await reset(world, "tzcj_admin", as_="admin")
    resets = [e for e in await world.audit_events() if e.action == "staff.password_reset"]
    assert len(resets) == 2
    assert [e.org_path for e in resets] == ["/1/2/4/", "/1/2/"]
