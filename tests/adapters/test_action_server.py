"""The action server's check of the call Rasa makes: a malformed tracker gets a reason (served as a 400)."""

import pytest

from rehab_coach.rasa.action_server import problem_with

TRACKER = {"sender_id": "patient-1", "slots": {}, "latest_message": {}, "events": [{"event": "user"}]}


def call(**tracker):
    return {"next_action": "action_progress", "tracker": {**TRACKER, **tracker}, "domain": {}}


@pytest.mark.parametrize("body", [
    None, [], "x", {}, {"next_action": 3, "tracker": TRACKER}, {"next_action": "a", "tracker": []},
    call(sender_id="x" * 129), call(sender_id="a\nb"), call(sender_id=""), call(sender_id=7),
    call(events=None), call(events=[{"no": "event"}]), call(events=["user"]), call(slots=[]),
    call(latest_message="hi"), {**call(), "domain": []}, call(slots=None), call(active_loop=None),
    {**call(), "domain": None},
])
def test_malformed_calls_are_refused_with_a_reason(body):
    assert problem_with(body)


@pytest.mark.parametrize("sender", ["patient-1", "web-0123abcd", "demo-1", "123456789", "whatsapp:+447700900123",
                                    "a.b_c@d"])
def test_calls_from_every_channel_are_accepted(sender):
    assert problem_with(call(sender_id=sender)) is None
    assert problem_with({"next_action": "action_progress", "tracker": {"sender_id": sender, "events": []}}) is None


@pytest.mark.parametrize("endpoints", ["project", "written for tests"])
def test_the_rasa_server_sends_the_action_servers_token_from_the_endpoints_file(endpoints, tmp_path, monkeypatch):
    # Rasa fills ${...} in plain YAML values only: a quoted header went out as the literal text and got 401.
    from rasa.core.utils import read_endpoints_from_path

    from rehab_coach import runner
    from rehab_coach.paths import PROJECT_ROOT

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "the-token")
    path = PROJECT_ROOT / "endpoints.yml" if endpoints == "project" else runner.write_endpoints(
        tmp_path / "endpoints.yml", 5056)
    assert read_endpoints_from_path(str(path)).action.headers == {"Authorization": "Bearer the-token"}
