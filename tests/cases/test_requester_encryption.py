"""Id numbers and credit codes at rest (windowsvc/encryption.py on ``Requester``): the column holds
ciphertext, exact search still finds the requester through the blind index, and migrations 0011–0013
encrypt the rows that were there before (and 0012 reverses)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases.models import Requester
from tests.factories import enterprise, make_credit_code, make_id_number, person, take_in
from windowsvc.encryption import blind_index

DIGITS_RUN = re.compile(r"[0-9]{6,}")


def raw_rows(*columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM cases_requester ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def test_the_columns_hold_ciphertext_and_digests_never_the_number(org):
    id_number, credit_code = make_id_number(), make_credit_code()
    take_in(org, requester=person(id_number=id_number))
    take_in(org, requester=enterprise(credit_code=credit_code))
    rows = raw_rows("id_number", "credit_code", "id_number_index", "credit_code_index")
    assert [(a is None, b is None) for a, b, _, _ in rows] == [(False, True), (True, False)]
    for row in rows:
        text = " ".join(value or "" for value in row)
        assert id_number not in text and credit_code not in text
        assert id_number[6:14] not in text  # not even the birth date
    stored = [value for row in rows for value in row[:2] if value is not None]
    assert all(value.startswith("gAAAAA") and not DIGITS_RUN.search(value) for value in stored)
    # The index is the keyed digest of the normalised number, not the number (and "" when there is none).
    assert rows[0][2] == blind_index(id_number, purpose="id_number") and rows[0][3] == ""
    assert rows[1][3] == blind_index(credit_code, purpose="credit_code") and rows[1][2] == ""
    assert all(len(value) == 64 for value in (rows[0][2], rows[1][3]))


def test_the_model_reads_the_clear_number_back_and_empty_as_empty(org):
    id_number = make_id_number()
    case = take_in(org, requester=person(id_number=id_number.lower()))
    requester = Requester.objects.get(pk=case.requester_id)
    assert (requester.id_number, requester.credit_code) == (id_number.upper(), "")
    assert requester.masked_id_number == id_number[:4] + "*" * 10 + id_number[-4:]
    assert list(Requester.objects.values_list("id_number", flat=True)) == [id_number.upper()]


def test_the_same_number_encrypts_differently_but_indexes_alike(org):
    id_number = make_id_number()
    take_in(org, requester=person(id_number=id_number))
    take_in(org, requester=person(id_number=f" {id_number.lower()} "))
    (token1, index1), (token2, index2) = raw_rows("id_number", "id_number_index")
    assert token1 != token2 and index1 == index2


def test_filtering_on_an_encrypted_column_fails_loudly(org):
    with pytest.raises(FieldError, match="id_number_index"):
        list(Requester.objects.filter(id_number=make_id_number()))
    with pytest.raises(FieldError):
        list(Requester.objects.filter(credit_code__startswith="91"))
    assert not Requester.objects.filter(id_number__isnull=False).exists()


def test_exact_search_finds_the_requester_through_the_blind_index(org):
    id_number, credit_code = make_id_number(), make_credit_code()
    someone = take_in(org, requester=person(id_number=id_number, phone="13911110000"))
    company = take_in(org, requester=enterprise(credit_code=credit_code, phone="13922220000"))
    take_in(org, requester=person(phone="13933330000"))
    assert list(Requester.objects.with_id_number(id_number.lower())) == [someone.requester]
    assert list(Requester.objects.with_credit_code(f" {credit_code} ")) == [company.requester]
    assert not Requester.objects.with_id_number(make_id_number(birth="19800101")).exists()
    assert not Requester.objects.with_id_number("").exists()
    clerk = org["v1_clerk"]
    assert list(selectors.requester_open_cases(user=clerk, id_number=id_number)) == [someone]
    assert list(selectors.requester_open_cases(user=clerk, credit_code=credit_code.lower())) == [company]


def test_the_intake_lookup_endpoint_finds_cases_by_id_number_and_credit_code(client, org):
    """The JSON lookup the intake form calls (a POST: numbers never go into a URL, so there is no GET filter
    on them in the API) matches through the blind index."""
    id_number, credit_code = make_id_number(), make_credit_code()
    someone = take_in(org, requester=person(id_number=id_number, phone="13911110000"))
    company = take_in(org, requester=enterprise(credit_code=credit_code, phone="13922220000"))
    client.force_login(org["v1_clerk"])
    url = reverse("cases:similar-cases")

    def found(**body) -> list[str]:
        response = client.post(url, body)
        assert response.status_code == 200
        return [row["tracking_number"] for row in response.json()["results"]]

    assert found(id_number=id_number.lower()) == [someone.tracking_number]
    assert found(credit_code=credit_code) == [company.tracking_number]
    assert found(id_number=make_id_number(birth="19800101")) == []
    client.force_login(org["v2_clerk"])  # another town's window sees neither
    assert found(id_number=id_number) == [] and found(credit_code=credit_code) == []


# --- Migrations 0011–0013 -------------------------------------------------------------------------------

BEFORE = ("cases", "0010_practice_sla_policies")
AFTER = ("cases", "0013_requester_number_indexes")


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_encrypts_existing_rows_and_reverses():
    person_number, company_code = make_id_number(), make_credit_code()
    try:
        _migrate(BEFORE)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO cases_requester (created_at, updated_at, kind, name, contact_name, phone, "
                "id_number, credit_code, address) VALUES (%s, %s, %s, %s, '', %s, %s, %s, '')",
                [
                    (now, now, "person", "王五", "13900139000", person_number.lower(), ""),
                    (now, now, "enterprise", "某公司", "13900139001", "", company_code),
                    (now, now, "person", "赵六", "13900139002", "", ""),
                ],
            )
        _migrate(AFTER)
        rows = raw_rows("id_number", "credit_code", "id_number_index", "credit_code_index")
        assert [(a is None, b is None) for a, b, _, _ in rows] == [(False, True), (True, False), (True, True)]
        assert person_number not in str(rows) and company_code not in str(rows)
        assert [(r.id_number, r.credit_code) for r in Requester.objects.order_by("pk")] == [
            (person_number.upper(), ""),
            ("", company_code),
            ("", ""),
        ]
        assert Requester.objects.with_id_number(person_number).get().name == "王五"
        assert Requester.objects.with_credit_code(company_code).get().name == "某公司"

        _migrate(BEFORE)  # and back: the clear numbers as they were stored (normalised), "" for none
        assert raw_rows("id_number", "credit_code") == [
            (person_number.upper(), ""),
            ("", company_code),
            ("", ""),
        ]
    finally:
        # Back to every app's newest migration (not just AFTER): going back to BEFORE also unapplied the
        # later migrations of cases and of the apps depending on them; later tests need them all.
        _migrate_to_latest()
