"""What can be shared."""

from enum import StrEnum


class SharedKind(StrEnum):
    CASE = "case"  # one case: its account, posts, signals and decisions (key: the case id)
    BANK = "bank"  # one hash bank and its entries (key: the bank's id)
    INDICATORS = "indicators"  # an agency's referred indicators of one kind (key: phone, url…)
