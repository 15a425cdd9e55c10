"""Account risk: what raises it, what does not, and the reasons it gives."""

from __future__ import annotations

from shaheen.detect.risk import AccountEvidence, PostEvidence, assess


def _post(i: int, p: float, orgs: dict[str, float] | None = None) -> PostEvidence:
    return PostEvidence(i, p, orgs or {}, f"post {i}")


def test_a_known_account_is_high_risk_on_its_own() -> None:
    risk = assess(AccountEvidence(1, known_as={"ttp": "@qafla_media_demo"}))
    assert risk.score >= 0.95 and risk.organisations == ["ttp"]
    assert risk.explanation["reasons"][0] == {
        "kind": "known_account",
        "term": "@qafla_media_demo",
        "organisations": ["ttp"],
    }


def test_a_news_outlet_naming_groups_stays_low() -> None:
    posts = [_post(i, 0.03, {"ttp": 1.0}) for i in range(20)]
    assert assess(AccountEvidence(2, posts=posts)).score < 0.1


def test_propaganda_that_names_a_group_counts_more_than_unnamed() -> None:
    named = assess(AccountEvidence(3, posts=[_post(1, 0.9, {"bla": 1.0})]))
    unnamed = assess(AccountEvidence(4, posts=[_post(1, 0.9)]))
    assert named.score > unnamed.score


def test_agreeing_posts_raise_the_score() -> None:
    one = assess(AccountEvidence(5, posts=[_post(1, 0.9, {"ttp": 1.0})]))
    many = assess(AccountEvidence(6, posts=[_post(i, 0.9, {"ttp": 1.0}) for i in range(5)]))
    assert many.score > one.score
    assert many.explanation["posts_flagged"] == 5
    assert [r["kind"] for r in many.explanation["reasons"]] == ["post", "post", "post"]


def test_profile_terms_add_evidence() -> None:
    risk = assess(AccountEvidence(7, profile={"iskp": 1.0}, profile_terms=["ISKP"]))
    assert 0.5 < risk.score < 0.9
    assert risk.explanation["reasons"][0]["kind"] == "profile"


def test_no_evidence_no_risk() -> None:
    risk = assess(AccountEvidence(8))
    assert risk.score == 0.0 and risk.organisations == [] and risk.explanation["reasons"] == []
