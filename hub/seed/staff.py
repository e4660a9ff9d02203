"""Government staff and their memberships.

Every member of staff holds exactly one active primary membership. On top of that about 8% hold
a concurrent post (兼职), a few are seconded (借调) or acting (代理), and about 6% carry an ended
primary membership from a transfer (调动), so history queries have something to show.

This module fills the posts: the well-known accounts first, then every slot that
:mod:`hub.seed.posts` lays out for each org with a person from :mod:`hub.seed.people`, then
roles and the memberships beyond the primary one.

Well-known accounts (all share the password the caller passes to the loader):

=================  =========================================================================
login_no           who
=================  =========================================================================
``admin``          system administrator (``is_system_admin``), primary post in the 管委会
``tzcj_admin``     org admin (roles ``["admin"]``) of 投资促进局
``kjcx_admin``     org admin (roles ``["admin"]``) of 科教创新区
``tzcj_clerk``     科员 of 投资促进局 with no roles (the clerk of the transfer story)
``tzcj_reviewer``  data-sharing reviewer (roles ``["reviewer"]``) of 投资促进局
``gafj_reviewer``  data-sharing reviewer (roles ``["reviewer"]``) of 公安分局, the provider of
                   户籍人口基本信息 and the 证照 the hub serves
=================  =========================================================================

The first five take ids 1–5; accounts added later are appended after the generated staff
(``gafj_reviewer`` is the last id). Every well-known account takes a post the generator would
otherwise fill, so the city keeps its 19,870 staff.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from hub.models.enums import (
    EndReason,
    Gender,
    MembershipStatus,
    OrgKind,
    PostType,
    Role,
    StaffStatus,
)
from hub.seed.common import SEED_DATE, SEED_TIME, Row, random_date, rng
from hub.seed.orgs import OrgTree
from hub.seed.people import People
from hub.seed.posts import CIVIL_CLERK_RANKS, allocate, pick_rank, slots_for

#: Staff of the source city, the well-known accounts included.
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


#: Accounts that docs, demos and tests sign in with: the first five take ids 1–5 in this order,
#: the rest are appended after the generated staff in this order.
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
    WellKnownAccount(
        "gafj_reviewer", "郑浩然", Gender.MALE, "GW-GAFJ", "科员", "一级科员",
        roles=(Role.REVIEWER.value,), description="data-sharing reviewer of 公安分局",
    ),
    WellKnownAccount(
        "catalogue_editor", "孙雅婷", Gender.FEMALE, "GW", "政务服务事项管理员", "一级科员",
        roles=(Role.CATALOGUE.value,),
        description="catalogue staff of the city: grows the search synonym table",
    ),
)  # fmt: skip
#: How many of :data:`WELL_KNOWN_ACCOUNTS` come first (ids 1–5); never change it.
_LEADING = 5


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
        "must_change_password": False,
        "locked_until": None,
        "version": 1,
        "created_at": SEED_TIME,
        "updated_at": SEED_TIME,
    }


def _account_row(
    staff_id: int, account: WellKnownAccount, people: People, password_hash: str | None
) -> Row:
    pinyin = people.pinyin(account.name)
    birthday = people.birthday(leader=False)
    return _staff_row(
        staff_id, account.login_no, account.name, pinyin, account.gender, people.mobile(),
        people.cert_no(birthday, account.gender),
        is_system_admin=account.is_system_admin, password_hash=password_hash,
    )  # fmt: skip


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


def build_staff(
    tree: OrgTree, *, password_hash: str | None, review_org_codes: list[str]
) -> StaffRows:
    """All staff and memberships; ``review_org_codes`` (data providers) get a reviewer each."""
    people = People()
    r = rng("staff")
    kinds = {row["id"]: row["kind"] for row in tree.rows}
    counts = allocate(tree, STAFF_COUNT)
    leading, appended = WELL_KNOWN_ACCOUNTS[:_LEADING], WELL_KNOWN_ACCOUNTS[_LEADING:]
    for account in WELL_KNOWN_ACCOUNTS:  # they take posts the generator would otherwise fill
        counts[tree.id(account.org_code)] -= 1

    staff: list[Row] = []
    primaries: dict[int, Row] = {}
    leaders: set[int] = set()
    latest_start = SEED_DATE - timedelta(days=92)

    for account in leading:
        sid = len(staff) + 1
        staff.append(_account_row(sid, account, people, password_hash))
        primaries[sid] = _membership(
            sid, tree.id(account.org_code), account.position, account.rank, PostType.PRIMARY,
            date(2019, 9, 2), roles=list(account.roles),
        )  # fmt: skip

    for org in tree.rows:
        slots = slots_for(org, kinds.get(org["parent_id"]), counts[org["id"]])
        for slot in slots:
            sid = len(staff) + 1
            gender = Gender.MALE if r.random() < (0.62 if slot.leader else 0.52) else Gender.FEMALE
            name = people.name(gender)
            birthday = people.birthday(slot.leader)
            pinyin = people.pinyin(name)
            staff.append(
                _staff_row(
                    sid, f"S{sid - _LEADING:05d}", name, pinyin, gender,
                    people.mobile(), people.cert_no(birthday, gender),
                    is_system_admin=False, password_hash=password_hash,
                )
            )  # fmt: skip
            earliest = max(date(birthday.year + 22, 7, 1), date(2004, 7, 1))
            starts_on = random_date(r, min(earliest, latest_start), latest_start)
            primaries[sid] = _membership(
                sid, org["id"], slot.position, pick_rank(r, slot.ranks), PostType.PRIMARY, starts_on
            )
            if slot.leader:
                leaders.add(sid)

    _assign_roles(tree, primaries, leaders, review_org_codes)
    extra = _extra_memberships(tree, primaries, leaders, r)
    for account in appended:  # last, so that no earlier draw moves
        sid = len(staff) + 1
        staff.append(_account_row(sid, account, people, password_hash))
        primaries[sid] = _membership(
            sid, tree.id(account.org_code), account.position, account.rank, PostType.PRIMARY,
            date(2023, 7, 10), roles=list(account.roles),
        )  # fmt: skip
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
        if sid not in leaders and sid > _LEADING:
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
    generated = sorted(sid for sid in primaries if sid > _LEADING)

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
                sid, old_org, "科员", pick_rank(r, CIVIL_CLERK_RANKS[:3]), PostType.PRIMARY,
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
