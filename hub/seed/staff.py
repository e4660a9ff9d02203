"""Government staff and their memberships.

Every member of staff holds exactly one active primary membership. On top of that about 8% hold
a concurrent post (兼职), a few are seconded (借调) or acting (代理), and about 6% carry an ended
primary membership from a transfer (调动), so history queries have something to show.

Well-known accounts (all share the password the caller passes to the loader):

=================  =========================================================================
login_no           who
=================  =========================================================================
``admin``          system administrator (``is_system_admin``), primary post in the 管委会
``tzcj_admin``     org admin (roles ``["admin"]``) of 投资促进局
``kjcx_admin``     org admin (roles ``["admin"]``) of 科教创新区
``tzcj_clerk``     科员 of 投资促进局 with no roles (the clerk of the transfer story)
``tzcj_reviewer``  data-sharing reviewer (roles ``["reviewer"]``) of 投资促进局
=================  =========================================================================
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from pypinyin import lazy_pinyin

from hub.models.enums import (
    EndReason,
    Gender,
    MembershipStatus,
    OrgKind,
    PostType,
    Role,
    StaffStatus,
)
from hub.seed.codes import id_card
from hub.seed.common import SEED_DATE, SEED_TIME, Row, load_json, random_date, rng
from hub.seed.orgs import OrgTree

STAFF_COUNT = 19_870


@dataclass(frozen=True)
class WellKnownAccount:
    login_no: str
    name: str
    gender: Gender
    org_code: str
    position: str
    rank: str
    roles: tuple[str, ...] = ()
    is_system_admin: bool = False
    description: str = ""


#: Accounts that docs, demos and tests sign in with; ids 1–5 in this order.
WELL_KNOWN_ACCOUNTS: tuple[WellKnownAccount, ...] = (
    WellKnownAccount(
        "admin", "周明远", Gender.MALE, "GW", "信息化管理员", "一级主任科员",
        is_system_admin=True, description="system administrator, primary post in the 管委会",
    ),
    WellKnownAccount(
        "tzcj_admin", "李文博", Gender.MALE, "GW-TZCJ", "办公室主任", "四级调研员",
        roles=(Role.ADMIN.value,), description="org admin of 投资促进局",
    ),
    WellKnownAccount(
        "kjcx_admin", "陈思远", Gender.FEMALE, "GW-KJCX", "办公室主任", "四级调研员",
        roles=(Role.ADMIN.value,), description="org admin of 科教创新区",
    ),
    WellKnownAccount(
        "tzcj_clerk", "王小雨", Gender.FEMALE, "GW-TZCJ", "科员", "一级科员",
        description="科员 of 投资促进局 without roles; the transfer story moves them to 科教创新区",
    ),
    WellKnownAccount(
        "tzcj_reviewer", "赵晓晴", Gender.FEMALE, "GW-TZCJ", "科员", "四级主任科员",
        roles=(Role.REVIEWER.value,), description="data-sharing reviewer of 投资促进局",
    ),
)  # fmt: skip

_CIVIL_CLERK_RANKS = (
    ("二级科员", 8), ("一级科员", 22), ("四级主任科员", 24), ("三级主任科员", 18),
    ("二级主任科员", 14), ("一级主任科员", 10), ("四级调研员", 4),
)  # fmt: skip
_INSTITUTION_RANKS = (
    ("九级职员", 14), ("八级职员", 22), ("七级职员", 18), ("六级职员", 6),
    ("专业技术十二级", 10), ("专业技术十级", 14), ("专业技术八级", 10), ("专业技术七级", 6),
)  # fmt: skip
_COMMUNITY_RANKS = (
    ("三岗九级", 26), ("三岗八级", 22), ("三岗七级", 16), ("二岗六级", 14), ("二岗五级", 10),
    ("一岗三级", 6), ("一岗二级", 6),
)  # fmt: skip
_LEADER_RANKS = {
    "head": ("一级调研员", "二级巡视员"),
    "deputy": ("二级调研员", "三级调研员"),
    "division_head": ("三级调研员", "四级调研员"),
    "division_deputy": ("四级调研员", "一级主任科员"),
    "institution_head": ("五级职员", "六级职员"),
    "institution_deputy": ("六级职员", "七级职员"),
    "community_head": ("一岗一级", "一岗二级"),
}
_INSTITUTION_WEIGHTS = {
    "政务服务中心": 260, "妇幼保健院": 320, "疾控中心": 160, "社保中心": 180, "医保中心": 120,
    "不动产登记中心": 120, "大数据中心": 90, "公积金中心": 90, "公证处": 40, "法律援助中心": 25,
    "劳动仲裁院": 30, "图书馆": 45, "教科院": 60, "殡葬服务中心": 50, "计量所": 40,
    "环境监测站": 50, "交通运输服务中心": 70, "农技中心": 45, "城运中心": 90, "质安站": 60,
    "住房保障中心": 40, "投资服务中心": 40, "科创服务中心": 50, "退役军人服务中心": 30,
    "就业服务中心": 70, "公共资源交易中心": 50, "便民服务中心": 30,
}  # fmt: skip
_MOBILE_PREFIXES = (
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "177", "180", "181", "182", "183", "187", "188", "189", "191", "198", "199",
)  # fmt: skip
_BIRTH_REGIONS = (("519901", 50), ("519902", 12), ("519903", 10), ("519921", 10), ("519931", 8))


@dataclass(frozen=True)
class _Slot:
    position: str
    ranks: tuple[tuple[str, int], ...]
    leader: bool


def _weight(org: Row, parent_kind: str | None) -> int:
    kind = org["kind"]
    if kind == OrgKind.MANAGEMENT_COMMITTEE:
        return 30
    if kind == OrgKind.BUREAU:
        return 9
    if kind == OrgKind.SUBDISTRICT:
        return 10
    if kind == OrgKind.COMMUNITY:
        return 9
    if kind == OrgKind.INSTITUTION:
        return _INSTITUTION_WEIGHTS.get(org["short_name"], 60)
    if parent_kind == OrgKind.SUBDISTRICT:
        return 40 if org["short_name"].endswith("执法队") else 18
    return 60 if org["short_name"] in ("车辆管理所", "第一税务所", "指挥中心") else 25


def _allocate(tree: OrgTree, total: int) -> dict[int, int]:
    """Split ``total`` staff over the orgs by weight (largest remainder, ties by id)."""
    kinds = {row["id"]: row["kind"] for row in tree.rows}
    weights = {row["id"]: _weight(row, kinds.get(row["parent_id"])) for row in tree.rows}
    whole = sum(weights.values())
    shares = {oid: total * w / whole for oid, w in weights.items()}
    counts = {oid: int(s) for oid, s in shares.items()}
    left = total - sum(counts.values())
    by_remainder = sorted(shares, key=lambda oid: (-(shares[oid] - counts[oid]), oid))
    for oid in by_remainder[:left]:
        counts[oid] += 1
    return counts


def _head_titles(org: Row, parent_kind: str | None) -> tuple[str, str]:
    name, short = org["name"], org["short_name"]
    kind = org["kind"]
    if kind == OrgKind.MANAGEMENT_COMMITTEE:
        return "主任", "副主任"
    if kind == OrgKind.BUREAU:
        for suffix, titles in (
            ("公安分局", ("局长", "副局长")),
            ("大队", ("大队长", "副大队长")),
            ("联合会", ("理事长", "副理事长")),
            ("工作委员会", ("书记", "副书记")),
            ("部", ("部长", "副部长")),
            ("局", ("局长", "副局长")),
        ):
            if name.endswith(suffix):
                return titles
        return "主任", "副主任"
    if kind == OrgKind.SUBDISTRICT:
        return "党工委书记", "办事处副主任"
    if kind == OrgKind.COMMUNITY:
        return "党委书记、居委会主任", "居委会副主任"
    if kind == OrgKind.INSTITUTION:
        for suffix, titles in (
            ("院", ("院长", "副院长")),
            ("所", ("所长", "副所长")),
            ("站", ("站长", "副站长")),
            ("馆", ("馆长", "副馆长")),
        ):
            if short.endswith(suffix):
                return titles
        return "主任", "副主任"
    if short.endswith("执法队"):
        return "队长", "副队长"
    if short.endswith("所"):
        return "所长", "副所长"
    if short.endswith(("室", "中心")) or parent_kind == OrgKind.SUBDISTRICT:
        return "主任", "副主任"
    return "处长", "副处长"


def _slots(org: Row, parent_kind: str | None, n: int) -> list[_Slot]:
    head, deputy = _head_titles(org, parent_kind)
    kind = org["kind"]
    staff_titles: tuple[str, ...]
    ranks: tuple[tuple[str, int], ...]
    if kind == OrgKind.SUBDISTRICT:
        lead = [
            ("head", head),
            ("head", "办事处主任"),
            ("deputy", "党工委副书记"),
            ("deputy", deputy),
        ]
        staff_titles, ranks = ("科员",), _CIVIL_CLERK_RANKS
    elif kind in (OrgKind.MANAGEMENT_COMMITTEE, OrgKind.BUREAU):
        lead = [("head", head), ("deputy", deputy), ("deputy", deputy)]
        staff_titles, ranks = ("科员",), _CIVIL_CLERK_RANKS
    elif kind == OrgKind.INSTITUTION:
        lead = [("institution_head", head), ("institution_deputy", deputy)]
        staff_titles = ("科长", "副科长", *("工作人员",) * 8)
        if org["short_name"] in ("便民服务中心", "政务服务中心"):
            staff_titles = (
                "综合受理窗口工作人员",
                "工作人员",
                "帮办代办员",
                "综合受理窗口工作人员",
            )
        ranks = _INSTITUTION_RANKS
    elif kind == OrgKind.COMMUNITY:
        lead = [("community_head", head), ("community_head", deputy)]
        staff_titles = ("社区专职工作者", "社区专职工作者", "网格员", "居委会委员")
        ranks = _COMMUNITY_RANKS
    else:
        lead = [("division_head", head), ("division_deputy", deputy)]
        staff_titles = ("执法队员",) if head == "队长" else ("科员",)
        ranks = _CIVIL_CLERK_RANKS
    slots = [
        _Slot(title, tuple((r, 1) for r in _LEADER_RANKS[level]), True) for level, title in lead
    ][: max(1, min(len(lead), n // 3 + 1))]
    titles = itertools.cycle(staff_titles)
    while len(slots) < n:
        slots.append(_Slot(next(titles), ranks, False))
    return slots[:n]


@cache
def _char_pinyin(ch: str) -> str:
    return "".join(lazy_pinyin(ch)).lower()


class _People:
    """Names, genders, phone numbers and 身份证号 for one city, without repeats."""

    def __init__(self) -> None:
        src = load_json("names.json")
        self.r = rng("people")
        self.surnames = [s for s, _ in src["surnames"]]
        self.cum = list(itertools.accumulate(w for _, w in src["surnames"]))
        self.surname_pinyin: dict[str, str] = src["surname_pinyin"]
        self.given = {Gender.MALE: src["given_male"], Gender.FEMALE: src["given_female"]}
        self.mobiles: set[str] = set()
        self.certs: set[str] = set()
        self.regions = [code for code, _ in _BIRTH_REGIONS]
        self.region_weights = [w for _, w in _BIRTH_REGIONS]

    def surname(self) -> str:
        x = self.r.random() * self.cum[-1]
        return self.surnames[bisect.bisect_right(self.cum, x)]

    def name(self, gender: Gender) -> str:
        surname = self.surname()
        pool = self.given[gender]
        length = 1 if self.r.random() < 0.18 else 2
        while True:
            given = "".join(self.r.choice(pool) for _ in range(length))
            if surname not in given and (length == 1 or given[0] != given[1]):
                return surname + given

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


def _staff_row(
    staff_id: int,
    login_no: str,
    name: str,
    pinyin: str,
    gender: Gender,
    mobile: str,
    cert_no: str,
    *,
    is_system_admin: bool,
    password_hash: str | None,
) -> Row:
    return {
        "id": staff_id,
        "login_no": login_no,
        "name": name,
        "name_pinyin": pinyin,
        "gender": gender.value,
        "mobile": mobile,
        "email": f"{pinyin}.{login_no.lower()}@yunxi.example",
        "cert_no": cert_no,
        "status": StaffStatus.ACTIVE.value,
        "is_system_admin": is_system_admin,
        "password_hash": password_hash,
        "failed_logins": 0,
        "locked_until": None,
        "version": 1,
        "created_at": SEED_TIME,
        "updated_at": SEED_TIME,
    }


def _membership(
    staff_id: int,
    org_id: int,
    position: str,
    rank: str,
    post_type: PostType,
    starts_on: date,
    *,
    roles: list[str] | None = None,
    ends_on: date | None = None,
    end_reason: EndReason | None = None,
) -> Row:
    return {
        "id": 0,  # numbered once all memberships exist
        "staff_id": staff_id,
        "org_id": org_id,
        "position": position,
        "rank": rank,
        "post_type": post_type.value,
        "roles": list(roles or []),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "status": (MembershipStatus.ENDED if end_reason else MembershipStatus.ACTIVE).value,
        "end_reason": end_reason.value if end_reason else None,
        "version": 1,
        "created_at": SEED_TIME,
        "updated_at": SEED_TIME,
    }


@dataclass
class StaffRows:
    staff: list[Row]
    memberships: list[Row]


def _pick(r: random.Random, pool: tuple[tuple[str, int], ...]) -> str:
    return r.choices([v for v, _ in pool], [w for _, w in pool])[0]


def build_staff(
    tree: OrgTree, *, password_hash: str | None, review_org_codes: list[str]
) -> StaffRows:
    """All staff and memberships; ``review_org_codes`` (data providers) get a reviewer each."""
    people = _People()
    r = rng("staff")
    kinds = {row["id"]: row["kind"] for row in tree.rows}
    counts = _allocate(tree, STAFF_COUNT)
    for account in WELL_KNOWN_ACCOUNTS:
        counts[tree.id(account.org_code)] -= 1

    staff: list[Row] = []
    primaries: dict[int, Row] = {}
    leaders: set[int] = set()
    latest_start = SEED_DATE - timedelta(days=92)

    for account in WELL_KNOWN_ACCOUNTS:
        sid = len(staff) + 1
        pinyin = people.pinyin(account.name)
        birthday = people.birthday(leader=False)
        staff.append(
            _staff_row(
                sid, account.login_no, account.name, pinyin, account.gender, people.mobile(),
                people.cert_no(birthday, account.gender),
                is_system_admin=account.is_system_admin, password_hash=password_hash,
            )
        )  # fmt: skip
        primaries[sid] = _membership(
            sid, tree.id(account.org_code), account.position, account.rank, PostType.PRIMARY,
            date(2019, 9, 2), roles=list(account.roles),
        )  # fmt: skip

    for org in tree.rows:
        slots = _slots(org, kinds.get(org["parent_id"]), counts[org["id"]])
        for slot in slots:
            sid = len(staff) + 1
            gender = Gender.MALE if r.random() < (0.62 if slot.leader else 0.52) else Gender.FEMALE
            name = people.name(gender)
            birthday = people.birthday(slot.leader)
            pinyin = people.pinyin(name)
            staff.append(
                _staff_row(
                    sid, f"S{sid - len(WELL_KNOWN_ACCOUNTS):05d}", name, pinyin, gender,
                    people.mobile(), people.cert_no(birthday, gender),
                    is_system_admin=False, password_hash=password_hash,
                )
            )  # fmt: skip
            earliest = max(date(birthday.year + 22, 7, 1), date(2004, 7, 1))
            starts_on = random_date(r, min(earliest, latest_start), latest_start)
            primaries[sid] = _membership(
                sid, org["id"], slot.position, _pick(r, slot.ranks), PostType.PRIMARY, starts_on
            )
            if slot.leader:
                leaders.add(sid)

    _assign_roles(tree, primaries, leaders, review_org_codes)
    extra = _extra_memberships(tree, primaries, leaders, r)
    memberships: list[Row] = []
    for sid in range(1, len(staff) + 1):
        history = [m for m in extra.get(sid, []) if m["post_type"] == PostType.PRIMARY]
        others = [m for m in extra.get(sid, []) if m["post_type"] != PostType.PRIMARY]
        memberships.extend([*history, primaries[sid], *others])
    for n, m in enumerate(memberships, start=1):
        m["id"] = n
    if len(staff) != STAFF_COUNT:
        raise AssertionError(f"{len(staff)} staff generated, expected {STAFF_COUNT}")
    return StaffRows(staff=staff, memberships=memberships)


def _assign_roles(
    tree: OrgTree, primaries: dict[int, Row], leaders: set[int], review_org_codes: list[str]
) -> None:
    by_org: dict[int, list[int]] = {}
    for sid, m in primaries.items():
        if sid not in leaders and sid > len(WELL_KNOWN_ACCOUNTS):
            by_org.setdefault(m["org_id"], []).append(sid)

    def holders(org_id: int, role: str) -> bool:
        return any(m["org_id"] == org_id and role in m["roles"] for m in primaries.values())

    def grant(org_id: int, role: str, nth: int) -> None:
        if holders(org_id, role):
            return
        candidates = [sid for sid in by_org.get(org_id, []) if not primaries[sid]["roles"]]
        if not candidates:
            raise AssertionError(f"org {org_id} has nobody to hold role {role}")
        primaries[candidates[min(nth, len(candidates) - 1)]]["roles"] = [role]

    for org in [*tree.bureaus, *tree.subdistricts]:
        grant(org["id"], Role.ADMIN.value, 0)
        grant(org["id"], Role.REVIEWER.value, 1)
    for code in review_org_codes:
        grant(tree.id(code), Role.REVIEWER.value, 1)


def _extra_memberships(
    tree: OrgTree, primaries: dict[int, Row], leaders: set[int], r: random.Random
) -> dict[int, list[Row]]:
    """Concurrent, seconded and acting posts, and ended posts from earlier transfers."""
    kinds = {row["id"]: row["kind"] for row in tree.rows}
    parent = {row["id"]: row["parent_id"] for row in tree.rows}
    civil = [
        row["id"]
        for row in tree.rows
        if row["kind"] in (OrgKind.BUREAU, OrgKind.DIVISION, OrgKind.SUBDISTRICT)
    ]
    divisions_of: dict[int, list[int]] = {}
    for row in tree.rows:
        if row["kind"] in (OrgKind.DIVISION, OrgKind.INSTITUTION) and row["parent_id"]:
            divisions_of.setdefault(row["parent_id"], []).append(row["id"])
    bureau_divisions = [
        row["id"]
        for row in tree.rows
        if row["kind"] == OrgKind.DIVISION and kinds[row["parent_id"]] == OrgKind.BUREAU
    ]

    def unit(org_id: int) -> int:
        """The bureau or subdistrict an org belongs to (itself at that level)."""
        while kinds[org_id] not in (
            OrgKind.BUREAU,
            OrgKind.SUBDISTRICT,
            OrgKind.MANAGEMENT_COMMITTEE,
        ):
            org_id = parent[org_id]
        return org_id

    extra: dict[int, list[Row]] = {}
    generated = sorted(sid for sid in primaries if sid > len(WELL_KNOWN_ACCOUNTS))

    # 调动 history: an ended primary elsewhere, ending the day before the current one began.
    for sid in r.sample(generated, k=round(len(generated) * 0.06)):
        current = primaries[sid]
        if current["starts_on"] < date(2008, 1, 1):
            continue
        ends_on = current["starts_on"] - timedelta(days=1)
        starts_on = random_date(r, date(2004, 7, 1), ends_on - timedelta(days=365))
        old_org = r.choice([o for o in civil if o != current["org_id"]])
        extra.setdefault(sid, []).append(
            _membership(
                sid, old_org, "科员", _pick(r, _CIVIL_CLERK_RANKS[:3]), PostType.PRIMARY,
                starts_on, ends_on=ends_on, end_reason=EndReason.TRANSFER,
            )
        )  # fmt: skip

    # 兼职: another unit of the same bureau, or a subdistrict working group.
    for sid in r.sample(generated, k=round(len(generated) * 0.08)):
        current = primaries[sid]
        home = unit(current["org_id"])
        choices = [o for o in divisions_of.get(home, []) if o != current["org_id"]]
        if not choices or r.random() < 0.3:
            choices = [sd["id"] for sd in tree.subdistricts if sd["id"] != home]
        position = r.choice(("专班成员", "兼职联络员", "兼任副主任", "兼职审核员", "专班成员"))
        extra.setdefault(sid, []).append(
            _membership(
                sid, r.choice(choices), position, current["rank"], PostType.CONCURRENT,
                random_date(r, date(2023, 1, 1), date(2025, 9, 30)),
            )
        )  # fmt: skip

    # 借调: community and subdistrict staff lent to a bureau division for a year.
    grassroots = [
        sid
        for sid in generated
        if kinds[primaries[sid]["org_id"]] in (OrgKind.COMMUNITY, OrgKind.SUBDISTRICT)
        and sid not in leaders
    ]
    for sid in r.sample(grassroots, k=70):
        starts_on = random_date(r, date(2025, 3, 1), date(2025, 10, 31))
        extra.setdefault(sid, []).append(
            _membership(
                sid, r.choice(bureau_divisions), "借调工作人员", primaries[sid]["rank"],
                PostType.SECONDED, starts_on, ends_on=starts_on + timedelta(days=365),
            )
        )  # fmt: skip

    # 代理: a deputy minds a sister division whose head post is vacant.
    deputies = [
        sid
        for sid in generated
        if primaries[sid]["position"] == "副处长"
        and kinds[primaries[sid]["org_id"]] == OrgKind.DIVISION
    ]
    for sid in r.sample(deputies, k=35):
        home = unit(primaries[sid]["org_id"])
        sisters = [
            o
            for o in divisions_of.get(home, [])
            if o != primaries[sid]["org_id"] and kinds[o] == OrgKind.DIVISION
        ]
        if sisters:
            extra.setdefault(sid, []).append(
                _membership(
                    sid, r.choice(sisters), "代理处长", primaries[sid]["rank"], PostType.ACTING,
                    random_date(r, date(2025, 6, 1), date(2025, 12, 15)),
                )
            )  # fmt: skip

    # Concurrent posts that ran their course.
    for sid in r.sample(generated, k=120):
        starts_on = random_date(r, date(2020, 1, 1), date(2023, 6, 30))
        extra.setdefault(sid, []).append(
            _membership(
                sid, r.choice(civil), "专班成员", primaries[sid]["rank"], PostType.CONCURRENT,
                starts_on, ends_on=starts_on + timedelta(days=r.randint(90, 540)),
                end_reason=EndReason.EXPIRED,
            )
        )  # fmt: skip
    return extra
