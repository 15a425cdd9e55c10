"""Detection enumerations."""

from enum import StrEnum


class SubjectKind(StrEnum):
    """What a signal is about."""

    POST = "post"
    ACCOUNT = "account"
    MEDIA = "media"


#: The classifier's labels, in a stable order.
LABELS = ("propaganda", "news_or_counter", "other")

#: Indicator kinds (see indicators.py).
INDICATOR_KINDS = (
    "phone",
    "url",
    "domain",
    "telegram_invite",
    "whatsapp_invite",
    "handle",
    "btc",
    "eth",
    "tron",
)
