"""A socket audit hook that blocks and records any connection off this machine.

Installed for the whole test session by conftest.py, and in every app process the tests
start (``python tests/netguard.py app.py ...`` runs app.py under the guard and appends
each blocked attempt to the file named by $RQA_NETGUARD_LOG).
"""

from __future__ import annotations

import os
import runpy
import socket
import sys

_LOOPBACK = ("127.", "::1", "0:0:0:0:0:0:0:1", "localhost", "::ffff:127.")
ATTEMPTS: list[str] = []


def _local(host) -> bool:
    host = host.decode(errors="replace") if isinstance(host, bytes) else str(host)
    return host.startswith(_LOOPBACK) or host in ("", "0.0.0.0", "::", "None")


def _record(what: str) -> None:
    ATTEMPTS.append(what)
    log = os.environ.get("RQA_NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(what + "\n")


def _audit(event: str, args) -> None:
    if event in ("socket.connect", "socket.sendto") and len(args) >= 2:
        sock, address = args[0], args[1]
        inet = getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(address, tuple) and not _local(address[0]):
            _record(f"{event} {address!r}")
            raise ConnectionRefusedError(f"network guard: connection to {address!r} blocked")
    elif event == "socket.getaddrinfo" and args and args[0] is not None and not _local(args[0]):
        _record(f"getaddrinfo {args[0]!r}")
        raise OSError(f"network guard: name lookup of {args[0]!r} blocked")


def install() -> None:
    sys.addaudithook(_audit)


if __name__ == "__main__":
    install()
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
