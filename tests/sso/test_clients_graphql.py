"""The client registry through GraphQL: system administrators only, bounded input, audited."""

from __future__ import annotations

from tests.identity.conftest import World, change_events

REGISTER = """
mutation R($input: RegisterSsoClientInput!) {
  registerSsoClient(input: $input) { clientSecret client { clientId name orgCount scopes } }
}
"""
REVOKE = "mutation V($id: String!) { revokeSsoClient(clientId: $id) { revokedAt } }"
LIST = "{ ssoClients { clientId name revokedAt } }"
AUDIT = "{ auditEvents(first: 20) { edges { node { action targetType } } } }"


def code(body: dict[str, object]) -> str:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    return str(errors[0]["extensions"]["code"])


async def test_a_system_admin_registers_and_revokes_a_client(sso_world: World) -> None:
    world = sso_world
    spec = {
        "name": "公安综合业务平台",
        "redirectUris": ["https://ga.example.gov.cn/callback"],
        "orgCodes": ["GW-TZCJ"],
    }
    made = (await world.ok(REGISTER, {"input": spec}, as_="admin"))["registerSsoClient"]
    assert len(made["clientSecret"]) >= 40
    assert made["client"]["orgCount"] == 1
    assert made["client"]["scopes"] == ["openid", "profile", "posts"]
    client_id = made["client"]["clientId"]
    listed = (await world.ok(LIST, as_="admin"))["ssoClients"]
    # (hub's own workbench, migration 0010, is listed too where the world kept it)
    assert [c["clientId"] for c in listed if c["clientId"] != "hub-workbench"] == [client_id]
    assert (await world.ok(REVOKE, {"id": client_id}, as_="admin"))["revokeSsoClient"]["revokedAt"]
    actions = [e["action"] for e in change_events(await world.ok(AUDIT, as_="admin"))]
    assert actions == ["sso_client.revoke", "sso_client.register"]


async def test_nobody_else_registers_clients_and_bad_input_changes_nothing(
    sso_world: World,
) -> None:
    world = sso_world
    spec = {"name": "X", "redirectUris": ["https://x.gov.cn/cb"]}
    assert code(await world.gql(REGISTER, {"input": spec}, as_="tzcj_admin")) == "FORBIDDEN"
    assert code(await world.gql(REGISTER, {"input": spec})) == "UNAUTHENTICATED"
    assert code(await world.gql(LIST, as_="tzcj_clerk")) == "FORBIDDEN"
    for bad in (
        {**spec, "redirectUris": ["http://x.gov.cn/cb"]},
        {**spec, "redirectUris": ["https://x.gov.cn/cb#frag"]},
        {**spec, "redirectUris": [f"https://x.gov.cn/{i}" for i in range(11)]},
        {**spec, "name": "名" * 101},
        {**spec, "scopes": ["openid", "admin"]},
        {**spec, "public": True, "scopes": ["openid", "api"]},
    ):
        assert code(await world.gql(REGISTER, {"input": bad}, as_="admin")) == "BAD_USER_INPUT"
    assert code(
        await world.gql(REGISTER, {"input": {**spec, "orgCodes": ["NOPE"]}}, as_="admin")
    ) == ("NOT_FOUND")
    listed = (await world.ok(LIST, as_="admin"))["ssoClients"]
    assert [c["clientId"] for c in listed if c["clientId"] != "hub-workbench"] == []
