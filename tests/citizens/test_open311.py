"""Open311 GeoReport v2 (/open311/v2/): every endpoint, in JSON and XML, against the spec's fields, types
and status codes (http://wiki.open311.org/GeoReport_v2), plus the privacy rule: public fields only."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.utils import timezone

from cases.choices import Channel, EventKind, RequesterKind
from cases.models import Case, CaseEvent, Category
from citizens.models import Open311Submission, SubmissionStatus
from citizens.open311 import coarse
from citizens.open311 import services as open311_services
from citizens.open311 import views as open311_views
from tests.cases.states import STEPS, drive
from tests.factories import CategoryFactory, RegionFactory, take_in

from .scenarios import make_integration, publish

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def get_json(client, path, expect=200, **params):
    response = client.get(f"{BASE}/{path}.json", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def get_xml(client, path, expect=200, **params):
    response = client.get(f"{BASE}/{path}.xml", params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return parse_xml(response.content)


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (the answer of our own server under test)


def is_w3c(value: str) -> bool:
    parsed = dt.datetime.fromisoformat(value)
    return parsed.tzinfo is not None


def assert_errors_json(body, code: int):
    assert isinstance(body, list) and body
    for error in body:
        assert list(error) == ["code", "description"]
        assert error["code"] == code
        assert isinstance(error["description"], str) and error["description"]


def assert_errors_xml(root, code: int):
    assert root.tag == "errors"
    errors = root.findall("error")
    assert errors
    for error in errors:
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(code)
        assert error.findtext("description")


def post_request(client, fmt="json", **fields):
    return client.post(f"{BASE}/requests.{fmt}", fields)


def valid_form(org, key, **overrides):
    form = {
        "api_key": key,
        "service_code": org.category.code,
        "address_string": "诸暨市暨阳街道某路1号",
        "first_name": "三丰",
        "last_name": "张",
        "phone": "13800138000",
        "email": "zhang@example.com",
        "account_id": "acc-42",
        "description": "营业执照变更多次未办成\n申请变更经营范围三次被退回，原因说法不一。",
        "attribute[MATTER_KIND]": "difficult",
        "attribute[EXPECTATION]": "一次办好",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


# --- Discovery ------------------------------------------------------------------------------------------


def test_discovery_json(client, org):
    body = get_json(client, "discovery")
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    assert all(isinstance(body[k], str) and body[k] for k in ("changeset", "contact", "key_service"))
    [endpoint] = body["endpoints"]
    assert list(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] in ("production", "test")
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_discovery_xml(client, org):
    root = get_xml(client, "discovery")
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


# --- Services -------------------------------------------------------------------------------------------


@pytest.fixture
def category_tree(org):
    child = CategoryFactory(
        county=org.regions["county"], code="MKT-01", name="经营范围变更", parent=org.category
    )
    CategoryFactory(county=org.regions["county"], code="OLD", name="停用类别", is_active=False)
    return child


def test_services_json(client, org, category_tree):
    body = get_json(client, "services")
    assert [service["service_code"] for service in body] == ["LAND", "MKT", "MKT-01"]
    for service in body:
        assert list(service) == SERVICE_FIELDS
        assert isinstance(service["metadata"], bool)
        assert service["type"] in ("realtime", "batch", "blackbox")
        assert isinstance(service["keywords"], str)
    child = body[2]
    assert child["service_name"] == "经营范围变更"
    assert child["group"] == "市场主体登记"  # the top category
    assert "市场主体登记" in child["keywords"]


def test_services_xml(client, org, category_tree):
    root = get_xml(client, "services", jurisdiction_id="330681")
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == ["LAND", "MKT", "MKT-01"]
    assert [child.tag for child in services[0]] == SERVICE_FIELDS
    assert services[1].findtext("metadata") == "true"
    assert services[2].findtext("group") == "市场主体登记"


def test_services_by_a_town_code_are_its_county_services(client, org):
    assert [s["service_code"] for s in get_json(client, "services", jurisdiction_id="330681001")] == [
        "LAND",
        "MKT",
    ]


def test_services_errors(client, org):
    assert_errors_json(get_json(client, "services", 404, jurisdiction_id="999999"), 404)
    assert_errors_xml(get_xml(client, "services", 404, jurisdiction_id="999999"), 404)
    RegionFactory(code="330682", name="另一县")
    # Two counties: which one is meant must be said.
    assert_errors_json(get_json(client, "services", 400), 400)
    assert_errors_xml(get_xml(client, "services", 400), 400)


def test_service_definition_json(client, org):
    body = get_json(client, "services/MKT")
    assert list(body) == ["service_code", "attributes"]
    assert body["service_code"] == "MKT"
    orders = []
    for attribute in body["attributes"]:
        assert list(attribute) == ATTRIBUTE_FIELDS
        assert isinstance(attribute["variable"], bool) and isinstance(attribute["required"], bool)
        assert attribute["datatype"] in DATATYPES
        assert isinstance(attribute["order"], int) and attribute["order"] > 0
        orders.append(attribute["order"])
    assert len(set(orders)) == len(orders)
    matter = next(a for a in body["attributes"] if a["code"] == "MATTER_KIND")
    assert matter["datatype"] == "singlevaluelist"
    assert matter["values"] == [
        {"key": "emergency", "name": "紧急"},
        {"key": "urgent", "name": "急事"},
        {"key": "difficult", "name": "难事"},
        {"key": "novel", "name": "新事"},
    ]


def test_service_definition_xml(client, org):
    root = get_xml(client, "services/MKT")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "MKT"
    attribute = next(a for a in root.findall("attributes/attribute") if a.findtext("code") == "MATTER_KIND")
    assert [child.tag for child in attribute] == ATTRIBUTE_FIELDS
    assert attribute.findtext("variable") == "true"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == [
        "emergency",
        "urgent",
        "difficult",
        "novel",
    ]


def test_service_definition_unknown_is_404(client, org, category_tree):
    assert_errors_json(get_json(client, "services/NOPE", 404), 404)
    assert_errors_xml(get_xml(client, "services/OLD", 404), 404)  # an inactive category is no service


# --- POST requests --------------------------------------------------------------------------------------


def test_post_request_json_takes_the_case_in(client, org):
    integration, key = make_integration(org)
    response = post_request(client, **valid_form(org, key))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    [answer] = response.json()
    assert list(answer) == ["service_request_id", "service_notice", "account_id"]
    case = Case.objects.get(tracking_number=answer["service_request_id"])
    assert answer["account_id"] == "acc-42"
    assert case.channel == Channel.ONLINE
    assert case.window == org.windows["v1"]
    assert case.clerk is None
    assert case.category == org.category
    assert case.matter_kind == "difficult"
    assert case.expectation == "一次办好"
    assert case.title == "营业执照变更多次未办成"
    assert "地点：诸暨市暨阳街道某路1号" in case.description
    assert case.requester.kind == RequesterKind.PERSON
    assert case.requester.name == "张三丰"
    assert case.requester.phone == "13800138000"
    intake = CaseEvent.objects.get(case=case)
    assert intake.kind == EventKind.INTAKE and intake.actor is None
    submission = Open311Submission.objects.get(case=case)
    assert submission.integration == integration
    assert submission.status == SubmissionStatus.REGISTERED
    assert submission.email == "zhang@example.com"
    integration.refresh_from_db()
    assert integration.last_used_at is not None


def test_post_request_xml(client, org):
    _integration, key = make_integration(org)
    response = post_request(
        client, "xml", **valid_form(org, key, lat="29.713", long="120.236", address_string=None)
    )
    assert response.status_code == 200
    root = parse_xml(response.content)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
    case = Case.objects.get(tracking_number=request.findtext("service_request_id"))
    assert "坐标：29.713000, 120.236000" in case.description


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"api_key": None}, 403),
        ({"api_key": "not-a-key"}, 403),
        ({"service_code": None}, 400),
        ({"service_code": "NOPE"}, 404),
        ({"jurisdiction_id": "999999"}, 404),
        ({"jurisdiction_id": "330681002"}, 400),  # not where the integration's window is
        ({"address_string": None}, 400),  # no location at all
        ({"address_string": None, "lat": "29.7"}, 400),  # lat without long
        ({"address_string": None, "lat": "north", "long": "120"}, 400),
        ({"address_string": None, "lat": "95", "long": "120"}, 400),
        ({"first_name": None, "last_name": None}, 400),
        ({"phone": None}, 400),
        ({"phone": "12345"}, 400),
        ({"email": "not-an-email"}, 400),
        ({"media_url": "javascript:alert(1)"}, 400),
        ({"description": None}, 400),
        ({"description": "长" * 4001}, 400),
        ({"attribute[MATTER_KIND]": "boring"}, 400),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_request_errors(client, org, overrides, status, fmt):
    _integration, key = make_integration(org)
    response = post_request(client, fmt, **valid_form(org, key, **overrides))
    assert response.status_code == status
    if fmt == "json":
        assert_errors_json(response.json(), status)
    else:
        assert_errors_xml(parse_xml(response.content), status)
    assert not Case.objects.exists()


def test_an_inactive_integration_is_refused(client, org):
    _integration, key = make_integration(org, active=False)
    response = post_request(client, **valid_form(org, key))
    assert response.status_code == 403


def test_a_json_body_is_refused_with_the_spec_error(client, org):
    _integration, key = make_integration(org)
    response = client.post(
        f"{BASE}/requests.json", json.dumps(valid_form(org, key)), content_type="application/json"
    )
    assert response.status_code == 400
    assert_errors_json(response.json(), 400)


def test_queued_submission_answers_a_token_then_the_request_id(client, org):
    _integration, key = make_integration(org, queue=True)
    response = post_request(client, **valid_form(org, key))
    assert response.status_code == 200
    [answer] = response.json()
    assert list(answer) == ["token", "service_notice", "account_id"]
    token = answer["token"]
    assert not Case.objects.exists()
    submission = Open311Submission.objects.get(token=token)
    assert submission.data["requester"]["phone"] == "13800138000"

    # Not processed yet: the token is known, the request id not yet.
    assert get_json(client, f"tokens/{token}") == [{"service_request_id": None, "token": token}]

    assert open311_services.submissions_process_queued() == 1
    case = Case.objects.get()
    assert case.channel == Channel.ONLINE
    body = get_json(client, f"tokens/{token}")
    assert body == [{"service_request_id": case.tracking_number, "token": token}]
    root = get_xml(client, f"tokens/{token}")
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == ["service_request_id", "token"]
    assert root.findtext("request/service_request_id") == case.tracking_number
    submission.refresh_from_db()
    assert submission.data == {}  # the requester's data lives on the case only
    # Processing again changes nothing.
    assert open311_services.submission_process(submission_id=submission.pk) is None
    assert Case.objects.count() == 1


def test_a_queued_submission_the_intake_refuses_is_reported_on_its_token(client, org):
    _integration, key = make_integration(org, queue=True)
    [answer] = post_request(client, **valid_form(org, key)).json()
    Category.objects.filter(pk=org.category.pk).update(is_active=False)  # deactivated meanwhile
    open311_services.submissions_process_queued()
    assert Open311Submission.objects.get().status == SubmissionStatus.REJECTED
    assert_errors_json(get_json(client, f"tokens/{answer['token']}", 400), 400)


def test_unknown_token_is_404(client, org):
    assert_errors_json(get_json(client, "tokens/nope", 404), 404)
    assert_errors_xml(get_xml(client, "tokens/nope", 404), 404)


# --- GET requests ---------------------------------------------------------------------------------------


def test_get_request_json_fields_and_types(client, org):
    case = drive(org, "in_progress")
    [request] = get_json(client, f"requests/{case.tracking_number}")
    assert list(request) == REQUEST_FIELDS
    assert request["service_request_id"] == case.tracking_number
    assert request["status"] == "open"
    assert request["status_notes"] == "办理中"
    assert request["service_code"] == "MKT"
    assert request["service_name"] == "市场主体登记"
    assert request["agency_responsible"] == "暨阳街道便民服务中心"
    assert request["description"] is None  # not published
    assert is_w3c(request["requested_datetime"]) and is_w3c(request["updated_datetime"])
    assert dt.datetime.fromisoformat(request["expected_datetime"]) == case.due_at
    for withheld in ("address", "address_id", "zipcode", "lat", "long", "media_url"):
        assert request[withheld] is None


def test_get_request_xml(client, org):
    case = drive(org, "closed")
    root = get_xml(client, f"requests/{case.tracking_number}")
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [child.tag for child in request] == REQUEST_FIELDS
    assert request.findtext("status") == "closed"
    assert request.findtext("status_notes") == "已销号"
    assert request.find("expected_datetime") is not None
    assert request.findtext("expected_datetime") == ""  # null: an empty element
    assert is_w3c(request.findtext("updated_datetime"))


def test_get_request_unknown_is_404(client, org):
    assert_errors_json(get_json(client, "requests/330681001001209901019999", 404), 404)
    assert_errors_xml(get_xml(client, "requests/330681001001209901019999", 404), 404)


def test_published_cases_show_their_anonymised_description_only(client, org):
    case = drive(org, "closed")
    other = take_in(org, "v1")
    publish(case, "某企业办理经营范围变更多次未成，经协调一次办结。")
    body = get_json(client, "requests", service_request_id=f"{case.tracking_number},{other.tracking_number}")
    by_id = {r["service_request_id"]: r for r in body}
    assert by_id[case.tracking_number]["description"] == "某企业办理经营范围变更多次未成，经协调一次办结。"
    assert by_id[other.tracking_number]["description"] is None


def test_no_personal_data_in_any_request_answer(client, org):
    cases = [drive(org, "replied"), take_in(org, "v2")]
    for fmt in ("json", "xml"):
        text = client.get(f"{BASE}/requests.{fmt}").content.decode()
        for case in cases:
            # Taken in at village windows: named by their public ids, which do not tell the village.
            assert coarse.public_id(case.tracking_number) in text
            assert case.tracking_number not in text
            requester = case.requester
            for secret in (
                requester.name,
                requester.phone,
                requester.id_number,
                requester.address,
                case.description,
                case.query_code,
            ):
                assert secret not in text


def test_get_requests_filters(client, org):
    old = take_in(org, "v1")
    Case.objects.filter(pk=old.pk).update(taken_in_at=timezone.now() - dt.timedelta(days=120))
    closed = drive(org, "closed")
    open_case = drive(org, "assigned")
    unclassified = take_in(org, "v2")

    def ids(**params):
        # The feed names village cases by public id; each maps back to one tracking number.
        return [
            coarse.tracking_number_of(r["service_request_id"]) or r["service_request_id"]
            for r in get_json(client, "requests", **params)
        ]

    # Default: the last 90 days, newest first.
    assert ids() == [unclassified.tracking_number, open_case.tracking_number, closed.tracking_number]
    assert ids(status="closed") == [closed.tracking_number]
    assert ids(status="open") == [unclassified.tracking_number, open_case.tracking_number]
    assert ids(status="open,closed") == ids()
    assert ids(service_code="MKT") == [open_case.tracking_number, closed.tracking_number]
    assert ids(service_code="LAND,NOPE") == []
    assert ids(jurisdiction_id="330681002") == [unclassified.tracking_number]
    assert ids(jurisdiction_id=coarse_town(unclassified)) == [unclassified.tracking_number]
    # service_request_id overrides every other argument (the old case is outside the default 90 days).
    assert ids(service_request_id=f"{old.tracking_number},{closed.tracking_number}", status="open") == [
        closed.tracking_number,
        old.tracking_number,
    ]
    now = timezone.now()
    start = (now - dt.timedelta(days=130)).isoformat()
    end = (now - dt.timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == [old.tracking_number]
    assert ids(start_date=(now - dt.timedelta(days=130)).isoformat()) == [old.tracking_number]
    assert ids(end_date=(now - dt.timedelta(days=100)).isoformat()) == [old.tracking_number]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"},  # 91 days
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},  # end before start
        {"start_date": "yesterday"},
        {"start_date": "0074-01-01T00:00:00"},  # found by schemathesis: overflowed into a 500
        {"end_date": "9999-12-31T23:59:59+14:00"},
        {
            "start_date": "2999-02-22T09:57:15-20:55"
        },  # found by schemathesis: PostgreSQL refused the offset (500)
        {"status": "pending"},
        {"jurisdiction_id": "999999"},
    ],
)
def test_get_requests_bad_arguments(client, org, params):
    status = 404 if "jurisdiction_id" in params else 400
    assert_errors_json(get_json(client, "requests", status, **params), status)
    assert_errors_xml(get_xml(client, "requests", status, **params), status)


def test_a_90_day_range_is_allowed(client, org):
    assert (
        get_json(client, "requests", start_date="2026-01-01T00:00:00Z", end_date="2026-04-01T00:00:00Z") == []
    )


def coarse_town(case) -> str:
    """The code of the town a case was taken in."""
    return case.region_path.strip("/").split("/")[1]


def test_the_feed_places_a_case_no_finer_than_the_town(client, org, settings):
    """Issue 16: in a small village "a case of this category at this village" identifies a household.
    A village jurisdiction is refused, a village case is named by a public id (found by it, the tracking
    number not derivable), a village committee leading a case is named by its town; the tracking number
    still works for whoever holds it, and OPEN311_PUBLIC_TIER=village shows everything as before."""
    case = drive(org, "assigned")
    village_code = case.region_path.strip("/").split("/")[2]
    assert_errors_json(get_json(client, "requests", 400, jurisdiction_id=village_code), 400)
    assert_errors_json(
        get_json(client, f"requests/{case.tracking_number}", 400, jurisdiction_id=village_code), 400
    )
    [row] = get_json(client, "requests", jurisdiction_id=coarse_town(case))
    public = coarse.public_id(case.tracking_number)
    assert row["service_request_id"] == public and village_code not in str(row)
    assert coarse.tracking_number_of(public) == case.tracking_number
    assert get_json(client, f"requests/{public}")[0]["service_request_id"] == public
    assert (
        get_json(client, f"requests/{case.tracking_number}")[0]["service_request_id"] == case.tracking_number
    )
    other = take_in(org, "v2")
    assert coarse.public_id(other.tracking_number) != public  # one id per case
    assert_errors_json(get_json(client, "requests/x" + "a" * 26, 404), 404)  # not a sealed number
    # A village committee as lead: named by its town.
    village_office = org.dept("v1_committee")
    Case.objects.filter(pk=case.pk).update(lead_department=village_office)
    [row] = get_json(client, f"requests/{public}")
    assert row["agency_responsible"] == f"{village_office.region.parent.name}辖区基层单位"
    settings.OPEN311_PUBLIC_TIER = "village"
    [row] = get_json(client, "requests", jurisdiction_id=village_code)
    assert row["service_request_id"] == case.tracking_number


def test_get_requests_xml_list(client, org):
    cases = [take_in(org, "v1"), take_in(org, "v1")]
    root = get_xml(client, "requests")
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        coarse.public_id(cases[1].tracking_number),
        coarse.public_id(cases[0].tracking_number),
    ]
    assert [child.tag for child in root.find("request")] == REQUEST_FIELDS


def test_get_requests_returns_at_most_the_limit(client, org, monkeypatch):
    monkeypatch.setattr(open311_views, "MAX_RESULTS", 3)
    for _n in range(5):
        take_in(org, "v1")
    assert len(get_json(client, "requests")) == 3


def test_get_requests_costs_two_queries_then_one_while_nothing_changes(
    client, org, django_assert_num_queries, settings
):
    settings.PUBLIC_CACHE_SECONDS = 10**9  # no step of the clock inside the test
    for _n in range(3):
        drive(org, "in_progress")
    # The public version (one query over the logs' newest ids), then the rows: 1,000 rows cost the same.
    with django_assert_num_queries(2):
        assert len(get_json(client, "requests")) == 3
    with django_assert_num_queries(1):
        assert len(get_json(client, "requests")) == 3


# --- Caching and conditional GET ------------------------------------------------------------------------


def test_an_unchanged_answer_is_cached_and_revalidated_with_304(
    client, org, django_assert_num_queries, settings
):
    settings.PUBLIC_CACHE_SECONDS = 10**9  # no step of the clock inside the test
    drive(org, "in_progress")
    first = client.get(f"{BASE}/requests.json")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert first["Cache-Control"] == "public, no-cache"
    with django_assert_num_queries(1):  # the version only: the bytes come from the cache
        again = client.get(f"{BASE}/requests.json")
    assert again.status_code == 200 and again.content == first.content and again["ETag"] == etag
    assert again["Content-Type"] == "application/json; charset=utf-8"
    with django_assert_num_queries(1):
        unchanged = client.get(f"{BASE}/requests.json", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    assert client.get(f"{BASE}/requests.json", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # Another format or another query is another answer.
    xml = client.get(f"{BASE}/requests.xml", HTTP_IF_NONE_MATCH=etag)
    assert xml.status_code == 200 and xml["ETag"] != etag and xml.content.startswith(b"<?xml")
    assert (
        client.get(f"{BASE}/requests.json", {"status": "closed"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    )


def test_every_change_the_public_could_see_gives_a_new_answer(client, org, settings):
    settings.PUBLIC_CACHE_SECONDS = 10**9  # no step of the clock inside the test
    case = drive(org, "in_progress")

    def fetch(path):
        response = client.get(f"{BASE}/{path}.json")
        assert response.status_code == 200
        return response["ETag"], response.json()

    etag, rows = fetch("requests")
    assert [r["status"] for r in rows] == ["open"]
    # A command on the case (a case event) …
    STEPS["resolve"](org, case)
    STEPS["callback"](org, case)
    STEPS["close"](org, case)
    etag2, rows = fetch("requests")
    assert etag2 != etag and [r["status"] for r in rows] == ["closed"]
    # … a publication written in the admin (no event) …
    publish(Case.objects.get(pk=case.pk), "经协调一次办结。")
    etag3, rows = fetch("requests")
    assert etag3 != etag2 and rows[0]["description"] == "经协调一次办结。"
    # … and a renamed category (the configuration history).
    services_etag, services = fetch("services")
    category = Category.objects.filter(code=services[0]["service_code"]).first()
    category.name = "改名后的类别"
    category.save()
    services_etag2, services = fetch("services")
    assert services_etag2 != services_etag
    assert "改名后的类别" in {s["service_name"] for s in services}


def test_errors_are_never_cached(client, org):
    drive(org, "in_progress")
    for _n in range(2):
        response = client.get(f"{BASE}/requests.json", {"status": "pending"})
        assert response.status_code == 400 and "ETag" not in response
    assert client.get(f"{BASE}/requests/NOPE-1.json").status_code == 404
    assert client.get(f"{BASE}/requests/NOPE-1.json").status_code == 404


# --- Protocol -------------------------------------------------------------------------------------------


def test_wrong_method_is_405_in_the_spec_shape(client, org):
    response = client.delete(f"{BASE}/services.json")
    assert response.status_code == 405
    assert_errors_json(response.json(), 405)
    assert "GET" in response["Allow"]


def test_unknown_resources_answer_the_spec_404(client, org):
    response = client.get(f"{BASE}/nothing-here.xml")
    assert response.status_code == 404
    assert_errors_xml(parse_xml(response.content), 404)
    response = client.get(f"{BASE}/services/a%2Fb.json")
    assert response.status_code == 404
    assert_errors_json(response.json(), 404)


def test_the_format_is_the_suffix_whatever_the_accept_header(client, org):
    response = client.get(f"{BASE}/services.xml", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "text/xml; charset=utf-8"


def test_open311_calls_are_rate_limited_per_address(client, org, settings):
    settings.OPEN311_LIMIT_PER_ADDRESS = 3
    statuses = [
        client.get(f"{BASE}/services.json", REMOTE_ADDR="198.51.100.77").status_code for _n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert_errors_json(client.get(f"{BASE}/services.json", REMOTE_ADDR="198.51.100.77").json(), 429)


def test_a_published_writeup_is_the_description_and_the_old_text_the_fallback(client, org):
    from library import services as library_services
    from tests.library.helpers import draft

    case = drive(org, "closed")
    publish(case, "旧的公开说明")
    writeup = draft(
        org, case, problem=f"{case.requester.name}（电话{case.requester.phone}）申请变更经营范围三次被退回。"
    )

    def description():
        body = get_json(client, "requests", service_request_id=case.tracking_number)
        return body[0]["description"]

    assert description() == "旧的公开说明"  # a draft is not public
    library_services.writeup_submit(actor=org["v1_clerk"], writeup_id=writeup.pk)
    library_services.writeup_publish(actor=org["t1_supervisor"], writeup_id=writeup.pk)
    text = description()
    assert text.startswith(writeup.title) and "三次被退回" in text
    assert case.requester.name not in text and case.requester.phone not in text
    library_services.writeup_withdraw(actor=org["t1_supervisor"], writeup_id=writeup.pk, note="撤回")
    assert description() == "旧的公开说明"


def test_the_default_window_moves_on_by_the_clock_without_any_change(client, org, settings):
    # A case taken in 89 days and 23 hours ago is in the default 90-day window, and leaves it by the clock
    # alone: no event, so only the clock's step in the version can show it (PUBLIC_CACHE_SECONDS).
    settings.PUBLIC_CACHE_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(days=89, hours=23), tick=False):
        drive(org, "in_progress")
    with time_machine.travel(start, tick=False):
        first = client.get(f"{BASE}/requests.json")
        assert len(first.json()) == 1
        assert client.get(f"{BASE}/requests.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        later = client.get(f"{BASE}/requests.json", HTTP_IF_NONE_MATCH=first["ETag"])
        assert later.status_code == 200 and later.json() == []
