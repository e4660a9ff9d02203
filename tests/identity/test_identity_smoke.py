"""The signed-in viewer reaches the schema through the real HTTP stack."""

from tests.identity.conftest import World

ME = """
query { me { isSystemAdmin staff { loginNo name version }
  effectiveRoles { org { name } roles postType membershipId } } }
"""


async def test_me_reports_the_roles_checked_on_this_request(world: World) -> None:
    # when
    data = await world.ok(ME, as_="tzcj_admin")
    # then
    assert data["me"]["staff"]["loginNo"] == "tzcj_admin"
    assert data["me"]["effectiveRoles"] == [
        {
            "org": {"name": "投资促进局"},
            "roles": ["ADMIN"],
            "postType": "PRIMARY",
            "membershipId": data["me"]["effectiveRoles"][0]["membershipId"],
        }
    ]


async def test_anonymous_me_is_null(world: World) -> None:
    assert (await world.ok(ME))["me"] is None
