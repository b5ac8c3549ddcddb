"""Rehab Coach: the pure core (knowledge model, progression engine, safety triage) and its adapters."""
