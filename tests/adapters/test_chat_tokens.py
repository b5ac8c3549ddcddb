"""Chat-link tokens: signed, expiring, bound to one conversation; every refusal says why in plain words."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import jwt
import pytest

from rehab_coach import cli, settings
from rehab_coach.adapters.storage import Store, make_engine, upgrade
from rehab_coach.services import chat_links
from rehab_coach.services.chat_links import TokenRefused, issue, verify

KEY = "k" * 43
NOW = datetime.now(timezone.utc)


def test_a_fresh_token_names_its_conversation_and_expiry():
    subject, expires = verify(issue("web-abc", KEY, NOW, timedelta(days=3)), KEY)
    assert subject == "web-abc"
    assert abs(expires - (NOW + timedelta(days=3))) < timedelta(seconds=1)


def test_an_expired_token_is_refused_as_expired():
    token = issue("web-abc", KEY, NOW - timedelta(days=10), timedelta(days=1))
    with pytest.raises(TokenRefused, match="expired"):
        verify(token, KEY)


def tampered(token: str) -> str:
    """The same token with the subject changed and the old signature kept."""
    header, _, signature = token.split(".")
    claims = jwt.utils.base64url_encode(b'{"sub":"web-other","aud":"rehab-coach-chat","exp":9999999999}')
    return f"{header}.{claims.decode()}.{signature}"


@pytest.mark.parametrize("make", [
    lambda: tampered(issue("web-abc", KEY, NOW, timedelta(days=1))),
    lambda: issue("web-abc", "another key entirely, at least 32 bytes", NOW, timedelta(days=1)),
    lambda: jwt.encode({"sub": "web-abc", "aud": "another-app", "exp": NOW + timedelta(days=1)}, KEY),
    lambda: jwt.encode({"sub": "web-abc", "aud": chat_links.AUDIENCE}, KEY),  # never expires: refused
    lambda: jwt.encode({"sub": "web-abc", "aud": chat_links.AUDIENCE, "exp": NOW + timedelta(days=1)}, KEY,
                       algorithm="HS512"),
    lambda: "not-a-token",
])
def test_a_forged_or_foreign_token_is_refused_as_invalid(make):
    with pytest.raises(TokenRefused) as refusal:
        verify(make(), KEY)
    assert str(refusal.value) == chat_links.INVALID


@pytest.mark.parametrize("token", [None, "", 42, {"token": "x"}])
def test_no_token_asks_for_the_personal_link(token):
    with pytest.raises(TokenRefused) as refusal:
        verify(token, KEY)
    assert str(refusal.value) == chat_links.MISSING


def test_after_a_rotation_old_links_work_for_the_grace_period_and_new_ones_use_the_new_key(tmp_path, monkeypatch,
                                                                                           capsys):
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    for name in (settings.RASA_TOKEN, settings.ACTIONS_TOKEN, settings.REST_TOKEN, chat_links.KEY_NAME):
        monkeypatch.delenv(name, raising=False)
    before = {name: settings.secret(name) for name in (settings.RASA_TOKEN, chat_links.KEY_NAME)}
    old_link = issue("web-abc", before[chat_links.KEY_NAME], NOW, timedelta(days=90))

    assert cli.main(["rotate-secrets", "--grace-days", "7"]) == 0
    assert "keep working until" in capsys.readouterr().out
    assert settings.secret(settings.RASA_TOKEN) != before[settings.RASA_TOKEN]
    today = date.today()
    assert verify(old_link, *chat_links.keys(today))[0] == "web-abc"
    assert verify(issue("web-abc", settings.secret(chat_links.KEY_NAME), NOW, timedelta(days=1)),
                  *chat_links.keys(today))[0] == "web-abc"
    with pytest.raises(TokenRefused):  # the grace period is over
        verify(old_link, *chat_links.keys(today + timedelta(days=8)))
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0


def test_a_secret_from_the_environment_is_not_rotated(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "SECRETS_FILE", tmp_path / "secrets.env")
    monkeypatch.setenv(chat_links.KEY_NAME, "set-by-the-deployment")
    assert not settings.rotate(chat_links.KEY_NAME)
    assert settings.secret(chat_links.KEY_NAME) == "set-by-the-deployment"


def test_a_binding_code_binds_an_address_once_signed_and_in_date(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    upgrade(url)
    store = Store(make_engine(url))
    monkeypatch.setenv(chat_links.KEY_NAME, KEY)
    today = date(2026, 3, 2)
    patient = chat_links.enrol(store, today)
    code = chat_links.binding_code(patient, today)
    assert len(code) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", code)
    assert chat_links.redeem(store, code, "telegram", "777", today + timedelta(days=14)) == patient
    assert store.patient_at("telegram", "777") == patient
    with pytest.raises(TokenRefused, match="already been used"):  # works once, on any channel
        chat_links.redeem(store, code, "sms", "+447700900001", today)
    second = chat_links.binding_code(patient, today)
    assert second != code and chat_links.redeem(store, second, "sms", "+447700900001", today) == patient
    assert store.patient_at("telegram", "777") == patient
    for forged in (code[:-1] + ("A" if code[-1] != "A" else "B"), code.replace(f"{patient.id}-", "999-", 1),
                   "hello", ""):
        with pytest.raises(TokenRefused, match="not valid"):
            chat_links.redeem(store, forged, "telegram", "888", today)
    with pytest.raises(TokenRefused, match="expired"):
        chat_links.redeem(store, code, "telegram", "888", today + timedelta(days=15))
    store.erase(patient.id)
    with pytest.raises(TokenRefused, match="not valid"):
        chat_links.redeem(store, code, "telegram", "888", today)
    assert store.patient_at("telegram", "888") is None
