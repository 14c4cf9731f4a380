"""Guessing resistance of the status lookup: identical answers for misses, atomic rate limits.

A wrong code on a real case and any code on an unknown tracking number must be indistinguishable (status,
body, every header), and a run of guesses is cut off at its threshold — per client address and per tracking
number — by counters in the real Redis that stay exact under concurrent requests.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client, override_settings

from citizens import ratelimit
from tests.factories import build_org, take_in

from .helpers import answer_bytes, lookup

LIMITS = {
    "PUBLIC_STATUS_LIMIT_PER_ADDRESS": 8,
    "PUBLIC_STATUS_WINDOW_PER_ADDRESS": 600,
    "PUBLIC_STATUS_LIMIT_PER_NUMBER": 5,
    "PUBLIC_STATUS_WINDOW_PER_NUMBER": 3600,
}


@pytest.mark.django_db
def test_wrong_codes_and_unknown_numbers_get_byte_identical_answers(client, org):
    case = take_in(org, "v1")
    known = case.tracking_number
    answers = []
    # Each guess from its own address, so the limits stay out of the way here.
    guesses = [
        {"tracking_number": known, "query_code": "WRONG234"},
        {
            "tracking_number": known,
            "query_code": case.query_code[:-1] + ("2" if case.query_code[-1] != "2" else "3"),
        },
        {"tracking_number": known, "phone_last4": "0000"},
        {"tracking_number": known[:-1] + ("9" if known[-1] != "9" else "8"), "query_code": case.query_code},
        {"tracking_number": "330681001001209901019999", "query_code": "WRONG234"},
        {"tracking_number": "999999", "phone_last4": "8000"},
    ]
    for number, guess in enumerate(guesses):
        answers.append(answer_bytes(lookup(client, address=f"198.51.100.{number + 1}", **guess)))
    assert answers[0][0] == 404
    assert all(answer == answers[0] for answer in answers)
    assert known.encode() not in answers[0][1]


@pytest.mark.django_db
@override_settings(**LIMITS)
def test_guesses_from_one_address_are_cut_off_after_the_threshold(client, org):
    case = take_in(org, "v1")
    statuses, too_many = [], []
    for number in range(12):
        # Spread over many tracking numbers: only the address limit (8) applies.
        target = case.tracking_number if number % 4 == 1 else f"33068100100120990101{number:04d}"
        response = lookup(client, address="203.0.113.50", tracking_number=target, query_code="WRONG234")
        statuses.append(response.status_code)
        if response.status_code == 429:
            too_many.append(answer_bytes(response))
    assert statuses == [404] * 8 + [429] * 4
    assert all(answer == too_many[0] for answer in too_many)
    assert dict(too_many[0][2])["Retry-After"] == "600"
    # The right code from that address is refused too while the window lasts: nothing to learn.
    response = lookup(
        client, address="203.0.113.50", tracking_number=case.tracking_number, query_code=case.query_code
    )
    assert answer_bytes(response) == too_many[0]
    # Another address is not affected.
    other = lookup(
        client, address="203.0.113.51", tracking_number=case.tracking_number, query_code=case.query_code
    )
    assert other.status_code == 200


@pytest.mark.django_db
@override_settings(**LIMITS)
def test_one_number_guessed_from_many_addresses_is_cut_off_per_number(client, org):
    case = take_in(org, "v1")
    statuses = [
        lookup(
            client, address=f"192.0.2.{n}", tracking_number=case.tracking_number, phone_last4=f"{n:04d}"
        ).status_code
        for n in range(1, 9)
    ]
    assert statuses == [404] * 5 + [429] * 3
    # An unknown number is limited exactly the same way (nothing tells them apart).
    unknown = [
        lookup(
            client, address=f"192.0.2.{n}", tracking_number="330681001001209901010001", phone_last4="1234"
        ).status_code
        for n in range(100, 108)
    ]
    assert unknown == statuses


@pytest.mark.django_db
@override_settings(**LIMITS)
def test_a_stranger_cannot_lock_the_requester_out_of_their_case(client, org):
    """Wrong query codes and wrong last-four guesses on a public tracking number, from many addresses,
    leave the requester's own lookup with the receipt's query code working; only the weak path (phone's
    last four digits) is closed for the window."""
    case = take_in(org, "v1")
    number = case.tracking_number
    wrong_codes = [
        lookup(client, address=f"192.0.2.{n}", tracking_number=number, query_code="WRONG234").status_code
        for n in range(1, 21)
    ]
    assert wrong_codes == [404] * 20  # never 429: a wrong code costs only its own address
    wrong_digits = [
        lookup(client, address=f"198.51.100.{n}", tracking_number=number, phone_last4=f"{n:04d}").status_code
        for n in range(1, 9)
    ]
    assert wrong_digits == [404] * 5 + [429] * 3
    # The requester, from their own address: the query code works, the last four digits wait.
    assert (
        lookup(client, address="203.0.113.7", tracking_number=number, query_code=case.query_code).status_code
        == 200
    )
    blocked = lookup(client, address="203.0.113.7", tracking_number=number, phone_last4="8000")
    assert blocked.status_code == 429
    assert "查询码" in blocked.json()["detail"]


@pytest.mark.django_db(transaction=True)
@override_settings(**LIMITS)
def test_concurrent_guesses_are_counted_exactly(transactional_db):
    """40 requests at once from one address against the real Redis: exactly 8 get through to the lookup."""
    org = build_org()
    case = take_in(org, "v1")
    barrier = threading.Barrier(20)

    def guess(number: int):
        try:
            barrier.wait(timeout=10) if number < 20 else None
            target = case.tracking_number if number % 3 == 0 else f"33068100100120990101{number:04d}"
            return answer_bytes(
                lookup(Client(), address="203.0.113.99", tracking_number=target, query_code="WRONG234")
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(guess, range(40)))
    statuses = sorted(answer[0] for answer in answers)
    assert statuses == [404] * 8 + [429] * 32
    assert len({answer for answer in answers if answer[0] == 404}) == 1
    assert len({answer for answer in answers if answer[0] == 429}) == 1


def test_the_counter_script_is_atomic_under_threads():
    ratelimit.reset_client()
    limit = ratelimit.Limit("test-atomic", f"value-{threading.get_ident()}", 25, 60)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _n: ratelimit.hit([limit]), range(100)))
    assert results.count(True) == 25


class _Request:
    def __init__(self, remote: str, forwarded: str | None = None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize(
    ("hops", "remote", "forwarded", "expected"),
    [
        # No trusted proxy: X-Forwarded-For is whatever the client wrote, ignored.
        (0, "203.0.113.9", "1.2.3.4", "203.0.113.9"),
        # One proxy of ours appends the address it saw: the rightmost entry; the rest is the client's text.
        (1, "10.0.0.2", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.3", "203.0.113.9"),
        # Fewer entries than hops (misconfigured or direct): REMOTE_ADDR.
        (2, "10.0.0.2", "203.0.113.9", "10.0.0.2"),
        (1, "10.0.0.2", None, "10.0.0.2"),
        # Garbage in the header falls back to REMOTE_ADDR.
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        # IPv6: counted per /64; IPv4-mapped addresses as IPv4.
        (0, "2001:db8:1:2:3:4:5:6", None, "2001:db8:1:2::/64"),
        (0, "::ffff:203.0.113.9", None, "203.0.113.9"),
    ],
)
def test_client_address_is_explicit_about_proxies(settings, hops, remote, forwarded, expected):
    settings.PUBLIC_TRUSTED_PROXY_HOPS = hops
    assert ratelimit.client_address(_Request(remote, forwarded)) == expected
