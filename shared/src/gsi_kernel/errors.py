"""Errors the domain and the kernel raise, each with a stable code and a message in French and
English. The HTTP layer maps each kind to a status (see :mod:`gsi_kernel.http.errors`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GsiError(Exception):
    """An error a user can act on: a stable machine-readable code and a bilingual message."""

    status = 400

    def __init__(self, code: str, fr: str, en: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.fr = fr
        self.en = en
        self.details: dict[str, Any] = dict(details or {})


class InvalidInput(GsiError):
    status = 422


class NotFound(GsiError):
    status = 404


class Conflict(GsiError):
    status = 409


class Unauthenticated(GsiError):
    status = 401


class Forbidden(GsiError):
    status = 403


class Locked(GsiError):
    status = 423


class ConcurrencyConflict(Conflict):
    """Another writer appended to the stream first: reload and decide again."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            "concurrency_conflict",
            f"Le dossier {stream_id} a été modifié en même temps par quelqu'un d'autre "
            "(version attendue {expected_version}); rechargez et recommencez.".replace(
                "{expected_version}", str(expected_version)
            ),
            f"Record {stream_id} was changed concurrently (expected version "
            f"{expected_version}); reload and try again.",
            details={"stream_id": stream_id, "expected_version": expected_version},
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


class PayloadTooLarge(GsiError):
    status = 413


class UnsupportedMediaType(GsiError):
    status = 415
