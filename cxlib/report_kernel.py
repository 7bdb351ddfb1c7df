"""One Python kernel per report worker, reused for the worker's notebooks one after another.

Starting a kernel and importing pandas, Altair and cxlib into it costs about 1.5 s of CPU; a
report set runs five notebooks per set. A worker (:mod:`cxlib.report_run`) therefore keeps
its kernel between jobs: before each notebook the kernel's namespace is cleared
(``%reset -f``), its cell count restarted (errors name the notebook's own cell), the last
error's traceback let go, and its working folder set, so a notebook sees only
its own variables, as in a fresh kernel. What they referred to is freed as usual, by reference
counting; IPython's ``%reset`` would also run two full garbage collections, 0.08 s each with a
report page's objects in memory (0.5 s of CPU per report set), so those are skipped and cycles
are left to the collector's own schedule. Imported modules stay, and with them what
:mod:`cxlib.sources` keeps of files loaded before (checked against each file's size and
modification time). A kernel that died, timed out or failed to reset is replaced by a new one.

papermill runs the notebook through the engine registered here (:data:`ENGINE`): nbclient's
own, given the kept kernel manager and closing its client's channels afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.util
import queue
import time
from pathlib import Path
from typing import Any

#: The papermill engine name that runs a notebook in the worker's kept kernel.
ENGINE = "cx-kept-kernel"
#: Seconds to wait for a kept kernel to answer before it is replaced.
_READY_TIMEOUT = 60
_RESET_CODE = """\
def _cx_reset(shell, cwd):
    import gc, os, sys

    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        shell.run_line_magic("reset", "-f")
    finally:
        gc.collect = collect
    shell.execution_count = 1
    sys.last_type = sys.last_value = sys.last_traceback = None
    os.chdir(cwd)


_cx_reset(get_ipython(), {cwd!r})
"""


class KeptKernel:
    """The kernel a worker process keeps between its jobs (one per process)."""

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self._manager: Any = None
        self._finalizer: multiprocessing.util.Finalize | None = None

    def manager_for(self, cwd: Path) -> Any:
        """A kernel manager for the next notebook: the kept kernel, reset, in ``cwd``.

        Without a kept kernel (first job, or the last one was discarded) the manager has no
        kernel yet, and nbclient starts one with papermill's kernel arguments, in ``cwd``
        (papermill runs the engine there).
        """
        from jupyter_client.manager import AsyncKernelManager

        if self._manager is not None and not self._reset(cwd):
            self.discard()
        if self._manager is None:
            self._manager = AsyncKernelManager(kernel_name=self.kernel_name)
            # shut down when the worker ends (multiprocessing runs these finalizers on exit)
            self._finalizer = multiprocessing.util.Finalize(
                self, _shutdown, args=(self._manager,), exitpriority=10
            )
        return self._manager

    def discard(self) -> None:
        """Shut the kept kernel down (after a timeout, a dead kernel or a failed reset)."""
        if self._finalizer is not None:
            self._finalizer()  # runs _shutdown once and unregisters it
        self._manager = self._finalizer = None

    def _reset(self, cwd: Path) -> bool:
        """Clear the kernel's namespace and move it to ``cwd``; False when it cannot."""
        from jupyter_client.utils import run_sync

        manager = self._manager
        try:
            if not run_sync(manager.is_alive)():
                return False
            # only the shell channel: its reply says the kernel is alive and the code ran (the
            # usual wait_for_ready would also wait 0.2 s for the output channel to fall quiet)
            client = manager.blocking_client()
            client.start_channels(iopub=False, stdin=False, hb=False, control=False)
            try:
                sent = client.execute(_RESET_CODE.format(cwd=str(cwd)), silent=True)
                deadline = time.monotonic() + _READY_TIMEOUT
                while time.monotonic() < deadline:
                    try:
                        reply = client.get_shell_msg(timeout=0.5)
                    except queue.Empty:
                        if not run_sync(manager.is_alive)():
                            return False  # died meanwhile
                        continue
                    if reply["parent_header"].get("msg_id") == sent:
                        return bool(reply["content"]["status"] == "ok")
                return False
            finally:
                client.stop_channels()
        except Exception:  # any failure to reset means: start a new kernel
            return False


def _shutdown(manager: Any) -> None:
    from jupyter_client.utils import run_sync

    # best effort: the kernel may be gone already, its connection file removed
    with contextlib.suppress(Exception):
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
    with contextlib.suppress(Exception):
        run_sync(manager.cleanup_resources)()


def register_engine() -> None:
    """Register :data:`ENGINE` with papermill (once per process)."""
    from papermill.engines import NBClientEngine, papermill_engines

    class KeptKernelEngine(NBClientEngine):
        """nbclient's engine with a kernel manager passed in as ``km``, kept afterwards."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            from papermill.clientwrap import PapermillNotebookClient

            kwargs.pop("input_path", None)
            client = PapermillNotebookClient(
                nb_man,
                km=kwargs.pop("km"),
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, KeptKernelEngine)
