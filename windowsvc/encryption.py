"""Personal numbers encrypted at rest, with a keyed blind index for exact search (docs/SECURITY.md).

Two model fields and the batch work on their columns:

- ``EncryptedCharField``: django-fernet-encrypted-fields' field (Fernet: AES-128-CBC + HMAC-SHA256, a fresh
  IV per value), keyed by ``settings.FIELD_ENCRYPTION_KEYS`` (Fernet keys, newest first). ``MultiFernet``
  encrypts with the first key and decrypts with any, so a new key can be put in front before the old rows
  are re-encrypted (``manage.py rotate_personal_keys``). An empty value is stored as NULL and read as "".
- ``BlindIndexField``: HMAC-SHA256 of the normalised value of its ``source`` field under
  ``settings.BLIND_INDEX_KEYS[0]`` (a key of its own, never an encryption key), filled on every save. Exact
  lookups filter on it (``digests``: the digest under every configured key, so rows indexed under the
  previous key still match while the column is recomputed). An empty value has the empty index.

Invariants
- The database never holds a clear id number or credit code: the encrypted column holds Fernet tokens or
  NULL, the index column hex digests or ``""``.
- An encrypted column cannot be filtered on (the ciphertext is random): a lookup other than ``isnull`` raises
  ``FieldError`` naming the index to use instead, so a forgotten lookup fails loudly instead of matching
  nothing.
- The keys are read from settings on each use (one ``MultiFernet`` per key list), so ``override_settings``
  and a deploy with a new list take effect without restarting a cached field.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models, transaction

# The library ships no type information (no py.typed); its field is typed as Any here.
from encrypted_fields.fields import (  # type: ignore[import-untyped]
    EncryptedCharField as _LibraryEncryptedCharField,
)

__all__ = [
    "BlindIndexField",
    "EncryptedCharField",
    "EncryptedColumn",
    "InvalidToken",
    "TableResult",
    "blind_index",
    "decrypt",
    "decrypt_table",
    "encrypt",
    "encrypt_table",
    "encrypted_tables",
]


# --- Keys -------------------------------------------------------------------------------------------


def fernet_keys() -> tuple[str, ...]:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise FieldError("FIELD_ENCRYPTION_KEYS is empty: personal numbers cannot be encrypted.")
    return keys


def blind_index_keys() -> tuple[str, ...]:
    keys = tuple(settings.BLIND_INDEX_KEYS)
    if not keys:
        raise FieldError("BLIND_INDEX_KEYS is empty: personal numbers cannot be indexed.")
    return keys


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


@lru_cache(maxsize=8)
def _newest_fernet(key: str) -> Fernet:
    return Fernet(key)


def encrypt(value: str) -> str:
    """A Fernet token of ``value`` under the newest key."""
    return _multi_fernet(fernet_keys()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear text of a token made under any configured key; ``InvalidToken`` if none fits."""
    return _multi_fernet(fernet_keys()).decrypt(token.encode()).decode()


def _open(token: str) -> tuple[str, bool]:
    """The clear text of ``token`` and whether it was made under the newest key; ``InvalidToken`` if no
    configured key fits."""
    keys = fernet_keys()
    try:
        return _newest_fernet(keys[0]).decrypt(token.encode()).decode(), True
    except InvalidToken:
        return _multi_fernet(keys).decrypt(token.encode()).decode(), False


def blind_index(value: str, *, purpose: str, key: str | None = None) -> str:
    """HMAC-SHA256 (hex) of ``purpose:value`` under ``key`` (default: the newest blind-index key).

    ``value`` must already be normalised; ``purpose`` (the source field's name) keeps an id number and a
    credit code that happen to be spelt alike apart. The empty value indexes as ``""``.
    """
    if not value:
        return ""
    secret = (key if key is not None else blind_index_keys()[0]).encode()
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


# --- Fields -----------------------------------------------------------------------------------------

if TYPE_CHECKING:  # django-stubs makes CharField generic; at run time it is not subscriptable
    _CharField = models.CharField[str, str]
else:
    _CharField = models.CharField


class EncryptedCharField(_LibraryEncryptedCharField):  # type: ignore[misc]  # an untyped (Any) base
    """The library's encrypted text column, keyed by ``FIELD_ENCRYPTION_KEYS`` (see the module docstring).

    Two departures from the library, both about keys and threads, none about the cipher:
    - The library derives its keys from ``SECRET_KEY`` and ``SALT_KEY`` with PBKDF2; ours are random Fernet
      keys of their own, so rotating ``SECRET_KEY`` (sessions, signed links) never makes a personal number
      unreadable, and rotating these keys never logs anyone out.
    - The library's ``clean`` marks the shared field object while it validates, which a second thread
      reading rows at that moment would see (and skip decryption); ours validates the clear value as is.
    """

    @property  # the library's cached_property, made live (keys may change)
    def keys(self) -> list[bytes]:
        return [key.encode() for key in fernet_keys()]

    @property  # likewise
    def f(self) -> MultiFernet:
        return _multi_fernet(fernet_keys())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # NULL (how the library stores an empty value) reads as "", a plain CharField's empty value.
        return "" if value is None else super().from_db_value(value, expression, connection)

    def clean(self, value: Any, model_instance: Any) -> Any:
        return models.CharField.clean(self, value, model_instance)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.name} is encrypted and cannot be filtered with '{lookup_name}'; "
                f"filter on its blind index ({self.name}_index, BlindIndexField.digests)."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(f"{self.name} is encrypted: no '{lookup_name}' on it.")


class BlindIndexField(_CharField):
    """The keyed digest of another field's normalised value, computed on every save (and bulk create).

    ``source`` names the clear field (also the digest's purpose); ``normalize`` gives its stored form,
    the same function lookups use on what a user typed.
    """

    def __init__(
        self,
        *args: Any,
        source: str,
        normalize: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normalize = normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normalize is not None:
            kwargs["normalize"] = self.normalize
        return name, path, args, kwargs

    def _normal(self, value: str | None) -> str:
        value = value or ""
        return self.normalize(value) if self.normalize else value

    def digest(self, value: str | None) -> str:
        """The index of ``value`` under the newest key (what a save writes)."""
        return blind_index(self._normal(value), purpose=self.source)

    def digests(self, value: str | None) -> list[str]:
        """The index of ``value`` under every configured key: what a lookup matches (``__in``)."""
        normal = self._normal(value)
        if not normal:
            return []
        return [blind_index(normal, purpose=self.source, key=key) for key in blind_index_keys()]

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.digest(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


# --- Whole tables: the data migration, key rotation and its check ------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    """An encrypted column, its blind-index column, and the normaliser of its clear values."""

    column: str
    index: str
    normalize: Callable[[str], str]
    purpose: str = ""  # the blind index's purpose: the field's name (default: the column's)


def encrypted_tables() -> list[tuple[type[models.Model], list[EncryptedColumn]]]:
    """Every installed model with encrypted columns, each column with its blind index (what key rotation
    walks). An encrypted field needs a ``BlindIndexField`` whose ``source`` it is."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        indexes = {f.source: f for f in fields if isinstance(f, BlindIndexField)}
        columns = []
        for f in fields:
            if isinstance(f, EncryptedCharField):
                index = indexes.get(f.name)
                if index is None:
                    raise FieldError(f"{model._meta.label}.{f.name} is encrypted but has no BlindIndexField")
                columns.append(EncryptedColumn(f.column, index.column, index.normalize or str.strip, f.name))
        if columns:
            found.append((model, columns))
    return found


@dataclass
class TableResult:
    rows: int = 0
    changed: int = 0
    stale: int = 0  # --verify: rows not yet under the newest keys
    unreadable: list[int] | None = None


def _batches(
    connection: Any, table: str, columns: Sequence[str], batch_size: int
) -> Iterable[list[tuple[Any, ...]]]:
    """Rows (pk first) in primary-key order, ``batch_size`` at a time (keyset pagination: constant cost per
    batch however large the table)."""
    qn = connection.ops.quote_name
    select = ", ".join(qn(c) for c in ("id", *columns))
    sql = f"SELECT {select} FROM {qn(table)} WHERE {qn('id')} > %s ORDER BY {qn('id')} LIMIT %s"  # noqa: S608
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def encrypt_table(
    connection: Any,
    table: str,
    columns: Sequence[EncryptedColumn],
    *,
    batch_size: int = 1000,
    accept_clear: bool = False,
    verify_only: bool = False,
) -> TableResult:
    """Bring every row of ``table`` under the newest keys: each encrypted column re-encrypted with the newest
    Fernet key, each index recomputed under the newest blind-index key. Rows already there are not written,
    so a run that stopped half-way can simply be run again.

    ``accept_clear`` (the data migration): a value that is no token is taken as clear text, normalised and
    encrypted. Otherwise such a value means a key is missing: those rows are listed in ``unreadable`` and
    left as they are. ``verify_only`` writes nothing and counts the rows not yet under the newest keys.
    One transaction per batch.
    """
    result = TableResult(unreadable=[])
    names = [name for c in columns for name in (c.column, c.index)]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(name)} = %s" for name in names)
    update = f"UPDATE {qn(table)} SET {assignments} WHERE {qn('id')} = %s"  # noqa: S608
    for rows in _batches(connection, table, names, batch_size):
        changes = []
        for pk, *values in rows:
            result.rows += 1
            new: list[str | None] = []
            dirty = False
            readable = True
            for i, column in enumerate(columns):
                stored, index = values[2 * i], values[2 * i + 1]
                if stored is None or stored == "":
                    clear, current = "", stored is None
                else:
                    try:
                        clear, current = _open(stored)
                    except InvalidToken:
                        if not accept_clear:
                            readable = False
                            break
                        clear, current = column.normalize(stored), False
                token = (stored if current else encrypt(clear)) if clear else None
                digest = blind_index(clear, purpose=column.purpose or column.column)
                dirty = dirty or token != stored or digest != index
                new += [token, digest]
            if not readable:
                result.unreadable.append(pk)  # type: ignore[union-attr]
                continue
            if dirty:
                result.stale += 1
                changes.append([*new, pk])
        if changes and not verify_only:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.executemany(update, changes)
            result.changed += len(changes)
    return result


def decrypt_table(
    connection: Any, table: str, columns: Sequence[EncryptedColumn], *, batch_size: int = 1000
) -> TableResult:
    """The reverse of the data migration: clear text back in each column (``""`` for NULL)."""
    result = TableResult()
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(c.column)} = %s" for c in columns)
    update = f"UPDATE {qn(table)} SET {assignments} WHERE {qn('id')} = %s"  # noqa: S608
    for rows in _batches(connection, table, [c.column for c in columns], batch_size):
        changes = []
        for pk, *values in rows:
            result.rows += 1
            clear = []
            for stored in values:
                try:
                    clear.append(decrypt(stored) if stored else "")
                except InvalidToken:
                    clear.append(stored)  # already clear (a half-done migration)
            changes.append([*clear, pk])
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(update, changes)
        result.changed += len(changes)
    return result
