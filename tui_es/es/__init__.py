"""The framework: cqrs-es's concepts in Python. Imports neither Textual nor SQLModel."""

from tui_es.es.aggregate import Aggregate, EventSink
from tui_es.es.application import Application
from tui_es.es.codec import EventCodec
from tui_es.es.dispatcher import ProjectionDispatcher
from tui_es.es.domain import DemoCommand, Domain
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.errors import (
    AggregateConflict,
    AggregateError,
    DatabaseConnectionError,
    DeserializationError,
    DomainError,
    ReadOnlyError,
    UnexpectedError,
    UserError,
)
from tui_es.es.framework import AggregateContext, CqrsFramework, RetryPolicy
from tui_es.es.memory import InMemoryEventStore
from tui_es.es.messages import Command, DomainEvent, InvalidMessage, MessageSet
from tui_es.es.snapshots import SerializedSnapshot, SnapshotPolicy
from tui_es.es.store import EventFilter, EventStore, StoreTransaction, ViewRow
from tui_es.es.upcasting import SemanticVersion, SemanticVersionUpcaster, UpcasterChain
from tui_es.es.views import Query, View, ViewProjection

__all__ = [
    "Aggregate",
    "AggregateConflict",
    "AggregateContext",
    "AggregateError",
    "Application",
    "Command",
    "CqrsFramework",
    "DatabaseConnectionError",
    "DemoCommand",
    "DeserializationError",
    "Domain",
    "DomainError",
    "DomainEvent",
    "EventCodec",
    "EventEnvelope",
    "EventFilter",
    "EventSink",
    "EventStore",
    "InMemoryEventStore",
    "InvalidMessage",
    "MessageSet",
    "ProjectionDispatcher",
    "Query",
    "ReadOnlyError",
    "RetryPolicy",
    "SemanticVersion",
    "SemanticVersionUpcaster",
    "SerializedEvent",
    "SerializedSnapshot",
    "SnapshotPolicy",
    "StoreTransaction",
    "UnexpectedError",
    "UpcasterChain",
    "UserError",
    "View",
    "ViewProjection",
    "ViewRow",
]
