"""The whole city as ordered batches of rows, ready for bulk insert.

Nothing here touches the database; building the base city (scale 1) takes a few seconds and
district copies are produced lazily, one district at a time, so scale 222 stays in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.seed.catalogue import Catalogue, build_catalogue, district_copies
from hub.seed.common import Row
from hub.seed.datasets import DatasetRows, build_datasets
from hub.seed.orgs import OrgTree, build_orgs
from hub.seed.staff import StaffRows, build_staff

#: Progress steps, in insert order, with the tables each one fills.
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("orgs", ("org",)),
    ("staff", ("staff", "membership")),
    ("datasets", ("dataset", "dataset_field")),
    ("materials", ("stored_file", "theme", "life_event", "material")),
    (
        "services",
        (
            "service_item",
            "material_requirement",
            "service_theme",
            "service_life_event",
            "service_relation",
            "bundle",
            "bundle_item",
        ),
    ),
)
#: Tables whose rows are multiplied by ``scale``.
SCALED_TABLES = ("service_item", "material_requirement", "service_theme", "service_life_event")


@dataclass
class City:
    scale: int
    orgs: OrgTree
    staff: StaffRows
    datasets: DatasetRows
    catalogue: Catalogue

    def base_tables(self) -> dict[str, list[Row]]:
        c = self.catalogue
        return {
            "org": self.orgs.rows,
            "staff": self.staff.staff,
            "membership": self.staff.memberships,
            "dataset": self.datasets.datasets,
            "dataset_field": self.datasets.fields,
            "stored_file": c.stored_files,
            "theme": c.themes,
            "life_event": c.life_events,
            "material": c.materials,
            "service_item": c.services,
            "material_requirement": c.requirements,
            "service_theme": c.service_themes,
            "service_life_event": c.service_life_events,
            "service_relation": c.relations,
            "bundle": c.bundles,
            "bundle_item": c.bundle_items,
        }

    def expected_counts(self) -> dict[str, int]:
        counts = {table: len(rows) for table, rows in self.base_tables().items()}
        for table in SCALED_TABLES:
            counts[table] *= self.scale
        return counts

    def batches(self) -> Iterator[tuple[str, str, list[Row]]]:
        """(step, table, rows) in an order that satisfies every foreign key."""
        tables = self.base_tables()
        for step, names in STEPS:
            for table in names:
                yield step, table, tables[table]
        for k in range(1, self.scale):
            for table, rows in district_copies(self.catalogue, self.orgs, k):
                yield "services", table, rows


def build_city(*, scale: int, files_dir: Path, password_hash: str | None) -> City:
    """Build the base city and write its form files under ``files_dir``."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    orgs = build_orgs()
    datasets = build_datasets(orgs)
    staff = build_staff(orgs, password_hash=password_hash, review_org_codes=datasets.provider_codes)
    catalogue = build_catalogue(orgs, datasets.id_by_name, files_dir)
    return City(scale=scale, orgs=orgs, staff=staff, datasets=datasets, catalogue=catalogue)
