"""Chinese text → content words, with jieba (precise mode, its default dictionary; no model download).

A content word has at least two characters, is not a number or punctuation, and is not on the short
stop list below (words every matter brought to the window uses). Latin words are lower-cased. The result is
unique, in first-seen order, at most ``MAX_TERMS`` long: enough for a title and a description.
"""

from __future__ import annotations

import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)


def _words(text: str) -> list[str]:
    """Whitespace-separated words (long vocabularies read better as text than as list literals)."""
    return text.split()


MAX_TERMS = 60

# Words of the genre, not of the matter: they say nothing about which problem a case is.
STOPWORDS = frozenset(
    _words(
        """
    反映 问题 办理 群众 事项 多次 没有 不能 需要 我们 他们 你们 因为 所以 一个 什么 可以 已经 还是 要求 希望
    情况 相关 部门 窗口 办不成 办事 工作人员 目前 现在 一直 至今 仍然 但是 而且 如果 这个 那个 这样 怎么
    为什么 进行 通过 表示 认为 告知 说法 原因 时间 时候 自己 本人 其他 以及 或者 并且 没能 无法 不予 一次
    两次 三次 几次 不一 还有 由于 导致 造成 出现 存在 之后 以后 以前 期间 今年 去年 上午 下午 左右
"""
    )
)

_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z]", re.IGNORECASE)
_NUMBERISH = re.compile(r"^[\d.,:/#%\-]+$")


def terms(text: str) -> list[str]:
    """The content words of ``text`` (see the module docstring)."""
    seen: dict[str, None] = {}
    for token in jieba.lcut(text or ""):
        word = token.strip().lower()
        if len(word) < 2 or word in STOPWORDS or _NUMBERISH.match(word) or not _WORD.search(word):
            continue
        seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def case_text(title: str, description: str) -> str:
    return f"{title or ''}\n{description or ''}"
