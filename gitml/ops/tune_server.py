"""The parent side of ``gitml.api.report``: a Unix socket that trials report to.

Protocol (one JSON object per line, each answered by one line)::

    trial  -> {"t": "<trial token>", "s": <step>, "v": <value>}
    parent -> {"prune": false}

The trial finds the socket in ``GITML_TUNE_SOCKET`` and its token in
``GITML_TUNE_TRIAL`` (see :mod:`gitml.tune_client`). The parent records the
value as the trial's intermediate value and answers whether the study's
pruner wants the trial stopped.
"""

from __future__ import annotations

import json
import math
import shutil
import socketserver
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

# (token, step, value) -> prune?
OnReport = Callable[[str, int, float], bool]


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        for line in self.rfile:
            try:
                msg = json.loads(line)
                step, value = int(msg["s"]), float(msg["v"])
                prune = math.isfinite(value) and self.server.on_report(str(msg["t"]), step, value)
            except Exception:  # a bad message must not kill the server; the trial goes on
                prune = False
            self.wfile.write(b'{"prune": true}\n' if prune else b'{"prune": false}\n')
            self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    on_report: OnReport


class ReportServer:
    """Serves report requests on a socket in a private temp folder (short path: the
    limit for a Unix socket path is ~100 bytes), until :meth:`close`."""

    def __init__(self, on_report: OnReport) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="gitml-tune-"))
        self.path = str(self._dir / "report.sock")
        self._server = _Server(self.path, _Handler)
        self._server.on_report = on_report
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)
