"""``hub import services``: good lines go in with their outbox rows, bad lines are reported by
number and leave nothing behind."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, func, select

from hub.catalogue.import_lines import parse_theme_map
from hub.catalogue.importer import LineError, import_services
from hub.db import transaction
from hub.models import (
    Material,
    MaterialRequirement,
    Org,
    SearchOutbox,
    ServiceItem,
    ServiceTheme,
    Theme,
)
from tests.conftest import Database, service_line


async def count(db: Database, model: type) -> int:
    async with db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_good_lines_are_written_with_their_outbox_rows(db: Database) -> None:
    lines = [
        service_line("S-1", "生育登记", materials=["居民身份证", "结婚证"], aliases=["准生证"]),
        service_line("S-2", "居民身份证申领", themes=["户籍办理", "证件办理"], status="draft"),
        "",
    ]
    async with transaction(db.sessions) as session:
        report = await import_services(session, lines)
    assert report.errors == []
    assert (report.created, report.updated, report.materials_created) == (2, 0, 2)

    async with db.sessions() as session:
        first = (await session.exec(select(ServiceItem).where(ServiceItem.code == "S-1"))).one()
        second = (await session.exec(select(ServiceItem).where(ServiceItem.code == "S-2"))).one()
        assert first.status == "published" and second.status == "draft"
        assert first.org_id == db.bureau_id and first.aliases == ["准生证"]
        assert first.item_type == "public_service"
        materials = await session.exec(
            select(Material.name)
            .join(MaterialRequirement, col(MaterialRequirement.material_id) == col(Material.id))
            .where(MaterialRequirement.service_id == first.id)
            .order_by(col(MaterialRequirement.position))
        )
        assert list(materials) == ["居民身份证", "结婚证"]
        themes = await session.exec(
            select(ServiceTheme.theme_id).where(ServiceTheme.service_id == second.id)
        )
        assert sorted(themes) == sorted([db.theme_ids["户籍办理"], db.theme_ids["证件办理"]])
        outbox = await session.exec(select(SearchOutbox.service_id).order_by(col(SearchOutbox.id)))
        assert list(outbox) == [first.id, second.id]


async def test_an_import_upserts_by_code(db: Database) -> None:
    async with transaction(db.sessions) as session:
        await import_services(session, [service_line("S-1", "生育登记", materials=["结婚证"])])
    async with transaction(db.sessions) as session:
        report = await import_services(
            session, [service_line("S-1", "生育服务登记", materials=["居民户口簿"])]
        )
    assert (report.created, report.updated) == (0, 1)
    async with db.sessions() as session:
        service = (await session.exec(select(ServiceItem))).one()
        assert (service.name, service.version) == ("生育服务登记", 2)
        requirements = await session.exec(select(MaterialRequirement))
        assert len(list(requirements)) == 1  # materials replaced, not added
    assert await count(db, ServiceItem) == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"code": "S-9", "name": "x"}), "missing org, themes, audience, description"),
        (service_line("S-9", "x", audience="robot"), "audience must be one of"),
        (service_line("S-9", "x", item_type="magic"), "item_type must be one of"),
        (service_line("S-9", "x", status="gone"), "status must be one of"),
        (service_line("S-9", "x", themes="生育收养"), "themes must be a list"),
        (service_line("S-9", "x", themes=[]), "themes is empty"),
        (service_line("S-9", "x", themes=["主" * 51]), "a theme name is at most 50"),
        (service_line("S-9", "x", online_depth=7), "online_depth must be a whole number"),
        (service_line("S-9", "x", colour="red"), "unknown field colour"),
        (service_line("S-9", "", materials=["新材料"]), "name is empty"),
        (service_line("S-9", "x", org="不存在的局"), "org '不存在的局' does not exist"),
        (service_line("S-9", "x" * 201), "name is longer than 200"),
    ],
)
async def test_a_bad_line_is_reported_with_its_reason(db: Database, line: str, reason: str) -> None:
    async with transaction(db.sessions) as session:
        report = await import_services(session, [service_line("S-1", "生育登记"), line])
    assert [(e.number, reason in e.reason) for e in report.errors] == [(2, True)], report.errors
    assert report.created == 1


async def test_nothing_of_a_bad_line_is_written(db: Database) -> None:
    bad = service_line(
        "S-2",
        "新事项",
        org="新设科室",  # would be created under GW ...
        materials=["从未出现的材料"],  # ... and this material too ...
        themes=["生育收养", "没有这个主题"],  # ... and this local theme ...
        visits=9,  # ... but the line is bad
    )
    good = service_line("S-3", "收养登记", org="另一个新科室")
    async with transaction(db.sessions) as session:
        report = await import_services(session, [bad, good], orgs_under="GW")
    assert [e.number for e in report.errors] == [1]
    async with db.sessions() as session:
        names = set(await session.exec(select(Org.name)))
        assert "新设科室" not in names and "另一个新科室" in names
        assert not list(await session.exec(select(Material)))
        assert not list(await session.exec(select(Theme).where(Theme.name == "没有这个主题")))
        codes = list(await session.exec(select(ServiceItem.code)))
        assert codes == ["S-3"]
        outbox = list(await session.exec(select(SearchOutbox)))
        assert len(outbox) == 1


async def test_missing_orgs_are_created_under_the_given_parent(db: Database) -> None:
    lines = [
        service_line("S-1", "犬只登记", org="云溪新区公安分局"),
        service_line("S-2", "养犬许可证补办", org="云溪新区公安分局"),
    ]
    async with transaction(db.sessions) as session:
        report = await import_services(session, lines, orgs_under="GW-WJJ")
    assert report.errors == [] and len(report.orgs_created) == 1
    async with db.sessions() as session:
        bureau = (await session.exec(select(Org).where(Org.code == "GW-WJJ"))).one()
        org = (await session.exec(select(Org).where(Org.name == "云溪新区公安分局"))).one()
        assert org.parent_id == bureau.id
        assert org.path == f"{bureau.path}{org.id}/"
        assert org.depth == bureau.depth + 1
        assert org.kind == "division" and org.region_code == bureau.region_code
        services = list(await session.exec(select(ServiceItem.org_id)))
        assert services == [org.id, org.id]


async def test_without_orgs_under_an_unknown_org_is_refused(db: Database) -> None:
    async with transaction(db.sessions) as session:
        report = await import_services(session, [service_line("S-1", "x", org="云溪新区公安分局")])
    assert report.created == 0
    assert report.errors[0].number == 1
    assert "云溪新区公安分局" in report.errors[0].reason
    assert "--orgs-under" in report.errors[0].reason


async def test_orgs_are_found_by_code_or_name(db: Database) -> None:
    lines = [
        service_line("S-1", "a", org="GW-WJJ"),
        service_line("S-2", "b", org="云溪新区卫生健康局"),
    ]
    async with transaction(db.sessions) as session:
        report = await import_services(session, lines)
    assert report.errors == [] and report.created == 2


async def test_an_unknown_parent_is_an_error_for_the_whole_file(db: Database) -> None:
    async with transaction(db.sessions) as session:
        with pytest.raises(LineError, match="NOPE"):
            await import_services(session, [service_line("S-1", "a")], orgs_under="NOPE")


async def test_a_theme_outside_the_national_lists_is_kept_as_a_local_theme(db: Database) -> None:
    lines = [
        service_line("S-1", "住房公积金提取", themes=["公积金"]),
        service_line("S-2", "住房公积金贷款", themes=["公积金", "生育收养"]),
        service_line("S-3", "企业住房公积金缴存登记", themes=["公积金"], audience="legal_entity"),
    ]
    async with transaction(db.sessions) as session:
        report = await import_services(session, lines)
    assert report.errors == [] and report.themes_created == ["公积金", "公积金"]
    async with db.sessions() as session:
        local = list(await session.exec(select(Theme).where(Theme.name == "公积金")))
        # one for persons, one for legal entities, each flagged local and standing for nothing
        assert sorted(t.audience for t in local) == ["legal_entity", "person"]
        assert all(t.local and t.national_id is None for t in local)
        linked = await session.exec(
            select(ServiceItem.code, ServiceTheme.theme_id)
            .join(ServiceTheme, col(ServiceTheme.service_id) == col(ServiceItem.id))
            .order_by(col(ServiceItem.code), col(ServiceTheme.theme_id))
        )
        person = next(t.id for t in local if t.audience == "person")
        entity = next(t.id for t in local if t.audience == "legal_entity")
        assert sorted(linked) == sorted(
            [("S-1", person), ("S-2", person), ("S-2", db.theme_ids["生育收养"]), ("S-3", entity)]
        )


async def test_a_theme_map_lists_items_under_the_national_theme_too(db: Database) -> None:
    async with transaction(db.sessions) as session:
        report = await import_services(
            session,
            [service_line("S-1", "身份证挂失", themes=["证件"])],
            theme_map={"证件": "证件办理"},
        )
    assert report.errors == []
    async with db.sessions() as session:
        local = (await session.exec(select(Theme).where(Theme.name == "证件"))).one()
        national = (await session.exec(select(Theme).where(Theme.name == "证件办理"))).one()
        assert local.local and local.national_id == national.id and not national.local
        themes = await session.exec(select(ServiceTheme.theme_id))
        assert sorted(themes) == sorted([local.id, national.id])


async def test_a_theme_map_naming_no_national_theme_refuses_the_file(db: Database) -> None:
    with pytest.raises(LineError, match="no national theme is named 不存在"):
        async with transaction(db.sessions) as session:
            await import_services(
                session, [service_line("S-1", "x", themes=["住房"])], theme_map={"住房": "不存在"}
            )
    assert await count(db, ServiceItem) == 0


def test_a_theme_map_file_is_local_tab_national() -> None:
    assert parse_theme_map("# local\tnational\n住房\t住房保障\n\n教育\t教育科研\n") == {
        "住房": "住房保障",
        "教育": "教育科研",
    }
    with pytest.raises(LineError, match="theme map line 2"):
        parse_theme_map("住房\t住房保障\n教育\n")
