"""The city's day, the mix: its operations, their rates, and the requests they send.

**The mix** (peak = a day's count × the peak hour's share ÷ 3,600 s × 4). The factor 4 is
the busiest minutes over the peak hour's mean: the identity platform's ~300,000 calls a day
with 15 % in the peak hour average 12.5/s there, and its peak is ~50/s (bench/README.md).
"100 %" is therefore the busiest minutes of the busiest hour, for every operation.

  Citizens: 813,000 residents; 2.5 % use the service portal on a day = 20,325 visits, 12 % in
  the peak hour: 20,325 × 0.12 ÷ 3,600 × 4 = 2.71 visits/s. A visit: the home page, 2 searches
  of 1.5 result pages, 5 suggestion calls while typing each search, 2 service guides, half a
  theme or life-event list, a quarter of a 一件事 page.
  Staff: 19,870 sign in once a working day (the SSO session lasts 10 h and covers every
  business system), 35 % in the morning's peak hour: 19,870 × 0.35 ÷ 3,600 × 4 = 7.73/s.
  Identity calls, 300,000 a day: sign-ins take 2 each (the form, then the relying party's code
  exchange) = 39,740; data-sharing verifications 20 % = 60,000; transfers 4 a day (~1,000 a
  year), 2 calls each; the rest, 200,252, are business systems checking a staff member's
  access token (half userinfo, half introspection); 15 % of each in the peak hour.

  operation           per day                  peak /s
  home                20,325 × 1               2.71
  suggest             20,325 × 2 × 5           27.10
  search              20,325 × 2 × 1.5          8.13
  guide               20,325 × 2                5.42
  browse              20,325 × 0.5              1.36
  bundle              20,325 × 0.25             0.68
  sign_in             19,870        (35 %)      7.73
  userinfo            200,252 ÷ 2               16.69
  introspect          200,252 ÷ 2               16.69
  verify              300,000 × 0.2            10.00
  transfer            4                         0.0007  (at least --min-per-op a level)
  all                                          96.50 operations/s (104.2 requests/s)

Citizens' reads are 45.4/s of it; identity calls 58.8/s (sign-ins gather in the morning more
than the 50/s figure assumes).

Reads are anonymous GETs of the pages' persisted documents (``hub/web/queries``, by sha256);
service codes (from the database) and queries (``tests/search/judged_*.tsv``) are drawn
Zipf-like. Sign-ins post the SSO form, each with another seeded account, then exchange the
code (PKCE); their access tokens feed userinfo and introspection. ``verifyDatasetRecord``
(half the claims false) and the transfers (``applyForTransfer`` then
``decideTransferApplication``, as ``admin``) are POSTs by persisted hash, learned with the
text on first use.

What the operations draw from (``Plan``) is built by ``bench/city_setup.py``; the loop that
sends them at their rates is ``bench/open_loop.py``.
"""

from __future__ import annotations

import contextlib
import random
import re
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import graphql_bench as gb  # noqa: E402
import httpx  # noqa: E402
import sharing_setup as sharing  # noqa: E402
import sso_setup as sso  # noqa: E402
from graphql_bench import Request, SetupError  # noqa: E402

# --------------------------------------------------------------------------- the mix

BURST = 4.0  # busiest minutes over the peak hour's mean: 300,000 × 0.15 ÷ 3,600 × 4 = 50/s
VISITS = 813_000 * 0.025
SIGN_INS, VERIFICATIONS, TRANSFERS = 19_870, 300_000 * 0.2, 4
CHECKS = 300_000 - 2 * SIGN_INS - VERIFICATIONS - 2 * TRANSFERS
PAGE = 10
DOCS = {
    p.stem: p.read_text(encoding="utf-8")
    for p in (ROOT / "hub" / "web" / "queries").glob("*.graphql")
}
POSTS = {
    "Verify": sharing.VERIFY,
    "Apply": "mutation Apply($input: ApplyForTransferInput!) "
    "{ applyForTransfer(input: $input) { application { id version } } }",
    "Decide": "mutation Decide($input: DecideTransferApplicationInput!) "
    "{ decideTransferApplication(input: $input) { application { id status } } }",
}


@dataclass(frozen=True)
class Op:
    key: str
    label: str
    per_day: float
    peak_hour: float  # share of the day's count in the peak hour

    @property
    def peak(self) -> float:
        return self.per_day * self.peak_hour / 3600 * BURST


MIX = (
    Op("home", "HomePage (GET)", VISITS, 0.12),
    Op("suggest", "Suggest while typing (GET)", VISITS * 2 * 5, 0.12),
    Op("search", "SearchPage searchServices (GET)", VISITS * 2 * 1.5, 0.12),
    Op("guide", "ServiceGuide (GET)", VISITS * 2, 0.12),
    Op("browse", "BrowsePage theme/event (GET)", VISITS * 0.5, 0.12),
    Op("bundle", "BundlePage (GET)", VISITS * 0.25, 0.12),
    Op("sign_in", "SSO sign-in + code exchange", SIGN_INS, 0.35),
    Op("userinfo", "GET /sso/userinfo", CHECKS / 2, 0.15),
    Op("introspect", "POST /sso/introspect", CHECKS / 2, 0.15),
    Op("verify", "verifyDatasetRecord (POST)", VERIFICATIONS, 0.15),
    Op("transfer", "applyForTransfer + approve (POST)", TRANSFERS, 0.15),
)
PEAK = sum(op.peak for op in MIX)


class Zipf:
    """Items in a fixed random order, the item of rank r drawn with weight 1 / r^s."""

    def __init__(self, items: list[Any], s: float, rng: random.Random) -> None:
        if not items:
            raise SetupError("nothing to draw from")
        self.items, self.rng = list(items), rng
        rng.shuffle(self.items)
        total, self.cum = 0.0, []
        for rank in range(1, len(self.items) + 1):
            total += 1 / rank**s
            self.cum.append(total)

    def draw(self) -> Any:
        return self.rng.choices(self.items, cum_weights=self.cum)[0]


def _get(doc: str, variables: dict[str, Any]) -> str:
    return Request.graphql(DOCS[doc], doc, variables, persisted=True, method="GET").path


@dataclass
class Plan:
    """What the operations draw from, and the state they share."""

    base: str
    rng: random.Random
    codes: Zipf
    queries: Zipf
    foci: Zipf
    bundles: Zipf
    cursor: str | None
    rp: sso.Client
    form: dict[str, str]
    csrf: str
    verifier: str
    password: str
    accounts: Any
    chains: list[sso.Chain]
    clerk: str
    admin: str
    verify: list[dict[str, Any]]
    moves: Any
    tokens: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=2000))
    relearned: int = 0
    bureaus: list[httpx.AsyncClient] = field(default_factory=list)  # sign-ins' addresses


# --------------------------------------------------------------------------- operations


def _bad(answer: httpx.Response, marker: bytes = b'"data"') -> str | None:
    """Why an answer is not a good one (status, marker, GraphQL errors), or None."""
    body = answer.content  # parsed only when it may hold errors
    good = answer.status_code == 200 and marker in body
    if good and (b'"errors"' not in body or not answer.json().get("errors")):
        return None
    with contextlib.suppress(ValueError, AttributeError, IndexError, KeyError, TypeError):
        error = answer.json()["errors"][0]  # its code and message, without the request id
        return f"{answer.status_code} {error['extensions'].get('code')}: {error['message']}"
    text = re.sub(r"<head>.*?</head>|<[^>]+>", " ", answer.text, flags=re.S)  # a page: its words
    return f"{answer.status_code} {' '.join(text.split())[:120]}"


async def _read(http: httpx.AsyncClient, doc: str, variables: Any) -> str | None:
    return _bad(await http.get(_get(doc, variables)))


async def _post(
    plan: Plan, http: httpx.AsyncClient, name: str, variables: Any, token: str
) -> tuple[str | None, Any]:
    """POST by hash; PERSISTED_QUERY_NOT_FOUND: again with the text (the APQ protocol)."""
    ext = {"persistedQuery": {"version": 1, "sha256Hash": gb._sha(POSTS[name])}}
    body = {"operationName": name, "variables": variables, "extensions": ext}
    headers = {"Authorization": f"Bearer {token}"}
    answer = await http.post("/graphql", json=body, headers=headers)
    if b"PERSISTED_QUERY_NOT_FOUND" in answer.content:
        plan.relearned += 1
        answer = await http.post("/graphql", json={**body, "query": POSTS[name]}, headers=headers)
    bad = _bad(answer)
    return bad, None if bad else answer.json()["data"]


def _token(plan: Plan) -> str:
    """A relying party's access token issued in the last 4 minutes (they live 5)."""
    now = time.monotonic()
    while len(plan.tokens) > 1 and now - plan.tokens[0][0] > 240:
        plan.tokens.popleft()
    return plan.tokens[plan.rng.randrange(len(plan.tokens))][1]


async def op_search(plan: Plan, http: httpx.AsyncClient) -> str | None:
    after = plan.cursor if plan.rng.random() < 1 / 3 else None  # 1.5 pages a search
    variables = {"query": plan.queries.draw(), "filter": None, "first": PAGE, "after": after}
    return await _read(http, "SearchPage", variables)


async def op_suggest(plan: Plan, http: httpx.AsyncClient) -> str | None:
    query = plan.queries.draw()
    prefix = query[: plan.rng.randint(1, min(len(query), 6))]
    return await _read(http, "Suggest", {"prefix": prefix})


async def op_sign_in(plan: Plan, http: httpx.AsyncClient) -> str | None:
    login = next(plan.accounts)
    form = urlencode({**plan.form, "username": login, "password": plan.password})
    headers = {"Cookie": f"hub_sso_csrf={plan.csrf}", "Content-Type": sso.FORM}
    bureau = plan.rng.choice(plan.bureaus) if plan.bureaus else http  # staff behind NATs
    answer = await bureau.post("/sso/authorize", content=form, headers=headers)
    code = parse_qs(urlsplit(answer.headers.get("location", "")).query).get("code")
    if answer.status_code != 302 or not code:
        return f"sign-in: {_bad(answer, b'never')}"
    data = {"grant_type": "authorization_code", "code": code[0]}
    data.update(redirect_uri=sso.REDIRECT_URI, code_verifier=plan.verifier)
    tokens = await http.post("/sso/token", data=data, headers={"Authorization": plan.rp.basic})
    if tokens.status_code != 200 or b'"access_token"' not in tokens.content:
        return f"code exchange: {_bad(tokens, b'never')}"
    plan.tokens.append((time.monotonic(), tokens.json()["access_token"]))
    return None


async def op_userinfo(plan: Plan, http: httpx.AsyncClient) -> str | None:
    headers = {"Authorization": f"Bearer {_token(plan)}"}
    return _bad(await http.get("/sso/userinfo", headers=headers), b'"sub"')


async def op_introspect(plan: Plan, http: httpx.AsyncClient) -> str | None:
    data, headers = {"token": _token(plan)}, {"Authorization": plan.rp.basic}
    return _bad(await http.post("/sso/introspect", data=data, headers=headers), b'"active":true')


async def op_transfer(plan: Plan, http: httpx.AsyncClient) -> str | None:
    move = next(plan.moves, None)
    if move is None:
        return "no staff left to move (the run drew 300)"
    move = {**move, "reason": "city_day 压测：调动申请"}
    bad, data = await _post(plan, http, "Apply", {"input": move}, plan.admin)
    if bad:
        return bad
    made = data["applyForTransfer"]["application"]
    decision = {"applicationId": made["id"], "expectedVersion": made["version"], "approve": True}
    return (await _post(plan, http, "Decide", {"input": decision}, plan.admin))[0]


OPS = {
    "home": lambda p, h: _read(h, "HomePage", {}),
    "suggest": op_suggest,
    "search": op_search,
    "guide": lambda p, h: _read(h, "ServiceGuide", {"code": p.codes.draw()}),
    "browse": lambda p, h: _read(h, "BrowsePage", {**p.foci.draw(), "first": PAGE, "after": None}),
    "bundle": lambda p, h: _read(h, "BundlePage", {"code": p.bundles.draw()}),
    "sign_in": op_sign_in,
    "userinfo": op_userinfo,
    "introspect": op_introspect,
    "verify": lambda p, h: _post(p, h, "Verify", p.rng.choice(p.verify), p.clerk),
    "transfer": op_transfer,
}


async def _one(plan: Plan, http: httpx.AsyncClient, key: str) -> str | None:
    try:
        outcome = await OPS[key](plan, http)
    except httpx.TimeoutException:
        return "timeout"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:240]
    return outcome[0] if isinstance(outcome, tuple) else outcome
