"""Pages: the public case library (anonymous, published anonymised write-ups only), the staff library and
detail (404 outside the scope), the case page's section, and the intake suggestions with 按此案例办理."""

from __future__ import annotations

import pytest

from cases.models import IdempotencyRecord
from library import indexing, services
from library.models import SolvedCase, WriteUpReuse
from tests.factories import take_in

from .helpers import draft, published, solved_case

pytestmark = pytest.mark.django_db


def test_the_public_page_shows_only_published_anonymised_writeups(client, org):
    case = solved_case(org)
    name, phone = case.requester.name, case.requester.phone
    shown = published(org, case, problem=f"{name}多次反映，电话{phone}，营业执照变更被退回。")
    hidden = draft(org, solved_case(org), title="尚未发布的草稿")
    page = client.get("/library/cases/").content.decode()
    assert shown.public["title"] in page and hidden.title not in page
    detail = client.get(f"/library/cases/{shown.pk}/").content.decode()
    assert "营业执照变更被退回" in detail
    assert name not in detail and phone not in detail
    assert client.get(f"/library/cases/{hidden.pk}/").status_code == 404
    found = client.get("/library/cases/", {"q": "营业执照"}).content.decode()
    assert shown.public["title"] in found
    # The public search reads the anonymised tokens: the requester's name finds nothing.
    assert shown.public["title"] not in client.get("/library/cases/", {"q": name}).content.decode()


def test_staff_pages_are_scoped(client, org):
    writeup = draft(org)
    client.force_login(org["t2_supervisor"])
    assert client.get(f"/library/{writeup.pk}/").status_code == 404
    assert writeup.title not in client.get("/library/").content.decode()
    client.force_login(org["t1_supervisor"])
    assert writeup.title in client.get("/library/").content.decode()
    assert client.get(f"/library/{writeup.pk}/").status_code == 200


def test_draft_submit_publish_through_the_pages(client, org):
    case = solved_case(org)
    client.force_login(org["v1_clerk"])
    case_page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/library/new/{case.pk}/" in case_page
    form = client.get(f"/library/new/{case.pk}/")
    assert form.status_code == 200
    answer = client.post(
        f"/library/new/{case.pk}/",
        {
            "title": "变更经营范围",
            "problem": "三次被退回",
            "blocker_type": form.context["form"].fields["blocker_type"].queryset.first().pk,
            "solution": "统一口径",
        },
    )
    assert answer.status_code == 302
    writeup = case.writeup
    client.post(f"/library/{writeup.pk}/actions/submit/")
    client.force_login(org["t1_supervisor"])
    client.post(f"/library/{writeup.pk}/actions/publish/")
    writeup.refresh_from_db()
    assert writeup.status == "published"
    assert "案例汇总" in client.get(f"/cases/{case.pk}/").content.decode()


def test_solved_cases_are_indexed_with_their_event(org):
    case = solved_case(org, title="小餐饮店许可证办不下来", resolution="按小餐饮备案办理。")
    assert SolvedCase.objects.filter(case=case).exists()
    open_case = take_in(org, "v1")
    assert not indexing.solved_case_sync(open_case.pk)


def test_suggestions_while_typing(client, org):
    writeup = published(org, title="营业执照经营范围变更三次被退回", solution="统一表述口径，当场办结。")
    solved = solved_case(org, "v1", title="食品经营许可证办不下来", resolution="按小餐饮备案办理。")
    elsewhere = solved_case(org, "v2", title="食品经营许可证迟迟不批", resolution="另一街道的办法。")
    indexing.solved_cases_rebuild()
    client.force_login(org["v1_clerk"])
    results = client.get(
        "/library/suggest/", {"q": "经营范围变更被退回", "window": org.windows["v1"].pk}
    ).json()["results"]
    assert (results[0]["kind"], results[0]["id"], results[0]["title"]) == (
        "writeup",
        writeup.pk,
        writeup.public["title"],
    )
    assert results[0]["solution"] == writeup.public["solution"]
    food = client.get("/library/suggest/", {"q": "食品经营许可证", "window": org.windows["v1"].pk}).json()[
        "results"
    ]
    ids = {(r["kind"], r["id"]) for r in food}
    assert ("case", solved.pk) in ids
    assert ("case", elsewhere.pk) not in ids  # the v1 clerk does not see the other town's cases
    assert client.get("/library/suggest/", {"q": "的"}).json()["results"] == []
    client.force_login(org["market_head"])  # no intake window: nothing
    assert client.get("/library/suggest/", {"q": "食品经营许可证"}).json()["results"] == []


def test_follow_is_attached_to_the_case_its_intake_creates(client, org):
    writeup = published(org)
    client.force_login(org["v1_clerk"])
    key = "intake-form-key-1"
    assert (
        client.post("/library/suggest/follow/", {"kind": "writeup", "id": writeup.pk, "key": key}).status_code
        == 201
    )
    assert (
        client.post("/library/suggest/follow/", {"kind": "writeup", "id": 999999, "key": key}).status_code
        == 404
    )
    other = take_in(org, "v1", idempotency_key="another-form")  # another intake of the same clerk
    case = take_in(org, "v1", idempotency_key=key)
    assert IdempotencyRecord.objects.filter(case=case, key=key).exists()
    reuse = WriteUpReuse.objects.get()
    assert reuse.case != other
    assert (reuse.case, reuse.writeup, reuse.chosen_by) == (case, writeup, org["v1_clerk"])
    assert writeup.public["title"] in client.get(f"/cases/{case.pk}/").content.decode()
    services.writeup_reuse_record(actor=org["v1_clerk"], case_id=case.pk, writeup_id=writeup.pk)
    assert WriteUpReuse.objects.count() == 1


def test_a_returning_visitor_gets_304_until_the_library_changes(client, org, settings):
    settings.PUBLIC_CACHE_SECONDS = 10**9  # no step of the clock inside the test
    shown = published(org, solved_case(org))
    first = client.get("/library/cases/")  # a first visit sets the CSRF cookie: rendered, no validators
    assert first.status_code == 200 and "ETag" not in first
    page = client.get("/library/cases/")
    etag = page["ETag"]
    assert page["Cache-Control"] == "private, no-cache"
    assert client.get("/library/cases/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    detail = client.get(f"/library/cases/{shown.pk}/")
    assert client.get(f"/library/cases/{shown.pk}/", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 304
    # Another visitor (other cookies) never matches this one's validators.
    other = type(client)()
    other.get("/library/cases/")
    assert other.get("/library/cases/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # A newly published write-up is a new page.
    second = published(org, solved_case(org))
    changed = client.get("/library/cases/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and second.public["title"] in changed.content.decode()
