"""core.fields: the publication's frozen figures stored as JSON text."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.fields import FrozenJSONField


def test_it_reads_json_text_as_the_objects_written():
    assert FrozenJSONField().to_python('{"1": {"points": "4.50"}}') == {"1": {"points": "4.50"}}
    assert FrozenJSONField().to_python({"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("language", "text"),
    [("vi", "Dữ liệu JSON không hợp lệ (dòng 1, cột 2)."), ("en", "Invalid JSON data (line 1, column 2).")],
)
def test_bad_json_is_refused_in_the_users_language(language, text):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        FrozenJSONField().to_python("{bad")
    assert refused.value.messages == [text]
