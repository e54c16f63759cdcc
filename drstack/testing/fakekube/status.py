"""Errors as kube-apiserver answers them: a v1 Status with a code, a reason and a message."""

from __future__ import annotations

from collections.abc import Mapping

from drstack.testing.fakekube.resources import Obj, ResourceType


class ApiError(Exception):
    """An error answered as a v1 Status."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Obj | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    502: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def details(rt: ResourceType, name: str | None) -> Obj:
    """A Status's details: the resource and, when there is one, the name."""
    details: Obj = {"kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    if name:
        details["name"] = name
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    """404 NotFound, worded as kube-apiserver words it."""
    return ApiError(404, "NotFound", f'{rt.qualified} "{name}" not found', details(rt, name))


def conflict(rt: ResourceType, name: str) -> ApiError:
    """409 Conflict on a stale resourceVersion, worded as kube-apiserver words it."""
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        details(rt, name),
    )

