"""The soak's writes: the catalogue office imports while the city reads (``bench/soak.py``).

Every ``--soak-write-every`` s (60; 0 = never) of the measured window, from its start, one at
a time, ``hub import services FILE --quiet`` runs as a subprocess (``asyncio``: the event loop
keeps sending) in the environment of the server under test (``city_setup.hub_env``: data
dir, database, Redis), on ``WRITE_SERVICES`` published services drawn once, with ``--seed``,
from the plan's codes and read from the same database. Each line restates a service as it is
now (name, org code, themes, audience, materials in order, type, aliases, conditions, depth,
visits: an update replaces all of these), its description marked `` (更新 <run>-<n>)`` (an
earlier mark replaced), so every import really changes them: one outbox row each, their
``version`` up, and the public version of the response cache bumped. A service whose themes
the importer would resolve to other ones (a name shared by two audiences) is left out. The
importer resets the details of each material requirement (necessity, counts, forms, notes)
to its defaults: the same few services lose them in every soak.

The import indexes its rows itself once its lines are written (``indexed N outbox rows``;
with the search engine away it leaves them to the server), so the backlog when the load
stops is at most a last import's; "drained" then says that what the imports queued was
applied. Reported: imports, done and failed, rows updated, rows indexed by the import or
left to the server, seconds p50 and max; the file of the last import stays in the data dir.
An import's CPU (a Python start-up, then its lines) shows as "other" in the soak's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import graphql_bench as gb  # noqa: E402
import sso_setup as sso  # noqa: E402
from city_setup import hub_env  # noqa: E402

WRITE_SERVICES, CANDIDATES = 20, 200  # services rewritten per import, drawn from so many
WRITE_TIMEOUT_S = 300.0  # an import taking longer is killed: a failure
_MARK = re.compile(r"\s*\(更新 [^()]*\)$")  # the mark an earlier import left
_SUMMARY = re.compile(r"(\d+) created, (\d+) updated, (\d+) refused")
_INDEXED = re.compile(r"indexed (\d+) outbox rows")


@dataclass(frozen=True)
class Rewrite:
    """A published service as the importer would restate it."""

    row: dict[str, Any]  # code, name, short_name, aliases, item_type, org (its code) …
    themes: list[str]
    materials: list[str]


def import_line(rewrite: Rewrite, tag: str) -> str:
    """One JSON line of ``hub import services``: the service as it is, its description
    marked `` (更新 tag)``."""
    row = rewrite.row
    aliases = row["aliases"]
    if isinstance(aliases, str):  # JSON text from SQLite and asyncpg alike
        aliases = json.loads(aliases or "[]")
    description = _MARK.sub("", (row["description"] or "").rstrip())
    line: dict[str, Any] = {
        "code": row["code"],
        "name": row["name"],
        "org": row["org"],
        "themes": rewrite.themes,
        "audience": row["audience"],
        "description": f"{description} (更新 {tag})",
        "materials": rewrite.materials,
        "item_type": row["item_type"],
        "status": "published",
        "aliases": [a for a in aliases or [] if isinstance(a, str) and a.strip()],
        "conditions": row["conditions"] or "",
        "online_depth": int(row["online_depth"]),
        "visits": int(row["visits"]),
    }
    if row["short_name"]:
        line["short_name"] = row["short_name"]
    return json.dumps(line, ensure_ascii=False)


ThemeRow = tuple[int, str, str, bool, int | None]  # id, name, audience, local, national_id


def theme_names(audience: str, ids: set[int], themes: dict[int, ThemeRow]) -> list[str] | None:
    """The theme names that give a service of ``audience`` back exactly its themes ``ids``
    in the importer (first by ``local``, id among the audience's; a local theme adds the
    national one it stands for), or None when they would not."""
    allowed = {"person", "legal_entity", "both"} if audience == "both" else {audience, "both"}
    names = list(dict.fromkeys(themes[i][1] for i in sorted(ids) if i in themes))
    resolved: set[int] = set()
    for name in names:
        same = [t for t in themes.values() if t[1] == name and t[2] in allowed]
        if not same:
            return None  # it would become a new local theme
        first = min(same, key=lambda t: (t[3], t[0]))
        resolved |= {first[0]} | ({first[4]} if first[3] and first[4] is not None else set())
    return names if names and resolved == ids else None


def _marks(prefix: str, values: list[Any]) -> tuple[str, dict[str, Any]]:
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{k}" for k in params), params


async def pick_services(args: argparse.Namespace, codes: list[str]) -> list[Rewrite]:
    """Up to ``WRITE_SERVICES`` of ``CANDIDATES`` published codes (drawn with ``--seed``,
    the same ones every soak) whose lines give back their themes, read as they are now."""
    drawn = random.Random(args.seed).sample(sorted(codes), min(CANDIDATES, len(codes)))
    marks, params = _marks("c", drawn)
    found = await sso._query(
        args,
        "SELECT s.id, s.code, s.name, s.short_name, s.aliases, s.item_type, o.code AS org, "
        "s.audience, s.description, s.conditions, s.online_depth, s.visits FROM service_item s "
        f"JOIN org o ON o.id = s.org_id WHERE s.status = 'published' AND s.code IN ({marks})",
        **params,
    )
    rows = {str(r.code): dict(r._mapping) for r in found}
    if not rows:
        return []
    marks, params = _marks("s", [r["id"] for r in rows.values()])
    linked: dict[int, set[int]] = {}
    sql = f"SELECT service_id, theme_id FROM service_theme WHERE service_id IN ({marks})"
    for service_id, theme_id in await sso._query(args, sql, **params):
        linked.setdefault(int(service_id), set()).add(int(theme_id))
    materials: dict[int, list[str]] = {}
    for service_id, name in await sso._query(
        args,
        "SELECT r.service_id, m.name FROM material_requirement r JOIN material m "
        f"ON m.id = r.material_id WHERE r.service_id IN ({marks}) "
        "ORDER BY r.service_id, r.position, r.id",
        **params,
    ):
        materials.setdefault(int(service_id), []).append(str(name))
    themes: dict[int, ThemeRow] = {
        int(i): (int(i), str(n), str(a), bool(loc), None if nat is None else int(nat))
        for i, n, a, loc, nat in await sso._query(
            args, "SELECT id, name, audience, local, national_id FROM theme"
        )
    }
    picked = []
    for code in drawn:
        row = rows.get(code)
        if row is None:
            continue
        names = theme_names(row["audience"], linked.get(row["id"], set()), themes)
        if names:
            picked.append(Rewrite(row, names, list(dict.fromkeys(materials.get(row["id"], [])))))
        if len(picked) == WRITE_SERVICES:
            break
    return picked


async def _import(env: dict[str, str], path: Path) -> tuple[str | None, int, int | None]:
    """``hub import services path`` as a subprocess: why it failed (or None), the rows it
    updated, and those it indexed itself (None: it left them to the server)."""
    argv = gb._hub("import", "services", str(path), "--quiet")
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=env["HUB_DATA_DIR"],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"[:200], 0, None
    try:
        out, err = await asyncio.wait_for(process.communicate(), WRITE_TIMEOUT_S)
    except (TimeoutError, asyncio.CancelledError) as exc:
        process.kill()
        await process.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        return f"killed after {WRITE_TIMEOUT_S:.0f} s", 0, None
    text = out.decode(errors="replace")
    summary, indexed = _SUMMARY.search(text), _INDEXED.search(text)
    updated = int(summary.group(2)) if summary else 0
    if process.returncode != 0 or not summary or summary.group(1) != "0":
        why = (err.decode(errors="replace").strip() or text.strip()).splitlines() or ["?"]
        return f"exit {process.returncode}: {why[0]}"[:200], updated, None
    return None, updated, int(indexed.group(1)) if indexed else None


async def write_catalogue(
    args: argparse.Namespace, services: list[Rewrite], stop: asyncio.Event
) -> dict[str, Any]:
    """An import of ``services`` every ``--soak-write-every`` s of the measured window (the
    first at its start, one at a time), until its end or ``stop``."""
    loop = asyncio.get_running_loop()
    env, path = hub_env(args), args.data_dir / "soak-import.jsonl"
    run, zero = time.strftime("%m%d%H%M"), loop.time() + args.warmup
    seconds: list[float] = []
    failures: list[str] = []
    updated = indexed = left = 0
    while services and args.soak_write_every:
        at = zero + len(seconds) * args.soak_write_every
        if at >= zero + args.soak_duration:
            break
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, at - loop.time()))
            break  # the load stopped
        except TimeoutError:
            pass
        tag = f"{run}-{len(seconds) + 1}"
        path.write_text("".join(import_line(s, tag) + "\n" for s in services), encoding="utf-8")
        started = loop.time()
        why, rows, applied = await _import(env, path)
        seconds.append(loop.time() - started)
        updated += rows
        if why:
            failures.append(why)
        elif applied is None:
            left += rows
        else:
            indexed += applied
    ordered = sorted(seconds)
    return {
        "every_s": args.soak_write_every,
        "services": len(services),
        "count": len(seconds),
        "done": len(seconds) - len(failures),
        "failed": len(failures),
        "rows_updated": updated,
        "rows_indexed_by_import": indexed,
        "rows_left_to_server": left,
        "seconds_p50": round(ordered[len(ordered) // 2], 2) if ordered else None,
        "seconds_max": round(ordered[-1], 2) if ordered else None,
        "failures": failures[:5],
        "file": str(path),
    }


def writes_text(w: dict[str, Any]) -> str:
    if not w["count"]:
        return f"catalogue writes: none ({w.get('skipped') or 'no import was due'})"
    return (
        f"catalogue writes: {w['count']} imports of {w['services']} services every "
        f"{w['every_s']:g} s: {w['done']} done, {w['failed']} failed; {w['rows_updated']} rows "
        f"updated, {w['rows_indexed_by_import']} indexed by the import, "
        f"{w['rows_left_to_server']} left to the server; {w['seconds_p50']:.1f} s p50, "
        f"{w['seconds_max']:.1f} s max" + "".join(f"\n  failed: {why}" for why in w["failures"][:3])
    )
