"""Registration's value types: statuses, sex, consent purposes, regions, volets."""

from __future__ import annotations

from enum import StrEnum

REGIONS = frozenset(f"{n:02d}" for n in range(1, 18))  # Québec's administrative regions
VOLETS = ("V1", "V2", "V3", "V4", "V5")
PROGRAM = "PASI"


class Status(StrEnum):
    PERMANENT_RESIDENT = "permanent_resident"
    CSQ_HOLDER = "csq_holder"
    GOVERNMENT_ASSISTED_REFUGEE = "government_assisted_refugee"
    PRIVATELY_SPONSORED_REFUGEE = "privately_sponsored_refugee"
    PROTECTED_PERSON = "protected_person"
    ASYLUM_CLAIMANT = "asylum_claimant"
    TEMPORARY_WORKER = "temporary_worker"
    INTERNATIONAL_STUDENT = "international_student"
    CITIZEN = "citizen"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


class FrenchLevel(StrEnum):
    NONE = "none"
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    NATIVE = "native"


class ConsentPurpose(StrEnum):
    SERVICE_DELIVERY = "service_delivery"
    MINISTRY_REPORTING = "ministry_reporting"
    RESEARCH = "research"


class DocumentKind(StrEnum):
    STATUS_DOCUMENT = "status_document"
    IDENTITY_DOCUMENT = "identity_document"
    PROOF_OF_ADDRESS = "proof_of_address"
    OTHER = "other"
