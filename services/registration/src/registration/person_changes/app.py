"""Changes to a person's file by their organization: status, address, consents, documents,
and eligibility evaluated on request (read, or recorded). Every change is an event with its
author and reason."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from gsi_conformity import CatalogueBook, load_default_catalogue
from gsi_eligibility.model import Evaluation
from gsi_eligibility.rules import RuleBook
from gsi_kernel.auth import Principal
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.writer import Decide, StreamWriter
from registration.persons import domain as person
from registration.persons import events as ev
from registration.persons.eligibility import explain
from registration.persons.queries import AccessPurpose, PersonQueries
from registration.persons.values import PROGRAM, VOLETS, ConsentPurpose, DocumentKind
from registration.privacy.vault import PersonVault
from registration.rule_sets.app import RuleBooks
from registration.tables import document_contents, documents

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# What a file's first bytes must be for the type it claims (the client's word is not trusted).
SIGNATURES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


@dataclass(frozen=True, slots=True)
class Address:
    region: str | None
    street: str | None = None
    municipality: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    document_id: str
    media_type: str
    content: bytes
    filename: str


class PersonChanges:
    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        writer: StreamWriter,
        clock: Clock,
        vault: PersonVault,
        rules: RuleBooks,
        queries: PersonQueries,
        catalogues: Callable[[], CatalogueBook] = load_default_catalogue,
    ) -> None:
        """``catalogues``: the intervention catalogue versions registration knows — those shipped
        in ``gsi_conformity`` (it does not follow interventions' ``CataloguePublished`` yet)."""
        self._db = db
        self._store = store
        self._writer = writer
        self._clock = clock
        self._vault = vault
        self._rules = rules
        self._queries = queries
        self._catalogues = catalogues

    def change_status(
        self,
        person_id: str,
        period: ev.StatusPeriod,
        reason: str,
        principal: Principal,
        context: CommandContext,
    ) -> None:
        self._own(person_id, principal)
        command = person.ChangeStatus(period, reason, self._today())
        book = self._rules.current()
        self._execute(person_id, lambda h: person.change_status(h, command, rules=book), context)

    def change_address(
        self,
        person_id: str,
        address: Address,
        effective_from: date,
        reason: str,
        principal: Principal,
        context: CommandContext,
    ) -> None:
        self._own(person_id, principal)
        details = _details(address)
        book = self._rules.current()

        today = self._today()
        with self._db.transaction() as connection:
            sealed = self._vault.seal(connection, person_id, details)
            self._writer.execute(
                f"person-{person_id}",
                lambda history: person.change_address(
                    history,
                    region=address.region,
                    effective_from=effective_from,
                    pii=sealed,
                    reason=reason,
                    today=today,
                    rules=book,
                ),
                context,
                connection=connection,
            )

    def give_consent(
        self, person_id: str, purpose: ConsentPurpose, principal: Principal, context: CommandContext
    ) -> None:
        self._own(person_id, principal)
        now = self._clock.now()
        self._execute(person_id, lambda h: person.give_consent(h, purpose, now), context)

    def withdraw_consent(
        self,
        person_id: str,
        purpose: ConsentPurpose,
        reason: str,
        principal: Principal,
        context: CommandContext,
    ) -> None:
        self._own(person_id, principal)
        now = self._clock.now()
        self._execute(person_id, lambda h: person.withdraw_consent(h, purpose, now, reason), context)

    def evaluate(
        self, person_id: str, on_date: date | None, principal: Principal, volet: str | None, code: str | None
    ) -> list[Evaluation]:
        """Eligibility on a date — today in Montréal, by the service's clock, when none is
        given — explained for every volet asked; a pure read (nothing recorded). A code outside
        the catalogue in force on that date is refused, as a declaration of it would be."""
        self._queries.visible(person_id, principal)
        on_date, book = self._terms(on_date, code)
        history = self._history(person_id)
        person.evaluate_on_request(history, on_date, rules=book)  # its checks only: nothing written
        return self._explain(history, on_date, book, volet, code)

    def record_evaluation(
        self,
        person_id: str,
        on_date: date | None,
        principal: Principal,
        context: CommandContext,
        volet: str | None,
        code: str | None,
    ) -> list[Evaluation]:
        """The same evaluation, recorded on the person's file (an ``EligibilityEvaluated`` event:
        the read model's eligibility flags follow it, and it is activity on the file) by the
        person's organization."""
        self._own(person_id, principal)
        on_date, book = self._terms(on_date, code)
        self._execute(person_id, lambda h: person.evaluate_on_request(h, on_date, rules=book), context)
        return self._explain(self._history(person_id), on_date, book, volet, code)

    def _terms(self, on_date: date | None, code: str | None) -> tuple[date, RuleBook]:
        on_date = on_date or self._today()
        if code is not None:
            self._catalogues().code_on(PROGRAM, on_date, code)
        return on_date, self._rules.current()

    def _history(self, person_id: str) -> list[DomainEvent]:
        with self._db.transaction() as connection:
            stored = self._store.load(connection, f"person-{person_id}")
        return [ev.EVENTS.decode(e.type, e.schema_version, e.payload) for e in stored]

    @staticmethod
    def _explain(
        history: list[DomainEvent], on_date: date, book: RuleBook, volet: str | None, code: str | None
    ) -> list[Evaluation]:
        state = person.fold(history)
        assert state is not None
        return explain(state, on_date, book, (volet,) if volet else VOLETS, code)

    def attach_document(
        self,
        person_id: str,
        kind: DocumentKind,
        document: Document,
        principal: Principal,
        context: CommandContext,
    ) -> str:
        self._own(person_id, principal)
        _check_document(document)
        digest = hashlib.sha256(document.content).hexdigest()

        with self._db.transaction() as connection:
            self._writer.execute(
                f"person-{person_id}",
                lambda history: person.attach_document(
                    history,
                    document_id=document.document_id,
                    kind=kind,
                    media_type=document.media_type,
                    size=len(document.content),
                    sha256=digest,
                ),
                context,
                connection=connection,
            )
            # After the decision, so that its refusals come first; committed with its events.
            sealed = self._vault.seal_document(connection, person_id, document.content)
            connection.execute(
                insert(document_contents).values(
                    document_id=document.document_id, person_id=person_id, sealed=sealed
                )
            )
        return document.document_id

    def read_document(
        self, person_id: str, document_id: str, principal: Principal, purpose: AccessPurpose
    ) -> tuple[str, bytes]:
        self._queries.visible(person_id, principal)
        with self._db.transaction() as connection:
            meta = connection.execute(
                select(documents.c.media_type, documents.c.sha256).where(
                    documents.c.document_id == document_id, documents.c.person_id == person_id
                )
            ).first()
            sealed = connection.execute(
                select(document_contents.c.sealed).where(document_contents.c.document_id == document_id)
            ).scalar_one_or_none()
            content = self._vault.open_document(connection, person_id, sealed) if meta and sealed else None
        if meta is None or content is None:
            raise NotFound("document.not_found", "Document introuvable.", "Document not found.")
        self._queries.log_access(person_id, principal, purpose, "document")
        return meta.media_type, content

    def _own(self, person_id: str, principal: Principal) -> None:
        """Only the person's own organization changes the file (others: not found, no leak)."""
        row = self._queries.visible(person_id, principal)
        if row["organization_id"] != principal.organization:
            raise NotFound("person.not_found", "Personne introuvable.", "Person not found.")

    def _execute(self, person_id: str, decide: Decide, context: CommandContext) -> None:
        self._writer.execute(f"person-{person_id}", decide, context)

    def _today(self) -> date:
        return montreal_date(self._clock.now())


def new_document_id() -> str:
    return str(uuid.uuid4())


def _details(address: Address) -> dict[str, str]:
    return {
        k: v
        for k, v in (
            ("street", address.street),
            ("municipality", address.municipality),
            ("postal_code", address.postal_code),
        )
        if v
    }


def _check_document(document: Document) -> None:
    if len(document.content) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(
            "document.too_large",
            f"Document trop volumineux (maximum {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo).",
            f"Document too large (at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB).",
            details={"max_bytes": MAX_DOCUMENT_BYTES, "size": len(document.content)},
        )
    signature = SIGNATURES.get(document.media_type)
    if signature is None or not document.content.startswith(signature):
        raise UnsupportedMediaType(
            "document.unsupported_type",
            "Type de document refusé : PDF, PNG ou JPEG seulement, et le contenu doit correspondre.",
            "Document type refused: PDF, PNG or JPEG only, and the content must match.",
            details={"accepted": sorted(SIGNATURES), "declared": document.media_type},
        )
