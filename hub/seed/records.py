"""The records of the datasets the hub serves itself (``dataset_record``), streamed in chunks.

One pass over the households of :class:`~hub.seed.population.Population` yields, household by
household: its residents (户籍人口基本信息), the marriages registered here (婚姻登记信息), its
居民户口簿, the residents' 居民身份证, 机动车驾驶证 and cars (机动车行驶证), and the companies they
run (企业登记注册信息) with their 营业执照, 道路运输经营许可证 and vehicles. So every licence
points at a seeded person or company, and nothing but counters and the company registry is held
while a million residents go by.

Each record's ``data`` carries exactly the dataset's 信息项, in their order, and its ``key`` is
the key field's value. :attr:`Records.counts` fills in as the stream is read; the loader then
sets ``record_count`` of each served dataset to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from hub.seed.common import REGION, Row, rng
from hub.seed.datasets import DatasetRows
from hub.seed.enterprises import Enterprise, Enterprises
from hub.seed.licences import Licences
from hub.seed.orgs import OrgTree
from hub.seed.population import (
    DIGITAL_SINCE,
    PERSONS_PER_SCALE,
    TODAY,
    Household,
    Person,
    Population,
)

PERSONS = "户籍人口基本信息"
MARRIAGES = "婚姻登记信息"
ENTERPRISES = "企业登记注册信息"
ID_CARDS = "居民身份证电子证照信息"
HOUSEHOLD_BOOKS = "居民户口簿电子证照信息"
DRIVING_LICENCES = "机动车驾驶证电子证照信息"
VEHICLE_LICENCES = "机动车行驶证电子证照信息"
TRANSPORT_PERMITS = "道路运输经营许可电子证照信息"
BUSINESS_LICENCES = "营业执照电子证照信息"
_MARRIAGE_OFFICE = "云溪新区社区发展治理和社事局婚姻登记处"


@dataclass
class _Served:
    id: int
    key: str
    fields: tuple[str, ...]
    #: Whether the generator's rows carry exactly these fields in this order (known after one).
    exact: bool | None = None


@dataclass
class Records:
    """Rows of ``dataset_record`` for a city of ``scale`` × 100,000 residents."""

    tree: OrgTree
    datasets: DatasetRows
    staff: list[Row]
    scale: int
    #: dataset id → records yielded so far.
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def persons(self) -> int:
        return PERSONS_PER_SCALE * self.scale

    def estimate(self) -> int:
        """About how many rows the stream yields (for a progress bar)."""
        return 290_000 * self.scale

    def chunks(self, size: int) -> Iterator[list[Row]]:
        rows = self.rows()
        while chunk := list(islice(rows, size)):
            yield chunk

    def rows(self) -> Iterator[Row]:
        served = {
            self.datasets.datasets[i - 1]["name"]: _Served(
                i, key, tuple(self.datasets.field_names(i))
            )
            for i, key in self.datasets.served.items()
        }
        self.counts.clear()
        self.counts.update(dict.fromkeys(sorted(self.datasets.served), 0))
        next_id = 0

        def row(name: str, data: dict[str, Any]) -> Row:
            nonlocal next_id
            dataset = served[name]
            if dataset.exact is None:
                dataset.exact = tuple(data) == dataset.fields
                if missing := set(dataset.fields) - set(data):
                    raise AssertionError(f"{name}: no value for {sorted(missing)}")
            kept = data if dataset.exact else {f: data[f] for f in dataset.fields}
            next_id += 1
            self.counts[dataset.id] += 1
            return {"id": next_id, "dataset_id": dataset.id, "key": kept[dataset.key], "data": kept}

        people = Population(self.tree, self.staff, self.persons)
        firms = Enterprises()
        licences = Licences()
        marriages = _Marriages()
        for home in people.households():
            for person in home.members:
                yield row(PERSONS, _person(person, home))
            for data in marriages.of(home):
                yield row(MARRIAGES, data)
            if book := licences.household_book(home):
                yield row(HOUSEHOLD_BOOKS, book)
            for person in home.members:
                if card := licences.id_card(person, home):
                    yield row(ID_CARDS, card)
                if licence := licences.driving(person):
                    yield row(DRIVING_LICENCES, licence)
                    if car := licences.car_of(person, home, licence["初次领证日期"]):
                        yield row(VEHICLE_LICENCES, car)
            for person in home.members:
                if firm := firms.founded_by(person, home):
                    yield row(ENTERPRISES, _enterprise(firm))
                    if business := licences.business(firm):
                        yield row(BUSINESS_LICENCES, business)
                    if permit := licences.transport(firm):
                        yield row(TRANSPORT_PERMITS, permit)
                    for vehicle in licences.fleet(firm):
                        yield row(VEHICLE_LICENCES, vehicle)


def _person(person: Person, home: Household) -> dict[str, Any]:
    return {
        "姓名": person.name,
        "公民身份号码": person.cert,
        "性别": person.sex,
        "民族": person.ethnic,
        "出生日期": person.birth.isoformat(),
        "出生地": person.birthplace,
        "籍贯": person.native,
        "户号": home.number,
        "户主姓名": "" if home.collective else home.head.name,
        "与户主关系": person.relation,
        "户籍地址": home.address,
        "户口类别": "集体户" if home.collective else "家庭户",
        "登记日期": person.registered.isoformat(),
        "登记派出所": home.station,
    }


def _enterprise(firm: Enterprise) -> dict[str, Any]:
    return {
        "统一社会信用代码": firm.code,
        "单位名称": firm.name,
        "法定代表人": firm.legal_rep.name,
        "注册地址": firm.address,
        "成立日期": firm.founded.isoformat(),
        "注册资本": firm.capital,
        "经营范围": firm.scope,
        "登记机关": firm.authority,
        "行业分类": firm.industry,
        "从业人数": firm.employees,
        "联系电话": firm.phone,
        "经营状态": firm.status,
        "是否小微企业": firm.small,
        "更新时间": firm.updated,
    }


class _Marriages:
    """结婚登记 since registers went digital (most couples married here), a few 补领 later."""

    def __init__(self) -> None:
        self.r = rng("records-marriages")
        self.numbers: dict[tuple[str, int], int] = {}

    def _number(self, prefix: str, day: date) -> str:
        n = self.numbers.get((prefix, day.year), 0) + 1
        self.numbers[(prefix, day.year)] = n
        return f"{prefix}{REGION}-{day.year}-{n:06d}"

    def of(self, home: Household) -> Iterator[dict[str, Any]]:
        r = self.r
        for m in home.marriages:
            day = m.married_on
            if day.toordinal() < DIGITAL_SINCE or r.random() >= 0.9:
                continue
            yield self._record("结婚", m.husband, m.wife, day, self._number("J", day))
            if r.random() < 0.05:
                wait = 30 + int(r.random() * max(1, TODAY - day.toordinal() - 30))
                later = date.fromordinal(min(TODAY, day.toordinal() + wait))
                yield self._record("补领", m.husband, m.wife, later, self._number("BJ", later))

    @staticmethod
    def _record(kind: str, husband: Person, wife: Person, day: date, number: str) -> dict[str, Any]:
        return {
            "登记类别": kind,
            "男方姓名": husband.name,
            "男方公民身份号码": husband.cert,
            "女方姓名": wife.name,
            "女方公民身份号码": wife.cert,
            "登记日期": day.isoformat(),
            "结婚证字号": number,
            "登记机关": _MARRIAGE_OFFICE,
        }
