"""政务数据资源目录: 1,393 datasets from 30 provider orgs (the source city's portal), with their
信息项 and, for datasets open without conditions, three fictional sample rows (personal data
masked as a portal would).

Anchors in ``data/datasets.json`` come first so that materials can point at them by name
(居民身份证 → 户籍人口基本信息); then subject × aspect combinations per provider, 1,389 in all;
then the appended anchors (电子证照 the hub serves), from a stream of their own.
:data:`SERVED_KEYS` names the datasets the hub serves and their key fields;
:mod:`hub.seed.records` makes their records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hub.models.enums import DatasetCategory, OpenType, ShareType, UpdateCycle
from hub.seed.common import SEED_DATE, SEED_TIME, Row, load_json, random_date, rng
from hub.seed.orgs import OrgTree
from hub.seed.samples import sample_value

#: Anchors and generated combinations; the appended anchors come on top of these.
CATALOGUE_COUNT = 1389
DATASET_COUNT = 1393
PROVIDER_COUNT = 30
#: Datasets whose records the hub serves itself, with the field a record is looked up by.
SERVED_KEYS: dict[str, str] = {
    "户籍人口基本信息": "公民身份号码",
    "婚姻登记信息": "结婚证字号",
    "企业登记注册信息": "统一社会信用代码",
    "居民身份证电子证照信息": "证照编号",
    "居民户口簿电子证照信息": "证照编号",
    "机动车驾驶证电子证照信息": "证照编号",
    "机动车行驶证电子证照信息": "证照编号",
    "道路运输经营许可电子证照信息": "证照编号",
    "营业执照电子证照信息": "证照编号",
}

_CATEGORIES = {c.value: c for c in DatasetCategory}
_STAT_ASPECTS = ("统计信息", "年度汇总信息", "月度统计", "年度统计")
_ASPECT_FIELDS: dict[str, list[list[Any]]] = {
    "变更信息": [
        ["变更事项", "string", 100, "变更的登记事项"],
        ["变更前内容", "string", 500, "变更前的内容"],
        ["变更后内容", "string", 500, "变更后的内容"],
        ["变更日期", "date", None, "变更日期"],
    ],
    "注销信息": [["注销原因", "string", 200, "注销原因"], ["注销日期", "date", None, "注销日期"]],
    "年报信息": [
        ["年报年度", "integer", None, "年度报告所属年度"],
        ["年报状态", "string", 10, "已公示/未公示"],
        ["公示日期", "date", None, "年度报告公示日期"],
    ],
    "信用信息": [["信用等级", "string", 10, "A/B/C/D"], ["评价日期", "date", None, "信用评价日期"]],
    "监管信息": [
        ["检查日期", "date", None, "监督检查日期"],
        ["检查结果", "string", 50, "检查结果"],
        ["检查机关", "string", 100, "实施检查的机关"],
    ],
    "核验信息": [
        ["核验时间", "datetime", None, "核验时间"],
        ["核验结果", "boolean", None, "核验是否通过"],
        ["核验单位", "string", 100, "发起核验的单位"],
    ],
    "年审信息": [
        ["审验日期", "date", None, "年度审验日期"],
        ["审验结论", "string", 20, "合格/不合格"],
    ],
    "检查信息": [["检查日期", "date", None, "检查日期"], ["检查结果", "string", 50, "检查结果"]],
    "运行信息": [["运行状态", "string", 20, "运行状态"], ["服务人次", "integer", None, "服务人次"]],
    "办理结果信息": [["结果文书编号", "string", 50, "决定书或证照编号"]],
    "过程信息": [
        ["环节名称", "string", 50, "办理环节"],
        ["环节办理人", "string", 50, "环节经办人"],
    ],
}
_PURPOSE = {
    DatasetCategory.POPULATION: "为人口基础库提供权威数据，支撑身份核验和材料免提交",
    DatasetCategory.LEGAL_ENTITY: "为法人基础库提供权威数据，支撑企业开办和准营办理",
    DatasetCategory.GEOSPATIAL: "为自然资源和空间地理基础库提供数据，支撑规划、登记和城市治理",
    DatasetCategory.CREDIT: "为社会信用基础库提供数据，支撑信用监管和联合奖惩",
    DatasetCategory.ELICENSE: "为电子证照基础库提供数据，支撑亮证、用证和免提交",
    DatasetCategory.THEMATIC: "支撑主题应用和“一件事”联办",
    DatasetCategory.DEPARTMENTAL: "支撑本部门业务办理和跨部门协同",
}
_CYCLES = {
    "person": (UpdateCycle.REALTIME, UpdateCycle.DAILY, UpdateCycle.DAILY, UpdateCycle.WEEKLY),
    "entity": (UpdateCycle.REALTIME, UpdateCycle.DAILY, UpdateCycle.DAILY, UpdateCycle.MONTHLY),
    "licence": (UpdateCycle.REALTIME, UpdateCycle.DAILY, UpdateCycle.WEEKLY),
    "event": (UpdateCycle.REALTIME, UpdateCycle.DAILY, UpdateCycle.MONTHLY),
    "geo": (UpdateCycle.MONTHLY, UpdateCycle.QUARTERLY, UpdateCycle.IRREGULAR, UpdateCycle.YEARLY),
    "stat": (UpdateCycle.MONTHLY, UpdateCycle.QUARTERLY, UpdateCycle.YEARLY),
    "facility": (UpdateCycle.MONTHLY, UpdateCycle.QUARTERLY, UpdateCycle.IRREGULAR),
    "vehicle": (UpdateCycle.REALTIME, UpdateCycle.DAILY),
}
_FORMATS = {
    "geo": (["shp", "geojson", "api"], ["geojson", "api"], ["shp", "xlsx"]),
    "stat": (["xlsx", "csv"], ["xlsx", "csv", "json"], ["xlsx", "pdf"], ["csv", "json", "api"]),
}
_DEFAULT_FORMATS = (["xlsx", "json", "api"], ["json", "api"], ["xlsx", "csv"], ["api"], ["csv"])
_SHARE_CONDITION = (
    "仅限履行法定职责需要使用，经提供部门审核同意后共享，不得用于其他用途",
    "需提供申请依据和使用场景，按最小必要原则共享所需信息项",
    "通过数据共享交换平台接口核验方式共享，不提供批量数据",
)
_OPEN_CONDITION = (
    "申请单位需签订数据利用协议，明确使用范围、期限和安全责任",
    "面向科研机构和企业有条件开放，需提交数据使用方案并经审核",
)


@dataclass
class DatasetRows:
    datasets: list[Row]
    fields: list[Row]
    id_by_name: dict[str, int]
    provider_codes: list[str]
    #: Served datasets: id → key field.
    served: dict[int, str] = field(default_factory=dict)

    def field_names(self, dataset_id: int) -> list[str]:
        return [f["name"] for f in self.fields if f["dataset_id"] == dataset_id]


@dataclass(frozen=True)
class _Spec:
    name: str
    org: str
    category: DatasetCategory
    kind: str
    aspect: str
    records: int | None
    fields: list[list[Any]] | None


def _anchor(a: dict[str, Any]) -> _Spec:
    category = _CATEGORIES[a["category"]]
    return _Spec(
        a["name"], a["org"], category, a["kind"], "基本信息", a["records"], a.get("fields")
    )


def _specs(src: dict[str, Any]) -> list[_Spec]:
    anchors = [_anchor(a) for a in src["anchors"]]
    taken = {s.name for s in anchors}
    combos: list[_Spec] = []
    for provider in src["providers"]:
        for subject, category, kind in provider["subjects"]:
            for aspect in src["aspects"][kind]:
                name = subject + aspect
                if name not in taken:
                    taken.add(name)
                    cat = _CATEGORIES[category]
                    if aspect in _STAT_ASPECTS and cat != DatasetCategory.GEOSPATIAL:
                        cat = DatasetCategory.THEMATIC
                    combos.append(_Spec(name, provider["org"], cat, kind, aspect, None, None))
    need = CATALOGUE_COUNT - len(anchors)
    if len(combos) < need:
        raise AssertionError(f"only {len(combos)} dataset combinations for {need} datasets")
    drop = set(rng("dataset-drop").sample(range(len(combos)), len(combos) - need))
    return anchors + [s for i, s in enumerate(combos) if i not in drop]


def _fields(spec: _Spec, pools: dict[str, list[list[Any]]], r: random.Random) -> list[list[Any]]:
    if spec.fields:
        return spec.fields
    if spec.aspect in _STAT_ASPECTS or spec.kind == "stat":
        base = pools["stat"]
    else:
        base = pools[spec.kind]
    keep = r.randint(min(5, len(base)), len(base))
    chosen = sorted(r.sample(range(2, len(base)), keep - 2)) if keep > 2 else []
    fields = [base[0], base[1], *(base[i] for i in chosen)]
    names = {f[0] for f in fields}
    for extra in _ASPECT_FIELDS.get(spec.aspect, []):
        if extra[0] not in names:
            fields.append(extra)
            names.add(extra[0])
    return fields[:20]


def build_datasets(tree: OrgTree) -> DatasetRows:
    src = load_json("datasets.json")
    specs = _specs(src)
    appended = [_anchor(a) for a in src["appended_anchors"]]
    out = DatasetRows(datasets=[], fields=[], id_by_name={}, provider_codes=[])
    numbers: dict[str, int] = {}
    r = rng("datasets")
    for spec in specs:
        _add(out, spec, tree, src, numbers, r)
    r = rng("datasets-appended")  # a stream of their own: the catalogue above stays as it was
    for spec in appended:
        _add(out, spec, tree, src, numbers, r)
    providers = sorted({spec.org for spec in specs + appended}, key=lambda code: tree.id(code))
    if len(out.datasets) != DATASET_COUNT or len(providers) != PROVIDER_COUNT:
        raise AssertionError(f"{len(out.datasets)} datasets from {len(providers)} providers")
    out.provider_codes = providers
    out.id_by_name = {row["name"]: row["id"] for row in out.datasets}
    _mark_served(out)
    return out


def _mark_served(out: DatasetRows) -> None:
    """Served datasets name their key field; their record_count is the rows the seed loads."""
    for name, key_field in SERVED_KEYS.items():
        dataset_id = out.id_by_name[name]
        if key_field not in out.field_names(dataset_id):
            raise AssertionError(f"{name} has no field {key_field}")
        row = out.datasets[dataset_id - 1]
        row.update(served_by_hub=True, key_field=key_field, record_count=0)
        out.served[dataset_id] = key_field


def _add(
    out: DatasetRows,
    spec: _Spec,
    tree: OrgTree,
    src: dict[str, Any],
    numbers: dict[str, int],
    r: random.Random,
) -> None:
    dataset_id = len(out.datasets) + 1
    numbers[spec.org] = numbers.get(spec.org, 0) + 1
    org = tree.by_code[spec.org]
    abbr = next(p["abbr"] for p in src["providers"] if p["org"] == spec.org)
    field_specs = _fields(spec, src["fields"], r)
    share, open_ = _share_and_open(spec, r)
    cycle = r.choice(_CYCLES["stat" if spec.aspect in _STAT_ASPECTS else spec.kind])
    published = random_date(r, date(2019, 3, 1), date(2025, 10, 31))
    updated = _updated_on(published, cycle, r)
    records = spec.records or _record_count(spec, r)
    formats = list(r.choice(_FORMATS.get(spec.kind, _DEFAULT_FORMATS)))
    listed = "、".join(f[0] for f in field_specs[:4])
    summary = (
        f"{org['short_name']}汇集的{spec.name}，包括{listed}等{len(field_specs)}个信息项，"
        f"{cycle.label}更新，{_PURPOSE[spec.category]}。"
    )
    rows: list[dict[str, Any]] = []
    if open_ == OpenType.UNCONDITIONAL:
        rows = [
            {f[0]: sample_value(f, r, n, spec.name, org) for f in field_specs} for n in range(3)
        ]
    out.datasets.append(
        {
            "id": dataset_id,
            "code": f"DS-{abbr}-{numbers[spec.org]:04d}",
            "name": spec.name,
            "summary": summary,
            "provider_org_id": org["id"],
            "category": spec.category.value,
            "share_type": share.value,
            "share_condition": _share_condition(share, r),
            "open_type": open_.value,
            "open_condition": r.choice(_OPEN_CONDITION)
            if open_ == OpenType.CONDITIONAL
            else ("涉及个人信息或敏感数据，不予开放" if open_ == OpenType.NONE else ""),
            "update_cycle": cycle.value,
            "formats": formats,
            "published_on": published,
            "updated_on": updated,
            "record_count": records,
            "sample_rows": rows,
            "served_by_hub": False,
            "key_field": None,
            "updated_at": SEED_TIME,
        }
    )
    for position, (name, data_type, length, description) in enumerate(field_specs, start=1):
        out.fields.append(
            {
                "id": len(out.fields) + 1,
                "dataset_id": dataset_id,
                "position": position,
                "name": name,
                "data_type": data_type,
                "length": length if data_type in ("string", "decimal") else None,
                "description": description,
            }
        )


def _share_and_open(spec: _Spec, r: random.Random) -> tuple[ShareType, OpenType]:
    stat = spec.kind == "stat" or spec.aspect in _STAT_ASPECTS
    x = r.random()
    if spec.kind == "person" and not stat:
        share = ShareType.CONDITIONAL if x < 0.8 else ShareType.UNCONDITIONAL
        return share, OpenType.NONE
    share = (
        ShareType.UNCONDITIONAL
        if x < 0.62
        else ShareType.CONDITIONAL
        if x < 0.94
        else ShareType.NONE
    )
    y = r.random()
    if stat or spec.kind in ("geo", "facility"):
        open_ = OpenType.UNCONDITIONAL if y < 0.7 else OpenType.CONDITIONAL
    elif spec.category == DatasetCategory.CREDIT:
        open_ = OpenType.UNCONDITIONAL if y < 0.6 else OpenType.CONDITIONAL
    else:
        open_ = (
            OpenType.UNCONDITIONAL
            if y < 0.3
            else OpenType.CONDITIONAL
            if y < 0.55
            else OpenType.NONE
        )
    if share == ShareType.NONE:
        open_ = OpenType.NONE
    return share, open_


def _share_condition(share: ShareType, r: random.Random) -> str:
    if share == ShareType.CONDITIONAL:
        return r.choice(_SHARE_CONDITION)
    if share == ShareType.NONE:
        return "涉及国家秘密或依法不得共享的内容，不予共享"
    return ""


def _updated_on(published: date, cycle: UpdateCycle, r: random.Random) -> date:
    lag = {
        UpdateCycle.REALTIME: 1,
        UpdateCycle.DAILY: 2,
        UpdateCycle.WEEKLY: 8,
        UpdateCycle.MONTHLY: 31,
        UpdateCycle.QUARTERLY: 92,
        UpdateCycle.YEARLY: 365,
        UpdateCycle.IRREGULAR: 300,
    }[cycle]
    latest = SEED_DATE - timedelta(days=1)
    updated = latest - timedelta(days=r.randint(0, lag))
    return max(updated, published)


def _record_count(spec: _Spec, r: random.Random) -> int:
    if spec.kind == "stat" or spec.aspect in _STAT_ASPECTS:
        return r.randint(12, 6000)
    low, high = {
        "person": (2000, 400000),
        "entity": (150, 90000),
        "licence": (100, 60000),
        "event": (500, 900000),
        "geo": (80, 250000),
        "facility": (20, 3000),
        "vehicle": (800, 300000),
    }[spec.kind]
    return r.randint(low, high)
