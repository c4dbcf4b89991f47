"""Model fields shared by the apps."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


class FrozenJSONField(models.TextField):
    """JSON stored as plain text: written once, always read whole, never searched inside.

    For a publication's frozen figures (800 units × 120 leaves of JSON per publication).
    PostgreSQL's `jsonb` parses every value on the way in and prints it again on the way out;
    as text, the COPY of a publication's rows took 0.09 s instead of 0.17 s (bench/RESULTS.md),
    and SQLite's JSON_VALID check on each row is gone too. Python sees the same dicts and lists
    as with a JSONField, and a backup (dumpdata) holds them as JSON objects, as before.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("Dữ liệu JSON không hợp lệ (dòng %(line)s, cột %(column)s)."),
                code="invalid",
                params={"line": exc.lineno, "column": exc.colno},
            ) from exc

    def get_prep_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def value_to_string(self, obj):
        return self.value_from_object(obj)  # as JSONField: the serializer writes the object itself

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.JSONField, **kwargs})
