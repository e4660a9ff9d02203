"""Who the seeded staff are: names, their pinyin, mobile numbers, 身份证号 and birthdays.

One :class:`People` draws everything personal from its own random stream (``people`` for staff)
and never hands out the same mobile number or 身份证号 twice. Which posts exist is
:mod:`hub.seed.posts`; putting people into them is :mod:`hub.seed.staff`. The residents behind
the served records draw their names from a :class:`People` of their own
(:mod:`hub.seed.population`).
"""

from __future__ import annotations

import bisect
import itertools
from datetime import date
from functools import cache

from pypinyin import lazy_pinyin

from hub.models.enums import Gender
from hub.seed.codes import id_card
from hub.seed.common import load_json, random_date, rng

_MOBILE_PREFIXES = (
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "177", "180", "181", "182", "183", "187", "188", "189", "191", "198", "199",
)  # fmt: skip
#: Where people of the city were born (region code, weight); the new area is 519901.
BIRTH_REGIONS = (("519901", 50), ("519902", 12), ("519903", 10), ("519921", 10), ("519931", 8))


@cache
def _char_pinyin(ch: str) -> str:
    return "".join(lazy_pinyin(ch)).lower()


class People:
    """Names, genders, phone numbers and 身份证号 for one city, without repeats."""

    def __init__(self, stream: str = "people") -> None:
        src = load_json("names.json")
        self.r = rng(stream)
        self.surnames = [s for s, _ in src["surnames"]]
        self.cum = list(itertools.accumulate(w for _, w in src["surnames"]))
        self.surname_pinyin: dict[str, str] = src["surname_pinyin"]
        self.given = {Gender.MALE: src["given_male"], Gender.FEMALE: src["given_female"]}
        self.mobiles: set[str] = set()
        self.certs: set[str] = set()
        self.regions = [code for code, _ in BIRTH_REGIONS]
        self.region_weights = [w for _, w in BIRTH_REGIONS]

    def surname(self) -> str:
        x = self.r.random() * self.cum[-1]
        return self.surnames[bisect.bisect_right(self.cum, x)]

    def name(self, gender: Gender) -> str:
        surname = self.surname()
        return surname + self.given_name(gender, surname)

    def given_name(self, gender: Gender, surname: str) -> str:
        pool = self.given[gender]
        length = 1 if self.r.random() < 0.18 else 2
        while True:
            given = "".join(self.r.choice(pool) for _ in range(length))
            if surname not in given and (length == 1 or given[0] != given[1]):
                return given

    def pinyin(self, name: str) -> str:
        for surname in (name[:2], name[:1]):
            if surname in self.surname_pinyin or (len(surname) == 2 and surname in self.surnames):
                head = self.surname_pinyin.get(surname) or "".join(map(_char_pinyin, surname))
                return head + "".join(map(_char_pinyin, name[len(surname) :]))
        return "".join(map(_char_pinyin, name))

    def mobile(self) -> str:
        while True:
            number = self.r.choice(_MOBILE_PREFIXES) + f"{self.r.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def cert_no(self, birthday: date, gender: Gender) -> str:
        while True:
            region = self.r.choices(self.regions, self.region_weights)[0]
            seq = self.r.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            cert = id_card(f"{region}{birthday:%Y%m%d}{seq:03d}")
            if cert not in self.certs:
                self.certs.add(cert)
                return cert

    def birthday(self, leader: bool) -> date:
        first = date(1966, 1, 1) if leader else date(1967, 1, 1)
        last = date(1983, 12, 31) if leader else date(2001, 12, 31)
        return random_date(self.r, first, last)
