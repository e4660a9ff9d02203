"""Companies of the new area, each founded by one of the residents (its 法定代表人).

Every enterprise has a 统一社会信用代码 of category 91 (企业, 工商登记) with the new area's region
code: older ones carry their former 组织机构代码 (eight digits), those registered since October
2015 one beginning ``MA6``; both check characters are computed. Names follow the 企业名称 rules
(行政区划 + 字号 + 行业 + 组织形式), unique within an industry. Transport companies hold a
道路运输经营许可证 and a fleet; other companies may run a car or two.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from datetime import date

from hub.seed.codes import org_code, uscc
from hub.seed.common import REGION, load_json, rng
from hub.seed.population import TODAY, YEAR, Household, Person

#: Chance that a resident of working age (not a civil servant) runs a company.
FOUNDER_SHARE = 0.27
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_MA_SINCE = date(2015, 10, 1).toordinal()
_APPROVAL_SINCE = date(2019, 1, 1).toordinal()
_CAPITALS = ((10, 8), (30, 6), (50, 14), (100, 24), (200, 12), (300, 8), (500, 12), (1000, 10),
             (2000, 4), (5000, 2), (10000, 1))  # fmt: skip
_STATUS = (("存续", 91), ("注销", 6), ("吊销", 3))


@dataclass(slots=True)
class Enterprise:
    code: str
    name: str
    legal_rep: Person
    address: str
    founded: date
    capital: float
    scope: str
    authority: str
    industry: str
    employees: int
    phone: str
    status: str
    small: bool
    updated: str
    #: 许可内容 of its 道路运输经营许可证, and ``freight`` or ``passenger`` for its fleet.
    permit: str | None
    fleet: str | None


@dataclass(frozen=True, slots=True)
class _Industry:
    word: str
    category: str
    scope: str
    permit: str | None


class Enterprises:
    """Draws companies from a stream of their own (``records-enterprises``)."""

    def __init__(self) -> None:
        src = load_json("population.json")
        self.r = rng("records-enterprises")
        self.industries = [_Industry(w, c, s, p) for w, c, s, _, p in src["industries"]]
        self.industry_cum = list(itertools.accumulate(row[3] for row in src["industries"]))
        self.forms = [form for form, _ in src["company_forms"]]
        self.form_cum = list(itertools.accumulate(w for _, w in src["company_forms"]))
        self.chars: str = src["trade_name_chars"]
        self.capitals = [float(c) for c, _ in _CAPITALS]
        self.capital_cum = list(itertools.accumulate(w for _, w in _CAPITALS))
        self.statuses = [s for s, _ in _STATUS]
        self.status_cum = list(itertools.accumulate(w for _, w in _STATUS))
        self.bodies: set[str] = set()
        self.names: set[tuple[str, str]] = set()

    def _pick(self, cum: list[float] | list[int]) -> int:
        return bisect.bisect_right(cum, self.r.random() * cum[-1])

    def founded_by(self, person: Person, home: Household) -> Enterprise | None:
        """Maybe a company with ``person`` as its 法定代表人."""
        r = self.r
        age = person.age
        if person.staff or not 25 <= age <= 65 or r.random() >= FOUNDER_SHARE:
            return None
        industry = self.industries[self._pick(self.industry_cum)]
        earliest = max(person.birth.toordinal() + int(22 * YEAR), date(2003, 1, 1).toordinal())
        founded = max(earliest, TODAY - int(r.random() ** 1.7 * 23 * YEAR))
        code = self._code(founded)
        trade = self._trade_name(industry.word)
        form = self.forms[self._pick(self.form_cum)]
        if r.random() < 0.8:
            name = f"云溪新区{trade}{industry.word}{form}"
        else:
            name = f"{trade}（云溪新区）{industry.word}{form}"
        capital = self.capitals[self._pick(self.capital_cum)]
        employees = min(2000, int(r.paretovariate(1.2) * 3))
        if r.random() < 0.6:
            phone = f"028-8{int(r.random() * 10**7):07d}"
        else:
            phone = f"1{r.choice('35789')}{int(r.random() * 10**9):09d}"
        street = home.street if r.random() < 0.3 else r.choice(("云溪", "临江", "白鹭湾", "青岚"))
        address = (
            f"云溪新区{street}街道{r.choice(('天府', '锦城', '科创', '滨江', '云溪'))}"
            f"{r.choice(('大道', '路', '街'))}{1 + int(r.random() * 999)}号"
            f"{1 + int(r.random() * 12)}栋{1 + int(r.random() * 30)}层{1 + int(r.random() * 20)}号"
        )
        status = self.statuses[self._pick(self.status_cum)]
        updated = max(founded, TODAY - int(r.random() * 300))
        fleet = None
        if industry.permit:
            fleet = "passenger" if "旅客" in industry.permit else "freight"
        return Enterprise(
            code=code,
            name=name,
            legal_rep=person,
            address=address,
            founded=date.fromordinal(founded),
            capital=capital,
            scope=industry.scope,
            authority="云溪新区行政审批局"
            if founded >= _APPROVAL_SINCE
            else "云溪新区市场监督管理局",
            industry=industry.category,
            employees=employees,
            phone=phone,
            status=status,
            small=employees < 100 and capital <= 1000,
            updated=f"{date.fromordinal(updated).isoformat()}T{9 + int(r.random() * 9):02d}:"
            f"{int(r.random() * 60):02d}:{int(r.random() * 60):02d}+08:00",
            permit=industry.permit,
            fleet=fleet,
        )

    def _code(self, founded: int) -> str:
        r = self.r
        while True:
            if founded >= _MA_SINCE:
                body = "MA6" + "".join(r.choice(_USCC_CHARS) for _ in range(5))
            else:
                body = f"{r.randrange(10**7, 10**8):08d}"
            if body not in self.bodies:
                self.bodies.add(body)
                return uscc("91" + REGION + org_code(body))

    def _trade_name(self, word: str) -> str:
        """A 字号 not yet used in this industry: two characters, three once those run short."""
        r, chars = self.r, self.chars
        length = 2
        for attempt in itertools.count():
            if attempt == 20:
                length = 3
            trade = "".join(r.choice(chars) for _ in range(length))
            if len(set(trade)) == length and (trade, word) not in self.names:
                self.names.add((trade, word))
                return trade
        raise AssertionError("unreachable")
