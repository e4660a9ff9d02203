"""What the sharing tests share: signing in as seeded staff, finding a provider's dataset,
submitting a request, and the operations they send."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL

DEMO_PASSWORD = "hub-demo-2026"
POPULATION = "户籍人口基本信息"
FOUR = ["姓名", "公民身份号码", "性别", "户籍地址"]

LOGIN = """mutation($l: String!, $p: String!) {
  login(input: {loginNo: $l, password: $p}) { accessToken } }"""
DATASETS = """query($o: String!) { org(code: $o) { datasets(first: 100) {
  edges { node { id name shareType servedByHub keyField provider { code } } } } } }"""
ADD = """mutation($d: ID!, $f: [String!]!) { addToDemandList(datasetId: $d, fieldNames: $f) {
  fieldNames dataset { name } } }"""
DEMAND = "{ demandList(first: 10) { totalCount edges { node { fieldNames dataset { name } } } } }"
SUBMIT = """mutation($i: SubmitDatasetRequestInput!) { submitDatasetRequest(input: $i) {
  request { id status dueOn overdue automatic fieldNames accessMode version requesterOrg { code } }
  grant { id version fieldNames } } }"""
REVIEW = """mutation($i: ReviewDatasetRequestInput!) { reviewDatasetRequest(input: $i) {
  request { status decisionNote version }
  grant { id fieldNames endsOn status version accessMode } } }"""
REVOKE = """mutation($i: RevokeDatasetGrantInput!) { revokeDatasetGrant(input: $i) {
  status revokeReason version } }"""
REQUESTS = """query($r: SharingSide!) { datasetRequests(role: $r, first: 50) {
  totalCount edges { node { id status dataset { name } } } } }"""
GRANTS = """query($r: SharingSide!) { datasetGrants(role: $r, first: 50) {
  totalCount edges { node { id status fieldNames } } } }"""


async def token(gql: GraphQL, login_no: str) -> str:
    body = await gql(LOGIN, {"l": login_no, "p": DEMO_PASSWORD})
    return str(body["data"]["login"]["accessToken"])


async def dataset(gql: GraphQL, provider: str, name: str) -> dict[str, Any]:
    body = await gql(DATASETS, {"o": provider})
    edges = body["data"]["org"]["datasets"]["edges"]
    (node,) = [e["node"] for e in edges if e["node"]["name"] == name]
    return node


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def submit(gql: GraphQL, token: str, dataset_id: str, **extra: Any) -> dict[str, Any]:
    variables = {
        "i": {
            "datasetId": dataset_id,
            "fieldNames": FOUR,
            "purpose": "企业开办材料免提交：核验法定代表人身份",
            "legalBasis": "《优化营商环境条例》第三十五条",
            "accessMode": "QUERY",
            **extra,
        }
    }
    return await gql(SUBMIT, variables, token=token, expect_errors=True)
