"""Adapters: storage (SQLAlchemy), the spaCy pipeline, the tracker store and transcripts."""
