"""Bank files in and out: the threatexchange/HMA layouts and STIX 2.1; a bad record is named
and left out, the rest of its file kept."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from shaheen.knowledge.banks_interop import (
    TLP_ORDER,
    BankFileError,
    BankRecord,
    file_hashes,
    is_looser,
    read,
    strictest,
    tlp_named,
    write,
)
from shaheen.knowledge.enums import TLP, EntryCategory, SignalType

DATA = Path(__file__).resolve().parents[1] / "data" / "banks"

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
VPDQ = json.dumps([f"{PDQ},100,0.0", f"{PDQ[::-1]},80,1.0"])

RECORDS = [
    BankRecord(SignalType.PDQ, PDQ, ("logo", "ttp"), 90, "image", "ttp"),
    BankRecord(SignalType.MD5, MD5, ("video",), None, "video", None),
    BankRecord(SignalType.VPDQ, VPDQ, (), 90, "video", "bla"),
    BankRecord(SignalType.MD5, "0" * 32, (), None, "image", None),
]


def test_stix_round_trip_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    assert write(path, RECORDS, bank_name="b", source="CTD", tlp=TLP.GREEN) == 4
    assert read(path).records == [replace(r, tlp=TLP.GREEN, source="CTD") for r in RECORDS]
    bundle = json.loads(path.read_text())
    indicator = next(o for o in bundle["objects"] if o["type"] == "indicator")
    assert indicator["spec_version"] == "2.1"
    assert indicator["pattern"] == f"[file:hashes.'PDQ' = '{PDQ}']"
    assert indicator["object_marking_refs"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # TLP 2.0 GREEN
    ]


@pytest.mark.parametrize("suffix", ["txt", "csv"])
def test_threatexchange_layouts_round_trip_hash_and_kind(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"bank.{suffix}"
    write(path, RECORDS, bank_name="b")
    back = read(path).records
    assert [(r.signal_type, r.value) for r in back] == [(r.signal_type, r.value) for r in RECORDS]
    assert back[1].media_type == "video"  # written as video_md5
    if suffix == "csv":
        assert [r.tags for r in back] == [r.tags for r in RECORDS]


def test_reads_what_threatexchange_writes(tmp_path: Path) -> None:
    txt = tmp_path / "signals.txt"
    txt.write_text(f"# from a partner\npdq {PDQ.upper()}\n\nvideo_md5 {MD5}\nvpdq {VPDQ}\n")
    records = read(txt).records
    assert [r.signal_type for r in records] == [SignalType.PDQ, SignalType.MD5, SignalType.VPDQ]
    assert records[0].value == PDQ  # lower-cased
    csv_file = tmp_path / "collab.csv"
    csv_file.write_text(
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{PDQ},Sample,POSITIVE_CLASS,media_priority_s1 logo\n"
    )
    assert read(csv_file).records == [
        BankRecord(SignalType.PDQ, PDQ, ("media_priority_s1", "logo"))
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.txt", f"pdq {PDQ}\npdq 1234\n", r"bad.txt: line 2: a pdq hash is 64 hex digits"),
        ("bad.txt", f"pdq {PDQ}\nsha1 abc\n", r"line 2: unknown signal type 'sha1'"),
        ("bad.txt", f"pdq {PDQ}\npdq\n", r"line 2: expected 'signal_type hash' \(a list of bare"),
        ("bad.txt", f'pdq {PDQ}\nvpdq ["zz,1,0"]\n', r"line 2: vpdq frame 1 is not"),
        ("bad.csv", f"signal_type,signal_str\npdq,{PDQ}\nmd5,xyz\n", r"line 3: a md5 hash is 32"),
        (
            "bad.csv",
            f"signal_type,signal_str,category\npdq,{PDQ},\npdq,{PDQ[::-1]},BENIGN\n",
            r"line 3: unknown category 'BENIGN' \(known: POSITIVE_CLASS,",
        ),
        (
            "bad.csv",
            f"signal_type,signal_str\npdq,{PDQ}\npdq,{PDQ[::-1]},surplus\n",
            r"line 3: 3 fields where the header has 2",
        ),
        (
            "bad.json",
            '{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--1",'
            f' "pattern": "[file:hashes.MD5 = \'{MD5}\']"}}, {{"type": "indicator",'
            ' "id": "indicator--2", "name": "cut", "pattern": "[file:hashes.MD5 = \'abc\'"}]}',
            r"object 2 \(indicator--2, 'cut'\): the pattern ends without '\]'",
        ),
    ],
)
def test_a_bad_record_is_named_and_the_good_ones_kept(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    found = read(path)
    assert len(found.records) == 1 and found.skipped == []
    [reason] = found.rejected
    assert re.search(message, reason), reason
    assert "\n" not in reason  # one line


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", "hash_type,value\npdq,x\n", r"needs the columns signal_type and signal_str"),
        ("bad.json", "{not json", r"not JSON"),
        ("bad.json", '{"type": "indicator"}', r"not a STIX 2.1 bundle"),
    ],
)
def test_a_file_that_cannot_be_read_at_all_is_refused(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BankFileError, match=message):
        read(path)


def test_bare_hashes_read_with_the_type_given_and_prefixed_lines_keep_theirs() -> None:
    path = DATA / "pdq_bare.txt"
    found = read(path, signal_type=SignalType.PDQ)
    assert [(r.signal_type, r.value[:8], r.media_type) for r in found.records] == [
        (SignalType.PDQ, "b15e377c", None),
        (SignalType.PDQ, "8b35394b", None),  # upper case, lowered
        (SignalType.MD5, "a1eeefab", "video"),  # its own prefix: video_md5
        (SignalType.PDQ, "7296c586", None),  # surrounding spaces ignored
    ]
    assert found.rejected == [
        f"{path}: line 6: a pdq hash is 64 hex digits, not "
        "'b6aac386f5f918bbb2f07afa4d7b0efd7f708b4e80bd25dc87462a7e6e5ada0'"
    ]
    without = read(path)  # no type given: the bare lines are named, the prefixed one kept
    assert [r.signal_type for r in without.records] == [SignalType.MD5]
    assert [r.split(": ")[1] for r in without.rejected] == ["line 3", "line 4", "line 6", "line 8"]
    assert "needs --signal-type" in without.rejected[0]


def test_a_csv_without_a_type_column_reads_with_the_type_given(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"signal_str,tags\n{PDQ},logo\n")
    assert read(path, signal_type=SignalType.PDQ).records == [
        BankRecord(SignalType.PDQ, PDQ, ("logo",))
    ]
    with pytest.raises(BankFileError, match="or signal_str and --signal-type"):
        read(path)
    with pytest.raises(BankFileError, match="--signal-type is for TXT and CSV"):
        read(DATA / "partner_bundle.json", signal_type=SignalType.PDQ)


def test_threatexchange_csv_keeps_each_category() -> None:
    path = DATA / "dataset.csv"
    found = read(path)
    assert [(r.value[:8], r.category, r.tags) for r in found.records] == [
        ("b15e377c", EntryCategory.POSITIVE_CLASS, ("media_priority_s1", "logo")),
        ("8b35394b", EntryCategory.NEGATIVE_CLASS, ("news_footage",)),
        ("a1eeefab", EntryCategory.INVESTIGATION_SEED, ()),
        ("1a02499d", EntryCategory.POSITIVE_CLASS, ("poster",)),  # empty: a positive
    ]
    assert [line.removeprefix(f"{path}: ") for line in found.rejected] == [
        "line 6: unknown category 'MAYBE_CLASS' "
        "(known: POSITIVE_CLASS, INVESTIGATION_SEED, NEGATIVE_CLASS)",
        "line 7: 6 fields where the header has 5",
        "line 8: a md5 hash is 32 hex digits, not '980740c5845b66db164ec33b2ad3601'",
    ]


def test_a_partner_bundle_gives_its_file_hashes_and_names_the_rest() -> None:
    path = DATA / "partner_bundle.json"
    found = read(path)
    assert [(r.signal_type, r.value[:8], r.tags, r.category) for r in found.records] == [
        (SignalType.MD5, "a39c1c9e", ("poster",), EntryCategory.POSITIVE_CLASS),  # hashes.md5
        (SignalType.MD5, "bf155285", (), EntryCategory.POSITIVE_CLASS),  # MD5 OR SHA-256
        (SignalType.PDQ, "b15e377c", ("poster", "logo"), EntryCategory.POSITIVE_CLASS),  # FILE:
        (SignalType.VPDQ, '["0e13da', (), EntryCategory.POSITIVE_CLASS),
        (SignalType.PDQ, "8b35394b", (), EntryCategory.NEGATIVE_CLASS),  # indicator_types benign
    ]
    skipped = [line.removeprefix(f"{path}: ") for line in found.skipped]
    assert [line.split(" (")[0] for line in skipped] == [
        f"object {n}" for n in (2, 3, 4, 5, 10, 11, 13)
    ]
    assert "'C2 address used by the media wing'): ipv4-addr:value (banks hold" in skipped[0]
    assert skipped[1].endswith("domain-name:value (banks hold MD5, PDQ and vPDQ file hashes)")
    assert "url:value" in skipped[2] and "a SHA-256 file hash" in skipped[3]
    assert skipped[4].endswith("a yara rule (banks read STIX patterns)")
    assert skipped[5].endswith("revoked")
    assert skipped[6].endswith("observations joined by AND: ipv4-addr:value, domain-name:value")
    [rejected] = found.rejected
    assert "object 12 (indicator--0b6e2c1a-7d4f-4a8e-9c3b-000000000011, 'Poster C" in rejected
    assert rejected.endswith("a md5 hash is 32 hex digits, not '980740c5845b66db164ec33b2ad3601'")


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        (f"[file:hashes.MD5 = '{MD5}']", [("md5", MD5)]),
        (f"[file:hashes.'md5' = '{MD5}']", [("md5", MD5)]),
        (f"[File:Hashes.'Pdq' = '{PDQ}']", [("pdq", PDQ)]),
        (
            f"[file:hashes.MD5 = '{MD5}'] or [file:hashes.PDQ = '{PDQ}']",
            [("md5", MD5), ("pdq", PDQ)],
        ),
        (f"([file:hashes.'SHA-256' = '{PDQ}' OR file:hashes.MD5 = '{MD5}'])", [("md5", MD5)]),
    ],
)
def test_patterns_are_read_case_insensitively(pattern: str, found: list[tuple[str, str]]) -> None:
    assert file_hashes(pattern) == found


def test_categories_travel_in_csv_and_stix_and_txt_holds_positives_only(tmp_path: Path) -> None:
    records = [
        BankRecord(SignalType.PDQ, PDQ, ("logo",)),
        BankRecord(SignalType.PDQ, PDQ[::-1], category=EntryCategory.NEGATIVE_CLASS),
        BankRecord(SignalType.MD5, MD5, category=EntryCategory.INVESTIGATION_SEED),
    ]
    for suffix in ("csv", "json"):
        path = tmp_path / f"bank.{suffix}"
        assert write(path, records, bank_name="b") == 3
        assert [r.category for r in read(path).records] == [r.category for r in records]
    assert "NEGATIVE_CLASS" in (tmp_path / "bank.csv").read_text()
    txt = tmp_path / "bank.txt"
    assert write(txt, records) == 1
    assert txt.read_text().splitlines() == [
        "# TLP:AMBER",  # records without a marking are a new bank's: AMBER
        "# 2 entries that are not positives left out (TXT has no category; "
        "export CSV or STIX for them)",
        f"pdq {PDQ}",
    ]


def test_not_utf8_and_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"pdq \xe9\xe9\n")
    with pytest.raises(BankFileError, match="not UTF-8"):
        read(path)
    with pytest.raises(BankFileError, match="say --format"):
        read(tmp_path / "bank.xml")


# -- sharing markings ---------------------------------------------------------------------

AMBER_V1 = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"  # as `stix2` ships it
RED_V2 = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def test_tlp_levels_are_ordered_from_clear_to_red() -> None:
    assert TLP_ORDER == (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
    assert strictest([TLP.GREEN, TLP.AMBER_STRICT, TLP.AMBER], default=TLP.CLEAR) is (
        TLP.AMBER_STRICT
    )
    assert strictest([], default=TLP.AMBER) is TLP.AMBER
    assert is_looser(TLP.AMBER, TLP.AMBER_STRICT) and not is_looser(TLP.RED, TLP.AMBER)
    assert not is_looser(TLP.GREEN, TLP.GREEN)
    assert [tlp_named(n) for n in ("TLP:WHITE", " tlp:amber+strict", "Red")] == [
        TLP.CLEAR,
        TLP.AMBER_STRICT,
        TLP.RED,
    ]


def test_a_txt_list_is_marked_by_its_header_comment(tmp_path: Path) -> None:
    records = read(DATA / "marked.txt").records
    assert [r.tlp for r in records] == [TLP.AMBER_STRICT, TLP.AMBER_STRICT]
    plain = tmp_path / "plain.txt"
    plain.write_text(f"# from a partner\npdq {PDQ}\n")
    assert [r.tlp for r in read(plain).records] == [None]  # the bank's will apply
    odd = tmp_path / "odd.txt"
    odd.write_text(f"pdq {PDQ}\n# TLP:ORANGE, ask first\n")
    with pytest.raises(BankFileError, match=r"odd.txt: line 2: unknown TLP marking 'ORANGE'"):
        read(odd)


def test_written_files_carry_the_strictest_marking_of_their_records(tmp_path: Path) -> None:
    records = [
        BankRecord(SignalType.PDQ, PDQ, tlp=TLP.GREEN, source="A"),
        BankRecord(SignalType.MD5, MD5, tlp=TLP.AMBER_STRICT),
        BankRecord(SignalType.PDQ, PDQ[::-1]),  # no marking: counted as a new bank's AMBER
    ]
    bundle_path = tmp_path / "out.json"
    write(bundle_path, records, source="B")
    objects = json.loads(bundle_path.read_text())["objects"]
    [definition] = [o for o in objects if o["type"] == "marking-definition"]
    assert definition["id"] == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    assert definition["name"] == "TLP:AMBER+STRICT"
    assert definition["extensions"][
        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
    ] == {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}
    indicators = [o for o in objects if o["type"] == "indicator"]
    assert {tuple(i["object_marking_refs"]) for i in indicators} == {(definition["id"],)}
    names = {o["id"]: o["name"] for o in objects if o["type"] == "identity"}
    assert [names[i["created_by_ref"]] for i in indicators] == ["A", "B", "B"]
    back = read(bundle_path).records
    assert [(r.tlp, r.source) for r in back] == [
        (TLP.AMBER_STRICT, "A"),
        (TLP.AMBER_STRICT, "B"),
        (TLP.AMBER_STRICT, "B"),
    ]
    only_clear = tmp_path / "clear.csv"
    write(only_clear, [BankRecord(SignalType.PDQ, PDQ, tlp=TLP.CLEAR)])
    assert "TLP:CLEAR" in only_clear.read_text().splitlines()[1]


def test_stix_markings_are_read_from_refs_definitions_and_ids(tmp_path: Path) -> None:
    found = read(DATA / "marked_bundle.json")
    assert [(r.value[:8], r.tlp, r.source) for r in found.records] == [
        ("5c3f8e1a", TLP.AMBER_STRICT, "Gulf Media Monitoring Cell"),
        ("0cc175b9", TLP.RED, "Gulf Media Monitoring Cell"),
        ("a0b1c2d3", TLP.GREEN, "Gulf Media Monitoring Cell"),
        ("92eb5ffe", None, None),
    ]
    [rejected] = found.rejected
    assert "object 8 (" in rejected and rejected.endswith(
        "marking 'marking-definition--0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b' is neither a TLP "
        "marking nor defined in the bundle"
    )


def _bundle(path: Path, *objects: dict[str, object]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": list(objects)}))
    return path


def _indicator(**extra: object) -> dict[str, object]:
    return {
        "type": "indicator",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": f"[file:hashes.MD5 = '{MD5}']",
        "pattern_type": "stix",
        **extra,
    }


def test_a_marking_is_never_read_looser_than_its_file_meant(tmp_path: Path) -> None:
    # Shaheen once wrote AMBER+STRICT as TLP 1.0 AMBER, saying the rest in x_shaheen_tlp
    old = _bundle(
        tmp_path / "old.json",
        _indicator(object_marking_refs=[AMBER_V1], x_shaheen_tlp="amber+strict"),
    )
    assert [r.tlp for r in read(old).records] == [TLP.AMBER_STRICT]
    # a bundle cannot redefine a published TLP id as something looser
    forged = _bundle(
        tmp_path / "forged.json",
        {
            "type": "marking-definition",
            "id": RED_V2,
            "definition_type": "tlp",
            "definition": {"tlp": "clear"},
        },
        _indicator(object_marking_refs=[RED_V2]),
    )
    assert [r.tlp for r in read(forged).records] == [TLP.RED]
    # a TLP marking of a level nobody knows, or refs that are not a list: refused
    purple = _bundle(
        tmp_path / "purple.json",
        {
            "type": "marking-definition",
            "id": "marking-definition--9",
            "definition_type": "tlp",
            "definition": {"tlp": "purple"},
        },
        _indicator(object_marking_refs=["marking-definition--9"]),
        _indicator(object_marking_refs=RED_V2),
    )
    found = read(purple)
    assert found.records == []
    assert [line.split("): ")[-1] for line in found.rejected] == [
        "marking marking-definition--9: unknown TLP marking 'purple' (known: TLP:CLEAR, "
        "TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)",
        "object_marking_refs is not a list",
    ]


def test_a_csv_reads_its_tlp_or_marking_column(tmp_path: Path) -> None:
    path = tmp_path / "marked.csv"
    path.write_text(
        f"signal_type,signal_str,marking,source\npdq,{PDQ},TLP:WHITE,\nmd5,{MD5},RED,CTD\n"
    )
    assert [(r.tlp, r.source) for r in read(path).records] == [
        (TLP.CLEAR, None),
        (TLP.RED, "CTD"),
    ]
