"""Bank files in and out: the threatexchange/HMA layouts and STIX 2.1; a bad record is named
and left out, the rest of its file kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shaheen.knowledge.banks_interop import BankFileError, BankRecord, file_hashes, read, write
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
    assert read(path).records == RECORDS
    bundle = json.loads(path.read_text())
    indicator = next(o for o in bundle["objects"] if o["type"] == "indicator")
    assert indicator["spec_version"] == "2.1"
    assert indicator["pattern"] == f"[file:hashes.'PDQ' = '{PDQ}']"
    assert indicator["object_marking_refs"] == [
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"  # TLP:GREEN
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
