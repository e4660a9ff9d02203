"""A city's own theme names, kept by an import, through /graphql: listed apart from the
national themes, flagged local, with the national theme they stand for."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.catalogue.importer import import_services
from hub.db import transaction
from tests.conftest import Database, GraphQL, service_line

QUERY = """
{
  national: themes(audience: PERSON) { name local }
  local: themes(local: true) { name local audience nationalTheme { name local } }
  service(code: "QZ-1") { themes { name local } }
}
"""


async def test_local_themes_are_listed_apart_and_name_their_national_theme(db: Database) -> None:
    lines = [
        service_line("QZ-1", "居民户口簿补领", themes=["户籍"]),
        service_line("QZ-2", "中小学入学登记", themes=["教育"]),
    ]
    async with transaction(db.sessions) as session:
        report = await import_services(session, lines, theme_map={"户籍": "户籍办理"})
    assert report.errors == []

    app = create_app(db.settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            data = (await GraphQL(http)(QUERY))["data"]

    assert "户籍" not in {t["name"] for t in data["national"]}
    assert not any(t["local"] for t in data["national"])
    assert data["local"] == [
        {
            "name": "户籍",
            "local": True,
            "audience": "PERSON",
            "nationalTheme": {"name": "户籍办理", "local": False},
        },
        {"name": "教育", "local": True, "audience": "PERSON", "nationalTheme": None},
    ]
    assert sorted((t["name"], t["local"]) for t in data["service"]["themes"]) == [
        ("户籍", True),
        ("户籍办理", False),
    ]
