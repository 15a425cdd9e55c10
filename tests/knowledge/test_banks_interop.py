"""Bank files in and out: the threatexchange/HMA layouts and STIX 2.1, whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shaheen.knowledge.banks_interop import BankFileError, BankRecord, read, write
from shaheen.knowledge.enums import TLP, SignalType

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
    assert read(path) == RECORDS
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
    back = read(path)
    assert [(r.signal_type, r.value) for r in back] == [(r.signal_type, r.value) for r in RECORDS]
    assert back[1].media_type == "video"  # written as video_md5
    if suffix == "csv":
        assert [r.tags for r in back] == [r.tags for r in RECORDS]


def test_reads_what_threatexchange_writes(tmp_path: Path) -> None:
    txt = tmp_path / "signals.txt"
    txt.write_text(f"# from a partner\npdq {PDQ.upper()}\n\nvideo_md5 {MD5}\nvpdq {VPDQ}\n")
    assert [r.signal_type for r in read(txt)] == [SignalType.PDQ, SignalType.MD5, SignalType.VPDQ]
    assert read(txt)[0].value == PDQ  # lower-cased
    csv_file = tmp_path / "collab.csv"
    csv_file.write_text(
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{PDQ},Sample,POSITIVE_CLASS,media_priority_s1 logo\n"
    )
    assert read(csv_file) == [BankRecord(SignalType.PDQ, PDQ, ("media_priority_s1", "logo"))]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.txt", f"pdq {PDQ}\npdq 1234\n", r"bad.txt: line 2: a pdq hash is 64 hex digits"),
        ("bad.txt", f"pdq {PDQ}\nsha1 abc\n", r"line 2: unknown signal type 'sha1'"),
        ("bad.txt", "pdq\n", r"line 1: expected 'signal_type hash'"),
        ("bad.txt", 'vpdq ["zz,1,0"]\n', r"line 1: vpdq frame 1 is not"),
        ("bad.csv", "hash_type,value\npdq,x\n", r"needs the columns signal_type and signal_str"),
        ("bad.csv", f"signal_type,signal_str\npdq,{PDQ}\nmd5,xyz\n", r"line 3: a md5 hash is 32"),
        ("bad.json", "{not json", r"not JSON"),
        ("bad.json", '{"type": "indicator"}', r"not a STIX 2.1 bundle"),
        (
            "bad.json",
            '{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--1",'
            ' "pattern": "[ipv4-addr:value = \'1.2.3.4\']"}]}',
            r"object 1 \(indicator--1\): pattern is not one file-hash comparison",
        ),
    ],
)
def test_malformed_files_name_the_line_and_reason(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BankFileError, match=message):
        read(path)


def test_not_utf8_and_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"pdq \xe9\xe9\n")
    with pytest.raises(BankFileError, match="not UTF-8"):
        read(path)
    with pytest.raises(BankFileError, match="say --format"):
        read(tmp_path / "bank.xml")
