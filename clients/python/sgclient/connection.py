"""How the client reaches the coordinator: the address, the token and TLS material, resolved the
way sgctl resolves them, and one place that makes every call (its deadline, the bearer token,
the mapping of failures to SgError).

Settings, in order of precedence (sgctl's flags and environment variables):
  address:  the argument, else $SG_COORDINATOR, else 127.0.0.1:7431
  token:    token= (the token itself), else token_file=, else the file named by $SG_TOKEN_FILE,
            else the token in $SG_TOKEN; none: calls carry no token (a loopback coordinator
            without a token file accepts them)
  TLS:      tls_ca= (PEM CA that signed the coordinator's certificate: connect with TLS), and for
            a coordinator that requires client certificates tls_cert= and tls_key=

Thread-safety: a Connection may be shared by threads (gRPC channels are thread-safe).
"""

import ipaddress
import os
import warnings

import grpc

from sgclient import errors
from sgclient._proto.sg.v1 import sg_pb2_grpc

DEFAULT_ADDRESS = "127.0.0.1:7431"
# The largest message the coordinator sends or accepts (common/message_limits.h); larger curve
# replies are paged.
MAX_MESSAGE_BYTES = 64 << 20

# Deadlines in seconds, as sg.proto's RPC comments state them.
DEADLINES = {
    "SubmitSweep": 30,
    "GetSweep": 5,
    "ListSweeps": 5,
    "ListRuns": 10,
    "CancelSweep": 10,
    "CancelRun": 5,
    "GetCurves": 30,
    "ListWorkers": 5,
    "GetReport": 10,
    "ListAuditEvents": 10,
    "ListSweepMetrics": 10,
    "ExtendSweep": 10,
    "RetryRuns": 10,
    "RecordAnalysisMetrics": 30,
    "GetRun": 5,
}
DEFAULT_DEADLINE = 30


def _read(path, what):
    try:
        with open(os.path.expanduser(path), "rb") as f:
            return f.read()
    except OSError as e:
        raise errors.InvalidArgumentError(f"{what} {path}: cannot read ({e.strerror})") from None


def _read_pem(path, what):
    data = _read(path, what)
    if b"-----BEGIN " not in data:
        raise errors.InvalidArgumentError(
            f"{what} {path}: not a PEM file (no -----BEGIN line); deploy/make-certs.sh makes PEM "
            f"certificates and keys")
    return data


def _clean_token(raw, where):
    token = raw.strip()
    if not token:
        raise errors.InvalidArgumentError(
            f"{where}: holds no token; use the token `sg-coordinator token create` printed")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise errors.InvalidArgumentError(
            f"{where}: the token must be one word of printable characters")
    return token


def resolve_token(token, token_file, environ):
    """The token to send ("" for none), from the arguments or sgctl's environment variables."""
    if token:
        return _clean_token(token, "token")
    if token_file:
        return _clean_token(_read(token_file, "token_file").decode(), f"token_file {token_file}")
    env_file = environ.get("SG_TOKEN_FILE", "")
    if env_file:
        raw = _read(env_file, "$SG_TOKEN_FILE").decode()
        return _clean_token(raw, f"$SG_TOKEN_FILE {env_file}")
    env_token = environ.get("SG_TOKEN", "")
    if env_token:
        return _clean_token(env_token, "$SG_TOKEN")
    return ""


def _is_loopback(address):
    host = address
    for scheme in ("dns:///", "ipv4:", "ipv6:"):
        if host.startswith(scheme):
            host = host[len(scheme):]
    if host.startswith("["):
        host = host[1:host.find("]")]
    elif ":" in host:
        host = host.rsplit(":", 1)[0]
    host = host.lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Connection:
    """A channel to one coordinator and the token its calls carry."""

    def __init__(self, address=None, token=None, token_file=None, tls_ca=None, tls_cert=None,
                 tls_key=None, environ=None):
        environ = os.environ if environ is None else environ
        self.address = address or environ.get("SG_COORDINATOR", "") or DEFAULT_ADDRESS
        self._token = resolve_token(token, token_file, environ)
        if bool(tls_cert) != bool(tls_key):
            raise errors.InvalidArgumentError(
                "tls_cert and tls_key: give both (this client's certificate and its key) or "
                "neither")
        if tls_cert and not tls_ca:
            raise errors.InvalidArgumentError(
                "tls_cert/tls_key: need tls_ca (the CA that signed the coordinator's certificate)")
        self.tls = bool(tls_ca)
        self._client_cert = bool(tls_cert)
        options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                   ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
        if self.tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read_pem(tls_ca, "tls_ca"),
                private_key=_read_pem(tls_key, "tls_key") if tls_key else None,
                certificate_chain=_read_pem(tls_cert, "tls_cert") if tls_cert else None)
            self._channel = grpc.secure_channel(self.address, credentials, options=options)
        else:
            if self._token and not _is_loopback(self.address):
                warnings.warn(f"sending the token to {self.address} without TLS: anyone on the "
                              f"network path can read it; pass tls_ca")
            self._channel = grpc.insecure_channel(self.address, options=options)
        # The token travels as call metadata (not call credentials, which gRPC refuses to send
        # over plaintext), so a loopback coordinator with a token file and no TLS works too.
        self._metadata = (("authorization", f"Bearer {self._token}"),) if self._token else ()
        self._stub = sg_pb2_grpc.SweepServiceStub(self._channel)

    def call(self, name, request):
        """Calls SweepService.`name` with its deadline; raises SgError on failure."""
        method = getattr(self._stub, name)
        try:
            return method(request, timeout=DEADLINES.get(name, DEFAULT_DEADLINE),
                          metadata=self._metadata)
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e, name, self.address, self._hint()) from None

    def close(self):
        self._channel.close()

    def _hint(self):
        if not self.tls:
            return ("if the coordinator serves TLS, pass tls_ca (the CA that signed its "
                    "certificate): a plaintext client cannot talk to a TLS server")
        hint = ("if the TLS handshake failed: check that tls_ca is the CA that signed the "
                "coordinator's certificate, that the certificate names the host in the address, "
                "and that the coordinator serves TLS at all")
        if not self._client_cert:
            hint += ("; if it requires client certificates (--tls-client-ca), pass tls_cert and "
                     "tls_key")
        return hint
