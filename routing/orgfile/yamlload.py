"""YAML loading for organisation files: line numbers on every mapping and list, strings for every scalar.

Invariants:
- Every mapping is a ``LineDict`` and every sequence a ``LineList``, so any error found later can name the
  1-based line of the item or key it is about.
- Scalars are strings, ``true``/``false`` and ``null`` only: codes such as ``330681`` or opening hours such
  as ``8:30`` never turn into numbers (YAML 1.1 would read ``8:30`` as 510).
- A duplicate key is an error, not a silent overwrite; a syntax error becomes one ``OrgError`` with the line
  where PyYAML noticed it (and where the unclosed construct began, when that is elsewhere).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.utils.translation import gettext as _

from .specs import OrgError


class LineDict(dict):
    """A YAML mapping that remembers its own line and the line of each of its keys."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int = 0
    item_lines: list


class _OrgLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers, reports duplicate keys and only resolves null and booleans."""

    # Our own resolver table (not a copy of SafeLoader's): only null and true/false are implicit.
    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicate_keys: list[OrgError] = []


def _construct_mapping(loader: _OrgLoader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(None, None, _("键必须是文本"), key_node.start_mark)
        if key in result:
            loader.duplicate_keys.append(
                OrgError(
                    key_line,
                    "duplicate_key",
                    _("键“%(key)s”重复（第 %(first)s 行已有）。")
                    % {"key": key, "first": result.key_lines[key]},
                )
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_line
    return result


def _construct_sequence(loader: _OrgLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_OrgLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_OrgLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_OrgLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_OrgLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def load_yaml(text: str) -> tuple[Any, list[OrgError]]:
    """The document and the duplicate-key errors; on a syntax error ``None`` and that one error."""
    loader = _OrgLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = _("YAML 格式错误：%(problem)s") % {"problem": getattr(exc, "problem", None) or str(exc)}
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark.line + 1 != line:
            # PyYAML notices an unclosed bracket or quote lines later; say where it began.
            message += _("（%(context)s，始于第 %(line)s 行）") % {
                "context": context,
                "line": context_mark.line + 1,
            }
        return None, [OrgError(line, "yaml", message)]
    finally:
        loader.dispose()
    return data, loader.duplicate_keys
