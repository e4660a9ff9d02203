"""Look ahead at what a query asks of a page of services and load it before the fields run.

A DataLoader already keeps a page to a fixed number of statements, but every field that
awaits one costs graphql-core a task. Loading the relations a query selects up front, in the
list resolver, lets the relation fields answer from the loaders' caches synchronously
(:func:`hub.graphql.loaders.load_now`), and a page of 20 services with their materials runs several
times faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info

from hub.models import ServiceItem
from hub.models.enums import Exemption

if TYPE_CHECKING:
    from hub.graphql.context import Context


def _collect(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    prefix: str,
    into: set[str],
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            path = f"{prefix}{selection.name.value}"
            into.add(path)
            _collect(selection.selection_set, fragments, f"{path}.", into)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set, fragments, prefix, into)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _collect(fragment.selection_set, fragments, prefix, into)


def selected_paths(info: Info[Context, None], under: Sequence[str] = ()) -> set[str]:
    """Dotted paths of the fields selected below the current field (and below ``under``,
    e.g. ``("edges", "node")`` for a connection)."""
    raw = info._raw_info
    paths: set[str] = set()
    for node in raw.field_nodes:
        _collect(node.selection_set, raw.fragments, "", paths)
    prefix = "".join(f"{name}." for name in under)
    return {p.removeprefix(prefix) for p in paths if p.startswith(prefix)}


EXEMPTION_PATHS = {
    "materials.exempt",
    "materials.exemptionBackedBy",
    "materials.exemptionMissing",
}


async def prefetch_services(ctx: Context, services: Iterable[ServiceItem], paths: set[str]) -> None:
    """Load into the request's loaders what ``paths`` will ask of ``services``."""
    rows = list(services)
    if not rows or not paths:
        return
    loaders = ctx.loaders
    ids = [s.id for s in rows if s.id is not None]
    if "org" in paths:
        orgs = await loaders.org_by_id.load_many(sorted({s.org_id for s in rows}))
        if "org.parent" in paths:
            parents = {o.parent_id for o in orgs if o is not None and o.parent_id is not None}
            await loaders.org_by_id.load_many(sorted(parents))
    if "materials" in paths:
        requirements = [
            r for rs in await loaders.requirements_by_service.load_many(ids) for r in rs
        ]
        if "materials.material" in paths:
            await loaders.material_by_id.load_many(sorted({r.material_id for r in requirements}))
        if paths & EXEMPTION_PATHS:  # may each implementing org look up the data behind 免提交
            loaders.service_by_id.prime_many({s.id: s for s in rows if s.id is not None})
            claimed = [r for r in requirements if r.exemption != Exemption.NONE]
            keys = sorted({(r.service_id, r.material_id) for r in claimed})
            await loaders.exemption_by_requirement.load_many(keys)
        files = set()
        if "materials.blankForm" in paths:
            files |= {r.blank_form_id for r in requirements if r.blank_form_id is not None}
        if "materials.sampleForm" in paths:
            files |= {r.sample_form_id for r in requirements if r.sample_form_id is not None}
        if files:
            await loaders.file_by_id.load_many(sorted(files))
    if "themes" in paths:
        await loaders.themes_by_service.load_many(ids)
    if "lifeEvents" in paths:
        await loaders.life_events_by_service.load_many(ids)
