"""Storage adapter: SQLAlchemy tables, Alembic migrations and the Store the entry points call."""

from rehab_coach.adapters.storage.db import alembic_config, default_database_url, make_engine, session_factory, upgrade
from rehab_coach.adapters.storage.repository import EscalationRecord, PatientRecord, Store, UnknownRecord, UsedCode

__all__ = [
    "EscalationRecord",
    "PatientRecord",
    "Store",
    "UnknownRecord",
    "UsedCode",
    "alembic_config",
    "default_database_url",
    "make_engine",
    "session_factory",
    "upgrade",
]
