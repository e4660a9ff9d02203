"""Sample rows of openly published datasets: three made-up values per 信息项, personal data
masked the way a data portal would show it (王**, 519901********123X)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from hub.seed.common import Row, random_date

_STREETS = ("云溪街道", "临江街道", "白鹭湾街道", "青岚街道", "凤栖街道", "翠屏街道")


def _mask_name(r: random.Random) -> str:
    return r.choice("王李张刘陈杨黄赵吴周徐孙") + "*" * r.randint(1, 2)


def sample_value(field: list[Any], r: random.Random, n: int, dataset: str, org: Row) -> Any:
    """One value of a dataset's 信息项 for its ``n``-th sample row (of three)."""
    name, data_type, description = field[0], field[1], field[3]
    if data_type == "string" and "/" in description:
        return r.choice(description.split("/"))
    if data_type == "integer":
        if "年度" in name:
            return 2025 - n
        if "月份" in name:
            return 12 - n
        if "时长" in name:
            return r.randint(1, 20)
        return r.randint(1, 5000)
    if data_type == "decimal":
        if "增长" in name:
            return round(r.uniform(-8, 25), 1)
        if "经度" in name:
            return round(104.05 + r.random() * 0.2, 6)
        if "纬度" in name:
            return round(30.35 + r.random() * 0.15, 6)
        return round(r.uniform(1, 100000), 2)
    if data_type == "date":
        return random_date(r, date(2020, 1, 1), date(2025, 12, 31)).isoformat()
    if data_type == "datetime":
        day = random_date(r, date(2025, 1, 1), date(2025, 12, 31))
        return f"{day.isoformat()}T10:{n:02d}:00+08:00"
    if data_type == "boolean":
        return r.random() < 0.7
    if "指标名称" in name:
        return dataset.replace("统计信息", "").replace("年度汇总信息", "") + "数量"
    if "口径" in name:
        return "按登记地统计，不含注销数据"
    if "统一社会信用代码" in name or name.endswith("代码"):
        return "915199" + "*" * 10 + r.choice("0123456789ABCDEF") + str(n)
    if "身份号码" in name:
        return "519901" + "*" * 8 + f"{r.randrange(1000):03d}" + r.choice("0123456789X")
    if "电话" in name:
        return f"028-6{r.randrange(1000000):07d}"
    if name in ("姓名", "法定代表人", "户主姓名") or name.endswith("人姓名") or "申请人" in name:
        return _mask_name(r)
    if "街道" in name:
        return _STREETS[n % len(_STREETS)]
    if name.endswith(("机构", "机关", "管理单位")):
        return str(org["name"])
    if "结果" in name or "结论" in name:
        return r.choice(("准予", "办结", "合格"))
    if "名称" in name or name == "名称":
        return f"云溪新区{dataset[:6]}示例{n + 1}"
    if "地址" in name or "坐落" in name or "住址" in name:
        return f"云溪新区{_STREETS[n % len(_STREETS)]}某路{r.randint(1, 300)}号"
    if "编号" in name or "号码" in name or "流水号" in name:
        return f"YX{2025 - n}{r.randrange(10**8):08d}"
    if "状态" in name:
        return r.choice(("有效", "正常", "存续"))
    if name == "性别":
        return r.choice(("男", "女"))
    if "单位" in name and "计量" in name:
        return r.choice(("个", "人", "万元", "件"))
    return f"{name}示例{n + 1}"
