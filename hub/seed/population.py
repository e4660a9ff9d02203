"""Who lives in the new area: the households behind 户籍人口基本信息 and 婚姻登记信息.

:class:`Population` yields households one at a time (so a million residents never sit in
memory): a 户主 with spouse, children or elderly parents as the household's kind says, each
with a 公民身份号码 whose region code is one of the city's, whose birth date is theirs and whose
check character is right. Every seeded member of staff is one of the residents (their own name
and 身份证号), spread over the households; the rest draw names from the seed name lists.

身份证号 stay unique without remembering them: a counter per region, birth date and sex walks
the 500 sequence numbers of that day in a fixed permuted order.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from hub.models.enums import Gender
from hub.seed.codes import id_card
from hub.seed.common import SEED_DATE, Row, load_json, rng
from hub.seed.orgs import OrgTree
from hub.seed.people import BIRTH_REGIONS, People

#: Residents per unit of scale.
PERSONS_PER_SCALE = 100_000
YEAR = 365.25
TODAY = SEED_DATE.toordinal() - 1  # the last day of 2025
#: Marriages registered before this day are on paper only.
DIGITAL_SINCE = date(1986, 1, 1).toordinal()
#: Adults who moved in came after this day.
_REGISTERS_SINCE = date(1990, 1, 1).toordinal()
_KINDS = (("single", 16), ("couple", 18), ("family", 46), ("three", 12), ("lone", 5), ("group", 3))
_AGES = {
    "single": (20, 88),
    "couple": (24, 86),
    "family": (26, 55),
    "three": (28, 52),
    "lone": (28, 55),
    "group": (18, 35),
}


@dataclass(slots=True)
class Person:
    name: str
    cert: str
    male: bool
    birth: date
    ethnic: str
    birthplace: str
    native: str
    relation: str = "户主"
    registered: date = SEED_DATE
    staff: bool = False
    #: Whole years at the end of 2025.
    age: int = field(init=False)

    def __post_init__(self) -> None:
        self.age = int((TODAY - self.birth.toordinal()) / YEAR)

    @property
    def sex(self) -> str:
        return "男" if self.male else "女"


@dataclass(slots=True)
class Marriage:
    husband: Person
    wife: Person
    married_on: date


@dataclass(slots=True)
class Household:
    number: str
    collective: bool
    address: str
    station: str
    street: str
    members: list[Person] = field(default_factory=list)
    marriages: list[Marriage] = field(default_factory=list)

    @property
    def head(self) -> Person:
        return self.members[0]


@dataclass(frozen=True, slots=True)
class _Place:
    street_no: int
    street: str
    community: str
    road: str


class Population:
    """The households of ``persons`` residents, staff among them, in a fixed order."""

    def __init__(self, tree: OrgTree, staff: list[Row], persons: int) -> None:
        src = load_json("population.json")
        self.r = rng("records-population")
        self.names = People("records-names")
        self.persons = persons
        self.regions = [code for code, _ in BIRTH_REGIONS]
        self.region_cum = list(itertools.accumulate(w for _, w in BIRTH_REGIONS))
        self.region_names: dict[str, str] = src["regions"]
        self.natives: list[str] = src["native_places"]
        self.ethnic = [name for name, _ in src["ethnic_groups"]]
        self.ethnic_cum = list(itertools.accumulate(w for _, w in src["ethnic_groups"]))
        self.kind_cum = list(itertools.accumulate(w for _, w in _KINDS))
        suffixes: list[str] = src["road_suffixes"]
        streets = {row["id"]: n for n, row in enumerate(tree.subdistricts, start=1)}
        self.places = []
        for n, row in enumerate(tree.communities):
            street, rest = row["name"].split("街道", 1)
            community = rest.removesuffix("居民委员会")
            road = community.removesuffix("社区") + suffixes[n % len(suffixes)]
            self.places.append(_Place(streets[row["parent_id"]], street, community, road))
        self.household_numbers = [0] * (len(tree.subdistricts) + 1)
        self.counters: dict[int, int] = {}
        self.staff = [s for s in staff if s["cert_no"]]
        self.staff_certs = {s["cert_no"] for s in self.staff}
        self.r.shuffle(self.staff)
        self.surnames = set(self.names.surnames)

    # -- who -------------------------------------------------------------------------------------

    def _pick(self, cum: list[int]) -> int:
        """An index drawn by the cumulative weights ``cum``."""
        return bisect.bisect_right(cum, self.r.random() * cum[-1])

    def cert(self, region: int, birth: date, male: bool) -> tuple[str, date]:
        """A new 公民身份号码 (and the birth date it carries, a day on if that day is full)."""
        code = self.regions[region]
        while True:
            ordinal = birth.toordinal()
            key = (ordinal * 8 + region) * 2 + male
            n = self.counters.get(key, 0)
            while n < 500:
                seq = (n * 211 + ordinal * 37 + region * 101) % 500
                n += 1
                cert = id_card(
                    f"{code}{birth.year}{birth.month:02d}{birth.day:02d}{seq * 2 + male:03d}"
                )
                if cert not in self.staff_certs:
                    self.counters[key] = n
                    return cert, birth
            self.counters[key] = n
            birth += timedelta(days=1)

    def _birth(self, low: float, high: float) -> date:
        """A birthday of somebody ``low`` to ``high`` years old at the end of 2025."""
        return date.fromordinal(TODAY - int((low + self.r.random() * (high - low)) * YEAR))

    def _origin(self, region: int) -> tuple[str, str]:
        place = self.region_names[self.regions[region]]
        native = place if self.r.random() < 0.65 else self.r.choice(self.natives)
        return place, native

    def person(
        self, birth: date, male: bool, *, surname: str | None = None, ethnic: str = "汉族"
    ) -> Person:
        r = self.r
        gender = Gender.MALE if male else Gender.FEMALE
        if surname is None:
            name = self.names.name(gender)
        else:
            name = surname + self.names.given_name(gender, surname)
        region = 0 if birth.year >= 2000 and r.random() < 0.7 else self._pick(self.region_cum)
        cert, birth = self.cert(region, birth, male)
        birthplace, native = self._origin(region)
        return Person(name, cert, male, birth, ethnic, birthplace, native)

    def _from_staff(self, row: Row) -> Person:
        cert: str = row["cert_no"]
        birth = date(int(cert[6:10]), int(cert[10:12]), int(cert[12:14]))
        region = self.regions.index(cert[:6]) if cert[:6] in self.regions else 0
        birthplace, native = self._origin(region)
        male = row["gender"] == Gender.MALE.value
        return Person(
            row["name"], cert, male, birth, self._ethnic(), birthplace, native, staff=True
        )

    def _ethnic(self) -> str:
        return self.ethnic[self._pick(self.ethnic_cum)]

    def surname_of(self, name: str) -> str:
        return name[:2] if name[:2] in self.surnames else name[0]

    # -- households ------------------------------------------------------------------------------

    def households(self) -> Iterator[Household]:
        r = self.r
        left = self.persons
        expected = max(1.0, self.persons / 3.3)
        share = min(1.0, len(self.staff) / expected)
        while left > 0:
            anchor = None
            if self.staff and (r.random() < share or len(self.staff) * 5 >= left):
                anchor = self._from_staff(self.staff.pop())
            household = self._household(anchor, single=left < 6)
            left -= len(household.members)
            yield household

    def _household(self, anchor: Person | None, *, single: bool) -> Household:
        r = self.r
        kind = "single" if single else _KINDS[self._pick(self.kind_cum)][0]
        if anchor is None:
            low, high = _AGES[kind]
            anchor = self.person(self._birth(low, high), r.random() < 0.5, ethnic=self._ethnic())
        place = self.places[int(r.random() * len(self.places))]
        if kind == "group":
            return self._collective(anchor, place)
        self.household_numbers[place.street_no] += 1
        number = f"{place.street_no:02d}{self.household_numbers[place.street_no]:07d}"
        draw = r.random
        door, building, unit = 1 + int(draw() * 320), 1 + int(draw() * 18), 1 + int(draw() * 4)
        address = (
            f"云溪新区{place.street}街道{place.community}{place.road}{door}号{building}栋"
            f"{unit}单元{1 + int(draw() * 33)}{1 + int(draw() * 8):02d}号"
        )
        home = Household(number, False, address, self._station(place), place.street)
        members = home.members
        members.append(anchor)
        if kind in ("couple", "family", "three"):
            marriage = self._marry(anchor)
            husband, wife = marriage.husband, marriage.wife
            head, spouse = (husband, wife) if r.random() < 0.78 else (wife, husband)
            members[0] = head
            spouse.relation = "配偶"
            members.append(spouse)
            home.marriages.append(marriage)
            if kind != "couple":
                first = marriage.married_on.toordinal() + 300 + int(r.random() * 4 * YEAR)
                self._children(home, husband, wife, first, 1 if kind == "three" else 3)
            if kind == "three":
                self._elders(home, head)
        elif kind == "lone":
            first = anchor.birth.toordinal() + int((23 + r.random() * 12) * YEAR)
            father, mother = (anchor, None) if anchor.male else (None, anchor)
            self._children(home, father, mother, first, 2)
        for person in members:
            self._register(person, home)
        return home

    def _station(self, place: _Place) -> str:
        return f"云溪新区公安分局{place.street}派出所"

    def _collective(self, person: Person, place: _Place) -> Household:
        number = f"{place.street_no:02d}0000000"
        address = f"云溪新区{place.street}街道{place.road}1号"
        person.relation = "集体户成员"
        home = Household(number, True, address, self._station(place), place.street, [person])
        self._register(person, home)
        return home

    def _marry(self, anchor: Person) -> Marriage:
        r = self.r
        gap = int((-2 + r.random() * 8) * YEAR)  # husband older by up to 6 years
        latest = TODAY - int(22.5 * YEAR)
        if anchor.male:
            birth = date.fromordinal(min(latest, anchor.birth.toordinal() + gap))
            spouse = self.person(birth, False, ethnic=self._spouse_ethnic(anchor))
            husband, wife = anchor, spouse
        else:
            birth = date.fromordinal(min(latest, anchor.birth.toordinal() - gap))
            spouse = self.person(birth, True, ethnic=self._spouse_ethnic(anchor))
            husband, wife = spouse, anchor
        legal = max(
            husband.birth.toordinal() + int(22 * YEAR), wife.birth.toordinal() + int(20 * YEAR)
        )
        married = legal + int(r.random() ** 1.6 * 12 * YEAR)
        if married >= TODAY - 30:
            married = legal + int(r.random() * max(1, TODAY - 30 - legal))
        return Marriage(husband, wife, date.fromordinal(married))

    def _spouse_ethnic(self, anchor: Person) -> str:
        return anchor.ethnic if self.r.random() < 0.9 else self._ethnic()

    def _children(
        self, home: Household, father: Person | None, mother: Person | None, first: int, most: int
    ) -> None:
        r = self.r
        count = 1 if r.random() < 0.5 else (2 if r.random() < 0.8 or most < 3 else 3)
        parent = mother or father
        assert parent is not None
        surname = None
        if father is not None and (mother is None or r.random() < 0.93):
            surname = self.surname_of(father.name)
        elif mother is not None:
            surname = self.surname_of(mother.name)
        last_birth = parent.birth.toordinal() + int(42 * YEAR)
        born = first
        for _ in range(min(count, most)):
            if born >= TODAY - 7 or born > last_birth:
                break
            if TODAY - born < 29 * YEAR:  # older children have homes of their own
                male = r.random() < 0.51
                child = self.person(
                    date.fromordinal(born), male, surname=surname, ethnic=parent.ethnic
                )
                child.relation = "子" if male else "女"
                child.native = (father or parent).native
                home.members.append(child)
            born += 400 + int(r.random() * 2600)

    def _elders(self, home: Household, head: Person) -> None:
        r = self.r
        born = head.birth.toordinal()
        father_birth = born - int((23 + r.random() * 12) * YEAR)
        mother_birth = min(father_birth + int((-1 + r.random() * 6) * YEAR), born - int(21 * YEAR))
        elders: list[Person] = []
        for birth, male in ((father_birth, True), (mother_birth, False)):
            age = (TODAY - birth) / YEAR
            if age > 99 or r.random() > (0.92 if age < 80 else 0.6 if age < 90 else 0.3):
                continue
            surname = self.surname_of(head.name) if male else None
            elder = self.person(date.fromordinal(birth), male, surname=surname, ethnic=head.ethnic)
            elder.relation = "父亲" if male else "母亲"
            if male:
                elder.native = head.native  # 籍贯 runs in the father's line
            elders.append(elder)
        home.members.extend(elders)
        if len(elders) == 2:
            legal = max(father_birth + int(22 * YEAR), mother_birth + int(20 * YEAR))
            married = date.fromordinal(legal + int(r.random() * max(1, born - 200 - legal)))
            home.marriages.append(Marriage(elders[0], elders[1], married))

    def _register(self, person: Person, home: Household) -> None:
        """登记日期: a few weeks after birth for children born here, else when they moved in."""
        r = self.r
        birth = person.birth.toordinal()
        if person.relation in ("子", "女"):
            if person.birthplace == "云溪新区":
                day = birth + 7 + int(r.random() * 60)
            else:
                day = birth + 30 + int(r.random() * max(1, TODAY - birth - 30))
        else:
            since = max(min(birth + int(18 * YEAR), TODAY - 30), _REGISTERS_SINCE)
            day = since + int(r.random() * max(1, TODAY - since))
        person.registered = date.fromordinal(min(day, TODAY))
