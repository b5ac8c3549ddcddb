"""Where `./coach run` puts its processes on this machine (each can be moved with a flag or parameter)."""

RASA_PORT, ACTIONS_PORT, PORTAL_PORT = 5005, 5055, 5100  # endpoints.yml names the actions port too
RASA_URL = f"http://127.0.0.1:{RASA_PORT}"
