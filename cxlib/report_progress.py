"""Progress of a batch of reports on a stream: one updating line on a terminal, else lines.

Each line reads ``[7/20] 02_current_state region=Hamburg … ok (9.1 s)``.
"""

from __future__ import annotations

from typing import TextIO

from cxlib.report_run import Outcome


def progress_line(outcome: Outcome, done: int, total: int) -> str:
    """The line telling that ``outcome``'s report ended, the ``done``-th of ``total``."""
    job = outcome.job
    state = "ok" if outcome.ok else "failed"
    what = f"{job.notebook} {job.label}".strip()
    return f"[{done}/{total}] {what} … {state} ({outcome.seconds:.1f} s)"


class BatchProgress:
    """A ``progress`` callback for :func:`cxlib.report.build_report_sets` writing to ``stream``.

    On a terminal the line is rewritten in place; call :meth:`close` at the end to finish it.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._open = False

    def __call__(self, outcome: Outcome, done: int, total: int) -> None:
        """Show that ``outcome``'s report ended."""
        line = progress_line(outcome, done, total)
        if self.tty:
            self.stream.write(f"\r\x1b[K{line}")
            self._open = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the updating line (on a terminal)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
