"""Message texts shipped in code, one per template code and language; a ``MessageTemplate`` row overrides one.

Texts are Django template source rendered with autoescaping off (they are plain text: the e-mail's HTML part
escapes them again). Dates and datetimes in the context are formatted before rendering (local time,
``YYYY-MM-DD HH:MM``), so a template writes ``{{ deadline }}`` whatever type the caller passed.

These are data, not interface strings: both languages live here (rather than in locale/) so that an
administrator sees and overrides the exact text of each language.

Context variables (``REQUIRED_VARIABLES`` must be present; the others are optional):

- every code about a case: ``tracking_number`` (受理编号); optional ``title`` (short summary of the matter) and ``url``
  (a staff link to the case, shown in the in-app inbox and e-mails)
- receipt: ``query_code``
- assignment: ``department``; optional ``deadline``
- sign_reminder, warning_yellow, warning_red, urge, supervise: ``deadline``; optional ``department``, ``note``
- extension_request: ``department``, ``days``, ``reason``; optional ``deadline`` (the deadline it would move)
- extension_decision: ``approved`` (bool); optional ``new_deadline``, ``reason``
- reply: optional ``reply``;  resolve: optional ``result``
- survey: ``survey_url``
- reopen: optional ``reason``, ``deadline``
- calendar_horizon (not about a case, so no ``tracking_number``): ``year`` (the year(s) to import),
  ``horizon`` (the calendar's last date), ``days_left`` (days until then; 0 or less once passed)
- recurring_problem (``tracking_number`` = the problem's reference): ``count``; optional ``region``, ``kind``
- practice_item (``tracking_number`` = the item's CT- number): ``action``; optional ``department``,
  ``deadline``, ``note``
- practice_due: ``deadline``; optional ``department``, ``note``
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import Language, TemplateCode


@dataclass(frozen=True)
class MessageText:
    """The three texts of one template: subject (e-mail, inbox title), body (e-mail, inbox), SMS."""

    subject: str
    body: str
    sms: str


REQUIRED_VARIABLES: dict[str, tuple[str, ...]] = {
    TemplateCode.RECEIPT: ("tracking_number", "query_code"),
    TemplateCode.ASSIGNMENT: ("tracking_number", "department"),
    TemplateCode.SIGN_REMINDER: ("tracking_number", "deadline"),
    TemplateCode.WARNING_YELLOW: ("tracking_number", "deadline"),
    TemplateCode.WARNING_RED: ("tracking_number", "deadline"),
    TemplateCode.URGE: ("tracking_number", "deadline"),
    TemplateCode.SUPERVISE: ("tracking_number", "deadline"),
    TemplateCode.EXTENSION_REQUEST: ("tracking_number", "department", "days", "reason"),
    TemplateCode.EXTENSION_DECISION: ("tracking_number", "approved"),
    TemplateCode.REPLY: ("tracking_number",),
    TemplateCode.RESOLVE: ("tracking_number",),
    TemplateCode.SURVEY: ("tracking_number", "survey_url"),
    TemplateCode.REOPEN: ("tracking_number",),
    TemplateCode.REROUTE: ("tracking_number",),
    TemplateCode.REVIEW: ("tracking_number", "kind", "deadline"),
    TemplateCode.REVIEW_DECISION: ("tracking_number", "kind", "decision"),
    # Not about a case: the working-day calendar runs out (routing.calendar.horizon).
    TemplateCode.CALENDAR_HORIZON: ("year", "horizon", "days_left"),
    TemplateCode.RECURRING_PROBLEM: ("tracking_number", "count"),
    TemplateCode.PRACTICE_ITEM: ("tracking_number", "action"),
    TemplateCode.PRACTICE_DUE: ("tracking_number", "deadline"),
    TemplateCode.WRITEUP: ("tracking_number", "action"),
}

# A context that satisfies every template, for the admin's preview and validation of overrides.
SAMPLE_CONTEXT: dict[str, object] = {
    "tracking_number": "330681-20260305-0001",
    "query_code": "K7Q4M2",
    "title": "企业开办登记多次未办成",
    "department": "市场监管局",
    "deadline": "2026-03-12 17:30",
    "new_deadline": "2026-03-19 17:30",
    "days": 3,
    "approved": True,
    "reason": "需要多个部门联合会审",
    "note": "请尽快处理",
    "reply": "已协调相关部门，将于本周内办结。",
    "result": "已为您办结营业执照变更登记。",
    "survey_url": "https://window.example.gov.cn/s/K7Q4M2",
    "url": "https://window.example.gov.cn/cases/1/",
    "kind": "不予受理",
    "decision": "纠正",
    "year": "2027",
    "horizon": "2026-12-31",
    "days_left": 40,
    "count": 5,
    "region": "暨阳街道",
    "action": "立项",
}

_ZH = Language.ZH_HANS
_EN = Language.EN

DEFAULT_TEMPLATES: dict[str, dict[str, MessageText]] = {
    TemplateCode.RECURRING_PROBLEM: {
        _ZH: MessageText(
            subject="发现共性问题：{{ title }}",
            body=(
                "{% if region %}{{ region }}{% endif %}近期有{{ count }}件同类事项反复出现"
                "{% if kind %}（{{ kind }}）{% endif %}，请分析原因，必要时立项常态建设。"
                "\n编号：{{ tracking_number }}{% if title %}\n问题：{{ title }}{% endif %}"
            ),
            sms="【共性问题】{{ tracking_number }}：{% if region %}{{ region }}{% endif %}有{{ count }}件同类事项反复出现：{{ title }}。",
        ),
        _EN: MessageText(
            subject="Recurring problem: {{ title }}",
            body=(
                "{{ count }} similar matters came in recently{% if region %} in {{ region }}{% endif %}"
                "{% if kind %} ({{ kind }}){% endif %}. Please look into the cause and open a standing-practice "
                "item where needed.\nReference: {{ tracking_number }}{% if title %}\nProblem: {{ title }}{% endif %}"
            ),
            sms="Recurring problem {{ tracking_number }}{% if region %} in {{ region }}{% endif %}: {{ count }} matters: {{ title }}.",
        ),
    },
    TemplateCode.PRACTICE_ITEM: {
        _ZH: MessageText(
            subject="常态建设事项{{ action }}：{{ tracking_number }}",
            body=(
                "常态建设事项{{ tracking_number }}：{{ action }}。"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if department %}\n责任部门：{{ department }}{% endif %}"
                "{% if deadline %}\n完成时限：{{ deadline }}{% endif %}{% if note %}\n说明：{{ note }}{% endif %}"
            ),
            sms="常态建设事项{{ tracking_number }}：{{ action }}。{% if deadline %}完成时限{{ deadline }}。{% endif %}",
        ),
        _EN: MessageText(
            subject="Standing-practice item {{ tracking_number }}: {{ action }}",
            body=(
                "Standing-practice item {{ tracking_number }}: {{ action }}."
                "{% if title %}\nItem: {{ title }}{% endif %}{% if department %}\nResponsible: {{ department }}{% endif %}"
                "{% if deadline %}\nDue: {{ deadline }}{% endif %}{% if note %}\nNote: {{ note }}{% endif %}"
            ),
            sms="Standing-practice item {{ tracking_number }}: {{ action }}.{% if deadline %} Due {{ deadline }}.{% endif %}",
        ),
    },
    TemplateCode.PRACTICE_DUE: {
        _ZH: MessageText(
            subject="常态建设事项到期提醒：{{ tracking_number }}",
            body=(
                "常态建设事项{{ tracking_number }}的完成时限为{{ deadline }}。{% if note %}{{ note }}{% endif %}"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if department %}\n责任部门：{{ department }}{% endif %}"
            ),
            sms="【常态建设】事项{{ tracking_number }}完成时限{{ deadline }}。{% if note %}{{ note }}{% endif %}",
        ),
        _EN: MessageText(
            subject="Standing-practice item due: {{ tracking_number }}",
            body=(
                "Standing-practice item {{ tracking_number }} is due {{ deadline }}.{% if note %} {{ note }}{% endif %}"
                "{% if title %}\nItem: {{ title }}{% endif %}{% if department %}\nResponsible: {{ department }}{% endif %}"
            ),
            sms="Standing-practice item {{ tracking_number }} due {{ deadline }}.{% if note %} {{ note }}{% endif %}",
        ),
    },
    TemplateCode.WRITEUP: {
        _ZH: MessageText(
            subject="案例{{ action }}：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}的案例：{{ action }}。"
                "{% if title %}\n案例：{{ title }}{% endif %}{% if note %}\n说明：{{ note }}{% endif %}"
            ),
            sms="【案例汇总】事项{{ tracking_number }}的案例：{{ action }}。",
        ),
        _EN: MessageText(
            subject="Case write-up {{ action }}: {{ tracking_number }}",
            body=(
                "The write-up of case {{ tracking_number }}: {{ action }}."
                "{% if title %}\nWrite-up: {{ title }}{% endif %}{% if note %}\nNote: {{ note }}{% endif %}"
            ),
            sms="Write-up of case {{ tracking_number }}: {{ action }}.",
        ),
    },
    TemplateCode.REVIEW: {
        _ZH: MessageText(
            subject="否定答复待审核：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}的否定答复（{{ kind }}）待您审核，请于{{ deadline }}前确认或纠正。"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if reason %}\n理由：{{ reason }}{% endif %}"
            ),
            sms="【否定答复审核】事项{{ tracking_number }}（{{ kind }}）待审核，时限{{ deadline }}。",
        ),
        _EN: MessageText(
            subject="Refusal to review: {{ tracking_number }}",
            body=(
                "A refusal on case {{ tracking_number }} ({{ kind }}) awaits your review: confirm or overturn it "
                "by {{ deadline }}.{% if title %}\nMatter: {{ title }}{% endif %}"
                "{% if reason %}\nReason: {{ reason }}{% endif %}"
            ),
            sms="Refusal review: case {{ tracking_number }} ({{ kind }}) is due for review by {{ deadline }}.",
        ),
    },
    TemplateCode.REVIEW_DECISION: {
        _ZH: MessageText(
            subject="否定答复审核结果（{{ decision }}）：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}的否定答复（{{ kind }}）经督办审核：{{ decision }}。"
                "{% if note %}\n督办意见：{{ note }}{% endif %}{% if deadline %}\n办理时限：{{ deadline }}{% endif %}"
                "{% if title %}\n事项：{{ title }}{% endif %}"
            ),
            sms="事项{{ tracking_number }}的否定答复审核结果：{{ decision }}。{% if note %}意见：{{ note }}{% endif %}",
        ),
        _EN: MessageText(
            subject="Refusal review ({{ decision }}): {{ tracking_number }}",
            body=(
                "The refusal on case {{ tracking_number }} ({{ kind }}) was reviewed: {{ decision }}."
                "{% if note %}\nInstructions: {{ note }}{% endif %}{% if deadline %}\nDeadline: {{ deadline }}{% endif %}"
                "{% if title %}\nMatter: {{ title }}{% endif %}"
            ),
            sms="Refusal review of case {{ tracking_number }}: {{ decision }}.{% if note %} {{ note }}{% endif %}",
        ),
    },
    TemplateCode.RECEIPT: {
        _ZH: MessageText(
            subject="受理回执：{{ tracking_number }}",
            body=(
                "您反映的事项已受理。\n受理编号：{{ tracking_number }}\n查询码：{{ query_code }}\n"
                "请妥善保存，可凭受理编号和查询码查询办理进度。我们将在时限内办结或答复。"
            ),
            sms="您反映的事项已受理，受理编号{{ tracking_number }}，查询码{{ query_code }}，请妥善保存。",
        ),
        _EN: MessageText(
            subject="Receipt: {{ tracking_number }}",
            body=(
                "Your request has been registered.\nTracking number: {{ tracking_number }}\n"
                "Query code: {{ query_code }}\nKeep them to check progress. We will resolve your matter "
                "or reply within the time limit."
            ),
            sms="Registered. Tracking no. {{ tracking_number }}, query code {{ query_code }}. Keep them to check progress.",
        ),
    },
    TemplateCode.ASSIGNMENT: {
        _ZH: MessageText(
            subject="新派单：{{ tracking_number }}",
            body=(
                "{{ department }}收到新派单，请及时签收办理。\n受理编号：{{ tracking_number }}"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if deadline %}\n办理时限：{{ deadline }}{% endif %}"
            ),
            sms="{{ department }}收到新派单{{ tracking_number }}，请及时签收办理。",
        ),
        _EN: MessageText(
            subject="New assignment: {{ tracking_number }}",
            body=(
                "{{ department }} has a new assignment; please sign for it and handle it.\n"
                "Tracking number: {{ tracking_number }}{% if title %}\nMatter: {{ title }}{% endif %}"
                "{% if deadline %}\nDue: {{ deadline }}{% endif %}"
            ),
            sms="{{ department }}: new assignment {{ tracking_number }}. Please sign for it.",
        ),
    },
    TemplateCode.SIGN_REMINDER: {
        _ZH: MessageText(
            subject="签收提醒：{{ tracking_number }}",
            body=(
                "派单{{ tracking_number }}尚未签收，请于{{ deadline }}前签收。"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if note %}\n{{ note }}{% endif %}"
            ),
            sms="派单{{ tracking_number }}尚未签收，请于{{ deadline }}前签收。",
        ),
        _EN: MessageText(
            subject="Please sign for {{ tracking_number }}",
            body=(
                "Assignment {{ tracking_number }} has not been signed for. Please sign for it before "
                "{{ deadline }}.{% if title %}\nMatter: {{ title }}{% endif %}{% if note %}\n{{ note }}{% endif %}"
            ),
            sms="Assignment {{ tracking_number }} not signed for yet. Please sign before {{ deadline }}.",
        ),
    },
    TemplateCode.WARNING_YELLOW: {
        _ZH: MessageText(
            subject="黄灯预警：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}即将到期，办理时限为{{ deadline }}，请抓紧办理。"
                "{% if title %}\n事项：{{ title }}{% endif %}"
            ),
            sms="【黄灯预警】事项{{ tracking_number }}将于{{ deadline }}到期，请抓紧办理。",
        ),
        _EN: MessageText(
            subject="Yellow warning: {{ tracking_number }}",
            body=(
                "Case {{ tracking_number }} is close to its deadline ({{ deadline }}). Please act now."
                "{% if title %}\nMatter: {{ title }}{% endif %}"
            ),
            sms="Yellow warning: case {{ tracking_number }} is due {{ deadline }}.",
        ),
    },
    TemplateCode.WARNING_RED: {
        _ZH: MessageText(
            subject="红灯超期：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}已超过办理时限（{{ deadline }}），请立即办理并说明原因。"
                "{% if title %}\n事项：{{ title }}{% endif %}"
            ),
            sms="【红灯超期】事项{{ tracking_number }}已超过时限{{ deadline }}，请立即办理。",
        ),
        _EN: MessageText(
            subject="Red warning: {{ tracking_number }} is overdue",
            body=(
                "Case {{ tracking_number }} passed its deadline ({{ deadline }}). Please handle it now and "
                "explain the delay.{% if title %}\nMatter: {{ title }}{% endif %}"
            ),
            sms="Red warning: case {{ tracking_number }} is overdue since {{ deadline }}.",
        ),
    },
    TemplateCode.URGE: {
        _ZH: MessageText(
            subject="催办：{{ tracking_number }}",
            body=(
                "请加快办理事项{{ tracking_number }}，办理时限为{{ deadline }}。"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if note %}\n催办意见：{{ note }}{% endif %}"
            ),
            sms="【催办】请加快办理事项{{ tracking_number }}，时限{{ deadline }}。",
        ),
        _EN: MessageText(
            subject="Reminder: {{ tracking_number }}",
            body=(
                "Please speed up case {{ tracking_number }}; it is due {{ deadline }}."
                "{% if title %}\nMatter: {{ title }}{% endif %}{% if note %}\nNote: {{ note }}{% endif %}"
            ),
            sms="Reminder: please speed up case {{ tracking_number }}, due {{ deadline }}.",
        ),
    },
    TemplateCode.SUPERVISE: {
        _ZH: MessageText(
            subject="督办通知：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}已列入督办，请于{{ deadline }}前办结并报送办理情况。"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if note %}\n督办意见：{{ note }}{% endif %}"
            ),
            sms="【督办】事项{{ tracking_number }}已列入督办，请于{{ deadline }}前办结并报送情况。",
        ),
        _EN: MessageText(
            subject="Supervision order: {{ tracking_number }}",
            body=(
                "Case {{ tracking_number }} is under a supervision order. Resolve it and report by "
                "{{ deadline }}.{% if title %}\nMatter: {{ title }}{% endif %}"
                "{% if note %}\nInstructions: {{ note }}{% endif %}"
            ),
            sms="Supervision order: resolve case {{ tracking_number }} and report by {{ deadline }}.",
        ),
    },
    TemplateCode.EXTENSION_REQUEST: {
        _ZH: MessageText(
            subject="延期申请待审批：{{ tracking_number }}",
            body=(
                "{{ department }}申请将事项{{ tracking_number }}的办理时限延长{{ days }}个工作日，请及时审批。"
                "{% if title %}\n事项：{{ title }}{% endif %}{% if deadline %}\n原时限：{{ deadline }}{% endif %}"
                "\n申请理由：{{ reason }}"
            ),
            sms="{{ department }}申请事项{{ tracking_number }}延期{{ days }}个工作日，请及时审批。",
        ),
        _EN: MessageText(
            subject="Extension request to decide: {{ tracking_number }}",
            body=(
                "{{ department }} asks to extend the deadline of case {{ tracking_number }} by {{ days }} "
                "working day(s). Please decide.{% if title %}\nMatter: {{ title }}{% endif %}"
                "{% if deadline %}\nCurrent deadline: {{ deadline }}{% endif %}\nReason: {{ reason }}"
            ),
            sms="{{ department }} asks for {{ days }} more working day(s) on case {{ tracking_number }}. Please decide.",
        ),
    },
    TemplateCode.EXTENSION_DECISION: {
        _ZH: MessageText(
            subject="延期申请{% if approved %}已批准{% else %}未批准{% endif %}：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}的延期申请{% if approved %}已批准"
                "{% if new_deadline %}，新的办理时限为{{ new_deadline }}{% endif %}{% else %}未获批准，"
                "请按原时限办理{% endif %}。{% if reason %}\n理由：{{ reason }}{% endif %}"
            ),
            sms=(
                "事项{{ tracking_number }}的延期申请{% if approved %}已批准"
                "{% if new_deadline %}，新时限{{ new_deadline }}{% endif %}{% else %}未获批准{% endif %}。"
            ),
        ),
        _EN: MessageText(
            subject="Extension {% if approved %}approved{% else %}refused{% endif %}: {{ tracking_number }}",
            body=(
                "The extension for case {{ tracking_number }} was {% if approved %}approved"
                "{% if new_deadline %}; the new deadline is {{ new_deadline }}{% endif %}{% else %}refused; "
                "the original deadline stands{% endif %}.{% if reason %}\nReason: {{ reason }}{% endif %}"
            ),
            sms=(
                "Extension for case {{ tracking_number }} {% if approved %}approved"
                "{% if new_deadline %}, new deadline {{ new_deadline }}{% endif %}{% else %}refused{% endif %}."
            ),
        ),
    },
    TemplateCode.REPLY: {
        _ZH: MessageText(
            subject="答复：{{ tracking_number }}",
            body=(
                "您反映的事项（受理编号{{ tracking_number }}）已有答复。"
                "{% if reply %}\n{{ reply }}{% endif %}\n可凭受理编号和查询码查看详情。"
            ),
            sms="您反映的事项{{ tracking_number }}已有答复{% if reply %}：{{ reply }}{% else %}，请凭查询码查看。{% endif %}",
        ),
        _EN: MessageText(
            subject="Reply to {{ tracking_number }}",
            body=(
                "There is a reply to your request {{ tracking_number }}.{% if reply %}\n{{ reply }}{% endif %}\n"
                "Use your tracking number and query code to see the details."
            ),
            sms="Reply to your request {{ tracking_number }}{% if reply %}: {{ reply }}{% else %}. Use your query code to read it.{% endif %}",
        ),
    },
    TemplateCode.RESOLVE: {
        _ZH: MessageText(
            subject="办结：{{ tracking_number }}",
            body=(
                "您反映的事项（受理编号{{ tracking_number }}）已办结。{% if result %}\n办理结果：{{ result }}"
                "{% endif %}\n感谢您的反映。"
            ),
            sms="您反映的事项{{ tracking_number }}已办结{% if result %}：{{ result }}{% else %}，感谢您的反映。{% endif %}",
        ),
        _EN: MessageText(
            subject="Resolved: {{ tracking_number }}",
            body=(
                "Your request {{ tracking_number }} has been resolved.{% if result %}\nResult: {{ result }}"
                "{% endif %}\nThank you for telling us."
            ),
            sms="Your request {{ tracking_number }} is resolved{% if result %}: {{ result }}{% else %}. Thank you.{% endif %}",
        ),
    },
    TemplateCode.SURVEY: {
        _ZH: MessageText(
            subject="满意度回访：{{ tracking_number }}",
            body=(
                "您反映的事项（受理编号{{ tracking_number }}）已办结，请对办理情况进行评价：\n{{ survey_url }}\n"
                "您的评价将帮助我们改进服务。"
            ),
            sms="事项{{ tracking_number }}已办结，请评价办理情况：{{ survey_url }}",
        ),
        _EN: MessageText(
            subject="How did we do? {{ tracking_number }}",
            body=(
                "Your request {{ tracking_number }} has been resolved. Please rate how it was handled:\n"
                "{{ survey_url }}\nYour answer helps us improve."
            ),
            sms="Request {{ tracking_number }} resolved. Please rate us: {{ survey_url }}",
        ),
    },
    TemplateCode.REOPEN: {
        _ZH: MessageText(
            subject="重办：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}已退回重办，请重新办理。{% if reason %}\n原因：{{ reason }}{% endif %}"
                "{% if deadline %}\n办理时限：{{ deadline }}{% endif %}"
            ),
            sms="事项{{ tracking_number }}已退回重办{% if deadline %}，时限{{ deadline }}{% endif %}，请重新办理。",
        ),
        _EN: MessageText(
            subject="Reopened: {{ tracking_number }}",
            body=(
                "Case {{ tracking_number }} has been reopened; please handle it again."
                "{% if reason %}\nReason: {{ reason }}{% endif %}{% if deadline %}\nDue: {{ deadline }}{% endif %}"
            ),
            sms="Case {{ tracking_number }} reopened{% if deadline %}, due {{ deadline }}{% endif %}. Please handle it again.",
        ),
    },
    TemplateCode.REROUTE: {
        _ZH: MessageText(
            subject="退回待派单：{{ tracking_number }}",
            body=(
                "事项{{ tracking_number }}已由承办部门退回，请重新派单或协调。{% if reason %}\n退回理由：{{ reason }}{% endif %}"
                "{% if deadline %}\n办理时限：{{ deadline }}{% endif %}"
            ),
            sms="事项{{ tracking_number }}已由承办部门退回，请重新派单或协调。",
        ),
        _EN: MessageText(
            subject="Returned for routing: {{ tracking_number }}",
            body=(
                "Case {{ tracking_number }} came back from the handling department; please route or coordinate it again."
                "{% if reason %}\nReason given: {{ reason }}{% endif %}{% if deadline %}\nDue: {{ deadline }}{% endif %}"
            ),
            sms="Case {{ tracking_number }} came back from the department. Please route it again.",
        ),
    },
    TemplateCode.CALENDAR_HORIZON: {
        _ZH: MessageText(
            subject="工作日历待导入：请导入 {{ year }} 年节假日安排",
            body=(
                "工作日历只到 {{ horizon }}{% if days_left > 0 %}（还有 {{ days_left }} 天）{% endif %}。"
                "请在国务院办公厅公布 {{ year }} 年节假日安排后，用 manage.py import_calendar 导入。\n"
                "导入之前，之后日期的时限按周末和法定节假日推算（不含调休上班），标为“时限待确认”；"
                "导入后自动重新计算。"
            ),
            sms="工作日历只到{{ horizon }}，请导入{{ year }}年节假日安排。",
        ),
        _EN: MessageText(
            subject="Working-day calendar: import the {{ year }} holiday schedule",
            body=(
                "The working-day calendar ends on {{ horizon }}{% if days_left > 0 %} ({{ days_left }} days left)"
                "{% endif %}. Once the State Council publishes the {{ year }} holiday schedule, import it with "
                "manage.py import_calendar.\nUntil then, deadlines after that date count weekends and "
                "statutory holidays only (no make-up working days) and are marked provisional; they are "
                "recomputed on import."
            ),
            sms="The working-day calendar ends on {{ horizon }}: import the {{ year }} holiday schedule.",
        ),
    },
}
