"""Field types and the base class of the knowledge records: pydantic checks each field as it reads knowledge/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

from pydantic import BaseModel, Extra, Field, root_validator
from pydantic.fields import ModelField

BOOLEAN_HINT = " (quote words like no, yes, on, off: YAML reads them as true/false)"


def is_id(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.isidentifier() and value == value.lower()


def within(low: int, high: int, default: Any = ...) -> Any:
    """A `Whole` field's range (and its default, if it has one)."""
    return Field(default, within=(low, high))


class Record(BaseModel):
    """A knowledge record: immutable, compared and hashed by its values; no unknown fields; null reads as unset."""

    class Config:
        allow_mutation = False
        extra = Extra.forbid

    @root_validator(pre=True)
    def _null_is_unset(cls, values: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in values.items() if value is not None}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(tuple(vars(self).values()))


if TYPE_CHECKING:  # what the fields hold
    Id: TypeAlias = str
    Text: TypeAlias = str
    Whole: TypeAlias = int
    Texts: TypeAlias = tuple[str, ...]
    Words: TypeAlias = tuple[str, ...]
else:

    class _Checked:
        @classmethod
        def __get_validators__(cls):
            yield cls.check

    class Id(str, _Checked):
        """A snake_case id."""

        @staticmethod
        def check(value: Any) -> str:
            if is_id(value):
                return value
            raise ValueError(f"{value!r} is not a snake_case id")

    class Text(str, _Checked):
        """A non-empty text."""

        @staticmethod
        def check(value: Any) -> str:
            if isinstance(value, str) and value.strip():
                return value
            raise ValueError("must be a non-empty text")

    class Whole(int, _Checked):
        """A whole number (not true or false) in the range `within` gives its field."""

        @staticmethod
        def check(value: Any, field: ModelField) -> int:
            low, high = field.field_info.extra["within"]
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                return value
            raise ValueError(f"{value!r} is not a whole number from {low} to {high}")

    class Texts(tuple, _Checked):
        """A list of non-empty texts, as a tuple; it may be empty only if its field has a default."""

        @classmethod
        def check(cls, value: Any, field: ModelField) -> tuple[str, ...]:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
                booleans = isinstance(value, (list, tuple)) and any(isinstance(v, bool) for v in value)
                raise ValueError("must be a list of non-empty texts" + (BOOLEAN_HINT if booleans else ""))
            if not value and field.required:
                raise ValueError("must not be empty")
            return tuple(value)

    class Words(Texts):
        """Texts in lower case: words and phrases matched against what patients type."""

        @classmethod
        def check(cls, value: Any, field: ModelField) -> tuple[str, ...]:
            words = super().check(value, field)
            upper = [word for word in words if word != word.lower()]
            if upper:
                raise ValueError(f"{', '.join(map(repr, upper))} must be lower case")
            return words
