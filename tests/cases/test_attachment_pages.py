"""Attachments on the case page: upload (the API's checks), list, view with the case's scoping, and
evidence offered to 办结."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases.page_helpers import routed_case

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, case, *, name="证明.pdf", content=PDF, content_type="application/pdf"):
    return client.post(
        f"/cases/{case.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


def test_upload_list_view_and_scoping(client, org, media):
    case = routed_case(org, lead="market", assisting=("land",))
    client.force_login(org["market_handler"])
    response = upload(client, case)
    assert "已上传附件 证明.pdf" in response.content.decode()
    attachment = case.attachments.get()
    assert f"/cases/{case.pk}/attachments/{attachment.pk}/" in response.content.decode()
    # The assisting department sees the case, so it may view the file.
    client.force_login(org["land_handler"])
    response = client.get(f"/cases/{case.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    # A department that never had the case: 404, like a missing file.
    client.force_login(org["housing_handler"])
    assert client.get(f"/cases/{case.pk}/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/attachments/", {}).status_code == 404
    # Another case's id with this attachment id: 404 too.
    other = routed_case(org, lead="market")
    client.force_login(org["market_handler"])
    assert client.get(f"/cases/{other.pk}/attachments/{attachment.pk}/").status_code == 404


def test_upload_is_checked_as_in_the_api(client, org, media, settings):
    case = routed_case(org, lead="market")
    client.force_login(org["market_handler"])
    response = upload(client, case, name="x.html", content=b"<script>", content_type="text/html")
    assert "不支持的文件类型" in response.content.decode()
    response = upload(client, case, name="fake.pdf", content=b"MZ not a pdf")
    assert "文件内容与声明的类型不符" in response.content.decode()
    settings.CASE_ATTACHMENT_MAX_BYTES = 10
    response = upload(client, case)
    assert "文件不能超过" in response.content.decode()
    assert not case.attachments.exists()


def test_uploaded_evidence_is_offered_to_resolve(client, org, media):
    case = routed_case(org, lead="market")
    from cases import services

    services.assignment_accept(actor=org["market_handler"], case_id=case.pk)
    client.force_login(org["market_handler"])
    response = upload(client, case)
    assert "已上传附件" in response.content.decode()
    html = client.get(f"/cases/{case.pk}/actions/resolve/").content.decode()
    assert "证明.pdf" in html and 'name="resolve-evidence"' in html


def test_evidence_can_be_attached_to_close(client, org, media):
    from cases import services
    from cases.choices import CaseStatus, EventKind, Satisfaction
    from tests.cases.states import drive

    case = drive(org, CaseStatus.RESOLVED)
    services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED)
    client.force_login(org["v1_clerk"])
    upload(client, case, name="回访记录.pdf")
    attachment = case.attachments.get()
    html = client.get(f"/cases/{case.pk}/actions/close/").content.decode()
    assert "回访记录.pdf" in html and 'name="close-evidence"' in html
    other = routed_case(org, lead="market")
    with pytest.raises(Exception, match="证明材料应为本案的附件"):
        services.case_close(actor=org["v1_clerk"], case_id=case.pk, evidence=[attachment.pk + 1000])
    response = client.post(
        f"/cases/{case.pk}/actions/close/",
        {"close-evidence": [attachment.pk], "close-expected_version": case.events.count()},
        follow=True,
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    event = case.events.get(kind=EventKind.CLOSE)
    assert event.payload["evidence"] == [attachment.pk]
    assert other.status != CaseStatus.CLOSED
