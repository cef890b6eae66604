"""Socket-level failures, named the way a person understands them."""

import socket

from webmail.mail.errors import ConnectError


def classify_os_error(error: OSError) -> ConnectError:
    if isinstance(error, socket.gaierror):
        return ConnectError("not_found", str(error))
    if isinstance(error, ConnectionRefusedError):
        return ConnectError("refused", str(error))
    if isinstance(error, TimeoutError | socket.timeout):
        return ConnectError("timeout", str(error) or "timed out")
    return ConnectError("unreachable", str(error))
