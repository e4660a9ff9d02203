"""The org tree: one 管委会, its 委办局 with their 处室, 事业单位, 街道 with offices, a 便民服务中心
and 社区. Ids are assigned in depth-first order before insert, so ``path`` is known up front.

Credit codes: 机关 ``11``, 群团 ``13``, 事业单位 ``12`` and 居民委员会 ``55`` (民政 assigns
community committees category 5); 处室 and 街道 offices are internal units and have none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.models.enums import OrgKind, OrgStatus
from hub.models.orgs import child_path
from hub.seed.codes import org_code, uscc
from hub.seed.common import REGION, SEED_TIME, Row, load_json, rng

#: Size of the tree at every scale; staff and datasets hang off it.
ORG_COUNT = 1039


@dataclass
class OrgTree:
    rows: list[Row] = field(default_factory=list)
    by_code: dict[str, Row] = field(default_factory=dict)
    bureaus: list[Row] = field(default_factory=list)
    subdistricts: list[Row] = field(default_factory=list)
    communities: list[Row] = field(default_factory=list)

    def id(self, code: str) -> int:
        return int(self.by_code[code]["id"])

    def children(self, org_id: int) -> list[Row]:
        return [row for row in self.rows if row["parent_id"] == org_id]


class _Builder:
    def __init__(self) -> None:
        self.tree = OrgTree()
        self.r = rng("orgs")
        self.used_bodies: set[str] = set()
        self.sort: dict[int | None, int] = {}

    def _credit_code(self, category: str) -> str:
        while True:
            body = f"{self.r.randrange(10**7, 10**8):08d}"
            if body not in self.used_bodies:
                self.used_bodies.add(body)
                return uscc(category + REGION + org_code(body))

    def add(
        self,
        *,
        code: str,
        name: str,
        short_name: str,
        kind: OrgKind,
        parent: Row | None,
        category: str | None,
        region_code: str,
    ) -> Row:
        org_id = len(self.tree.rows) + 1
        parent_id = parent["id"] if parent else None
        self.sort[parent_id] = self.sort.get(parent_id, 0) + 1
        row: Row = {
            "id": org_id,
            "parent_id": parent_id,
            "path": child_path(parent["path"], org_id) if parent else f"/{org_id}/",
            "depth": parent["depth"] + 1 if parent else 0,
            "code": code,
            "uscc": self._credit_code(category) if category else None,
            "name": name,
            "short_name": short_name,
            "kind": kind.value,
            "region_code": region_code,
            "status": OrgStatus.ACTIVE.value,
            "sort_order": self.sort[parent_id],
            "created_at": SEED_TIME,
            "updated_at": SEED_TIME,
        }
        self.tree.rows.append(row)
        self.tree.by_code[code] = row
        return row


def _community_names(first: list[str], second: list[str], count: int) -> list[str]:
    pairs = [a + b for a in first for b in second if a != b]
    rng("community-names").shuffle(pairs)
    if len(pairs) < count:
        raise ValueError("not enough community name pairs in orgs.json")
    return pairs[:count]


def build_orgs() -> OrgTree:
    src = load_json("orgs.json")
    b = _Builder()
    city_region = REGION + "000000"
    root = b.add(
        code=src["root"]["code"],
        name=src["root"]["name"],
        short_name=src["root"]["short_name"],
        kind=OrgKind.MANAGEMENT_COMMITTEE,
        parent=None,
        category="11",
        region_code=city_region,
    )
    institutions_by_parent: dict[str, list[dict[str, str]]] = {}
    for inst in src["institutions"]:
        institutions_by_parent.setdefault(inst["parent"], []).append(inst)

    def add_institutions(parent: Row) -> None:
        for inst in institutions_by_parent.get(parent["code"], []):
            b.add(
                code=inst["code"],
                name=inst["name"],
                short_name=inst["short_name"],
                kind=OrgKind.INSTITUTION,
                parent=parent,
                category="12",
                region_code=city_region,
            )

    for bureau_src in src["bureaus"]:
        bureau = b.add(
            code=bureau_src["code"],
            name=bureau_src["name"],
            short_name=bureau_src["short_name"],
            kind=OrgKind.BUREAU,
            parent=root,
            category="13" if bureau_src["name"].endswith("联合会") else "11",
            region_code=city_region,
        )
        b.tree.bureaus.append(bureau)
        for n, division in enumerate(bureau_src["divisions"], start=1):
            b.add(
                code=f"{bureau['code']}-{n:02d}",
                name=f"{bureau['name']}{division}",
                short_name=division,
                kind=OrgKind.DIVISION,
                parent=bureau,
                category=None,
                region_code=city_region,
            )
        add_institutions(bureau)
    add_institutions(root)

    subdistricts = src["subdistricts"]
    offices = src["subdistrict_offices"]
    fixed = len(b.tree.rows) + len(subdistricts) * (1 + len(offices) + 1)
    community_total = ORG_COUNT - fixed
    names = _community_names(src["community_first"], src["community_second"], community_total)
    per, extra = divmod(community_total, len(subdistricts))
    taken = 0
    for i, sd_name in enumerate(subdistricts, start=1):
        sd_region = f"{REGION}{i:03d}000"
        sd = b.add(
            code=f"GW-JD{i:02d}",
            name=f"云溪新区{sd_name}街道办事处",
            short_name=f"{sd_name}街道",
            kind=OrgKind.SUBDISTRICT,
            parent=root,
            category="11",
            region_code=sd_region,
        )
        b.tree.subdistricts.append(sd)
        for n, office in enumerate(offices, start=1):
            b.add(
                code=f"{sd['code']}-{n:02d}",
                name=f"{sd_name}街道{office}",
                short_name=office,
                kind=OrgKind.DIVISION,
                parent=sd,
                category=None,
                region_code=sd_region,
            )
        b.add(
            code=f"{sd['code']}-BM",
            name=f"{sd_name}街道便民服务中心",
            short_name="便民服务中心",
            kind=OrgKind.INSTITUTION,
            parent=sd,
            category="12",
            region_code=sd_region,
        )
        count = per + (1 if i <= extra else 0)
        for j in range(1, count + 1):
            short = names[taken] + "社区"
            taken += 1
            community = b.add(
                code=f"{sd['code']}-SQ{j:02d}",
                name=f"{sd_name}街道{short}居民委员会",
                short_name=short,
                kind=OrgKind.COMMUNITY,
                parent=sd,
                category="55",
                region_code=f"{REGION}{i:03d}{j:03d}",
            )
            b.tree.communities.append(community)
    if len(b.tree.rows) != ORG_COUNT:
        raise AssertionError(f"org tree has {len(b.tree.rows)} orgs, expected {ORG_COUNT}")
    return b.tree
