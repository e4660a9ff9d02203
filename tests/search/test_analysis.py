"""The shared analysis pipeline: normalisation, index tokens, query terms, highlights."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.search import query as query_analysis
from hub.search.analysis import DATA_DIR, SynonymTable, normalize, split_pinyin
from hub.search.highlight import highlight_html, highlight_spans
from hub.search.query import analyze_query
from hub.search.tokens import analyze_name, character_grams, substring_phrase


def test_normalize_folds_width_script_and_case() -> None:
    assert normalize("辦理營業執照ＡＢＣ１２３") == "办理营业执照abc123"


@pytest.mark.parametrize(
    ("latin", "expected"),
    [
        ("shengyu", (("sheng", "yu"), False)),
        ("shengyudengji", (("sheng", "yu", "deng", "ji"), False)),
        ("xian", (("xian",), False)),  # fewest syllables, not xi an
        ("shengy", (("sheng", "y"), True)),  # typed halfway
        ("lue", (("lve",), False)),
        ("sydj", None),  # not pinyin: initials
        ("abc1", None),
    ],
)
def test_latin_input_splits_into_syllables(
    latin: str, expected: tuple[tuple[str, ...], bool] | None
) -> None:
    assert split_pinyin(latin) == expected


def test_names_get_every_reading_and_contextual_initials() -> None:
    name = analyze_name("银行业务")
    readings = {token for position, token in name.pinyin if position == 2}  # 行 at 2 * 1
    assert {"hang", "xing"} <= readings  # 行: every reading is searchable
    assert name.pinyin_joined == "yinhangyewu"  # the reading in context
    assert name.initials_joined == "yhyw"
    assert ("生育" in analyze_name("生育登记").words) and "登记" in analyze_name("生育登记").words


def test_character_grams_find_a_piece_of_a_word() -> None:
    grams = character_grams("营业执照变更")
    phrase = substring_phrase("执照变")
    first = grams.index(phrase[0][1])
    assert all(grams[first + offset] == gram for offset, gram in phrase)
    assert substring_phrase("证") == [(0, "证")]


def test_question_words_are_dropped_from_queries_only() -> None:
    query = analyze_query("怎么办护照需要什么材料？")
    assert [t.text for t in query.variants[0].terms] == ["护照"]
    assert "办理" in analyze_name("出生医学证明办理").words  # kept at index time
    assert [t.text for t in analyze_query("办理").variants[0].terms] == ["办理"]


def test_synonyms_add_a_variant_and_keep_the_typed_one() -> None:
    query = analyze_query("生孩子")
    assert [v.synonym for v in query.variants] == [False, True]
    assert [t.text for t in query.variants[1].terms] == ["生育"]


def test_latin_queries_read_as_pinyin_or_initials() -> None:
    (pinyin,) = analyze_query("sheng yu").variants[0].terms
    assert pinyin.syllables == ("sheng", "yu") and not pinyin.initials
    (initials,) = analyze_query("sydj").variants[0].terms
    assert initials.initials == ("s", "y", "d", "j") and not initials.syllables


def test_long_and_empty_queries() -> None:
    long = analyze_query("生育" * 5000)
    assert long.truncated and len(long.normalized) == query_analysis.MAX_QUERY_CHARS
    assert analyze_query("？！😀").empty
    assert analyze_query("  ").blank and not analyze_query("  ").empty


def test_highlights_land_on_the_original_characters() -> None:
    spans = highlight_spans("營業執照（副本）", analyze_query("营业执照").terms())
    assert spans == [(0, 4)]
    assert highlight_html("<生育>登记", [(1, 3)]) == "&lt;<em>生育</em>&gt;登记"
    assert highlight_spans("生育登记", analyze_query("生玉").terms()) == [(0, 2)]  # by sound


def test_the_synonym_table_is_versioned_and_one_way() -> None:
    table = SynonymTable.load(DATA_DIR / "synonyms.tsv")
    assert table.version
    assert len(table.mapping) >= 50
    for key, targets in table.mapping.items():
        assert len(key) >= 2, key
        # a key inside its own target is found by substring anyway: such a line only adds noise
        assert not any(key in target for target in targets), key


def test_a_table_without_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="version"):
        SynonymTable.parse("生孩子\t生育\n")
    with pytest.raises(ValueError, match="line 2"):
        SynonymTable.parse("# version: 1\n生孩子 生育\n")
