"""The exceptions sgclient raises.

A failed call becomes an SgError (or one of its subclasses, chosen by the gRPC status code) whose
message is the coordinator's own, prefixed by the call's name, e.g.
``NotFoundError("GetSweep: sweep named 'qf' not found")``. The subclasses also derive from the
matching built-in exception (LookupError, ValueError, PermissionError, ...) so that code written
against those catches them too.
"""

import grpc


class SgError(Exception):
    """A call to the coordinator failed, or a sweep did not end as asked.

    Attributes:
        code: the grpc.StatusCode of the failed call (None when no call failed).
        details: the server's message, as it sent it ("" when no call failed).
        call: the RPC's name, e.g. "GetCurves" ("" when no call failed).
    """

    def __init__(self, message, code=None, details="", call=""):
        super().__init__(message)
        self.code = code
        self.details = details
        self.call = call


class NotFoundError(SgError, LookupError):
    """No such sweep or run (NOT_FOUND)."""


class InvalidArgumentError(SgError, ValueError):
    """The request or the spec is malformed, or a metric was never recorded (INVALID_ARGUMENT):
    the message names the field."""


class AlreadyExistsError(SgError):
    """ALREADY_EXISTS."""


class FailedPreconditionError(SgError):
    """The state does not allow the call now (FAILED_PRECONDITION): do not retry as is."""


class UnauthenticatedError(SgError, PermissionError):
    """No token, or one the coordinator does not know (UNAUTHENTICATED)."""


class PermissionDeniedError(SgError, PermissionError):
    """The token's role may not make this call (PERMISSION_DENIED)."""


class UnavailableError(SgError, ConnectionError):
    """The coordinator cannot be reached (UNAVAILABLE): retrying later may work."""


class DeadlineExceededError(SgError, TimeoutError):
    """The coordinator did not answer within the call's deadline."""


class ResourceExhaustedError(SgError):
    """RESOURCE_EXHAUSTED (e.g. a reply over the message size limit)."""


class SweepFailedError(SgError):
    """wait(): the sweep ended with failed or cancelled runs (``runs`` holds the runs frame)."""

    def __init__(self, message, runs):
        super().__init__(message)
        self.runs = runs


_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
}


def from_rpc_error(error, call, address, hint=""):
    """The SgError for a grpc.RpcError raised by `call` to the coordinator at `address`.

    UNAVAILABLE and DEADLINE_EXCEEDED say what to check (as sgctl does); every other code keeps
    the server's message as it is, prefixed by the call's name.
    """
    code = error.code()
    details = error.details() or ""
    if code == grpc.StatusCode.UNAVAILABLE:
        message = (f"cannot reach coordinator at {address} (is sg-coordinator running? pass "
                   f"address= or set SG_COORDINATOR): {details}")
        if hint:
            message += f"; {hint}"
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        message = (f"{call}: coordinator at {address} did not answer in time (is it overloaded "
                   f"or unreachable?)")
    else:
        message = f"{call}: {details}"
    cls = _BY_CODE.get(code, SgError)
    return cls(message, code=code, details=details, call=call)
