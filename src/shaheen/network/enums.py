"""Network enumerations: the kinds of link between accounts, and campaign roles."""

from enum import StrEnum


class EdgeKind(StrEnum):
    """Why two accounts are linked. Interactions are directed (who replied to whom);
    shared things are not, and are stored with the lower account id first."""

    REPLY = "reply"
    QUOTE = "quote"
    FORWARD = "forward"  # reposts, retweets, forwards
    MENTION = "mention"
    SHARED_MEDIA = "shared_media"  # the same image or a PDQ near-duplicate
    SHARED_URL = "shared_url"
    INVITE = "invite"  # the same Telegram or WhatsApp group invite
    PHONE = "phone"
    WALLET = "wallet"
    SIMILAR_BIO = "similar_bio"


DIRECTED = frozenset({EdgeKind.REPLY, EdgeKind.QUOTE, EdgeKind.FORWARD, EdgeKind.MENTION})


class MemberRole(StrEnum):
    """An account's part in a campaign."""

    ORIGIN = "origin"  # among the earliest posts
    AMPLIFIER = "amplifier"


class MatchStatus(StrEnum):
    """Where a possible re-creation of a removed account stands."""

    FOUND = "found"  # matched; no case yet
    CASED = "cased"  # a linked case was opened for review
