"""The data routes over HTTP: hash lookups (value, batch, file), banks, uploads, tips,
accounts, posts, signals, indicators and figures; each route's happy path and its
refusals (401 nobody, 403 a role without the action, 404 absent or not readable, 413
too large, 415 the wrong type, 422 bad input). Both databases (the `api` fixture).
"""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from shaheen.access import tokens
from shaheen.access.rules import system
from shaheen.agencies.enums import Role
from shaheen.agencies.models import Agency
from shaheen.config import get_settings
from shaheen.detect import api as detect_api
from shaheen.detect.classifier import ClassifierDetector
from shaheen.detect.enums import SubjectKind
from shaheen.detect.media.hashing import hash_file
from shaheen.detect.media.matching import Matcher
from shaheen.detect.models import Indicator, Signal
from shaheen.ingest import api as ingest_api
from shaheen.ingest.models import Account, Post
from shaheen.knowledge import banks
from shaheen.knowledge.banks_interop import BankRecord
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.review.models import Case
from tests.api.conftest import Api

MD5 = "0123456789abcdef0123456789abcdef"


def _poster() -> bytes:
    """A PNG poster: smooth shapes, with enough structure for a PDQ quality well above 50
    (and none of the fine noise that PDQ's mirrored form cannot follow)."""
    y, x = np.mgrid[0:256, 0:256].astype(float)
    picture = np.stack([x, y, 255 - (x + y) / 2], axis=-1)
    picture[30:110, 40:150] = (230, 30, 30)
    picture[150:230, 120:240] = (20, 20, 160)
    picture[((x - 190) ** 2 + (y - 60) ** 2) < 900] = (250, 250, 40)
    out = io.BytesIO()
    Image.fromarray(picture.astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _flip(value: str, bits: int) -> str:
    number = int(value, 16) ^ ((1 << bits) - 1)
    return f"{number:064x}"


@dataclass
class Data:
    poster: bytes
    pdq: str
    account: int
    platform_account_id: str
    post: int
    signals: list[int]


@pytest.fixture
def data(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Data:
    poster = _poster()
    path = tmp_path_factory.mktemp("poster") / "poster.png"
    path.write_bytes(poster)
    hashes = hash_file(path)
    assert hashes.pdq is not None and (hashes.pdq_quality or 0) >= 50
    with api.desk.sessions.begin() as session:
        shared = banks.create_bank(
            session=session, name="ttp-media", actor="test", organisation="ttp", tlp=TLP.GREEN
        )
        banks.add_records(
            session=session,
            bank=shared,
            records=[
                BankRecord(SignalType.PDQ, hashes.pdq, ("poster",), hashes.pdq_quality, "image"),
                BankRecord(SignalType.MD5, MD5, ("clip",)),
            ],
            actor="test",
            action="bank.add",
        )
        private = banks.create_bank(
            session=session, name="ccw-private", actor="test", tlp=TLP.RED, agency="CCW"
        )
        banks.add_records(
            session=session,
            bank=private,
            records=[BankRecord(SignalType.PDQ, hashes.pdq, (), hashes.pdq_quality, "image")],
            actor="test",
            action="bank.add",
        )
        case = session.get(Case, api.referred_case)
        assert case is not None
        account = session.get(Account, case.account_id)
        assert account is not None
        post = Post(
            platform_id=account.platform_id,
            platform_post_id="1790000000000000001",
            account_id=account.id,
            text="Join us: call +92 300 1234567",
            language="en",
        )
        session.add(post)
        session.flush()
        signals = []
        for score in (0.91, 0.42, 0.77):
            signal = Signal(
                detector=ClassifierDetector.get_name(),
                detector_version="1",
                subject=SubjectKind.POST,
                platform_id=account.platform_id,
                account_id=account.id,
                post_id=post.id,
                label="propaganda",
                score=score,
                evidence={"terms": ["join us"]},
            )
            session.add(signal)
            session.flush()
            signals.append(signal.id)
        session.add(
            Indicator(
                kind="phone",
                value="+923001234567",
                post_id=post.id,
                account_id=account.id,
                platform_id=account.platform_id,
            )
        )
        found = Data(poster, hashes.pdq, account.id, account.platform_account_id, post.id, signals)
    return found


def get(api: Api, url: str, who: str | None, **kw: object) -> tuple[int, Any]:
    response = api.client.get(url, headers=api.headers(who), **kw)
    return response.status_code, response.json()


def post(api: Api, url: str, who: str | None, **kw: object) -> tuple[int, Any]:
    response = api.client.post(url, headers=api.headers(who), **kw)
    return response.status_code, response.json()


# --- Hash lookups --------------------------------------------------------------------------


def test_a_hash_looked_up_by_value(api: Api, data: Data) -> None:
    status, body = get(api, f"/api/v1/lookup?value={data.pdq}", "analyst")
    assert status == 200, body
    assert isinstance(body, dict)
    [match] = body["matches"]  # another agency's RED bank is not shown
    assert (match["bank"], match["distance"], match["organisation"]) == ("ttp-media", 0, "ttp")
    status, body = get(api, f"/api/v1/lookup?value={_flip(data.pdq, 5)}", "analyst")
    assert status == 200 and [m["distance"] for m in body["matches"]] == [5]
    # the agency that owns the private bank sees both
    status, body = get(api, f"/api/v1/lookup?value={data.pdq}", "ccw-boss")
    assert status == 200
    assert sorted(m["bank"] for m in body["matches"]) == ["ccw-private", "ttp-media"]
    # far away, and a tighter threshold
    status, body = get(api, f"/api/v1/lookup?value={_flip(data.pdq, 60)}", "analyst")
    assert status == 200 and body["matches"] == []
    url = f"/api/v1/lookup?value={_flip(data.pdq, 5)}&threshold=4"
    assert get(api, url, "analyst")[1]["matches"] == []
    status, body = get(api, f"/api/v1/lookup?signal_type=md5&value={MD5.upper()}", "analyst")
    assert status == 200 and [m["bank"] for m in body["matches"]] == ["ttp-media"]


def test_new_entries_answer_lookups_after_a_reload_that_never_stalls_them(
    api: Api, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hash banked after the index loaded: lookups go on answering from the index in
    memory while a background thread reloads it (here held back), then find it."""
    monkeypatch.setattr(detect_api._Matchers, "CHECK_SECONDS", 0.0)
    late = _flip(data.pdq, 100)

    def banks_for(value: str) -> list[str]:
        status, body = get(api, f"/api/v1/lookup?value={value}", "analyst")
        assert status == 200, body
        return [m["bank"] for m in body["matches"]]

    assert banks_for(late) == []
    gate = threading.Event()
    load = Matcher.load

    def held_back(cls: type[Matcher], *args: Any, **kwargs: Any) -> Matcher:
        if threading.current_thread().name == "index-reload":
            assert gate.wait(30)
        return load(*args, **kwargs)

    monkeypatch.setattr(Matcher, "load", classmethod(held_back))
    with api.desk.sessions.begin() as session:
        bank = banks.get_bank(session=session, name="ttp-media")
        record = BankRecord(SignalType.PDQ, late, ("late",), 100, "image")
        banks.add_records(
            session=session, bank=bank, records=[record], actor="test", action="bank.add"
        )
    started = time.monotonic()
    assert banks_for(late) == []  # the reload waits; the lookup does not
    assert banks_for(data.pdq) == ["ttp-media"]
    assert time.monotonic() - started < 10
    gate.set()
    deadline = time.monotonic() + 30
    while banks_for(late) != ["ttp-media"]:
        assert time.monotonic() < deadline, "the reloaded index never answered"
        time.sleep(0.05)


def test_a_shared_red_bank_answers_lookups_of_its_named_reader_until_revoked(
    api: Api, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CCW's RED bank shared with one named analyst of CTA: that analyst's lookups match
    it; a colleague's do not; revoked, the analyst's stop (within the lookups' one-second
    view of the banks, here made zero)."""
    monkeypatch.setattr(detect_api._Matchers, "CHECK_SECONDS", 0.0)

    def banks_seen(who: str) -> list[str]:
        status, body = get(api, f"/api/v1/lookup?value={data.pdq}", who)
        assert status == 200, body
        return sorted(m["bank"] for m in body["matches"])

    assert banks_seen("analyst") == ["ttp-media"]
    share = {"kind": "bank", "key": "ccw-private", "people": ["analyst"]}
    status, body = post(api, "/api/v1/shares", "ccw-boss", json=share)
    assert status == 201, body
    assert banks_seen("analyst") == ["ccw-private", "ttp-media"]
    assert banks_seen("rev1") == ["ttp-media"]  # RED: the named person, no one else
    revoked = api.client.delete(f"/api/v1/shares/{body['id']}", headers=api.headers("ccw-boss"))
    assert revoked.status_code == 204, revoked.text
    assert banks_seen("analyst") == ["ttp-media"]


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        (None, "value={pdq}", 401),
        ("auditor", "value={pdq}", 403),  # no bank.read
        ("analyst", "value=xyz", 422),
        ("analyst", "value={pdq}&threshold=40", 422),  # past the index's exact range
        ("analyst", "signal_type=vpdq&value={pdq}", 422),
        ("analyst", "signal_type=md5&value={pdq}", 422),
    ],
)
def test_lookup_refusals(api: Api, data: Data, who: str | None, query: str, status: int) -> None:
    code, body = get(api, "/api/v1/lookup?" + query.format(pdq=data.pdq), who)
    assert code == status, body
    assert isinstance(body, dict) and body["status"] == status


def test_a_batch_of_hashes(api: Api, data: Data) -> None:
    values = [_flip(data.pdq, 3), "f" * 64, data.pdq]
    status, body = post(api, "/api/v1/lookup", "rev1", json={"values": values})
    assert status == 200, body
    results = body["results"]
    assert [r["value"] for r in results] == values
    assert [[m["distance"] for m in r["matches"]] for r in results] == [[3], [], [0]]
    status, body = post(api, "/api/v1/lookup", "rev1", json={"values": ["0" * 64] * 101})
    assert status == 422
    status, body = post(api, "/api/v1/lookup", "rev1", json={"values": []})
    assert status == 422
    assert post(api, "/api/v1/lookup", None, json={"values": values})[0] == 401


def test_a_file_looked_up(api: Api, data: Data) -> None:
    status, body = post(api, "/api/v1/lookup/file", "analyst", content=data.poster)
    assert status == 200, body
    assert isinstance(body, dict)
    assert body["kind"] == "image" and body["pdq"] == data.pdq
    assert [(m["bank"], m["distance"]) for m in body["matches"]] == [("ttp-media", 0)]
    # a mirrored copy matches as one
    mirrored = io.BytesIO()
    Image.open(io.BytesIO(data.poster)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        mirrored, format="PNG"
    )
    status, body = post(api, "/api/v1/lookup/file", "analyst", content=mirrored.getvalue())
    assert status == 200 and body["matches"][0]["transform"] == "mirrored"


def test_file_lookup_refusals(api: Api, data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(api, "/api/v1/lookup/file", None, content=data.poster)[0] == 401
    assert post(api, "/api/v1/lookup/file", "auditor", content=data.poster)[0] == 403
    status, body = post(api, "/api/v1/lookup/file", "analyst", content=b"just some words\n")
    assert status == 415 and body["error"] == "UnsupportedMediaType"
    assert post(api, "/api/v1/lookup/file", "analyst", content=b"")[0] == 415
    corrupt = data.poster[:200]  # a PNG header and nothing after it
    assert post(api, "/api/v1/lookup/file", "analyst", content=corrupt)[0] == 422
    monkeypatch.setattr(detect_api, "MAX_LOOKUP_FILE", 1000)
    status, body = post(api, "/api/v1/lookup/file", "analyst", content=data.poster)
    assert status == 413 and body["error"] == "UploadTooLarge"


# --- Banks -------------------------------------------------------------------------------


def test_banks(api: Api, data: Data) -> None:
    status, body = get(api, "/api/v1/banks", "analyst")
    assert status == 200 and [b["name"] for b in body] == ["ttp-media"]
    status, body = get(api, "/api/v1/banks", "ccw-boss")
    assert [b["name"] for b in body] == ["ccw-private", "ttp-media"]
    status, body = get(api, "/api/v1/banks/ttp-media?limit=1", "analyst")
    assert status == 200, body
    assert isinstance(body, dict)
    assert body["bank"]["counts"] == {"md5": 1, "pdq": 1}
    [first] = body["entries"]["items"]
    assert first["value"] == data.pdq and first["tlp"] == "green"
    cursor = body["entries"]["next_cursor"]
    status, body = get(api, f"/api/v1/banks/ttp-media?limit=1&cursor={cursor}", "analyst")
    assert [e["value"] for e in body["entries"]["items"]] == [MD5]
    assert body["entries"]["next_cursor"] is None
    assert get(api, "/api/v1/banks/ccw-private", "analyst")[0] == 404  # another agency's RED
    assert get(api, "/api/v1/banks/ccw-private", "ccw-boss")[0] == 200
    assert get(api, "/api/v1/banks/nothing", "analyst")[0] == 404
    assert get(api, "/api/v1/banks", None)[0] == 401
    assert get(api, "/api/v1/banks", "auditor")[0] == 403
    assert get(api, "/api/v1/banks/ttp-media?cursor=bogus", "analyst")[0] == 422


# --- Uploads and tips ----------------------------------------------------------------------


def _export() -> bytes:
    """An X API v2 answer with two tweets of one user (written for this test)."""
    document = {
        "data": [
            {
                "id": "1790000000000000101",
                "author_id": "4400001",
                "text": "A sermon for the faithful",
                "created_at": "2026-11-20T08:00:00.000Z",
                "lang": "en",
                "edit_history_tweet_ids": ["1790000000000000101"],
            },
            {
                "id": "1790000000000000102",
                "author_id": "4400001",
                "text": "Second message",
                "created_at": "2026-11-20T09:00:00.000Z",
                "lang": "en",
                "edit_history_tweet_ids": ["1790000000000000102"],
            },
        ],
        "includes": {"users": [{"id": "4400001", "username": "upload_test", "name": "Upload"}]},
    }
    return json.dumps(document).encode()


def test_an_export_uploaded(api: Api) -> None:
    status, body = post(api, "/api/v1/ingest?filename=tweets.json", "analyst", content=_export())
    assert status == 201, body
    [run] = body["runs"]
    assert run["source"] == "tweets.json" and run["connector"] == "x_api_v2", run
    assert run["posts"]["new"] == 2 and run["accounts"]["new"] == 1 and run["error"] is None
    status, body = get(api, "/api/v1/accounts/x/4400001", "analyst")
    assert status == 200 and body["handle"] == "upload_test"
    # the same file again: known as it is
    status, body = post(api, "/api/v1/ingest?filename=tweets.json", "analyst", content=_export())
    assert status == 201 and body["runs"][0]["posts"]["new"] == 0


def test_upload_refusals(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "/api/v1/ingest?filename=tweets.json"
    assert post(api, url, None, content=_export())[0] == 401
    assert post(api, url, "rev1", content=_export())[0] == 403  # reviewers do not ingest
    assert post(api, "/api/v1/ingest", "analyst", content=_export())[0] == 422  # no name
    assert post(api, "/api/v1/ingest?filename=../../etc/passwd", "analyst", content=b"x")[0] == 422
    for body in (b"%PDF-1.7\n\x00\x01\x02binary", b"MZ\x90\x00\x03\x00\x00\x00", b""):
        status, problem = post(api, "/api/v1/ingest?filename=a.json", "analyst", content=body)
        assert status == 415, problem
    monkeypatch.setattr(ingest_api, "MAX_INGEST_BYTES", 100)
    status, problem = post(api, url, "analyst", content=_export())
    assert status == 413 and problem["detail"] == "the upload is larger than 100 bytes"


def test_a_tip(api: Api) -> None:
    tip = {"url": "https://t.me/some_channel/12", "note": "seen in a group"}
    status, body = post(api, "/api/v1/tips", "analyst", json=tip)
    assert status == 201, body
    assert body["platform"] == "telegram" and body["earlier_reports"] == 0
    status, body = post(api, "/api/v1/tips", "boss", json=tip)
    assert status == 201 and body["earlier_reports"] == 1
    assert post(api, "/api/v1/tips", None, json=tip)[0] == 401
    assert post(api, "/api/v1/tips", "rev1", json=tip)[0] == 403
    assert post(api, "/api/v1/tips", "analyst", json={"url": "ftp://x.example"})[0] == 422
    assert post(api, "/api/v1/tips", "analyst", json={**tip, "extra": 1})[0] == 422


# --- Accounts, posts, signals --------------------------------------------------------------


def test_accounts_and_posts(api: Api, data: Data) -> None:
    status, body = get(api, f"/api/v1/accounts/x/{data.platform_account_id}", "rev1")
    assert status == 200 and body["id"] == data.account
    status, body = get(api, f"/api/v1/posts/{data.post}", "rev1")
    assert status == 200, body
    assert body["account"]["id"] == data.account and "+92 300" in body["text"]
    assert get(api, "/api/v1/accounts/x/nobody", "rev1")[0] == 404
    assert get(api, "/api/v1/accounts/nowhere/1", "rev1")[0] == 404
    assert get(api, f"/api/v1/posts/{data.post + 1000}", "rev1")[0] == 404
    assert get(api, "/api/v1/posts/0", "rev1")[0] == 422
    assert get(api, f"/api/v1/posts/{data.post}", None)[0] == 401
    assert get(api, f"/api/v1/posts/{data.post}", "auditor")[0] == 403


def test_an_accounts_signals_page_by_page(api: Api, data: Data) -> None:
    url = f"/api/v1/accounts/{data.account}/signals"
    status, body = get(api, url + "?limit=2", "rev1")
    assert status == 200, body
    assert [s["id"] for s in body["items"]] == data.signals[:2]
    assert body["items"][0]["evidence"] == {"terms": ["join us"]}
    status, rest = get(api, url + f"?limit=2&cursor={body['next_cursor']}", "rev1")
    assert [s["id"] for s in rest["items"]] == data.signals[2:]
    assert rest["next_cursor"] is None
    assert get(api, f"/api/v1/accounts/{data.account + 1000}/signals", "rev1")[0] == 404
    assert get(api, url, None)[0] == 401
    assert get(api, url, "auditor")[0] == 403
    assert get(api, url + "?cursor=eyJrIjoicXVldWUiLCJ2IjoxfQ", "rev1")[0] == 422  # the queue's


# --- Indicators and figures ----------------------------------------------------------------


def test_indicators_of_referred_cases(api: Api, data: Data) -> None:
    status, body = get(api, "/api/v1/indicators?kind=phone", "liaison")
    assert status == 200, body
    assert [i["value"] for i in body] == ["+923001234567"]
    status, body = get(api, "/api/v1/indicators?kind=phone", "ccw-liaison")
    assert status == 200 and body == []  # another agency's referral
    assert get(api, "/api/v1/indicators?kind=phone", "rev1")[0] == 403
    assert get(api, "/api/v1/indicators?kind=phone", None)[0] == 401
    assert get(api, "/api/v1/indicators?kind=PHONE!", "liaison")[0] == 422


def test_figures(api: Api, data: Data) -> None:
    status, body = get(api, "/api/v1/figures", "auditor")
    assert status == 200, body
    assert isinstance(body, dict)
    assert body["totals"]["posts"] >= 1 and body["totals"]["signals"] == 3
    assert get(api, "/api/v1/figures", None)[0] == 401


# --- Integrations' API tokens over HTTP ----------------------------------------------------


def _api_token(api: Api, name: str, role: Role, actions: list[str] | None = None) -> str:
    with api.desk.sessions.begin() as session:
        new = tokens.create_token(
            session, actor=system(), name=name, role=role, agency_code="CTA", actions=actions
        )
        return new.value


def test_an_api_token_looks_up_within_its_scope(api: Api, data: Data) -> None:
    value = _api_token(api, "partner-lookups", Role.ANALYST, ["bank.read"])
    auth = {"Authorization": f"Bearer {value}"}
    response = api.client.get(f"/api/v1/lookup?value={data.pdq}", headers=auth)
    assert response.status_code == 200 and response.json()["matches"]
    # narrowed to bank.read: the analyst role's other actions are refused
    assert api.client.get("/api/v1/figures", headers=auth).status_code == 403
    assert api.client.post("/api/v1/tips", headers=auth, json={"url": "x.com/a"}).status_code == 403
    with api.desk.sessions.begin() as session:
        agency = session.scalar(select(Agency).where(Agency.code == "CTA"))
        assert agency is not None
        [row] = tokens.list_tokens(session, actor=system())
        tokens.revoke_token(session, actor=system(), token_id=row.id)
    response = api.client.get(f"/api/v1/lookup?value={data.pdq}", headers=auth)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_an_api_token_past_its_rate_is_told_to_wait(
    api: Api, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAHEEN_API_TOKEN_RATE", "0.5")
    monkeypatch.setenv("SHAHEEN_API_TOKEN_BURST", "2")
    monkeypatch.setattr(tokens, "_limiters", {})  # a fresh bucket for this test's ids
    get_settings.cache_clear()
    value = _api_token(api, "busy-collector", Role.ANALYST)
    auth = {"Authorization": f"Bearer {value}"}
    url = f"/api/v1/lookup?value={data.pdq}"
    assert [api.client.get(url, headers=auth).status_code for _ in range(2)] == [200, 200]
    refused = api.client.get(url, headers=auth)
    assert refused.status_code == 429, refused.json()
    assert refused.json()["error"] == "RateLimited" and int(refused.headers["Retry-After"]) >= 1
