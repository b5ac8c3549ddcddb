"""The channels the clinic hears of a serious escalation by: a Slack incoming webhook (slack_sdk) and email (SMTP).

Each `send` makes one attempt and raises DeliveryError on any failure, with a kind that carries no personal data and
no secret (an HTTP status, an SMTP reply code, an exception's type): the scheduler retries by its own rules.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from slack_sdk.webhook import WebhookClient

from rehab_coach.settings import ClinicEmail

TIMEOUT = 10  # seconds a send may take

# slack_sdk logs the webhook URL (a secret) when it retries or debugs: its logger here says nothing at all.
_SILENT = logging.getLogger(f"{__name__}.slack_sdk")
_SILENT.setLevel(logging.CRITICAL + 1)
_SILENT.propagate = False


class DeliveryError(Exception):
    """A channel did not take a notice; `kind` says why, without personal data or secrets."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class SlackWebhook:
    """A Slack incoming webhook: the notice's text, posted to the channel the webhook was made for."""

    name = "slack"

    def __init__(self, url: str) -> None:
        self._client = WebhookClient(url, timeout=TIMEOUT, logger=_SILENT, retry_handlers=[])

    def send(self, subject: str, text: str) -> None:
        try:
            response = self._client.send(text=text)
        except Exception as error:  # a refused connection, a timeout: only its type is kept
            raise DeliveryError(type(error).__name__) from None
        if response.status_code != 200:
            raise DeliveryError(f"HTTP {response.status_code}")


class Email:
    """An email through an SMTP server (STARTTLS unless turned off, and a login when given)."""

    name = "email"

    def __init__(self, config: ClinicEmail) -> None:
        self.config = config

    def send(self, subject: str, text: str) -> None:
        config = self.config
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, config.sender, ", ".join(config.to)
        message.set_content(text)
        try:
            with smtplib.SMTP(config.host, config.port, timeout=TIMEOUT) as smtp:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.username and config.password:
                    smtp.login(config.username, config.password)
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"{type(error).__name__} {error.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(type(error).__name__) from None
