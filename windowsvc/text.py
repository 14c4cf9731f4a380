"""Chinese text → words: the one place the apps segment text (jieba, its default dictionary, no model
download), used by the case library's search (``library.search``) and the recurring-problem detector
(``practice.text``).

``words(text, search=…)`` lower-cases, keeps word characters only, and drops stop words (below: words every
matter brought to the window uses, which say nothing about which matter it is), single characters and bare
numbers. ``search=True`` is jieba's search mode, which also yields the parts of long words (``营业执照`` →
``营业``, ``执照``, ``营业执照``) so a query finds the whole word and its parts; the default is the precise
mode, one reading of the text.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

jieba.setLogLevel(logging.WARNING)

STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "被",
        "把",
        "将",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "有",
        "无",
        "也",
        "都",
        "就",
        "还",
        "又",
        "不",
        "未",
        "没",
        "没有",
        "一直",
        "一个",
        "已",
        "已经",
        "对",
        "为",
        "向",
        "从",
        "到",
        "等",
        "要",
        "想",
        "说",
        "能",
        "可以",
        "可",
        "但",
        "但是",
        "而",
        "因为",
        "所以",
        "如何",
        "怎么",
        "什么",
        "哪里",
        "情况",
        "问题",
        "事项",
        "事情",
        "办理",
        "反映",
        "要求",
        "希望",
        "请求",
        "申请人",
        "群众",
        "本人",
        "目前",
        "现在",
        "之后",
        "之前",
        "后来",
        "多次",
        "几次",
        "一次",
        "or",
        "and",
        "not",
        "不能",
        "需要",
        "还是",
        "相关",
        "部门",
        "窗口",
        "办不成",
        "办事",
        "工作人员",
        "至今",
        "仍然",
        "而且",
        "如果",
        "这样",
        "为什么",
        "进行",
        "通过",
        "表示",
        "认为",
        "告知",
        "说法",
        "原因",
        "时间",
        "时候",
        "自己",
        "其他",
        "以及",
        "或者",
        "并且",
        "没能",
        "无法",
        "不予",
        "两次",
        "三次",
        "不一",
        "还有",
        "由于",
        "导致",
        "造成",
        "出现",
        "存在",
        "以后",
        "以前",
        "期间",
        "今年",
        "去年",
        "上午",
        "下午",
        "左右",
    ]
)

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+")
_lock = threading.Lock()
_ready = False


def _load() -> None:
    # jieba builds its prefix dictionary on first use (~0.5 s): once per process, under a lock so that two
    # threads do not both build it.
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.initialize()
                _ready = True


def words(text: str, *, search: bool = False) -> list[str]:
    """The words of ``text`` in order, repeats kept (see the module docstring)."""
    if not text:
        return []
    _load()
    result = []
    for raw in jieba.cut_for_search(text) if search else jieba.cut(text):
        word = raw.strip().lower()
        if len(word) < 2 or word in STOP_WORDS or not _WORD.fullmatch(word) or _NUMBER.fullmatch(word):
            continue
        result.append(word)
    return result
