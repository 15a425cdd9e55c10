"""Post links as the connectors read them (X, Telegram, generic rows), and the same
reading applied to stored raw records by the backfill."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shaheen.access.rules import system
from shaheen.ingest import service as ingest
from shaheen.ingest.connectors.links import from_raw, generic_links, telegram_links, x_links
from shaheen.network import flows, service
from tests.network.conftest import World


def test_x_reply_quote_retweet_and_mentions() -> None:
    retweet = {
        "id": "3",
        "author_id": "9",
        "text": "RT @wing: statement @other",
        "referenced_tweets": [{"type": "retweeted", "id": "1"}, {"type": "replied_to", "id": "2"}],
        "entities": {"mentions": [{"username": "wing", "id": "77"}, {"username": "other"}]},
    }
    links = x_links(retweet)
    assert links.forward_from == "77" and links.reply_to == "2"
    assert links.mentions == ["@other"]
    quote = x_links({"text": "look", "referenced_tweets": [{"type": "quoted", "id": "5"}]})
    assert quote.quote_of == "5" and quote.forward_from is None and quote.mentions == []


def test_telegram_reply_forward_and_mention_entities() -> None:
    message = {
        "id": 12,
        "reply_to_message_id": 10,
        "forwarded_from": "Sawt Channel",
        "text_entities": [
            {"type": "plain", "text": "see "},
            {"type": "mention", "text": "@SawtMedia"},
            {"type": "mention_name", "text": "Abu", "user_id": 555},
        ],
        "chat": {"id": 4242, "name": "c"},
    }
    links = telegram_links(message)
    assert links.reply_to == "4242/10"
    assert links.forward_from == "name:Sawt Channel"
    assert links.mentions == ["@SawtMedia", "user555"]
    with_id = telegram_links({"forwarded_from": "Sawt", "forwarded_from_id": "channel99"})
    assert with_id.forward_from == "channel99"


def test_generic_columns_and_the_backfill_reading_of_raw_records() -> None:
    row = {"reply_to": "p1", "quote_of": "", "forward_from": "@wing", "mentions": "@a; @b @a"}
    links = generic_links(row)
    assert (links.reply_to, links.quote_of, links.forward_from) == ("p1", None, "@wing")
    assert links.mentions == ["@a", "@b"]
    tweet = {"author_id": "1", "text": "x", "referenced_tweets": [{"type": "quoted", "id": "8"}]}
    assert from_raw("x", None, tweet).quote_of == "8"
    assert (
        from_raw("telegram", None, {"chat": {"id": 1}, "reply_to_message_id": 3}).reply_to == "1/3"
    )
    assert from_raw("whatsapp", None, {"chat": "c", "sender": "s"}).empty
    assert from_raw("x", None, None).empty


def test_backfill_fills_the_links_of_posts_stored_before(session: Session, world: World) -> None:
    author = world.account("wing", key="77")
    fan = world.account("fan")
    old = world.post(
        fan,
        "RT @wing: statement",
        key="9",
    )
    old.raw = {
        "id": "9",
        "author_id": "1",
        "text": "RT @wing: statement",
        "referenced_tweets": [{"type": "retweeted", "id": "5"}],
        "entities": {"mentions": [{"username": "wing", "id": "77"}]},
    }
    session.flush()
    last, filled = ingest.fill_links(session=session, after=0)
    assert (last, filled) == (old.id, 1)
    session.refresh(old)
    assert old.forward_from == "77"
    assert ingest.fill_links(session=session, after=last) == (0, 0)
    flows.build(session)
    assert [
        n.account_id for n in service.neighbours(session=session, by=system("t"), account_id=fan.id)
    ] == [author.id]
