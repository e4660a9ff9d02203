"""Setup for ``bench/sharing_bench.py``: the seeded data directory, the real keys and the
request bodies drawn from it, and the grant won through the public API (sign in, request,
approve), then a check that the raw app answers what ``/graphql`` answers."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import graphql_bench as gb
from graphql_bench import HOST, Server, SetupError

PERSONS = "户籍人口基本信息"
FIELDS = ["姓名", "公民身份号码"]
MIN_RECORDS = 1_000_000
PASSWORD = "hub-demo-2026"
REQUESTER, REVIEWER, FALLBACK_REVIEWER = "tzcj_clerk", "gafj_reviewer", "admin"

VERIFY = (
    "query Verify($datasetId: ID!, $key: String!, $claims: JSON!) { "
    "verifyDatasetRecord(datasetId: $datasetId, key: $key, claims: $claims) "
    "{ found claims { field matches } } }"
)
LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }"
PAYLOAD = "{ request { id status version } grant { id fieldNames accessMode endsOn } }"
SUBMIT = (
    "mutation Submit($input: SubmitDatasetRequestInput!) "
    "{ submitDatasetRequest(input: $input) " + PAYLOAD + " }"
)
REVIEW = (
    "mutation Review($input: ReviewDatasetRequestInput!) "
    "{ reviewDatasetRequest(input: $input) " + PAYLOAD + " }"
)
PENDING = (
    "query Pending { datasetRequests(role: REQUESTER, status: SUBMITTED, first: 50) "
    "{ edges { node { id version dataset { id } } } } }"
)


# --------------------------------------------------------------------------- the data


def connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def persons(db: Path) -> tuple[int, int]:
    """The id of 户籍人口基本信息 and how many records it has (0, 0 when not seeded)."""
    if not db.exists():
        return 0, 0
    try:
        with contextlib.closing(connect(db)) as conn:
            row = conn.execute("SELECT id FROM dataset WHERE name = ?", (PERSONS,)).fetchone()
            if row is None:
                return 0, 0
            (count,) = conn.execute(
                "SELECT count(*) FROM dataset_record WHERE dataset_id = ?", (row[0],)
            ).fetchone()
    except sqlite3.Error:
        return 0, 0
    return int(row[0]), int(count)


def prepare(data_dir: Path, fresh: bool, scale: int) -> tuple[int, int]:
    db = data_dir / "hub.sqlite3"
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    dataset_id, count = persons(db)
    if count >= MIN_RECORDS:
        print(f"reusing {db} ({count:,} {PERSONS} records)", flush=True)
        return dataset_id, count
    if db.exists():
        raise SetupError(
            f"{db} holds {count:,} {PERSONS} records, fewer than {MIN_RECORDS:,}: rerun with "
            f"--fresh (and a `hub seed` that creates them; --scale {scale} gives about "
            f"{scale * 100_000:,})"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"$ HUB_DATA_DIR={data_dir} hub seed --scale {scale} --no-progress", flush=True)
    started = time.monotonic()
    argv = gb._hub("seed", "--scale", str(scale), "--no-progress")
    done = subprocess.run(argv, env=gb._child_env(data_dir), cwd=data_dir, capture_output=True)
    output = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0:
        raise SetupError(f"hub seed failed ({done.returncode}):\n{output[-3000:]}")
    print(f"  {output.strip().splitlines()[0] if output.strip() else ''}", flush=True)
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    dataset_id, count = persons(db)
    if count < MIN_RECORDS:
        raise SetupError(
            f"hub seed --scale {scale} left {count:,} {PERSONS} records, fewer than "
            f"{MIN_RECORDS:,} (does this hub's seed create them? a larger --scale?)"
        )
    return dataset_id, count


def sample(db: Path, dataset_id: int, wanted: int, seed: int) -> list[tuple[str, str]]:
    """``wanted`` (key, 姓名) of records drawn at random, reproducibly, by rowid."""
    rng = random.Random(seed)
    found: dict[str, str] = {}
    with contextlib.closing(connect(db)) as conn:
        low, high = conn.execute(
            "SELECT min(id), max(id) FROM dataset_record WHERE dataset_id = ?", (dataset_id,)
        ).fetchone()
        for _ in range(100):
            ids = [rng.randint(low, high) for _ in range(900)]
            rows = conn.execute(
                f"SELECT key, data FROM dataset_record WHERE dataset_id = ? "
                f"AND id IN ({','.join('?' * len(ids))})",
                (dataset_id, *ids),
            )
            for key, data in rows:
                found[key] = json.loads(data)[FIELDS[0]]
            if len(found) >= wanted:
                break
    return sorted(found.items())[:wanted] if len(found) >= wanted else list(found.items())


def bodies(path: Path, dataset: str, sample: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One request per key: the even ones claim the record's own name, the odd ones another's."""
    rng = random.Random(len(sample))
    rng.shuffle(sample)
    names = [name for _, name in sample]
    bodies = []
    for i, (key, name) in enumerate(sample):
        claim = name
        if i % 2:
            claim = names[(i + 1) % len(names)]
            if claim.strip().upper() == name.strip().upper():
                claim = name + "某"
        variables = {"datasetId": dataset, "key": key, "claims": {FIELDS[0]: claim}}
        bodies.append({"query": VERIFY, "operationName": "Verify", "variables": variables})
    path.write_text("".join(gb._compact(b) + "\n" for b in bodies), encoding="utf-8")
    return bodies


def max_access_id(db: Path) -> int:
    with contextlib.closing(connect(db)) as conn:
        return int(conn.execute("SELECT coalesce(max(id), 0) FROM dataset_access").fetchone()[0])


def staff_exists(db: Path, login: str) -> bool:
    with contextlib.closing(connect(db)) as conn:
        return (
            conn.execute("SELECT 1 FROM staff WHERE login_no = ?", (login,)).fetchone() is not None
        )


# --------------------------------------------------------------------------- the API


def post(url: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    assert url.startswith(f"http://{HOST}:"), url
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = gb._compact(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def graphql(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    status, body = post(f"{base}/graphql", {"query": query, "variables": variables}, token)
    if status != 200 or not isinstance(body, dict) or body.get("errors"):
        raise SetupError(f"{query.split('(')[0]} answered {status}: {gb._compact(body)[:800]}")
    return body["data"]


def login(base: str, login: str) -> str:
    data = graphql(base, LOGIN, {"input": {"loginNo": login, "password": PASSWORD}})
    return str(data["login"]["accessToken"])


def grant(base: str, dataset: str, reviewer: str) -> tuple[str, dict[str, Any]]:
    """Sign in as the clerk, request, approve as ``reviewer``; the clerk's token and the grant."""
    token = login(base, REQUESTER)
    request = {
        "datasetId": dataset,
        "fieldNames": FIELDS,
        "accessMode": "VERIFY",
        "purpose": "招商引资项目落地时核验投资人身份（sharing_bench 压测）",
        "legalBasis": "《优化营商环境条例》：部门间共享信息，不得要求重复提交",
    }
    try:
        change = graphql(base, SUBMIT, {"input": request}, token)["submitDatasetRequest"]
    except SetupError as exc:
        if "pending request" not in str(exc):
            raise
        # a run stopped between request and decision left one: decide that one
        edges = graphql(base, PENDING, {}, token)["datasetRequests"]["edges"]
        nodes = [e["node"] for e in edges if e["node"]["dataset"]["id"] == dataset]
        if not nodes:
            raise
        change = {"request": nodes[0], "grant": None}
    if change["grant"] is None:
        decision = {
            "requestId": change["request"]["id"],
            "expectedVersion": change["request"]["version"],
            "decision": "APPROVE",
        }
        reviewer_token = login(base, reviewer)
        change = graphql(base, REVIEW, {"input": decision}, reviewer_token)
        change = change["reviewDatasetRequest"]
    if change["grant"] is None:
        raise SetupError(f"no grant after approval: {change}")
    return token, change["grant"]


def check(servers: dict[str, Server], bodies: list[dict[str, Any]], token: str) -> None:
    """The raw app answers what /graphql answers, and the claims are half true, half false."""
    outcomes = {True: 0, False: 0}
    for body in bodies[:40]:
        answers = {}
        for name, path in (("hub", "/graphql"), ("raw", "/raw/verify")):
            status, answers[name] = post(servers[name].base + path, body, token)
            if status != 200 or "errors" in answers[name]:
                raise SetupError(f"{name} answered {status}: {gb._compact(answers[name])[:800]}")
        if answers["hub"] != answers["raw"]:
            raise SetupError(
                f"the raw body differs from the GraphQL one; the ceiling must do the same work."
                f"\n graphql: {answers['hub']}\n raw:     {answers['raw']}"
            )
        verdict = answers["hub"]["data"]["verifyDatasetRecord"]
        if not verdict["found"]:
            raise SetupError(f"key {body['variables']['key']} not found: the sample is wrong")
        outcomes[verdict["claims"][0]["matches"]] += 1
    if abs(outcomes[True] - outcomes[False]) > 2:
        raise SetupError(f"claims should be half true: {outcomes}")


# --------------------------------------------------------------------------- after the run


def audit(data_dir: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        gb._hub("audit", "verify"),
        env=gb._child_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
    )
    return done.returncode, (done.stdout + done.stderr).strip(), time.monotonic() - started


def outcomes(db: Path, after: int) -> dict[str, int]:
    with contextlib.closing(connect(db)) as conn:
        rows = conn.execute(
            "SELECT outcome, count(*) FROM dataset_access WHERE id > ? GROUP BY outcome", (after,)
        )
        return {str(outcome): int(count) for outcome, count in rows}
