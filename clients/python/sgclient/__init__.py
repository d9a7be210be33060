"""sgclient: the sg coordinator from Python, as pandas DataFrames.

    import sgclient
    client = sgclient.Client("127.0.0.1:7431", token_file="~/.sg/token")
    curves = client.curves("qf-depth", ["val_acc", "gen_acc"], max_points=500)

See docs/python.md.
"""

from sgclient.client import Client
from sgclient.errors import (AlreadyExistsError, DeadlineExceededError, FailedPreconditionError,
                             InvalidArgumentError, NotFoundError, PermissionDeniedError,
                             ResourceExhaustedError, SgError, SweepFailedError,
                             UnauthenticatedError, UnavailableError)

__all__ = [
    "Client", "SgError", "NotFoundError", "InvalidArgumentError", "AlreadyExistsError",
    "FailedPreconditionError", "UnauthenticatedError", "PermissionDeniedError",
    "UnavailableError", "DeadlineExceededError", "ResourceExhaustedError", "SweepFailedError",
]
