"""The seed city's data-sharing stories: requests in every state, and the grants that make some
免提交 materials real while others still miss theirs.

Unlike the rest of the seed, these rows are dated relative to ``today``, the day the city is
seeded (China time): a pending request must still be pending and an overdue one overdue when
someone looks, whatever the day. Two builds on the same day are identical.

The stories (also listed in the README):

- pending: 卫健局 asks 公安分局 for 户籍人口基本信息 (QUERY), three working days ago;
- overdue: 人社局 asks 社事局 for 婚姻登记信息 (VERIFY), twenty working days ago, undecided;
- approved in part: 社事局 asked for four fields of 户籍人口基本信息 and got two, for less time;
- refused with its reason: 科教创新区 asked for 户籍人口基本信息 beyond its duties;
- expired: 行政审批局's grant on a 市场监管局 dataset ended ten days ago;
- revoked: 住建局's grant on 户籍人口基本信息 was revoked when its project ended;
- automatic: 统计局 took an unconditionally shared dataset at once;
- and for every other (implementing org, dataset) pair behind a 免提交 material, an active
  VERIFY grant, so that half of those materials are exempt and half name what is missing.

None of them touches 投资促进局's access to 户籍人口基本信息: that is the story a visitor plays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hub.models.enums import (
    AccessMode,
    Exemption,
    GrantStatus,
    PostType,
    RequestStatus,
    Role,
    ShareType,
)
from hub.seed.catalogue import Catalogue
from hub.seed.common import Row
from hub.seed.datasets import DatasetRows
from hub.seed.orgs import OrgTree
from hub.seed.staff import StaffRows
from hub.sharing.workdays import CHINA, add_workdays

POPULATION = "户籍人口基本信息"
MARRIAGE = "婚姻登记信息"
#: The org whose access to 户籍人口基本信息 the seed leaves alone (the visitor's story).
PLAYER = "GW-TZCJ"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA).astimezone(UTC)


def _workdays_before(day: date, days: int) -> date:
    """The day ``days`` working days before ``day``."""
    start = day
    while add_workdays(start, days) > day:
        start -= timedelta(days=1)
    return start


@dataclass
class SharingRows:
    requests: list[Row] = field(default_factory=list)
    grants: list[Row] = field(default_factory=list)


class _Stories:
    def __init__(self, orgs: OrgTree, datasets: DatasetRows, staff: StaffRows, today: date):
        self.orgs = orgs
        self.today = today
        self.rows = SharingRows()
        self.by_name = {d["name"]: d for d in datasets.datasets}
        self.by_id = {d["id"]: d for d in datasets.datasets}
        self.fields: dict[int, list[str]] = {}
        for f in sorted(datasets.fields, key=lambda f: (f["dataset_id"], f["position"])):
            self.fields.setdefault(f["dataset_id"], []).append(f["name"])
        self.clerk: dict[int, int] = {}
        self.reviewer: dict[int, int] = {}
        for m in sorted(staff.memberships, key=lambda m: m["id"]):
            if m["status"] != "active" or m["post_type"] != PostType.PRIMARY.value:
                continue
            self.clerk.setdefault(m["org_id"], m["staff_id"])
            if Role.REVIEWER.value in m["roles"] or Role.ADMIN.value in m["roles"]:
                self.reviewer.setdefault(m["org_id"], m["staff_id"])

    def _decider(self, provider: int) -> int:
        return self.reviewer.get(provider) or self.clerk[provider]

    def request(
        self,
        requester: int,
        dataset: dict[str, Any],
        fields: list[str],
        mode: AccessMode,
        submitted: date,
        purpose: str,
        *,
        status: RequestStatus = RequestStatus.SUBMITTED,
        granted: list[str] | None = None,
        until: date | None = None,
        note: str = "",
        grant_status: GrantStatus = GrantStatus.ACTIVE,
        decided: date | None = None,
    ) -> None:
        conditional = dataset["share_type"] == ShareType.CONDITIONAL.value
        automatic = not conditional
        if automatic:
            status, decided, note = RequestStatus.APPROVED, submitted, "无条件共享：按目录自动批准"
        provider = dataset["provider_org_id"]
        request_id = len(self.rows.requests) + 1
        requested_until = submitted + timedelta(days=365)
        decided_at = None
        if automatic:
            decided_at = _at(submitted)
        elif decided and status != RequestStatus.SUBMITTED:
            decided_at = _at(decided, 15)
        self.rows.requests.append(
            {
                "id": request_id,
                "dataset_id": dataset["id"],
                "requester_org_id": requester,
                "requested_by_id": self.clerk[requester],
                "fields": fields,
                "purpose": purpose,
                "legal_basis": "《政务信息资源共享管理暂行办法》第十二条" if conditional else "",
                "access_mode": mode.value,
                "requested_until": requested_until,
                "service_codes": [],
                "due_on": add_workdays(submitted, 10) if conditional else None,
                "status": status.value,
                "automatic": automatic,
                "decided_by_id": None if automatic or not decided_at else self._decider(provider),
                "decided_at": decided_at,
                "decision_note": note,
                "version": 1 if status == RequestStatus.SUBMITTED else 2,
                "created_at": _at(submitted),
                "updated_at": decided_at or _at(submitted),
            }
        )
        if status != RequestStatus.APPROVED:
            return
        revoked = grant_status == GrantStatus.REVOKED
        start = decided or submitted
        self.rows.grants.append(
            {
                "id": len(self.rows.grants) + 1,
                "request_id": request_id,
                "dataset_id": dataset["id"],
                "grantee_org_id": requester,
                "fields": granted or fields,
                "access_mode": mode.value,
                "starts_on": start,
                "ends_on": until or requested_until,
                "daily_quota": None,
                "status": GrantStatus.REVOKED.value if revoked else GrantStatus.ACTIVE.value,
                "revoked_by_id": self._decider(provider) if revoked else None,
                "revoked_at": _at(self.today - timedelta(days=5)) if revoked else None,
                "revoke_reason": "项目已结束，停止使用" if revoked else "",
                "version": 2 if revoked else 1,
                "created_at": decided_at or _at(start),
            }
        )

    def tell(self, catalogue: Catalogue) -> SharingRows:
        today, org = self.today, self.orgs.id
        population = self.by_name[POPULATION]
        four = self.fields[population["id"]][:4]
        self.request(
            org("GW-WJJ"), population, four[:3], AccessMode.QUERY,
            _workdays_before(today, 3), "出生医学证明办理时核验父母身份",
        )  # fmt: skip
        marriage = self.by_name[MARRIAGE]
        self.request(
            org("GW-RSJ"), marriage, self.fields[marriage["id"]][:3], AccessMode.VERIFY,
            _workdays_before(today, 20), "生育津贴申领核验婚姻状况",
        )  # fmt: skip
        asked = _workdays_before(today, 30)
        self.request(
            org("GW-SQJ"), population, four, AccessMode.QUERY, asked,
            "低保和特困人员认定核对户籍", status=RequestStatus.APPROVED, granted=four[:2],
            until=today + timedelta(days=200), note="最小必要原则：仅共享姓名和公民身份号码",
            decided=add_workdays(asked, 6),
        )  # fmt: skip
        asked = _workdays_before(today, 12)
        self.request(
            org("GW-KJCX"), population, four, AccessMode.QUERY, asked, "科技人才统计",
            status=RequestStatus.REJECTED, note="申请用途不属于法定职责，且可使用统计部门汇总数据",
            decided=add_workdays(asked, 4),
        )  # fmt: skip
        enterprise = self._first_of("GW-SCJ", ShareType.CONDITIONAL)
        asked = today - timedelta(days=400)
        self.request(
            org("GW-XZSP"), enterprise, self.fields[enterprise["id"]][:3], AccessMode.VERIFY,
            asked, "企业开办一件事核验登记信息", status=RequestStatus.APPROVED,
            until=today - timedelta(days=10), decided=add_workdays(asked, 8),
        )  # fmt: skip
        asked = today - timedelta(days=120)
        self.request(
            org("GW-ZJJ"), population, four[:2], AccessMode.VERIFY, asked,
            "保障性住房申请核验身份", status=RequestStatus.APPROVED,
            grant_status=GrantStatus.REVOKED, decided=add_workdays(asked, 9),
        )  # fmt: skip
        free = self._first_of("GW-GHZY", ShareType.UNCONDITIONAL)
        self.request(
            org("GW-TJJ"), free, self.fields[free["id"]][:3], AccessMode.QUERY,
            today - timedelta(days=60), "国土空间数据统计",
        )  # fmt: skip
        self._exemptions(catalogue)
        return self.rows

    def _first_of(self, provider: str, share: ShareType) -> dict[str, Any]:
        """The provider's first dataset (by id) shared as ``share``."""
        org_id = self.orgs.id(provider)
        return next(
            d for d in sorted(self.by_id.values(), key=lambda d: d["id"])
            if d["provider_org_id"] == org_id and d["share_type"] == share.value
        )  # fmt: skip

    def _exemptions(self, catalogue: Catalogue) -> None:
        """Every other (implementing org, dataset) pair behind a 免提交 material gets a grant."""
        dataset_of = {m["id"]: m["dataset_id"] for m in catalogue.materials}
        org_of = {s["id"]: s["org_id"] for s in catalogue.services}
        player = (self.orgs.id(PLAYER), self.by_name[POPULATION]["id"])
        taken = {(r["requester_org_id"], r["dataset_id"]) for r in self.rows.requests}
        pairs = sorted(
            {
                (org_of[r["service_id"]], dataset_of[r["material_id"]])
                for r in catalogue.requirements
                if r["exemption"] != Exemption.NONE.value
                and dataset_of.get(r["material_id"]) is not None
                and r["service_id"] in org_of
            }
        )
        for n, (org_id, dataset_id) in enumerate(pairs):
            dataset = self.by_id[dataset_id]
            if (
                n % 2
                or (org_id, dataset_id) in taken
                or (org_id, dataset_id) == player
                or dataset["provider_org_id"] == org_id
                or dataset["share_type"] == ShareType.NONE.value
                or org_id not in self.clerk
            ):
                continue
            asked = self.today - timedelta(days=90 + n % 60)
            self.request(
                org_id, dataset, self.fields[dataset_id][:2], AccessMode.VERIFY, asked,
                "办理政务服务事项时核验材料，实现免提交", status=RequestStatus.APPROVED,
                decided=add_workdays(asked, 1 + n % 9),
            )  # fmt: skip


def build_sharing(
    orgs: OrgTree, datasets: DatasetRows, staff: StaffRows, catalogue: Catalogue, today: date
) -> SharingRows:
    return _Stories(orgs, datasets, staff, today).tell(catalogue)
