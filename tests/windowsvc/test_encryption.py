"""Field encryption and its keys (windowsvc/encryption.py, ``manage.py rotate_personal_keys``): rows made under
an old key stay readable until they are rotated, the command brings every row under the newest encryption
and blind-index keys, ``--check`` guards the removal of an old key, and production refuses to start without
keys of its own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from cases.models import Requester
from tests.factories import make_credit_code, make_id_number
from windowsvc.encryption import blind_index, encrypt

pytestmark = pytest.mark.django_db

OLD_KEY = settings.FIELD_ENCRYPTION_KEYS[0]
NEW_KEY = Fernet.generate_key().decode()
OLD_INDEX_KEY = settings.BLIND_INDEX_KEYS[0]
NEW_INDEX_KEY = "a-new-blind-index-key-for-the-test-0123456789"


def make_requesters(count: int = 5) -> dict[int, tuple[str, str]]:
    """People and one enterprise, saved under the keys in force; their pk → (id number, credit code)."""
    made = {}
    for i in range(count):
        if i == count - 1:
            row = Requester.objects.create(
                kind="enterprise", name="某公司", phone="13900000000", credit_code=make_credit_code()
            )
        else:
            row = Requester.objects.create(
                kind="person", name="某人", phone="13900000000", id_number=make_id_number()
            )
        made[row.pk] = (row.id_number, row.credit_code)
    return made


def tokens() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, COALESCE(id_number, credit_code), COALESCE(NULLIF(id_number_index, ''), credit_code_index) "
            "FROM cases_requester ORDER BY id"
        )
        return {pk: (token, index) for pk, token, index in cursor.fetchall()}


def readable_with(key: str) -> bool:
    fernet = Fernet(key)
    try:
        for token, _index in tokens().values():
            fernet.decrypt(token.encode())
    except InvalidToken:  # not made under this key
        return False
    return True


def clear_values() -> dict[int, tuple[str, str]]:
    return {r.pk: (r.id_number, r.credit_code) for r in Requester.objects.order_by("pk")}


def test_a_new_key_in_front_encrypts_new_rows_and_old_rows_stay_readable(capsys):
    old_rows = make_requesters(3)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert clear_values() == old_rows  # before any rotation
        new_rows = make_requesters(2)
        assert clear_values() == old_rows | new_rows
        stored = tokens()
        for pk in new_rows:
            Fernet(NEW_KEY).decrypt(stored[pk][0].encode())
        with pytest.raises(CommandError, match=r"旧密钥|old key"):
            call_command("rotate_personal_keys", "--check")


def test_rotation_reencrypts_every_row_with_the_newest_key_in_batches(capsys):
    made = make_requesters(7)
    before = tokens()
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        call_command("rotate_personal_keys", "--batch-size", "3")
        assert "7" in capsys.readouterr().out
        call_command("rotate_personal_keys", "--check")
    after = tokens()
    assert all(after[pk][0] != before[pk][0] for pk in made)
    assert all(after[pk][1] == before[pk][1] for pk in made)  # same blind-index key: same index
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key removed
        assert readable_with(NEW_KEY)
        assert clear_values() == made
        call_command("rotate_personal_keys", "--check")
        # Run again: nothing left to write.
        call_command("rotate_personal_keys")
        assert tokens() == after


def test_rotation_refuses_rows_no_configured_key_opens_and_writes_nothing_to_them():
    make_requesters(3)
    before = tokens()
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS"),
    ):
        call_command("rotate_personal_keys")
    assert tokens() == before
    assert readable_with(OLD_KEY)


def test_a_new_blind_index_key_matches_old_rows_until_the_column_is_recomputed():
    made = make_requesters(3)
    pk, (id_number, _code) = next(iter(made.items()))
    with override_settings(BLIND_INDEX_KEYS=[NEW_INDEX_KEY, OLD_INDEX_KEY]):
        # Lookups match under every key, so nothing is missed while the column still holds the old digests.
        assert Requester.objects.with_id_number(id_number).get().pk == pk
        with pytest.raises(CommandError):
            call_command("rotate_personal_keys", "--check")
        call_command("rotate_personal_keys")
        assert tokens()[pk][1] == blind_index(id_number, purpose="id_number", key=NEW_INDEX_KEY)
    with override_settings(BLIND_INDEX_KEYS=[NEW_INDEX_KEY]):  # the old index key removed
        assert Requester.objects.with_id_number(id_number).get().pk == pk
        call_command("rotate_personal_keys", "--check")


def test_blind_indexes_separate_purposes_and_keys():
    value = "91330681MA2BCDEF16"
    assert blind_index(value, purpose="id_number") != blind_index(value, purpose="credit_code")
    assert blind_index(value, purpose="id_number") != blind_index(
        value, purpose="id_number", key=NEW_INDEX_KEY
    )
    assert blind_index("", purpose="id_number") == ""
    assert encrypt(value) != encrypt(value)  # a fresh IV each time


# --- Production keys --------------------------------------------------------------------------------------


def _check_production(**env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS")
    }
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "windowsvc.settings.production",
            "SECRET_KEY": "x" * 20 + "-production-secret-for-the-test-0123456789",
            "ALLOWED_HOSTS": "window.example.gov.cn",
        }
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=base,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "FIELD_ENCRYPTION_KEYS"),
        (
            {"FIELD_ENCRYPTION_KEYS": OLD_KEY, "BLIND_INDEX_KEYS": NEW_INDEX_KEY},
            "FIELD_ENCRYPTION_KEYS",
        ),  # the development key
        (
            {"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key", "BLIND_INDEX_KEYS": NEW_INDEX_KEY},
            "FIELD_ENCRYPTION_KEYS",
        ),
        ({"FIELD_ENCRYPTION_KEYS": NEW_KEY}, "BLIND_INDEX_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": NEW_KEY, "BLIND_INDEX_KEYS": "short"}, "BLIND_INDEX_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": NEW_KEY, "BLIND_INDEX_KEYS": OLD_INDEX_KEY}, "BLIND_INDEX_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": NEW_KEY, "BLIND_INDEX_KEYS": NEW_KEY}, "BLIND_INDEX_KEYS"),
    ],
)
def test_production_refuses_to_start_without_keys_of_its_own(env, named):
    result = _check_production(**env)
    assert result.returncode != 0
    assert named in result.stderr


def test_production_starts_with_keys_of_its_own():
    result = _check_production(
        FIELD_ENCRYPTION_KEYS=f"{NEW_KEY},{Fernet.generate_key().decode()}", BLIND_INDEX_KEYS=NEW_INDEX_KEY
    )
    assert result.returncode == 0, result.stderr
