"""The anonymiser: none of the requester's name, phone, id number, credit code or address survives in the
public text, however it is written inside the free text (Hypothesis generates the texts and the forms)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.choices import RequesterKind
from library.anonymise import ENTERPRISE, HIDDEN, PersonalData, anonymise
from tests.factories import make_credit_code, make_id_number

FILLER = [
    "申请人",
    "多次到窗口",
    "反映",
    "营业执照变更",
    "被退回",
    "经协调",
    "一次办结",
    "，",
    "。",
    "联系方式",
    "地址",
    "身份证号",
    "现住",
    "电话",
    " ",
]
SURNAMES = "张王李赵刘陈杨黄周吴"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
FULLWIDTH = str.maketrans("0123456789X+", "０１２３４５６７８９Ｘ＋")


def _spaced(value: str, rng: random.Random) -> str:
    return "".join(c + (" " if rng.random() < 0.3 else "") for c in value).strip()


def phone_forms(phone: str, rng: random.Random) -> list[str]:
    groups = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    return [
        phone,
        groups,
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"+86 {groups}",
        f"+86{phone}",
        f"0086-{phone}",
        f"86{phone}",
        phone.translate(FULLWIDTH),
        f"＋86 {groups}".translate(FULLWIDTH),
        f"({phone[:3]}){phone[3:]}",
    ]


def id_forms(value: str) -> list[str]:
    return [
        value,
        value.lower(),
        f"{value[:6]} {value[6:14]} {value[14:]}",
        value.translate(FULLWIDTH),
        f"{value[:6]}-{value[6:14]}-{value[14:]}",
    ]


@st.composite
def person_case(draw):
    rng = random.Random(draw(st.integers(0, 2**32)))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    phone = rng.choice("3456789") and f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    id_number = make_id_number(
        rng, birth=f"19{rng.randrange(50, 99)}0{rng.randrange(1, 9)}1{rng.randrange(0, 9)}"
    )
    address = f"诸暨市{rng.choice(['暨阳', '浣东', '陶朱'])}街道{rng.choice(['人民', '解放', '新华'])}路{rng.randrange(1, 300)}号"
    data = PersonalData(
        kind=RequesterKind.PERSON, name=name, phone=phone, id_number=id_number, address=address
    )
    pieces = [
        _spaced(name, rng),
        rng.choice(phone_forms(phone, rng)),
        rng.choice(id_forms(id_number)),
        address,
    ]
    pieces += [
        rng.choice(phone_forms(f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}", rng))
    ]  # someone else's phone
    words = [rng.choice(FILLER) for _ in range(rng.randrange(5, 20))]
    for piece in pieces:
        words.insert(rng.randrange(len(words) + 1), piece)
    return data, "".join(words)


def _digits(text: str) -> str:
    return "".join(c for c in text.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}) if c.isdigit())


def assert_clean(public: str, data: PersonalData) -> None:
    compact = public.replace(" ", "").replace("\u3000", "")
    for value in (data.name, data.address, data.contact_name):
        if value:
            assert value not in compact, (value, public)
    for number in (data.phone, data.id_number[:17], data.credit_code[2:17]):
        if number:
            assert number not in _digits(public).upper() and number not in compact.upper(), (number, public)


@settings(max_examples=200, deadline=None)
@given(person_case())
def test_no_personal_data_of_a_person_survives(case):
    data, text = case
    public = anonymise(text, data)
    assert_clean(public, data)
    assert HIDDEN in public


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32), st.booleans())
def test_enterprise_name_only_with_consent(seed, consent):
    rng = random.Random(seed)
    code = make_credit_code(rng)
    data = PersonalData(
        kind=RequesterKind.ENTERPRISE,
        name="诸暨市某某机械有限公司",
        contact_name="李四",
        phone=f"0575-8{rng.randrange(10**6, 10**7)}",
        credit_code=code,
        address="诸暨市经济开发区",
        enterprise_consent=consent,
    )
    forms = [code, code.lower(), f"{code[:6]} {code[6:]}", code.translate(FULLWIDTH)]
    text = (
        f"诸暨市某某机械有限公司（统一社会信用代码{rng.choice(forms)}）联系人李 四，"
        f"电话{data.phone}或+86 575 {data.phone[5:9]} {data.phone[9:]}，位于诸暨市经济开发区。"
    )
    public = anonymise(text, data)
    assert ("诸暨市某某机械有限公司" in public) is consent
    assert (ENTERPRISE in public) is not consent
    assert "李四" not in public.replace(" ", "")
    assert code[2:] not in public.upper().replace(" ", "")
    assert data.phone[5:] not in _digits(public)
    assert "经济开发区" not in public


@pytest.mark.parametrize(
    "text",
    ["2023年5月花费15000元，面积120.5平方米", "编号2024-001，办了3 4次", "第12345号文件"],
)
def test_ordinary_numbers_stay(text):
    assert anonymise(text, PersonalData(name="张三丰")) == text
