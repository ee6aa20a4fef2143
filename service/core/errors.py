"""One error hierarchy for the whole service, and one mapper from it to HTTP."""

from __future__ import annotations

from typing import Any


class TactError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class ValidationFailed(TactError):
    status_code = 422
    code = "validation_failed"


class TemplateSyntaxInvalid(ValidationFailed):
    code = "template_syntax"

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})", line=line, column=column)


class NotFound(TactError):
    status_code = 404
    code = "not_found"


class Conflict(TactError):
    status_code = 409
    code = "conflict"


class Unauthorized(TactError):
    status_code = 401
    code = "unauthorized"


class Forbidden(TactError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(TactError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class Unavailable(TactError):
    status_code = 503
    code = "unavailable"


class SignInRequired(Unauthorized):
    """The web UI without a session: pages redirect to the sign-in form, scripts get 401."""

    code = "sign_in_required"
