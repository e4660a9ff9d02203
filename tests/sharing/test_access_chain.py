"""The access log is a hash chain: `hub audit verify` passes on a clean log and names the
entry after someone with database rights edits a row (the append-only triggers dropped)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import text

from hub.db import transaction
from hub.models import Dataset, Staff
from hub.models.enums import (
    AccessMode,
    AccessOutcome,
    DatasetCategory,
    Gender,
    OpenType,
    ShareType,
    UpdateCycle,
)
from hub.sharing.access_log import GENESIS, Call, KeyHasher, append, verify_chain
from tests.conftest import Database


def _hub_audit_verify(db: Database) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_DATA_DIR"] = str(db.settings.data_dir)
    if db.settings.database_url:
        env["HUB_DATABASE_URL"] = db.settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _log_five_calls(db: Database) -> list[int]:
    hasher = KeyHasher(b"test key")
    async with transaction(db.sessions) as session:
        staff = Staff(login_no="gafj_reviewer", name="测试", gender=Gender.MALE)
        dataset = Dataset(
            code="DS-T-0001",
            name="户籍人口基本信息",
            provider_org_id=db.bureau_id,
            category=DatasetCategory.POPULATION,
            share_type=ShareType.CONDITIONAL,
            open_type=OpenType.NONE,
            update_cycle=UpdateCycle.DAILY,
            published_on=date(2025, 1, 1),
            updated_on=date(2025, 1, 1),
            served_by_hub=True,
            key_field="公民身份号码",
        )
        session.add_all([staff, dataset])
        await session.flush()
        staff_id, dataset_id = int(staff.id or 0), int(dataset.id or 0)
    ids = []
    for n in range(5):
        async with transaction(db.sessions) as session:
            entry = await append(
                session,
                Call(
                    staff_id=staff_id,
                    org_id=db.root_id,
                    grant_id=None,
                    dataset_id=dataset_id,
                    mode=AccessMode.VERIFY,
                    fields=["姓名"],
                    keys=1,
                    outcome=AccessOutcome.NO_GRANT if n % 2 else AccessOutcome.ANSWERED,
                    request_id=f"req-{n}",
                    key_hash=hasher([f"51990119900101{n:03d}X"]),
                ),
            )
            ids.append(int(entry.id or 0))
    return ids


async def test_hub_audit_verify_names_the_edited_entry(db: Database) -> None:
    ids = await _log_five_calls(db)
    async with transaction(db.sessions) as session:
        report = await verify_chain(session)
    assert report.intact and report.entries == 5
    clean = _hub_audit_verify(db)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "intact: 5 entries" in clean.stdout

    # the table refuses edits ...
    with pytest.raises(Exception, match="append-only"):
        async with transaction(db.sessions) as session:
            await (await session.connection()).execute(
                text("UPDATE dataset_access SET outcome = 'answered'")
            )
    # ... so someone with rights over the schema drops the guard and turns the third entry,
    # an answered call, into a denied one
    async with transaction(db.sessions) as session:
        postgres = (await session.connection()).dialect.name == "postgresql"
        if postgres:
            await (await session.connection()).execute(
                text("ALTER TABLE dataset_access DISABLE TRIGGER USER")
            )
        else:
            await (await session.connection()).execute(
                text("DROP TRIGGER dataset_access_no_update")
            )
        await (await session.connection()).execute(
            text("UPDATE dataset_access SET outcome = 'no_grant' WHERE id = :id"), {"id": ids[2]}
        )
    broken = _hub_audit_verify(db)
    assert broken.returncode == 1
    assert f"broken at entry {ids[2]}" in broken.stdout


async def test_the_chain_starts_at_genesis_and_links_each_entry(db: Database) -> None:
    await _log_five_calls(db)
    async with transaction(db.sessions) as session:
        rows = (
            await (await session.connection()).execute(
                text("SELECT prev_hash, hash FROM dataset_access ORDER BY id")
            )
        ).all()
    assert rows[0][0] == GENESIS
    assert all(rows[i][0] == rows[i - 1][1] for i in range(1, len(rows)))
    assert "51990119900101" not in str(rows)  # keys are kept only as keyed hashes
