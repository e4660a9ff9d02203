"""电子证照 of the residents and companies: 居民身份证, 居民户口簿, 机动车驾驶证, 机动车行驶证,
营业执照 and 道路运输经营许可证, as full rows of every 信息项 the licence could carry (the
caller keeps those its dataset lists).

Each kind is a subset of its holders (not everybody has fetched an electronic licence) drawn
from one stream (``records-licences``); validity runs in the periods the rules set (身份证 5, 10
or 20 years or 长期 by age, 驾驶证 6 and 10 years then 长期), renewed at each expiry.
Numbers that must not repeat come from counters (档案编号, 登记证书编号, 许可证号) or from a
permutation of the plate space (号牌号码); 车辆识别代号 carry their check character.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.seed.codes import vin
from hub.seed.common import REGION, load_json, rng
from hub.seed.enterprises import Enterprise
from hub.seed.population import TODAY, YEAR, Household, Person

Data = dict[str, Any]
_ID_CARDS_SINCE = date(1985, 1, 1).toordinal()
_DRIVING_SINCE = date(1992, 1, 1).toordinal()
_CARS_SINCE = date(2008, 1, 1).toordinal()
_VEHICLE_OFFICE = "云溪新区公安分局车辆管理所"
_TRANSPORT_OFFICE = "云溪新区交通运输局"
#: Plate serials: two of 0-9 and A-Z without I and O, then three digits.
_PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PLATE_SPACE = len(_PLATE_CHARS) ** 2 * 1000
_PLATE_PREFIXES = "YZXWVUTS"
#: VIN model-year codes from 2001.
_MODEL_YEARS = "123456789ABCDEFGHJKLMNPRSTVWXY"
_VIN_PLANTS = "ABCDEFGH"


@dataclass(frozen=True, slots=True)
class _Model:
    name: str
    wmi: str
    vds: str
    kind: str
    use: str
    engine: str


def _years_on(day: int, years: int) -> int:
    d = date.fromordinal(day)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28).toordinal()


def _dotted(day: int) -> str:
    d = date.fromordinal(day)
    return f"{d.year}.{d.month:02d}.{d.day:02d}"


class Licences:
    def __init__(self) -> None:
        src = load_json("population.json")
        self.r = rng("records-licences")
        self.classes = [c for c, _ in src["driving_classes"]]
        self.class_cum = list(itertools.accumulate(w for _, w in src["driving_classes"]))
        self.models: dict[str, list[_Model]] = {}
        self.model_cum: dict[str, list[int]] = {}
        for name, wmi, kind, use, engine, weight, owner in src["vehicles"]:
            vds = re.sub("[^0-9A-HJ-NPR-Z]", "", name.split("牌")[1].upper())[:5].ljust(5, "0")
            for group in (owner, "company") if owner == "person" else (owner,):
                self.models.setdefault(group, []).append(_Model(name, wmi, vds, kind, use, engine))
                cum = self.model_cum.setdefault(group, [])
                cum.append((cum[-1] if cum else 0) + weight)
        self.driver_files = 0
        self.vehicles = 0
        self.permits = 0

    def _pick(self, cum: list[int]) -> int:
        return bisect.bisect_right(cum, self.r.random() * cum[-1])

    # -- people ----------------------------------------------------------------------------------

    def id_card(self, person: Person, home: Household) -> Data | None:
        r = self.r
        age = person.age
        if r.random() >= (0.8 if age >= 16 else 0.1 if age >= 1 else 0.0):
            return None
        birth = person.birth.toordinal()
        if age >= 16:  # at 16 or soon after; before 1985 there were no cards to issue
            first = min(TODAY, birth + int((16 + r.random() * 2) * YEAR))
            first = max(first, _ID_CARDS_SINCE + int(r.random() * 5 * YEAR))
        else:
            first = birth + int(r.random() * (TODAY - birth))
        issued = first
        while True:
            at = (issued - birth) / YEAR
            years = 5 if at < 16 else 10 if at < 26 else 20 if at < 46 else 0
            if not years or _years_on(issued, years) > TODAY:
                break
            issued = _years_on(issued, years)
        until = _dotted(_years_on(issued, years)) if years else "长期"
        return {
            "证照编号": person.cert,
            "证照名称": "居民身份证",
            "姓名": person.name,
            "性别": person.sex,
            "民族": person.ethnic.removesuffix("族"),
            "出生日期": person.birth.isoformat(),
            "住址": home.address,
            "公民身份号码": person.cert,
            "签发机关": "云溪新区公安分局",
            "有效期限": f"{_dotted(issued)}-{until}",
            "证照状态": "有效",
        }

    def household_book(self, home: Household) -> Data | None:
        if home.collective or self.r.random() >= 0.65:
            return None
        head = home.head
        since = max(p.registered.toordinal() for p in home.members)
        issued = since + int(self.r.random() * max(1, TODAY - since))
        return {
            "证照编号": home.number,
            "证照名称": "居民户口簿",
            "户号": home.number,
            "户别": "家庭户",
            "户主姓名": head.name,
            "户主公民身份号码": head.cert,
            "住址": home.address,
            "户籍人数": len(home.members),
            "签发机关": home.station,
            "签发日期": date.fromordinal(issued).isoformat(),
            "证照状态": "有效",
        }

    def driving(self, person: Person) -> Data | None:
        """A 驾驶证, or None; its first day is in ``["初次领证日期"]``."""
        r = self.r
        age = person.age
        share = (0.58 if person.male else 0.4) * (0.6 if age > 60 else 1.0)
        if not 18 <= age <= 70 or r.random() >= share:
            return None
        birth = person.birth.toordinal()
        earliest = max(birth + int(18 * YEAR), _DRIVING_SINCE)
        first = earliest + int(r.random() ** 1.3 * (TODAY - earliest))
        start, period = first, 6
        while period and _years_on(start, period) <= TODAY:
            start = _years_on(start, period)
            period = 10 if period == 6 else 0
        self.driver_files += 1
        points = 0 if r.random() < 0.8 else r.choice((1, 2, 3, 3, 6, 6, 9))
        return {
            "证照编号": person.cert,
            "证照名称": "机动车驾驶证",
            "姓名": person.name,
            "性别": person.sex,
            "公民身份号码": person.cert,
            "准驾车型": self.classes[self._pick(self.class_cum)],
            "初次领证日期": date.fromordinal(first).isoformat(),
            "有效期起": date.fromordinal(start).isoformat(),
            "有效期限": f"{period}年" if period else "长期",
            "档案编号": f"5199{self.driver_files:08d}",
            "发证机关": _VEHICLE_OFFICE,
            "累积记分": points,
            "证照状态": "正常",
        }

    def car_of(self, person: Person, home: Household, licensed: str) -> Data | None:
        """Maybe a car registered to a driver, not before they could drive it."""
        if self.r.random() >= 0.5:
            return None
        since = max(date.fromisoformat(licensed).toordinal(), _CARS_SINCE)
        return self._vehicle("person", person.name, person.cert, home.address, since)

    # -- companies -------------------------------------------------------------------------------

    def business(self, firm: Enterprise) -> Data | None:
        if firm.status != "存续" or self.r.random() >= 0.85:
            return None
        founded = firm.founded.toordinal()
        return {
            "证照编号": firm.code,
            "证照名称": "营业执照",
            "持证主体名称": firm.name,
            "持证主体代码": firm.code,
            "发证机关": firm.authority,
            "发证日期": firm.founded.isoformat(),
            "有效期起": firm.founded.isoformat(),
            "有效期止": date.fromordinal(_years_on(founded, 30)).isoformat(),
            "许可内容": firm.scope,
            "证照状态": "有效",
            "更新时间": firm.updated,
        }

    def transport(self, firm: Enterprise) -> Data | None:
        if firm.permit is None or firm.status != "存续":
            return None
        start = firm.founded.toordinal() + int(self.r.random() * 90)
        while _years_on(start, 4) <= TODAY:
            start = _years_on(start, 4)
        self.permits += 1
        issued = date.fromordinal(start).isoformat()
        updated = firm.updated if firm.updated[:10] >= issued else f"{issued}T09:30:00+08:00"
        return {
            "证照编号": f"{REGION}{self.permits:06d}",
            "证照名称": "道路运输经营许可证",
            "持证主体名称": firm.name,
            "持证主体代码": firm.code,
            "发证机关": _TRANSPORT_OFFICE,
            "发证日期": issued,
            "有效期起": issued,
            "有效期止": date.fromordinal(_years_on(start, 4) - 1).isoformat(),
            "许可内容": firm.permit,
            "证照状态": "有效",
            "更新时间": updated,
        }

    def fleet(self, firm: Enterprise) -> list[Data]:
        """A transport company's vehicles, or a car or two of another company."""
        r = self.r
        if firm.status != "存续":
            return []
        if firm.fleet:
            count, group = min(40, int(r.paretovariate(1.4) * 3)), firm.fleet
        elif r.random() < 0.2:
            count, group = 1 + (r.random() < 0.3), "company"
        else:
            return []
        since = max(firm.founded.toordinal(), _CARS_SINCE)
        return [
            self._vehicle(group, firm.name, firm.code, firm.address, since) for _ in range(count)
        ]

    # -- vehicles --------------------------------------------------------------------------------

    def _vehicle(self, group: str, owner: str, owner_code: str, address: str, since: int) -> Data:
        r = self.r
        model = self.models[group][self._pick(self.model_cum[group])]
        registered = since + int(r.random() * max(1, TODAY - since))
        year = date.fromordinal(registered).year
        k = self.vehicles
        self.vehicles += 1
        serial = (k % _PLATE_SPACE * 7919 + 104_729) % _PLATE_SPACE
        prefix = _PLATE_PREFIXES[k // _PLATE_SPACE % len(_PLATE_PREFIXES)]
        letters = _PLATE_CHARS[serial // 34_000] + _PLATE_CHARS[serial // 1000 % 34]
        plate = f"川{prefix}{letters}{serial % 1000:03d}"
        code = vin(
            model.wmi + model.vds,
            f"{_MODEL_YEARS[year - 2001]}{_VIN_PLANTS[k // 10**6 % 8]}{k % 10**6:06d}",
        )
        issued = (
            registered if r.random() < 0.9 else registered + int(r.random() * (TODAY - registered))
        )
        return {
            "证照编号": f"{REGION}{k + 1:06d}",
            "证照名称": "机动车行驶证",
            "号牌号码": plate,
            "车辆类型": model.kind,
            "所有人": owner,
            "所有人证件号码": owner_code,
            "住址": address,
            "使用性质": model.use,
            "品牌型号": model.name,
            "车辆识别代号": code,
            "发动机号码": f"{model.engine}{int(r.random() * 10**7):07d}",
            "注册日期": date.fromordinal(registered).isoformat(),
            "发证日期": date.fromordinal(issued).isoformat(),
            "发证机关": _VEHICLE_OFFICE,
            "证照状态": "有效",
        }
