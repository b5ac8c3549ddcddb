"""Rasa custom actions: parse the tracker, call a Coach service, dispatch a domain response plus a payload.

The action server imports every module here at start, so nothing here does I/O at import: the Coach
is built on first use (`_deps`), and the settings are checked once, so that a wrong one stops the action
server at start. One action per module, named after the action; no clinical logic.
"""

from rehab_coach import settings

settings.load()
