"""Printable HTML forms (blank and filled sample) for form materials.

The files are real: written under ``settings.files_dir`` and recorded as ``StoredFile`` rows with
their size and sha256, so a download endpoint can serve and verify them. Content depends only
on the seed, never on the clock, so two loads write byte-identical files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from hub.seed.codes import id_card, uscc
from hub.seed.common import SEED_TIME, Row

CONTENT_TYPE = "text/html; charset=utf-8"

_STYLE = """
  @page { size: A4; margin: 12mm 14mm; }
  body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 14px;
         color: #000; max-width: 178mm; margin: 0 auto; position: relative; }
  h1 { text-align: center; font-size: 22px; letter-spacing: 4px; margin: 2px 0 2px; }
  .issuer { text-align: center; margin-bottom: 6px; }
  .meta { display: flex; justify-content: space-between; margin: 6px 0; }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  th, td { border: 1px solid #000; padding: 3px 5px; vertical-align: middle; }
  th { font-weight: normal; background: #f3f3f3; }
  td.big { height: 56px; vertical-align: top; }
  td.sign { height: 44px; vertical-align: bottom; text-align: right; }
  .fill { font-family: "KaiTi", "STKaiti", "Noto Sans CJK SC", sans-serif; color: #1a3e9a; }
  .notes { font-size: 12px; margin-top: 6px; line-height: 1.45; }
  .watermark { position: fixed; top: 38%; left: 18%; font-size: 120px; color: rgba(200, 0, 0, .16);
               transform: rotate(-28deg); letter-spacing: 30px; pointer-events: none; }
  .stamp { color: #c00; border: 2px solid #c00; border-radius: 50%; padding: 12px 6px;
           display: inline-block; font-size: 12px; }
"""


@dataclass(frozen=True)
class FormSpec:
    """One form material and what its pages need to say."""

    material_code: str
    material_name: str
    org_name: str
    service_names: tuple[str, ...]
    legal_entity: bool
    materials: tuple[str, ...]
    blank: bool
    sample: bool


def _v(value: str, filled: bool) -> str:
    return f'<span class="fill">{escape(value)}</span>' if filled and value else "&nbsp;"


def _page(title: str, org_name: str, body: str, *, sample: bool) -> str:
    mark = '<div class="watermark">样表</div>\n' if sample else ""
    suffix = "（样表）" if sample else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}{suffix}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{mark}<h1>{escape(title)}</h1>\n"
        f'<div class="issuer">{escape(org_name)}制</div>\n{body}\n</body>\n</html>\n'
    )


_REBIRTH_SAMPLE = {
    "男方": {
        "姓名": "张建国",
        "出生日期": "1986年3月15日",
        "民族": "汉族",
        "公民身份号码": id_card("51990119860315123"),
        "户籍地址": "云溪新区临江街道滨河社区和顺路16号",
        "现居住地址": "云溪新区临江街道滨河社区和顺路16号2单元302室",
        "工作单位": "云溪新区某科技有限公司",
        "婚姻状况": "再婚",
        "结婚登记日期": "2023年5月20日",
        "联系电话": "139****6688",
    },
    "女方": {
        "姓名": "李晓梅",
        "出生日期": "1990年8月2日",
        "民族": "汉族",
        "公民身份号码": id_card("51990219900802042"),
        "户籍地址": "云溪新区凤栖街道桂园社区",
        "现居住地址": "云溪新区临江街道滨河社区和顺路16号2单元302室",
        "工作单位": "云溪新区某小学",
        "婚姻状况": "初婚",
        "结婚登记日期": "2023年5月20日",
        "联系电话": "158****2233",
    },
}
_REBIRTH_CHILDREN = (
    ("张子涵", "女", "2012年6月1日", id_card("51990120120601002"), "父女", "继母女", "健康"),
    ("张子睿", "男", "2015年9月9日", id_card("51990120150909001"), "父子", "继母子", "健康"),
    ("张子瑜", "女", "2018年11月3日", id_card("51990120181103004"), "父女", "继母女", "健康"),
)


_COLS = "".join(f'<col style="width:{w}%">' for w in (6, 11, 7, 15, 25, 11, 11, 10))


def rebirth_form(org_name: str, *, sample: bool) -> str:
    """再生育申请审批表, laid out like the provincial paper form."""
    fields = list(_REBIRTH_SAMPLE["男方"])
    rows = "\n".join(
        f"<tr><th>{f}</th><td>{_v(_REBIRTH_SAMPLE['男方'][f], sample)}</td>"
        f"<td>{_v(_REBIRTH_SAMPLE['女方'][f], sample)}</td></tr>"
        for f in fields
    )
    children = "\n".join(
        "<tr>"
        + f"<td>{n}</td>"
        + "".join(f"<td>{_v(cell, sample)}</td>" for cell in child)
        + "</tr>"
        for n, child in enumerate(_REBIRTH_CHILDREN if sample else [("",) * 7] * 3, start=1)
    )
    reason = (
        "男方与前配偶生育三个子女，离婚后子女随男方生活；女方系初婚，未生育子女。"
        "双方于2023年5月再婚，依照《省人口与计划生育条例》关于再婚夫妻再生育的规定，"
        "申请再生育一个子女。"
    )
    signed = _v("2026年1月5日", sample) if sample else "　　　年　　月　　日"
    body = f"""
<div class="meta"><span>编号：{_v("YX-ZSY-2026-0001", sample)}</span>
<span>申请日期：{_v("2026年1月5日", sample) if sample else "　　　年　　月　　日"}</span></div>
<table>
<colgroup><col style="width:22%"><col><col></colgroup>
<tr><th>项目</th><th>男方</th><th>女方</th></tr>
{rows}
</table>
<p><strong>现有子女情况</strong>（含婚前生育、收养的子女）</p>
<table>
<colgroup>{_COLS}</colgroup>
<tr><th>序号</th><th>姓名</th><th>性别</th><th>出生日期</th><th>公民身份号码</th>
<th>与男方关系</th><th>与女方关系</th><th>健康状况</th></tr>
{children}
</table>
<table>
<colgroup><col style="width:22%"><col></colgroup>
<tr><th>申请再生育理由</th><td class="big">{_v(reason, sample)}</td></tr>
<tr><th>申请人承诺</th><td class="sign">本人承诺以上所填信息及所提交材料真实、准确、完整，
如有虚假，愿承担由此产生的一切法律责任。<br><br>
男方签名：{_v("张建国", sample)}　　女方签名：{_v("李晓梅", sample)}　　{signed}</td></tr>
<tr><th>社区（村）意见</th><td class="sign">经办人：　　　　（盖章）　　　年　　月　　日</td></tr>
<tr><th>街道办事处意见</th><td class="sign">经办人：　　　　（盖章）　　　年　　月　　日</td></tr>
<tr><th>卫生健康局审批意见</th>
<td class="sign">□ 同意再生育一个子女　□ 不同意（理由：　　　　　　）<br><br>
审批人：　　　　（盖章）　　　年　　月　　日</td></tr>
</table>
<div class="notes">填表说明：<br>
1. 本表由夫妻双方共同填写，一式三份，申请人、街道办事处、卫生健康局各留存一份。<br>
2. “婚姻状况”填写初婚、再婚；再婚的须如实填写与前配偶所生育子女情况。<br>
3. 子女健康状况填写健康、残疾（须附病残儿医学鉴定结论）等。<br>
4. 申请人须同时提交居民身份证、居民户口簿、结婚证；已归集电子证照的可免于提交。<br>
5. 卫生健康局自受理之日起10个工作日内作出审批决定，法定期限为20个工作日。</div>
"""
    return _page("再生育申请审批表", org_name, body, sample=sample)


_PERSON_SAMPLE = (
    ("姓名", "王晓燕"),
    ("性别", "女"),
    ("出生日期", "1992年4月18日"),
    ("公民身份号码", id_card("51990119920418002")),
    ("联系电话", "137****5521"),
    ("户籍地址", "云溪新区白鹭湾街道锦苑社区"),
    ("现居住地址", "云溪新区白鹭湾街道锦苑社区荷塘路8号1栋1单元501室"),
)
_ENTITY_SAMPLE = (
    ("单位名称", "云溪新区示例科技有限公司"),
    ("统一社会信用代码", uscc("91519901MA6EXAMPL")),
    ("法定代表人", "陈立新"),
    ("联系人", "刘敏"),
    ("联系电话", "028-6288****"),
    ("住所（经营场所）", "云溪新区青岚街道科创路88号3栋12层"),
    ("注册资本（万元）", "500"),
)


def generic_form(spec: FormSpec, *, sample: bool) -> str:
    """Applicant block, the items the form serves, free text, promise and office block."""
    people = _ENTITY_SAMPLE if spec.legal_entity else _PERSON_SAMPLE
    applicant = "\n".join(
        f"<tr><th>{label}</th><td>{_v(value, sample)}</td></tr>" for label, value in people
    )
    first = spec.service_names[0]
    items = "　".join(
        ("☑ " if sample and name == first else "□ ") + escape(name) for name in spec.service_names
    )
    content = (
        f"申请办理{first}。已阅读并知悉办事指南所列条件和材料要求，所附材料齐全。" if sample else ""
    )
    listed = "".join(f"<li>{escape(m)}</li>" for m in spec.materials)
    signer = "法定代表人（负责人）签字并加盖单位公章" if spec.legal_entity else "申请人签名（捺印）"
    who = "陈立新" if spec.legal_entity else "王晓燕"
    body = f"""
<div class="meta"><span>受理编号：{_v("YX2026010500123", sample)}</span>
<span>填表日期：{_v("2026年1月5日", sample) if sample else "　　　年　　月　　日"}</span></div>
<table>
<colgroup><col style="width:26%"><col></colgroup>
<tr><th colspan="2">申请人信息</th></tr>
{applicant}
<tr><th>申请事项</th><td>{items}</td></tr>
<tr><th>申请内容及理由</th><td class="big">{_v(content, sample)}</td></tr>
<tr><th>所附材料</th><td><ol>{listed}</ol></td></tr>
<tr><th>申请人承诺</th><td class="sign">本人（单位）承诺所填信息和所附材料真实、合法、有效，
如有虚假，愿承担相应法律责任。<br><br>{signer}：{_v(who, sample)}　　　　年　　月　　日</td></tr>
<tr><th colspan="2">以下由受理机关填写</th></tr>
<tr><th>受理意见</th><td class="sign">受理人：　　　　　　　年　　月　　日</td></tr>
<tr><th>审核意见</th><td class="sign">审核人：　　　　（盖章）　　　年　　月　　日</td></tr>
</table>
<div class="notes">填表说明：使用黑色签字笔或钢笔填写，字迹工整，不得涂改；表中“□”处请勾选；
本表可在云溪新区政务服务网下载或在线填报后打印。</div>
"""
    return _page(spec.material_name, spec.org_name, body, sample=sample)


def write_forms(
    specs: list[FormSpec], files_dir: Path, first_id: int = 1
) -> tuple[list[Row], dict[str, tuple[int | None, int | None]]]:
    """Write every form page and return StoredFile rows and material name → (blank, sample) ids."""
    rows: list[Row] = []
    ids: dict[str, tuple[int | None, int | None]] = {}
    target = files_dir / "forms"
    target.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        pair: list[int | None] = [None, None]
        for slot, (wanted, sample) in enumerate(((spec.blank, False), (spec.sample, True))):
            if not wanted:
                continue
            if spec.material_name == "再生育申请审批表":
                html = rebirth_form(spec.org_name, sample=sample)
            else:
                html = generic_form(spec, sample=sample)
            data = html.encode("utf-8")
            kind = "sample" if sample else "blank"
            location = f"forms/{spec.material_code}-{kind}.html"
            (files_dir / location).write_bytes(data)
            file_id = first_id + len(rows)
            rows.append(
                {
                    "id": file_id,
                    "name": f"{spec.material_name}{'（样表）' if sample else '（空白表）'}.html",
                    "content_type": CONTENT_TYPE,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "location": location,
                    "url": None,
                    "created_at": SEED_TIME,
                }
            )
            pair[slot] = file_id
        ids[spec.material_name] = (pair[0], pair[1])
    return rows, ids
