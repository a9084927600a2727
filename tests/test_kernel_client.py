"""The shell channel of the book's executor (book_ext.kernel_client) against a lost wake-up.

A real ZeroMQ DEALER/ROUTER pair replays what nbclient does while a cell displays into an
``ipywidgets.Output``: it waits for the reply on the shell socket, the reply arrives, and before
the event loop runs nbclient sends on that same socket (the widget's state). The send clears
the socket's edge-triggered descriptor, so a single long poll never wakes up.
"""
from __future__ import annotations

import asyncio
import time

import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from book_ext.kernel_client import BookKernelManager, SlicedPollChannel

CELL_TIMEOUT = 600.0    # the poll's own timeout: far beyond the wait below
WAIT = 20.0             # a reply not delivered by then was lost until CELL_TIMEOUT


async def _reply_then_send_on_same_socket(channel_class) -> dict | None:
    """The reply ``channel_class.get_msg`` returns, or None if it was still waiting after WAIT."""
    session = Session(key=b"")
    ctx = zmq.asyncio.Context()
    kernel = zmq.Context()
    router = kernel.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    channel = channel_class(dealer, session)
    try:
        session.send(dealer, "execute_request", {"code": "1"})
        idents, _ = session.feed_identities(router.recv_multipart())   # who to reply to
        waiting = asyncio.ensure_future(channel.get_msg(timeout=CELL_TIMEOUT))
        await asyncio.sleep(0.2)                       # the poll is registered and waiting
        session.send(router, "execute_reply", {"status": "ok"}, ident=idents)
        time.sleep(0.2)            # it reaches the socket while the event loop is busy elsewhere
        session.send(dealer, "comm_msg", {"data": {"method": "update"}})   # the widget's state
        done, _ = await asyncio.wait({waiting}, timeout=WAIT)
        if not done:
            waiting.cancel()
            return None
        return waiting.result()
    finally:
        channel.close()
        router.close(0)
        kernel.term()
        ctx.term()


def test_a_single_long_poll_loses_the_reply():
    """The failure the sliced channel exists for happens on demand with jupyter_client's own."""
    assert asyncio.run(_reply_then_send_on_same_socket(AsyncZMQSocketChannel)) is None


def test_the_sliced_channel_delivers_the_reply():
    reply = asyncio.run(_reply_then_send_on_same_socket(SlicedPollChannel))
    assert reply is not None and reply["msg_type"] == "execute_reply"


def test_the_books_kernel_client_uses_the_sliced_shell_channel():
    manager = BookKernelManager()
    client = manager.client()
    assert isinstance(client.shell_channel, SlicedPollChannel)
    client.stop_channels()
