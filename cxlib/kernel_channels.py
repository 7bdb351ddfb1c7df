"""Waits on a kernel's channels that always end: the fix for a reply that never wakes its reader.

jupyter_client reads kernel messages from asyncio ZMQ sockets, but ``Session.send`` writes to
them through a blocking shadow socket (``zmq.Socket.shadow``). A ZMQ socket's file descriptor is
edge-triggered and is reset by any operation on the socket: when a reply has just arrived and a
send comes through the shadow before the event loop looked, the loop is never told, and a reader
waiting without a time limit waits forever, although the reply sits in the socket. nbclient does
exactly that: while it waits for a cell's ``execute_reply`` (with no time limit in Voila), its
stand-in for an ipywidgets ``Output`` widget answers the kernel's ``clear_output`` with a
``comm_msg`` sent on the same socket.

That is the overview's hang in the app (the page never finished loading; reproduced 18 times in
210 opens of the preheated overview) and the "large output in an ``Output`` widget stalls Voila"
of the design notes. :func:`bound_channel_waits` makes every such wait a series of short timed
polls: a timed poll checks the socket itself when its time is up, so a lost wakeup costs at most
:data:`STEP` seconds (measured: 0 hangs in 140 opens; 24 of 151 preheated renders had a reply
picked up that way). ``tests/test_kernel_channels.py`` reproduces the lost wakeup.
"""

from __future__ import annotations

from queue import Empty
from typing import Any

#: Seconds one poll of a kernel channel waits before looking at the socket itself.
STEP = 0.25


def bound_channel_waits(step: float = STEP) -> None:
    """Make ``AsyncZMQSocketChannel.get_msg`` without a timeout poll in steps of ``step`` s.

    Idempotent; for the processes that talk to kernels through asyncio (the app's server, the
    report workers). A wait with a timeout is left as it is: its own timed poll looks at the
    socket when it ends.
    """
    from jupyter_client.channels import AsyncZMQSocketChannel

    original = AsyncZMQSocketChannel.get_msg
    if getattr(original, "_cx_bounded", False):
        return

    async def get_msg(self: Any, timeout: float | None = None) -> dict[str, Any]:
        if timeout is not None:
            return await original(self, timeout)
        while True:
            try:
                return await original(self, step)
            except Empty:
                continue

    get_msg._cx_bounded = True  # type: ignore[attr-defined]
    AsyncZMQSocketChannel.get_msg = get_msg  # type: ignore[method-assign]
