"""The core: pure domain rules and readers of patient text. Imports no framework (a test walks this folder)."""
