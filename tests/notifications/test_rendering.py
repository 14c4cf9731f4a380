"""Message templates: every event type renders in both languages; overrides; SMS segment counting."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from notifications.choices import Channel, Language, TemplateCode
from notifications.defaults import DEFAULT_TEMPLATES, REQUIRED_VARIABLES
from notifications.models import MessageTemplate
from notifications.rendering import render_message, sms_encoding, sms_segments
from notifications.services import notification_request

CJK = re.compile(r"[\u4e00-\u9fff]")

# ASCII-only values, so any Chinese in an English rendering would come from the template itself.
CONTEXT = {
    "tracking_number": "330681-20260305-0042",
    "query_code": "K7Q4M2",
    "title": "Business licence",
    "department": "Market Regulation Bureau",
    "deadline": dt.datetime(2026, 3, 12, 9, 30, tzinfo=dt.UTC),  # 17:30 in Asia/Shanghai
    "new_deadline": "2026-03-19 17:30",
    "days": 3,
    "approved": True,
    "reason": "joint review",
    "note": "urgent",
    "reply": "coordinated",
    "result": "done",
    "survey_url": "https://window.example.gov.cn/s/K7Q4M2",
    "year": "2027",
    "horizon": "2026-12-31",
    "days_left": 40,
    "count": 5,
    "region": "Jiyang",
    "action": "opened",
}


def test_every_template_code_has_both_languages_and_declared_variables():
    assert set(DEFAULT_TEMPLATES) == set(TemplateCode.values) == set(REQUIRED_VARIABLES)
    for code, texts in DEFAULT_TEMPLATES.items():
        assert set(texts) == set(Language.values), code


@pytest.mark.django_db
@pytest.mark.parametrize("code", TemplateCode.values)
def test_every_template_renders_in_chinese_and_english(code):
    chinese = render_message(code, Language.ZH_HANS, CONTEXT)
    english = render_message(code, Language.EN, CONTEXT)
    for rendered in (chinese, english):
        assert rendered.subject and rendered.body and rendered.sms
        assert "{{" not in rendered.body + rendered.sms and "{%" not in rendered.body + rendered.sms
        # What the message is about: its case, or (not about a case) the calendar year to import.
        about = "tracking_number" if "tracking_number" in REQUIRED_VARIABLES[code] else "year"
        assert CONTEXT[about] in rendered.subject + rendered.body
        assert CONTEXT[about] in rendered.sms
        assert "\n" not in rendered.subject
    assert CJK.search(chinese.subject) and CJK.search(chinese.body) and CJK.search(chinese.sms)
    assert not CJK.search(english.subject + english.body + english.sms)


@pytest.mark.django_db
def test_event_specific_variables_reach_the_text():
    receipt = render_message(TemplateCode.RECEIPT, "zh-hans", CONTEXT)
    assert "K7Q4M2" in receipt.sms and "查询码" in receipt.sms
    survey = render_message(TemplateCode.SURVEY, "en", CONTEXT)
    assert CONTEXT["survey_url"] in survey.sms and CONTEXT["survey_url"] in survey.body
    # Datetimes are shown in local time (Asia/Shanghai), whatever zone the caller used.
    warning = render_message(TemplateCode.WARNING_RED, "zh-hans", CONTEXT)
    assert "2026-03-12 17:30" in warning.sms
    refused = render_message(TemplateCode.EXTENSION_DECISION, "zh-hans", {**CONTEXT, "approved": False})
    assert "未获批准" in refused.sms and "2026-03-19" not in refused.sms
    assert (
        "Extension refused"
        in render_message(TemplateCode.EXTENSION_DECISION, "en", {**CONTEXT, "approved": False}).subject
    )


@pytest.mark.django_db
def test_unknown_language_falls_back_to_chinese_and_unknown_code_is_refused():
    assert CJK.search(render_message(TemplateCode.URGE, "fr", CONTEXT).sms)
    assert not CJK.search(render_message(TemplateCode.URGE, "en-us", CONTEXT).sms)
    with pytest.raises(ValueError, match="unknown template code"):
        render_message("birthday", "zh-hans", CONTEXT)


@pytest.mark.django_db
def test_an_administrator_override_replaces_the_shipped_text_until_deactivated():
    override = MessageTemplate.objects.create(
        code=TemplateCode.RECEIPT,
        language=Language.ZH_HANS,
        subject="回执 {{ tracking_number }}",
        body="已受理 {{ tracking_number }}",
        sms="【某县政务服务】已受理，编号{{ tracking_number }}，查询码{{ query_code }}。",
    )
    rendered = render_message(TemplateCode.RECEIPT, "zh-hans", CONTEXT)
    assert rendered.sms == "【某县政务服务】已受理，编号330681-20260305-0042，查询码K7Q4M2。"
    # The other language keeps its shipped default.
    assert render_message(TemplateCode.RECEIPT, "en", CONTEXT).sms.startswith("Registered.")
    override.is_active = False
    override.save(update_fields=["is_active"])
    assert render_message(TemplateCode.RECEIPT, "zh-hans", CONTEXT).sms.startswith("您反映的事项已受理")


@pytest.mark.django_db
def test_an_override_with_broken_syntax_is_rejected():
    template = MessageTemplate(
        code=TemplateCode.URGE, language="zh-hans", subject="x", body="{% if %}", sms="y"
    )
    with pytest.raises(ValidationError):
        template.full_clean()


@pytest.mark.django_db
def test_override_templates_cannot_read_files():
    template = MessageTemplate(
        code=TemplateCode.URGE, language="zh-hans", subject="x", body='{% include "base.html" %}', sms="y"
    )
    with pytest.raises(ValidationError, match=r"base\.html"):
        template.full_clean()


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "gsm7", 0),
        ("中" * 70, "ucs2", 1),
        ("中" * 71, "ucs2", 2),
        ("中" * 134, "ucs2", 2),
        ("中" * 135, "ucs2", 3),
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        # One Chinese character turns the whole message into UCS-2.
        ("a" * 69 + "中", "ucs2", 1),
        ("a" * 70 + "中", "ucs2", 2),
        # GSM extension characters take two septets.
        ("{" * 80, "gsm7", 1),
        ("{" * 81, "gsm7", 2),
        # A character outside the BMP is two UTF-16 units.
        ("😀" * 35, "ucs2", 1),
        ("😀" * 36, "ucs2", 2),
        # A backtick is ASCII but not GSM 7-bit.
        ("`" + "a" * 69, "ucs2", 1),
    ],
)
def test_sms_segment_counting(text, encoding, segments):
    assert sms_encoding(text) == encoding
    assert sms_segments(text) == segments


def test_an_escape_sequence_is_not_split_across_parts():
    # 152 plain septets then "{" (2 septets) does not fit in the first 153-septet part.
    text = "a" * 152 + "{" + "a" * 10
    assert sms_segments(text) == 2
    assert sms_segments("a" * 152 + "{" + "a" * 152) == 3


@pytest.mark.django_db
def test_a_long_sms_stores_its_segment_count():
    reply = "经协调，市场监管局已同意为您办理变更登记，请于下周一携带身份证原件和营业执照正副本到县行政服务中心二楼窗口办理。"
    notification = notification_request(
        event_key="case:1:event:9",
        template_code=TemplateCode.REPLY,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        context={"tracking_number": "330681-20260305-0042", "reply": reply},
    )
    assert len(notification.body) > 70
    assert notification.sms_segments == sms_segments(notification.body) == 2
    notification.refresh_from_db()
    assert notification.sms_segments == 2
