"""The whole city as ordered batches of rows, ready for bulk insert.

Nothing here touches the database; building the base city (scale 1) takes a few seconds and
district copies are produced lazily, one district at a time, so scale 222 stays in memory. The
served datasets' records (100,000 residents per unit of scale and what they hold) are streamed
last, in chunks, so that memory stays flat at any scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hub.seed.catalogue import Catalogue, build_catalogue, district_copies
from hub.seed.common import Row
from hub.seed.datasets import DatasetRows, build_datasets
from hub.seed.orgs import OrgTree, build_orgs
from hub.seed.records import Records
from hub.seed.sharing import SharingRows, build_sharing
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
    ("sharing", ("dataset_request", "dataset_grant")),
    ("records", ("dataset_record",)),
)
#: Rows of ``dataset_record`` generated at a time.
RECORD_CHUNK = 10_000
#: Tables whose rows are multiplied by ``scale``.
SCALED_TABLES = ("service_item", "material_requirement", "service_theme", "service_life_event")


@dataclass
class City:
    scale: int
    orgs: OrgTree
    staff: StaffRows
    datasets: DatasetRows
    catalogue: Catalogue
    records: Records
    sharing: SharingRows

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
            "dataset_request": self.sharing.requests,
            "dataset_grant": self.sharing.grants,
        }

    def expected_counts(self) -> dict[str, int]:
        """Rows per table, except ``dataset_record``: :attr:`records` counts those as they go."""
        counts = {table: len(rows) for table, rows in self.base_tables().items()}
        for table in SCALED_TABLES:
            counts[table] *= self.scale
        return counts

    def batches(self) -> Iterator[tuple[str, str, list[Row]]]:
        """(step, table, rows) in an order that satisfies every foreign key."""
        tables = self.base_tables()
        for step, names in STEPS:
            for table in names:
                if table in tables:
                    yield step, table, tables[table]
        for k in range(1, self.scale):
            for table, rows in district_copies(self.catalogue, self.orgs, k):
                yield "services", table, rows
        for chunk in self.records.chunks(RECORD_CHUNK):
            yield "records", "dataset_record", chunk


#: ``--scale`` grows the residents of the served datasets with the catalogue up to this many
#: units (1,000,000 residents); beyond it only the catalogue grows unless ``records_scale`` says.
MAX_RECORDS_SCALE = 10


def build_city(
    *,
    scale: int,
    files_dir: Path,
    password_hash: str | None,
    today: date,
    records_scale: int | None = None,
) -> City:
    """Build the base city and write its form files under ``files_dir``. ``today`` (China
    time) dates the data-sharing stories; nothing else reads a clock."""
    if scale < 1 or (records_scale is not None and records_scale < 1):
        raise ValueError("scale must be at least 1")
    orgs = build_orgs()
    datasets = build_datasets(orgs)
    staff = build_staff(orgs, password_hash=password_hash, review_org_codes=datasets.provider_codes)
    catalogue = build_catalogue(orgs, datasets.id_by_name, files_dir)
    records = Records(orgs, datasets, staff.staff, records_scale or min(scale, MAX_RECORDS_SCALE))
    sharing = build_sharing(orgs, datasets, staff, catalogue, today)
    return City(
        scale=scale,
        orgs=orgs,
        staff=staff,
        datasets=datasets,
        catalogue=catalogue,
        records=records,
        sharing=sharing,
    )
