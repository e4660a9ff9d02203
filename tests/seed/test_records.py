"""The records the hub serves: which datasets, their keys and formats, and that every licence
belongs to a seeded resident or company. Reads the session's seeded database (``seeded_settings``,
each backend); determinism and scale are checked in ``test_seed.py`` with its own loads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.db import create_engine
from hub.models import Dataset, DatasetField, DatasetRecord, Membership, Org, Staff
from hub.seed.codes import id_card_is_valid, uscc_is_valid, vin_is_valid
from hub.seed.datasets import SERVED_KEYS
from hub.seed.people import BIRTH_REGIONS
from hub.seed.records import (
    BUSINESS_LICENCES,
    DRIVING_LICENCES,
    ENTERPRISES,
    HOUSEHOLD_BOOKS,
    ID_CARDS,
    MARRIAGES,
    PERSONS,
    TRANSPORT_PERMITS,
    VEHICLE_LICENCES,
)
from hub.settings import Settings

CITY_REGIONS = {code for code, _ in BIRTH_REGIONS}
#: Every n-th record of a dataset is read in full.
SAMPLE_EVERY = 23


@pytest.fixture(scope="module")
async def engine(seeded_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(seeded_settings)
    yield engine
    await engine.dispose()


async def _all(engine: AsyncEngine, statement: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def _ids(engine: AsyncEngine) -> dict[str, int]:
    rows = await _all(engine, select(Dataset.name, Dataset.id).where(Dataset.served_by_hub))
    return dict(rows)


async def _keys(engine: AsyncEngine, dataset_id: int) -> set[str]:
    rows = await _all(
        engine, select(DatasetRecord.key).where(DatasetRecord.dataset_id == dataset_id)
    )
    return {key for (key,) in rows}


async def _values(engine: AsyncEngine, dataset_id: int, field: str) -> list[str]:
    value = DatasetRecord.data[field].as_string()
    rows = await _all(engine, select(value).where(DatasetRecord.dataset_id == dataset_id))
    return [v for (v,) in rows]


async def _sample(engine: AsyncEngine, dataset_id: int) -> list[Any]:
    return await _all(
        engine,
        select(DatasetRecord)
        .where(DatasetRecord.dataset_id == dataset_id, DatasetRecord.id % SAMPLE_EVERY == 0)
        .order_by(DatasetRecord.id),
    )


async def test_served_datasets_and_key_fields(engine: AsyncEngine) -> None:
    rows = await _all(
        engine,
        select(Dataset.name, Dataset.served_by_hub, Dataset.key_field, Org.code).join(
            Org, Org.id == Dataset.provider_org_id
        ),
    )
    served = {name: key for name, is_served, key, _ in rows if is_served}
    assert served == SERVED_KEYS
    assert all(key is None for _, is_served, key, _ in rows if not is_served)
    providers = {name: org for name, _, _, org in rows}
    assert providers[PERSONS] == "GW-GAFJ" and providers[MARRIAGES] == "GW-SQJ"
    assert {providers[n] for n in (ID_CARDS, HOUSEHOLD_BOOKS, DRIVING_LICENCES)} == {"GW-GAFJ"}
    assert providers[ENTERPRISES] == providers[BUSINESS_LICENCES] == "GW-XZSP"
    assert providers[TRANSPORT_PERMITS] == "GW-JTJ"
    assert served[PERSONS] == "公民身份号码" and served[MARRIAGES] == "结婚证字号"
    assert served[ENTERPRISES] == "统一社会信用代码"


async def test_record_count_is_the_rows_held(engine: AsyncEngine) -> None:
    held = dict(
        await _all(
            engine,
            select(DatasetRecord.dataset_id, func.count()).group_by(DatasetRecord.dataset_id),
        )
    )
    counts = dict(
        await _all(engine, select(Dataset.id, Dataset.record_count).where(Dataset.served_by_hub))
    )
    assert held == counts
    ids = await _ids(engine)
    assert counts[ids[PERSONS]] == 100_000
    assert 0.2 < counts[ids[MARRIAGES]] / counts[ids[PERSONS]] < 0.35
    assert 10_000 <= counts[ids[ENTERPRISES]] <= 20_000
    for name in (ID_CARDS, HOUSEHOLD_BOOKS, DRIVING_LICENCES, VEHICLE_LICENCES):
        assert 0 < counts[ids[name]] < counts[ids[PERSONS]], name
    assert 0 < counts[ids[TRANSPORT_PERMITS]] < counts[ids[BUSINESS_LICENCES]]
    assert counts[ids[BUSINESS_LICENCES]] < counts[ids[ENTERPRISES]]


async def test_data_has_the_dataset_fields_and_the_key(engine: AsyncEngine) -> None:
    fields: dict[int, dict[str, str]] = {}
    for dataset_id, name, data_type in await _all(
        engine,
        select(DatasetField.dataset_id, DatasetField.name, DatasetField.data_type)
        .join(Dataset, Dataset.id == DatasetField.dataset_id)
        .where(Dataset.served_by_hub)
        .order_by(DatasetField.dataset_id, DatasetField.position),
    ):
        fields.setdefault(dataset_id, {})[name] = data_type
    for name, dataset_id in (await _ids(engine)).items():
        sample = await _sample(engine, dataset_id)
        assert len(sample) > 10, name
        for record in sample:
            assert list(record.data) == list(fields[dataset_id]), name
            assert record.key == record.data[SERVED_KEYS[name]]
            for field, value in record.data.items():
                assert _typed(fields[dataset_id][field], value), (name, field, value)


def _typed(data_type: str, value: Any) -> bool:
    if data_type == "string":
        return isinstance(value, str)
    if data_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if data_type == "decimal":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if data_type == "boolean":
        return isinstance(value, bool)
    if data_type == "date":
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    assert data_type == "datetime"
    return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None


async def test_keys_are_unique_and_valid(engine: AsyncEngine) -> None:
    ids = await _ids(engine)
    for dataset_id in ids.values():
        [(rows, keys)] = await _all(
            engine,
            select(func.count(), func.count(DatasetRecord.key.distinct())).where(
                DatasetRecord.dataset_id == dataset_id
            ),
        )
        assert rows == keys
    for record in await _sample(engine, ids[PERSONS]):
        cert, data = record.key, record.data
        assert id_card_is_valid(cert) and cert[:6] in CITY_REGIONS
        assert cert[6:14] == data["出生日期"].replace("-", "")
        assert (int(cert[16]) % 2 == 1) == (data["性别"] == "男")
        assert 2 <= len(data["姓名"]) <= 4 and data["户籍地址"].startswith("云溪新区")
    for record in await _sample(engine, ids[ENTERPRISES]):
        assert uscc_is_valid(record.key) and record.key.startswith("91519901")
    for record in await _sample(engine, ids[VEHICLE_LICENCES]):
        assert vin_is_valid(record.data["车辆识别代号"])
    plates = await _values(engine, ids[VEHICLE_LICENCES], "号牌号码")
    vins = await _values(engine, ids[VEHICLE_LICENCES], "车辆识别代号")
    assert len(set(plates)) == len(plates) and len(set(vins)) == len(vins)


async def test_licences_belong_to_seeded_people_and_companies(engine: AsyncEngine) -> None:
    ids = await _ids(engine)
    persons = await _keys(engine, ids[PERSONS])
    companies = await _keys(engine, ids[ENTERPRISES])
    people_fields = {
        ID_CARDS: "公民身份号码",
        DRIVING_LICENCES: "公民身份号码",
        HOUSEHOLD_BOOKS: "户主公民身份号码",
        MARRIAGES: "男方公民身份号码",
    }
    for name, field in people_fields.items():
        assert set(await _values(engine, ids[name], field)) <= persons, name
    assert set(await _values(engine, ids[MARRIAGES], "女方公民身份号码")) <= persons
    for name in (BUSINESS_LICENCES, TRANSPORT_PERMITS):
        assert set(await _values(engine, ids[name], "持证主体代码")) <= companies, name
    owners = set(await _values(engine, ids[VEHICLE_LICENCES], "所有人证件号码"))
    assert owners <= persons | companies
    assert owners & persons and owners & companies
    assert await _keys(engine, ids[BUSINESS_LICENCES]) <= companies


async def test_staff_are_residents(engine: AsyncEngine) -> None:
    ids = await _ids(engine)
    persons = await _keys(engine, ids[PERSONS])
    certs = {cert for (cert,) in await _all(engine, select(Staff.cert_no))}
    assert certs <= persons


async def test_gafj_reviewer(engine: AsyncEngine) -> None:
    [(staff_id, name, org, roles)] = await _all(
        engine,
        select(Staff.id, Staff.name, Org.code, Membership.roles)
        .join(Membership, Membership.staff_id == Staff.id)
        .join(Org, Org.id == Membership.org_id)
        .where(Staff.login_no == "gafj_reviewer", Membership.status == "active"),
    )
    assert (name, org, roles) == ("郑浩然", "GW-GAFJ", ["reviewer"])
    last = await _all(engine, select(func.max(Staff.id)))
    assert staff_id == last[0][0] - 1  # appended, then catalogue_editor: nobody else moved
    [(editor_id, editor_org, editor_roles)] = await _all(
        engine,
        select(Staff.id, Org.code, Membership.roles)
        .join(Membership, Membership.staff_id == Staff.id)
        .join(Org, Org.id == Membership.org_id)
        .where(Staff.login_no == "catalogue_editor", Membership.status == "active"),
    )
    assert (editor_id, editor_org, editor_roles) == (last[0][0], "GW", ["catalogue"])
    firsts = await _all(engine, select(Staff.login_no).where(Staff.id <= 5).order_by(Staff.id))
    assert [login for (login,) in firsts] == [
        "admin",
        "tzcj_admin",
        "kjcx_admin",
        "tzcj_clerk",
        "tzcj_reviewer",
    ]
