"""Seed data for hub: a deterministic, realistic fictional new area (云溪新区).

``hub seed`` loads it; :func:`seed.load.load_seed` is the API. The source lists live in
``hub/seed/data`` (orgs, surnames and given-name characters, the service catalogue as
``services.jsonl``, materials, themes, bundles, dataset subjects) and are meant to be edited by
hand; the generators only combine them with fixed random streams and a fixed clock. The
records of the datasets the hub serves itself (100,000 residents per unit of scale, their
marriages, companies and 电子证照) are streamed by :mod:`seed.records`.

Public names: :data:`BIRTH_ITEM_CODES` (every birth-related service item) and
:data:`WELL_KNOWN_ACCOUNTS` (``admin``, ``tzcj_admin``, ``kjcx_admin``, ``tzcj_clerk``,
``tzcj_reviewer``, ``gafj_reviewer``; see :mod:`seed.staff`).
"""

from hub.seed.catalogue import BIRTH_ITEM_CODES
from hub.seed.staff import WELL_KNOWN_ACCOUNTS, WellKnownAccount

__all__ = ["BIRTH_ITEM_CODES", "WELL_KNOWN_ACCOUNTS", "WellKnownAccount"]
