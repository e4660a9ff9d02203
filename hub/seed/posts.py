"""Which posts each org has: how many staff it gets, their titles and the ranks they hold.

Pure functions of the org tree, with no random stream of their own: :func:`allocate` shares the
headcount out over the orgs by weight, :func:`slots_for` turns one org's headcount into its leading
posts and ordinary ones (titles by kind and name of the org), and :func:`pick_rank` draws a rank
from a weighted pool with the caller's stream. :mod:`hub.seed.staff` fills the slots.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from hub.models.enums import OrgKind
from hub.seed.common import Row
from hub.seed.orgs import OrgTree

CIVIL_CLERK_RANKS = (
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


@dataclass(frozen=True)
class Slot:
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


def allocate(tree: OrgTree, total: int) -> dict[int, int]:
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


def slots_for(org: Row, parent_kind: str | None, n: int) -> list[Slot]:
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
        staff_titles, ranks = ("科员",), CIVIL_CLERK_RANKS
    elif kind in (OrgKind.MANAGEMENT_COMMITTEE, OrgKind.BUREAU):
        lead = [("head", head), ("deputy", deputy), ("deputy", deputy)]
        staff_titles, ranks = ("科员",), CIVIL_CLERK_RANKS
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
        ranks = CIVIL_CLERK_RANKS
    slots = [
        Slot(title, tuple((r, 1) for r in _LEADER_RANKS[level]), True) for level, title in lead
    ][: max(1, min(len(lead), n // 3 + 1))]
    titles = itertools.cycle(staff_titles)
    while len(slots) < n:
        slots.append(Slot(next(titles), ranks, False))
    return slots[:n]


def pick_rank(r: random.Random, pool: tuple[tuple[str, int], ...]) -> str:
    return r.choices([v for v, _ in pool], [w for _, w in pool])[0]
