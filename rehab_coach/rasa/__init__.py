"""Rasa plug-ins: NLU components, channels, the web chat, the server's entry and speed-ups."""
