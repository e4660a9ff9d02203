"""The seed city: exact sizes, the stories it must tell, and identical rows on every load.

One default-scale load into a temporary SQLite database serves most tests (module fixture);
determinism (every table, the served records too) and ``scale=2`` each need one more load, and
PostgreSQL one when ``HUB_TEST_DATABASE_URL`` is set. The served records themselves are checked
in ``test_records.py`` on the session's seeded database.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import migrate
from hub.db import create_engine
from hub.models import (
    Bundle,
    Dataset,
    DatasetField,
    DatasetRecord,
    LifeEvent,
    Material,
    MaterialRequirement,
    Membership,
    Org,
    ServiceItem,
    ServiceLifeEvent,
    ServiceTheme,
    Staff,
    StoredFile,
    Theme,
    metadata,
)
from hub.seed import BIRTH_ITEM_CODES, WELL_KNOWN_ACCOUNTS, records
from hub.seed.catalogue import REBIRTH_FORM_NAME, REBIRTH_ITEM_CODE
from hub.seed.codes import id_card_is_valid, uscc_is_valid
from hub.seed.common import load_json
from hub.seed.load import SeedError, load_seed
from hub.settings import Settings

PASSWORD_HASH = "$argon2id$v=19$m=8,t=1,p=1$c2VlZHRlc3Q$not-a-real-hash"


@dataclass
class Seeded:
    engine: AsyncEngine
    settings: Settings


async def _fresh(data_dir: Path, url: str | None = None) -> tuple[AsyncEngine, Settings]:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url)
    engine = create_engine(settings)
    await migrate.upgrade(engine, settings)
    return engine, settings


async def _digest(engine: AsyncEngine) -> str:
    """sha256 over every row of every table, in primary-key order (but the response cache's
    public version: its epoch is drawn anew for each database)."""
    h = hashlib.sha256()
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "public_version":
                continue
            rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
            h.update(table.name.encode())
            for row in rows:
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


async def _rows(engine: AsyncEngine, statement):  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return (await conn.execute(statement)).all()


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    engine, settings = await _fresh(tmp_path_factory.mktemp("seed-a"))
    await load_seed(engine, settings, password_hash=PASSWORD_HASH, progress=False)
    yield Seeded(engine, settings)
    await engine.dispose()


async def test_sizes(seeded: Seeded) -> None:
    e = seeded.engine
    [(orgs, staff, datasets, providers)] = await _rows(
        e,
        select(
            select(func.count()).select_from(Org).scalar_subquery(),
            select(func.count()).select_from(Staff).scalar_subquery(),
            select(func.count()).select_from(Dataset).scalar_subquery(),
            select(func.count(Dataset.provider_org_id.distinct())).scalar_subquery(),
        ),
    )
    assert (orgs, staff, datasets, providers) == (1039, 19870, 1393, 30)
    [(items, names, implementers)] = await _rows(
        e,
        select(
            func.count(),
            func.count(ServiceItem.name.distinct()),
            func.count(ServiceItem.org_id.distinct()),
        ).where(ServiceItem.status == "published"),
    )
    assert items >= 451 and names == items and implementers >= 14


async def test_org_tree(seeded: Seeded) -> None:
    orgs = {row.id: row for row in await _rows(seeded.engine, select(Org))}
    roots = [o for o in orgs.values() if o.parent_id is None]
    assert len(roots) == 1 and roots[0].kind == "management_committee"
    for org in orgs.values():
        parent = orgs.get(org.parent_id) if org.parent_id else None
        assert org.path == (f"{parent.path}{org.id}/" if parent else f"/{org.id}/")
        assert org.depth == (parent.depth + 1 if parent else 0)
        assert len(org.region_code) == 12 and org.status == "active"
        assert org.uscc is None or uscc_is_valid(org.uscc)
    kinds = Counter(o.kind for o in orgs.values())
    assert 35 <= kinds["bureau"] <= 45 and 10 <= kinds["subdistrict"] <= 15
    assert kinds["community"] > 0 and kinds["institution"] > 0 and kinds["division"] > 0
    bureau_names = " ".join(o.name for o in orgs.values() if o.kind == "bureau")
    for name in ("投资促进局", "科教创新区", "卫生健康局", "公安分局", "社区发展治理和社事局",
                 "人力资源和社会保障局", "医疗保障局", "市场监督管理局", "行政审批局",
                 "住房和城乡建设局", "税务局", "交通运输局", "生态环境局"):  # fmt: skip
        assert name in bureau_names
    institutions = " ".join(o.name for o in orgs.values() if o.kind == "institution")
    for name in (
        "政务服务中心",
        "社会保险事业管理中心",
        "医疗保障事务中心",
        "不动产登记中心",
        "大数据中心",
    ):
        assert name in institutions


async def test_every_staff_member_has_one_active_primary(seeded: Seeded) -> None:
    rows = await _rows(
        seeded.engine,
        select(Membership.staff_id, func.count())
        .where(Membership.status == "active", Membership.post_type == "primary")
        .group_by(Membership.staff_id),
    )
    assert len(rows) == 19870 and {n for _, n in rows} == {1}
    kinds = Counter(
        (m.post_type, m.status)
        for m in await _rows(seeded.engine, select(Membership.post_type, Membership.status))
    )
    assert 0.06 < kinds[("concurrent", "active")] / 19870 < 0.10
    assert kinds[("seconded", "active")] > 0 and kinds[("acting", "active")] > 0
    ended = await _rows(seeded.engine, select(Membership).where(Membership.status == "ended"))
    transfers = [m for m in ended if m.post_type == "primary"]
    assert transfers and all(m.end_reason == "transfer" and m.ends_on for m in transfers)


async def test_staff_identities(seeded: Seeded) -> None:
    staff = await _rows(seeded.engine, select(Staff))
    assert len({s.login_no for s in staff}) == len(staff)
    assert all(s.cert_no and id_card_is_valid(s.cert_no) for s in staff)
    assert all(s.name_pinyin.isascii() and s.name_pinyin.isalpha() for s in staff)
    assert all(s.name_pinyin == s.name_pinyin.lower() for s in staff)
    assert all(s.password_hash == PASSWORD_HASH for s in staff)
    surnames = Counter(s.name[0] for s in staff)
    assert surnames.most_common(3)[0][0] in "王李张"


async def test_every_bureau_and_subdistrict_has_admin_and_reviewer(seeded: Seeded) -> None:
    rows = await _rows(
        seeded.engine,
        select(Org.id, Org.kind, Membership.roles)
        .join(Membership, Membership.org_id == Org.id)
        .where(Membership.status == "active", Org.kind.in_(["bureau", "subdistrict"])),
    )
    roles: dict[int, set[str]] = {}
    for org_id, _kind, held in rows:
        roles.setdefault(org_id, set()).update(held)
    assert len(roles) == 40 + 14
    assert all({"admin", "reviewer"} <= held for held in roles.values())


async def test_well_known_accounts(seeded: Seeded) -> None:
    rows = await _rows(
        seeded.engine,
        select(
            Staff.login_no, Staff.is_system_admin, Org.code, Membership.roles, Membership.position
        )
        .join(Membership, Membership.staff_id == Staff.id)
        .join(Org, Org.id == Membership.org_id)
        .where(Membership.status == "active", Membership.post_type == "primary"),
    )
    by_login = {row[0]: row for row in rows}
    for account in WELL_KNOWN_ACCOUNTS:
        _, is_admin, org_code, roles, _position = by_login[account.login_no]
        assert (is_admin, org_code, roles) == (
            account.is_system_admin,
            account.org_code,
            list(account.roles),
        )
    assert by_login["admin"][2] == "GW" and by_login["tzcj_clerk"][4] == "科员"
    assert sum(1 for row in rows if row[1]) == 1


async def test_every_theme_has_three_items_and_bundles_exist(seeded: Seeded) -> None:
    rows = await _rows(
        seeded.engine,
        select(Theme.audience, Theme.name, func.count(ServiceTheme.service_id))
        .outerjoin(ServiceTheme, ServiceTheme.theme_id == Theme.id)
        .group_by(Theme.id),
    )
    themes = load_json("themes.json")
    assert len(rows) == len(themes["person"]) + len(themes["legal_entity"])
    assert all(n >= 3 for _, _, n in rows), [r for r in rows if r[2] < 3]
    bundles = {b.name for b in await _rows(seeded.engine, select(Bundle))}
    assert {"新生儿出生一件事", "企业开办一件事", "退休一件事", "身后一件事"} <= bundles


async def test_birth_items(seeded: Seeded) -> None:
    rows = await _rows(
        seeded.engine,
        select(ServiceItem, Theme.name, LifeEvent.name)
        .join(ServiceTheme, ServiceTheme.service_id == ServiceItem.id)
        .join(Theme, Theme.id == ServiceTheme.theme_id)
        .join(ServiceLifeEvent, ServiceLifeEvent.service_id == ServiceItem.id)
        .join(LifeEvent, LifeEvent.id == ServiceLifeEvent.life_event_id)
        .where(ServiceItem.code.in_(BIRTH_ITEM_CODES)),
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row.code, set()).update({row[-2], row[-1]})
        text_ = row.name + "".join(row.aliases) + row.description
        assert "生育" in text_, row.name
    assert set(found) == set(BIRTH_ITEM_CODES)
    assert all({"生育收养", "出生"} <= names for names in found.values())


async def test_rebirth_application_has_blank_and_sample_forms_on_disk(seeded: Seeded) -> None:
    [req] = await _rows(
        seeded.engine,
        select(MaterialRequirement)
        .join(ServiceItem, ServiceItem.id == MaterialRequirement.service_id)
        .join(Material, Material.id == MaterialRequirement.material_id)
        .where(ServiceItem.code == REBIRTH_ITEM_CODE, Material.name == REBIRTH_FORM_NAME),
    )
    assert req.blank_form_id and req.sample_form_id
    files = await _rows(
        seeded.engine,
        select(StoredFile).where(StoredFile.id.in_([req.blank_form_id, req.sample_form_id])),
    )
    assert len(files) == 2
    for f in files:
        data = (seeded.settings.files_dir / f.location).read_bytes()
        assert f.content_type == "text/html; charset=utf-8" and f.size == len(data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert "再生育申请审批表" in data.decode()
    sample = next(f for f in files if f.id == req.sample_form_id)
    assert "样表" in (seeded.settings.files_dir / sample.location).read_text()


async def test_materials_and_datasets(seeded: Seeded) -> None:
    [(dataset,)] = await _rows(
        seeded.engine,
        select(Dataset.name)
        .join(Material, Material.dataset_id == Dataset.id)
        .where(Material.name == "居民身份证"),
    )
    assert dataset == "户籍人口基本信息"
    counts = await _rows(
        seeded.engine,
        select(Dataset.open_type, Dataset.sample_rows, func.count(DatasetField.id))
        .join(DatasetField, DatasetField.dataset_id == Dataset.id)
        .group_by(Dataset.id),
    )
    assert all(3 <= n <= 20 for _, _, n in counts)
    assert all((len(rows) == 3) == (open_type == "unconditional") for open_type, rows, _ in counts)
    requirements = await _rows(
        seeded.engine,
        select(MaterialRequirement.service_id, func.count()).group_by(
            MaterialRequirement.service_id
        ),
    )
    assert all(2 <= n <= 8 for _, n in requirements)


async def test_refuses_a_database_that_holds_orgs(seeded: Seeded) -> None:
    with pytest.raises(SeedError, match="already holds orgs"):
        await load_seed(seeded.engine, seeded.settings, progress=False)


async def test_two_loads_give_identical_rows(seeded: Seeded, tmp_path: Path) -> None:
    engine, settings = await _fresh(tmp_path)
    try:
        await load_seed(engine, settings, password_hash=PASSWORD_HASH, progress=False)
        assert await _digest(engine) == await _digest(seeded.engine)
    finally:
        await engine.dispose()


async def test_scale_two_doubles_the_services(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # residents per unit of scale cut to 5,000 (from 100,000) to keep this load quick
    monkeypatch.setattr(records, "PERSONS_PER_SCALE", 5_000)
    engine, settings = await _fresh(tmp_path)
    try:
        report = await load_seed(engine, settings, scale=2, progress=False)
        base = await _rows(seeded.engine, select(func.count()).select_from(ServiceItem))
        scaled = await _rows(engine, select(func.count()).select_from(ServiceItem))
        assert scaled[0][0] == 2 * base[0][0] == report.counts["service_item"]
        copies = await _rows(
            engine, select(ServiceItem.code).where(ServiceItem.code.like("%-D001"))
        )
        assert len(copies) == base[0][0]
        formed = await _rows(
            engine,
            select(func.count())
            .select_from(MaterialRequirement)
            .join(ServiceItem, ServiceItem.id == MaterialRequirement.service_id)
            .where(ServiceItem.code.like("%-D001"), MaterialRequirement.blank_form_id.is_not(None)),
        )
        assert formed[0][0] == 0
        persons = select(Dataset.record_count).where(Dataset.name == records.PERSONS)
        assert (await _rows(engine, persons))[0][0] == 2 * 5_000  # records scale too
        held = select(func.count()).select_from(DatasetRecord)
        assert (await _rows(engine, held))[0][0] == report.counts["dataset_record"] > 2 * 5_000
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_load_matches_sqlite(seeded: Seeded, tmp_path: Path) -> None:
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if not url:
        pytest.skip("HUB_TEST_DATABASE_URL is not set")
    settings = Settings(environment="test", data_dir=tmp_path, database_url=url)
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await migrate.upgrade(engine, settings)
        await load_seed(engine, settings, password_hash=PASSWORD_HASH, progress=False)
        assert await _digest(engine) == await _digest(seeded.engine)
        async with engine.begin() as conn:  # sequences moved past the explicit ids
            new_id = await conn.scalar(
                text("INSERT INTO theme (code, name, audience, sort_order) "
                     "VALUES ('X-TEST', '测试', 'person', 99) RETURNING id")
            )  # fmt: skip
            assert new_id == 60
            await conn.rollback()
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
