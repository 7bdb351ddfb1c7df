"""A kernel's reply that arrives just before a blocking send on the same socket: without
cxlib.kernel_channels the waiting reader is never woken (the app's overview hang)."""

from __future__ import annotations

import subprocess
import sys

_LOST_WAKEUP = """
import asyncio, sys, time
import zmq, zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

if sys.argv[1] == "fixed":
    from cxlib.kernel_channels import bound_channel_waits
    bound_channel_waits()
    bound_channel_waits()  # idempotent


async def main():
    ours = zmq.asyncio.Context().socket(zmq.DEALER)
    port = ours.bind_to_random_port("tcp://127.0.0.1")
    kernel = zmq.Context().socket(zmq.DEALER)
    kernel.connect(f"tcp://127.0.0.1:{port}")
    kernel.send(b"hello"); await ours.recv(); ours.send(b"hi"); kernel.recv()
    session = Session(key=b"key")
    waiting = asyncio.ensure_future(AsyncZMQSocketChannel(ours, session).get_msg())
    await asyncio.sleep(0.05)  # the reader polls: nothing to read yet
    session.send(kernel, "execute_reply", {"status": "ok"})
    time.sleep(0.2)  # the reply arrives while the event loop is busy elsewhere
    # what nbclient's Output widget stand-in does: jupyter_client's blocking send, same socket
    session.send(zmq.Socket.shadow(ours.underlying), "comm_msg", {})
    try:
        reply = await asyncio.wait_for(waiting, 3)
        print("received", reply["header"]["msg_type"])
    except asyncio.TimeoutError:
        print("hung")


asyncio.run(main())
"""


def _run(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _LOST_WAKEUP, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_a_reply_whose_wakeup_was_lost_is_still_received() -> None:
    assert _run("fixed") == "received execute_reply"


def test_without_the_fix_the_reader_waits_forever() -> None:
    # the bug this module works around; when this fails, jupyter_client or pyzmq fixed it
    # upstream and cxlib.kernel_channels can go
    assert _run("plain") == "hung"
