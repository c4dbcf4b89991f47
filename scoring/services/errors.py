"""The error every operation of the round raises when it refuses."""

from __future__ import annotations


class ScoringError(Exception):
    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
