"""``hub import services`` and ``hub search sync|reindex|status``, run in-process."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from hub.catalogue import importer
from hub.commands import imports, search
from hub.search.backend import SearchFilter
from hub.search.embedded import EmbeddedBackend
from tests.search.conftest import Database, service_line


def hub(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="hub")
    commands = parser.add_subparsers(required=True)
    imports.register(commands)
    search.register(commands)
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("HUB_ENVIRONMENT", "test")
    monkeypatch.setenv("HUB_DATA_DIR", str(db.settings.data_dir))
    if db.settings.database_url:
        monkeypatch.setenv("HUB_DATABASE_URL", db.settings.database_url)
    else:
        monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("HUB_SEARCH_BACKEND", "embedded")
    return db


def test_import_reports_bad_lines_and_indexes_the_good_ones(
    cli_env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "services.jsonl"
    source.write_text(
        "\n".join(
            [
                service_line("S-1", "犬只登记", org="云溪新区公安分局"),
                service_line("S-2", "x", audience="robot"),
                service_line("S-3", "生育登记"),
            ]
        ),
        encoding="utf-8",
    )
    assert hub("import", "services", str(source), "--orgs-under", "GW") == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "line 2: audience must be one of person, legal_entity, both, not 'robot'"
    ]
    assert "created org GW-" in out and "云溪新区公安分局" in out
    assert "2 created, 0 updated, 1 refused" in out and "indexed 2 outbox rows" in out

    async def found() -> list[int]:
        backend = await EmbeddedBackend.open(cli_env.settings.index_dir)
        try:
            return [h.id for h in (await backend.search("犬只", None, 0, 5)).hits]
        finally:
            await backend.close()

    assert len(asyncio.run(found())) == 1

    assert hub("search", "status") == 0
    status = capsys.readouterr().out
    assert "backend:    embedded" in status
    assert "documents:  2 (published in the database: 2)" in status
    assert "outbox:     0 pending" in status

    assert hub("search", "reindex") == 0
    assert "indexed 2 published services" in capsys.readouterr().out
    assert hub("search", "sync") == 0
    assert "applied 0 outbox rows" in capsys.readouterr().out


def test_import_without_orgs_under_refuses_unknown_orgs(
    cli_env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "services.jsonl"
    source.write_text(service_line("S-1", "犬只登记", org="云溪新区公安分局"), encoding="utf-8")
    assert hub("import", "services", str(source)) == 1
    err = capsys.readouterr().err
    assert err.startswith("line 1: org '云溪新区公安分局' does not exist")


def test_import_of_a_missing_file_is_one_line(
    cli_env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hub("import", "services", str(tmp_path / "nope.jsonl")) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_import_keeps_local_themes_maps_them_and_reports_progress(
    cli_env: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 2)
    source = tmp_path / "services.jsonl"
    source.write_text(
        "\n".join(
            service_line(f"QZ-{n}", name, themes=[theme])
            for n, (name, theme) in enumerate(
                [
                    ("居民户口簿补领", "户籍"),
                    ("居民户口簿换领", "户籍"),
                    ("出生登记", "户籍"),
                    ("公共租赁住房申请", "住房"),
                    ("中小学入学登记", "教育"),
                ]
            )
        ),
        encoding="utf-8",
    )
    theme_map = tmp_path / "themes.tsv"
    theme_map.write_text("# local\tnational\n户籍\t户籍办理\n", encoding="utf-8")
    assert hub("import", "services", str(source), "--theme-map", str(theme_map)) == 0
    out, err = capsys.readouterr()
    progress = [line.split(",")[0] for line in err.splitlines()]
    assert progress == ["2/5 lines", "4/5 lines", "5/5 lines"], err
    assert [line for line in out.splitlines() if "local theme" in line] == [
        "created local theme 户籍",
        "created local theme 住房",
        "created local theme 教育",
    ]

    async def found(theme: str) -> int:
        backend = await EmbeddedBackend.open(cli_env.settings.index_dir)
        try:
            flt = SearchFilter(theme_ids=[cli_env.theme_ids[theme]])
            return (await backend.search("", flt, 0, 10)).total
        finally:
            await backend.close()

    # the three 户籍 items are listed under the national 户籍办理 as well
    assert asyncio.run(found("户籍办理")) == 3

    bad_map = tmp_path / "bad.tsv"
    bad_map.write_text("住房\t没有这个国家主题\n", encoding="utf-8")
    assert hub("import", "services", str(source), "--theme-map", str(bad_map)) == 2
    assert "no national theme is named 没有这个国家主题" in capsys.readouterr().err
