"""The service catalogue: themes, life events, materials, 政务服务事项 with their requirements,
relations and 一件事 bundles, read from ``data/services.jsonl`` and friends.

``scale`` > 1 adds, for k in 1..scale-1, a copy of every item as handled at the k-th 街道 or 社区
(subdistricts first, then communities, cycling if k runs past them): same name, themes, life
events and material requirements, code suffixed ``-D{k:03d}``, org and address of that
branch. Only the base items carry forms, relations and bundles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.models.enums import Audience, MaterialKind, ServiceStatus
from hub.seed.common import SEED_TIME, Row, load_json, load_jsonl
from hub.seed.forms import FormSpec, write_forms
from hub.seed.orgs import OrgTree

#: Codes of every birth-related item (theme 生育收养, life event 出生, 生育 in name, aliases or
#: description); a search for 生育 must return every one of them.
BIRTH_ITEM_CODES: tuple[str, ...] = (
    "S-WJJ-001",  # 再生育申请
    "S-WJJ-002",  # 生育登记
    "S-YBZX-001",  # 生育津贴申领
    "S-YBZX-002",  # 生育医疗费用报销
    "S-WJJ-003",  # 出生医学证明办理
    "S-WJJ-004",  # 出生医学证明补发
    "S-WJJ-005",  # 出生医学证明换发
    "S-GAFJ-001",  # 新生儿出生登记（入户）
    "S-YBZX-003",  # 新生儿参加城乡居民基本医疗保险登记
    "S-SBZX-001",  # 新生儿社会保障卡申领
    "S-WJJ-006",  # 独生子女父母光荣证办理
    "S-WJJ-007",  # 计划生育家庭特别扶助金申领
    "S-WJJ-008",  # 农村部分计划生育家庭奖励扶助金申领
    "S-WJJ-009",  # 病残儿医学鉴定
    "S-WJJ-010",  # 母子健康手册建册
    "S-WJJ-011",  # 预防接种证办理
    "S-WJJ-012",  # 育儿补贴申领
    "S-YBZX-012",  # 城乡居民生育医疗费用补助申领
    "S-WJJ-028",  # 独生子女父母奖励费发放
    "S-WJJ-029",  # 新生儿疾病筛查
)
#: The item whose requirement carries the blank and the filled sample 再生育申请审批表.
REBIRTH_ITEM_CODE = "S-WJJ-001"
REBIRTH_FORM_NAME = "再生育申请审批表"


@dataclass
class Catalogue:
    themes: list[Row]
    life_events: list[Row]
    materials: list[Row]
    stored_files: list[Row]
    services: list[Row]
    requirements: list[Row]
    service_themes: list[Row]
    service_life_events: list[Row]
    relations: list[Row]
    bundles: list[Row]
    bundle_items: list[Row]
    base_items: list[dict[str, Any]] = field(default_factory=list)


def _themes() -> tuple[list[Row], dict[tuple[str, str], int]]:
    src = load_json("themes.json")
    rows: list[Row] = []
    ids: dict[tuple[str, str], int] = {}
    for audience in (Audience.PERSON, Audience.LEGAL_ENTITY):
        for order, theme in enumerate(src[audience.value], start=1):
            theme_id = len(rows) + 1
            rows.append(
                {
                    "id": theme_id,
                    "code": theme["code"],
                    "name": theme["name"],
                    "audience": audience.value,
                    "sort_order": order,
                    "local": False,
                    "national_id": None,
                }
            )
            ids[(audience.value, theme["name"])] = theme_id
    return rows, ids


def _life_events() -> list[Row]:
    return [
        {
            "id": n,
            "code": event["code"],
            "name": event["name"],
            "audience": event["audience"],
            "description": event["description"],
            "sort_order": n,
        }
        for n, event in enumerate(load_json("themes.json")["life_events"], start=1)
    ]


_MATERIAL_KINDS = {k.value: k.value for k in MaterialKind}


def _materials(dataset_ids: dict[str, int]) -> list[Row]:
    rows: list[Row] = []
    for n, m in enumerate(load_json("materials.json"), start=1):
        dataset = m.get("dataset")
        if dataset and dataset not in dataset_ids:
            raise ValueError(f"material {m['name']} points at unknown dataset {dataset}")
        rows.append(
            {
                "id": n,
                "code": f"M-{n:04d}",
                "name": m["name"],
                "kind": _MATERIAL_KINDS[m["kind"]],
                "issuer": m["issuer"],
                "description": m["description"],
                "elicense_name": m.get("elicense_name"),
                "dataset_id": dataset_ids[dataset] if dataset else None,
            }
        )
    return rows


def _form_specs(
    items: list[dict[str, Any]], materials: dict[str, Row], tree: OrgTree
) -> list[FormSpec]:
    """One spec per form material that some base requirement asks a blank or sample for."""
    wanted: dict[str, list[bool]] = {}
    users: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        for req in item["materials"]:
            if req.get("blank_form") or req.get("sample_form"):
                flags = wanted.setdefault(req["material"], [False, False])
                flags[0] = flags[0] or bool(req.get("blank_form"))
                flags[1] = flags[1] or bool(req.get("sample_form"))
                users.setdefault(req["material"], []).append(item)
    specs = []
    for name in sorted(wanted, key=lambda n: materials[n]["id"]):
        first = users[name][0]
        specs.append(
            FormSpec(
                material_code=materials[name]["code"],
                material_name=name,
                org_name=tree.by_code[first["org"]]["name"],
                service_names=tuple(dict.fromkeys(i["name"] for i in users[name])),
                legal_entity=first["audience"] == Audience.LEGAL_ENTITY,
                materials=tuple(r["material"] for r in first["materials"] if r["material"] != name),
                blank=wanted[name][0],
                sample=wanted[name][1],
            )
        )
    return specs


def _service_row(item: dict[str, Any], service_id: int, org_id: int, order: int) -> Row:
    return {
        "id": service_id,
        "code": item["code"],
        "name": item["name"],
        "short_name": item.get("short_name"),
        "aliases": list(item.get("aliases", [])),
        "item_type": item["item_type"],
        "org_id": org_id,
        "audience": item["audience"],
        "description": item["description"],
        "conditions": item["conditions"],
        "legal_basis": item["legal_basis"],
        "steps": item["steps"],
        "legal_limit": item["legal_limit"],
        "legal_limit_unit": item["legal_limit_unit"],
        "promised_limit": item["promised_limit"],
        "promised_limit_unit": item["promised_limit_unit"],
        "fees": item["fees"],
        "address": item["address"],
        "hours": item["hours"],
        "phone": item["phone"],
        "online_depth": item["online_depth"],
        "visits": item["visits"],
        "online_url": item.get("online_url"),
        "status": ServiceStatus.PUBLISHED.value,
        "sort_order": order,
        "version": 1,
        "created_at": SEED_TIME,
        "updated_at": SEED_TIME,
    }


def _requirement_row(
    req: dict[str, Any],
    req_id: int,
    service_id: int,
    position: int,
    material_id: int,
    forms: tuple[int | None, int | None],
) -> Row:
    return {
        "id": req_id,
        "service_id": service_id,
        "material_id": material_id,
        "position": position,
        "necessity": req["necessity"],
        "original_count": req["original_count"],
        "copy_count": req["copy_count"],
        "medium": req["medium"],
        "source_channel": req["source_channel"],
        "blank_form_id": forms[0] if req.get("blank_form") else None,
        "sample_form_id": forms[1] if req.get("sample_form") else None,
        "fill_notes": req["fill_notes"],
        "exemption": req["exemption"],
        "note": req["note"],
    }


def _links(
    item: dict[str, Any],
    service_id: int,
    theme_ids: dict[tuple[str, str], int],
    event_ids: dict[str, int],
) -> tuple[list[Row], list[Row]]:
    themes = [theme_ids[(Audience.PERSON.value, t)] for t in item["person_themes"]]
    themes += [theme_ids[(Audience.LEGAL_ENTITY.value, t)] for t in item["entity_themes"]]
    return (
        [{"service_id": service_id, "theme_id": t} for t in dict.fromkeys(themes)],
        [{"service_id": service_id, "life_event_id": event_ids[e]} for e in item["life_events"]],
    )


def build_catalogue(tree: OrgTree, dataset_ids: dict[str, int], files_dir: Path) -> Catalogue:
    """The base catalogue (scale 1), writing form files under ``files_dir``."""
    items = load_jsonl("services.jsonl")
    themes, theme_ids = _themes()
    events = _life_events()
    event_ids = {e["name"]: e["id"] for e in events}
    materials = _materials(dataset_ids)
    by_name = {m["name"]: m for m in materials}
    stored, form_ids = write_forms(_form_specs(items, by_name, tree), files_dir)

    services: list[Row] = []
    requirements: list[Row] = []
    service_themes: list[Row] = []
    service_events: list[Row] = []
    service_ids: dict[str, int] = {}
    for order, item in enumerate(items, start=1):
        service_ids[item["code"]] = order
        services.append(_service_row(item, order, tree.id(item["org"]), order))
        for position, req in enumerate(item["materials"], start=1):
            requirements.append(
                _requirement_row(
                    req,
                    len(requirements) + 1,
                    order,
                    position,
                    by_name[req["material"]]["id"],
                    form_ids.get(req["material"], (None, None)),
                )
            )
        st, se = _links(item, order, theme_ids, event_ids)
        service_themes.extend(st)
        service_events.extend(se)

    relations = [
        {"service_id": service_ids[item["code"]], "related_id": service_ids[code]}
        for item in items
        for code in item.get("related", [])
    ]
    ids_by_name = {item["name"]: service_ids[item["code"]] for item in items}
    bundles: list[Row] = []
    bundle_items: list[Row] = []
    for n, bundle in enumerate(load_json("bundles.json"), start=1):
        bundles.append(
            {
                "id": n,
                "code": bundle["code"],
                "name": bundle["name"],
                "description": bundle["description"],
                "lead_org_id": tree.id(bundle["lead_org"]),
                "life_event_id": event_ids[bundle["life_event"]],
                "status": ServiceStatus.PUBLISHED.value,
                "updated_at": SEED_TIME,
            }
        )
        bundle_items.extend(
            {"bundle_id": n, "service_id": ids_by_name[name], "position": position}
            for position, name in enumerate(bundle["items"], start=1)
        )
    return Catalogue(
        themes=themes,
        life_events=events,
        materials=materials,
        stored_files=stored,
        services=services,
        requirements=requirements,
        service_themes=service_themes,
        service_life_events=service_events,
        relations=relations,
        bundles=bundles,
        bundle_items=bundle_items,
        base_items=items,
    )


def district_orgs(tree: OrgTree) -> list[Row]:
    return [*tree.subdistricts, *tree.communities]


def district_copies(catalogue: Catalogue, tree: OrgTree, k: int) -> Iterator[tuple[str, list[Row]]]:
    """The k-th district copy of every base item, as (table name, rows) in insert order."""
    branches = district_orgs(tree)
    branch = branches[(k - 1) % len(branches)]
    base = len(catalogue.services)
    per_item: dict[int, list[Row]] = {}  # requirements of each base item
    for row in catalogue.requirements:
        per_item.setdefault(row["service_id"], []).append(row)
    req_base = len(catalogue.requirements) * k
    if branch["kind"] == "subdistrict":
        address = f"云溪新区{branch['short_name']}便民服务中心综合受理窗口"
    else:
        address = f"{branch['name'].removesuffix('居民委员会')}党群服务中心便民服务窗口"
    services: list[Row] = []
    requirements: list[Row] = []
    for row in catalogue.services:
        service_id = k * base + row["id"]
        copy = dict(row)
        copy.update(
            id=service_id,
            code=f"{row['code']}-D{k:03d}",
            org_id=branch["id"],
            address=address,
            sort_order=k * base + row["sort_order"],
        )
        if copy["online_url"]:
            copy["online_url"] = f"{row['online_url']}-D{k:03d}"
        services.append(copy)
        for req in per_item.get(row["id"], []):
            r = dict(req)
            r.update(
                id=req_base + req["id"],
                service_id=service_id,
                blank_form_id=None,
                sample_form_id=None,
            )
            requirements.append(r)
    yield "service_item", services
    yield "material_requirement", requirements
    yield (
        "service_theme",
        [
            {"service_id": k * base + r["service_id"], "theme_id": r["theme_id"]}
            for r in catalogue.service_themes
        ],
    )
    yield (
        "service_life_event",
        [
            {"service_id": k * base + r["service_id"], "life_event_id": r["life_event_id"]}
            for r in catalogue.service_life_events
        ],
    )
