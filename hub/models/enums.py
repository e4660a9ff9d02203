"""Closed vocabularies of the catalogue, stored as short strings with CHECK constraints.

Each enum carries its Chinese label, which the API exposes next to the value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    label: str

    @classmethod
    def label_of(cls, value: str) -> str:
        """The Chinese label of a stored value."""
        return cls._value2member_map_[value].label  # type: ignore[attr-defined]

    def __new__(cls, value: str, label: str) -> Self:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj


class OrgKind(LabelledEnum):
    MANAGEMENT_COMMITTEE = ("management_committee", "管委会")
    BUREAU = ("bureau", "委办局")
    DIVISION = ("division", "处室/科室")
    SUBDISTRICT = ("subdistrict", "街道")
    COMMUNITY = ("community", "社区")
    INSTITUTION = ("institution", "事业单位")


class OrgStatus(LabelledEnum):
    ACTIVE = ("active", "正常")
    DISSOLVED = ("dissolved", "已撤销")


class Audience(LabelledEnum):
    PERSON = ("person", "自然人")
    LEGAL_ENTITY = ("legal_entity", "法人")
    BOTH = ("both", "自然人和法人")


class ItemType(LabelledEnum):
    LICENSE = ("license", "行政许可")
    PAYMENT = ("payment", "行政给付")
    CONFIRMATION = ("confirmation", "行政确认")
    RULING = ("ruling", "行政裁决")
    REWARD = ("reward", "行政奖励")
    COLLECTION = ("collection", "行政征收")
    OTHER_POWER = ("other_power", "其他行政权力")
    PUBLIC_SERVICE = ("public_service", "公共服务")


class TimeUnit(LabelledEnum):
    WORKING_DAY = ("working_day", "工作日")
    NATURAL_DAY = ("natural_day", "自然日")


class ServiceStatus(LabelledEnum):
    DRAFT = ("draft", "草稿")
    PUBLISHED = ("published", "已发布")
    RETIRED = ("retired", "已停用")


class Necessity(LabelledEnum):
    REQUIRED = ("required", "必要")
    OPTIONAL = ("optional", "非必要")
    DEFERRABLE = ("deferrable", "可容缺后补")


class Medium(LabelledEnum):
    PAPER = ("paper", "纸质")
    ELECTRONIC = ("electronic", "电子")
    BOTH = ("both", "纸质和电子")


class SourceChannel(LabelledEnum):
    APPLICANT = ("applicant", "申请人自备")
    GOVERNMENT = ("government", "政府部门核发")
    INTERMEDIARY = ("intermediary", "中介机构出具")
    OTHER = ("other", "其他")


class Exemption(LabelledEnum):
    NONE = ("none", "需提交")
    ELICENSE = ("elicense", "电子证照免提交")
    DATASET = ("dataset", "数据共享免提交")


class MaterialKind(LabelledEnum):
    ID_DOCUMENT = ("id_document", "证件")
    LICENCE = ("licence", "证照")
    FORM = ("form", "表格")
    CERTIFICATE = ("certificate", "证明")
    OTHER = ("other", "其他")


class DatasetCategory(LabelledEnum):
    POPULATION = ("population", "人口基础库")
    LEGAL_ENTITY = ("legal_entity", "法人基础库")
    GEOSPATIAL = ("geospatial", "自然资源和空间地理基础库")
    CREDIT = ("credit", "社会信用基础库")
    ELICENSE = ("elicense", "电子证照基础库")
    THEMATIC = ("thematic", "主题库")
    DEPARTMENTAL = ("departmental", "部门库")


class ShareType(LabelledEnum):
    UNCONDITIONAL = ("unconditional", "无条件共享")
    CONDITIONAL = ("conditional", "有条件共享")
    NONE = ("none", "不予共享")


class OpenType(LabelledEnum):
    UNCONDITIONAL = ("unconditional", "无条件开放")
    CONDITIONAL = ("conditional", "有条件开放")
    NONE = ("none", "不予开放")


class UpdateCycle(LabelledEnum):
    REALTIME = ("realtime", "实时")
    DAILY = ("daily", "每日")
    WEEKLY = ("weekly", "每周")
    MONTHLY = ("monthly", "每月")
    QUARTERLY = ("quarterly", "每季度")
    YEARLY = ("yearly", "每年")
    IRREGULAR = ("irregular", "不定期")


class RequestStatus(LabelledEnum):
    SUBMITTED = ("submitted", "待审核")
    APPROVED = ("approved", "已批准")
    REJECTED = ("rejected", "已驳回")
    WITHDRAWN = ("withdrawn", "已撤回")


class AccessMode(LabelledEnum):
    """How a grant lets its holder use a dataset: read the granted fields of a record by key,
    or only check claims against them (可用不可见)."""

    QUERY = ("query", "查询")
    VERIFY = ("verify", "核验")


class AccessOutcome(LabelledEnum):
    """What became of one call on a served dataset."""

    ANSWERED = ("answered", "已应答")
    NO_GRANT = ("no_grant", "无有效授权")
    FIELD_NOT_GRANTED = ("field_not_granted", "信息项未授权")
    MODE_NOT_GRANTED = ("mode_not_granted", "方式未授权")
    QUOTA_EXCEEDED = ("quota_exceeded", "超出日配额")
    NOT_SERVED = ("not_served", "非本平台提供")
    BAD_INPUT = ("bad_input", "请求不合法")


class GrantStatus(LabelledEnum):
    ACTIVE = ("active", "有效")
    REVOKED = ("revoked", "已撤销")
    EXPIRED = ("expired", "已到期")


class StaffStatus(LabelledEnum):
    ACTIVE = ("active", "在职")
    SUSPENDED = ("suspended", "停职")
    DEPARTED = ("departed", "离职")


class Gender(LabelledEnum):
    """GB/T 2261.1: 男, 女, and 未说明 (for an account that is not a person's record yet, such
    as the first administrator created on a new install)."""

    MALE = ("male", "男")
    FEMALE = ("female", "女")
    UNSTATED = ("unstated", "未说明")


class PostType(LabelledEnum):
    PRIMARY = ("primary", "主职")
    CONCURRENT = ("concurrent", "兼职")
    SECONDED = ("seconded", "借调")
    ACTING = ("acting", "代理")


class MembershipStatus(LabelledEnum):
    ACTIVE = ("active", "有效")
    ENDED = ("ended", "已结束")


class EndReason(LabelledEnum):
    TRANSFER = ("transfer", "调动")
    RESIGN = ("resign", "辞职")
    RETIRE = ("retire", "退休")
    DISMISS = ("dismiss", "辞退")
    EXPIRED = ("expired", "到期")


class Role(LabelledEnum):
    """Roles held through a membership; system admin is a flag on the staff member."""

    ADMIN = ("admin", "机构管理员")
    REVIEWER = ("reviewer", "数据共享审核员")
    CATALOGUE = ("catalogue", "事项目录管理员")  # over the root org: the search synonym table


class OutboxOp(LabelledEnum):
    UPSERT = ("upsert", "更新")
    DELETE = ("delete", "删除")


class SessionKind(LabelledEnum):
    """What an ``auth_session`` row is: a sign-in to hub's own API, a browser signed in at
    hub's SSO pages, or a relying party's session that came from such a browser sign-in."""

    API = ("api", "接口会话")
    BROWSER = ("browser", "单点登录会话")
    RELYING_PARTY = ("rp", "业务系统会话")


class TransferStatus(LabelledEnum):
    PENDING = ("pending", "待审批")
    APPROVED = ("approved", "已批准")
    REJECTED = ("rejected", "已驳回")
    WITHDRAWN = ("withdrawn", "已撤回")
