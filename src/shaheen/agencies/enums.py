"""Agency kinds and user roles."""

from enum import StrEnum


class AgencyKind(StrEnum):
    CYBER_CRIME = "cyber_crime"
    REGULATOR = "regulator"
    COUNTER_TERRORISM = "counter_terrorism"
    PROVINCIAL_CTD = "provincial_ctd"
    FUSION_CENTRE = "fusion_centre"
    TRUST_AND_SAFETY = "trust_and_safety"


class Role(StrEnum):
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    LIAISON = "liaison"
    AUDITOR = "auditor"
    ADMIN = "admin"
