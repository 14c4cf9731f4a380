"""Error reports (windowsvc/errorreports.py): off without a DSN; personal numbers scrubbed from events."""

from __future__ import annotations

import sentry_sdk

from windowsvc import errorreports


def test_without_a_dsn_nothing_is_started(monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert errorreports.init_from_environment() is False
    assert not sentry_sdk.get_client().is_active()


def test_an_event_leaves_with_personal_numbers_hidden():
    event = {
        "exception": {"values": [{"value": "no case for requester 13800138000"}]},
        "extra": {"id_number": "330681199001011234", "rows": ["tel 13912345678", 3]},
        "level": "error",
    }
    scrubbed = errorreports.before_send(event, {})
    text = repr(scrubbed)
    assert "13800138000" not in text and "330681199001011234" not in text and "13912345678" not in text
    assert scrubbed["level"] == "error" and scrubbed["extra"]["rows"][1] == 3


def test_with_a_dsn_the_sdk_starts_without_personal_data(monkeypatch):
    captured = {}
    monkeypatch.setenv("SENTRY_DSN", "https://public@sentry.example.invalid/1")
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: captured.update(options))
    assert errorreports.init_from_environment() is True
    assert captured["send_default_pii"] is False
    assert captured["before_send"] is errorreports.before_send
