"""What can go wrong with personal data: a token that is not one, or was altered or moved to
another subject; a master key that cannot unwrap a stored key; a subject unknown here; and, the
only one a user can meet, sealing new data for a subject already erased."""

from __future__ import annotations

from gsi_kernel.errors import Conflict


class PrivacyError(Exception):
    """An integrity or configuration failure around personal data (never "erased": that is None)."""


class InvalidToken(PrivacyError):
    """The value is not a sealed token of a known format (truncated, wrong version, bad encoding)."""


class TamperedToken(InvalidToken):
    """Authentication failed: the token was altered, or sealed for another subject or purpose."""


class KeyUnwrapError(PrivacyError):
    """A stored data key cannot be unwrapped: wrong master key (GSI_MASTER_KEY), or an altered row."""


class UnknownSubject(PrivacyError):
    """No key, live or shredded, for this subject in this database: a token from another service's
    database, or the wrong database/schema. Never reported as "erased", on purpose."""


class SubjectErased(Conflict):
    """New personal data for a subject whose key was shredded (the person was erased)."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(
            "privacy.subject_erased",
            "Les renseignements personnels de cette personne ont été effacés; "
            "aucune nouvelle donnée personnelle ne peut lui être associée.",
            "This person's personal information was erased; no new personal data can be attached to them.",
            details={"subject_id": subject_id},
        )
        self.subject_id = subject_id
