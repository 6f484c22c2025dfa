"""Domain events as typed values, and the registry that turns them into stored payloads and
back — upcasting old schema versions on the way in.

A domain event is a frozen pydantic model with two class variables: ``event_type`` (a past-tense
name such as ``PersonRegistered``) and ``schema_version``. Models are pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def to_payload(self) -> Payload:
        return self.model_dump(mode="json")


E = TypeVar("E", bound=DomainEvent)


class UnknownEventType(LookupError):
    pass


class EventRegistry:
    """Maps event type names to models, with upcasters from each older schema version."""

    def __init__(self, event_classes: Iterable[type[DomainEvent]] = ()) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for cls in event_classes:
            self.register(cls)

    def register(self, cls: type[E]) -> type[E]:
        if cls.event_type in self._classes:
            raise ValueError(f"event type registered twice: {cls.event_type}")
        self._classes[cls.event_type] = cls
        return cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning a payload of ``from_version`` into ``from_version + 1``."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def knows(self, event_type: str) -> bool:
        return event_type in self._classes

    def decode(self, event_type: str, schema_version: int, payload: Payload) -> DomainEvent:
        cls = self._classes.get(event_type)
        if cls is None:
            raise UnknownEventType(event_type)
        for version in range(schema_version, cls.schema_version):
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnknownEventType(f"{event_type} v{version} has no upcaster to v{version + 1}")
            payload = step(payload)
        return cls.model_validate(payload)
