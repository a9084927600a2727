"""A kernel client whose shell channel cannot miss a reply while something else sends on it.

nbclient waits for a cell's ``execute_reply`` with one ``poll`` of the shell socket lasting the
whole per-cell timeout. While it waits, nbclient's own Output-widget handler *sends* on that same
socket (the widget's new ``outputs`` state, when a cell displays into an ``ipywidgets.Output``,
e.g. ``widgets.interactive``). A ZeroMQ socket's file descriptor is edge-triggered: a send
processes the socket's pending commands, including "a message arrived", and clears the
descriptor, so the event loop never wakes the waiting ``poll``. When the reply arrives just
before that send, nbclient only finds it when the poll times out: the cell takes its full
timeout longer, with no error. Polling in short slices bounds such a lost wake-up to one slice;
every slice checks the socket itself, so the reply is then found.
"""
from __future__ import annotations

from queue import Empty
from time import monotonic

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

POLL_SLICE = 0.5      # seconds: the longest a lost wake-up can delay a reply


class SlicedPollChannel(AsyncZMQSocketChannel):
    """``get_msg`` polls at most ``POLL_SLICE`` seconds at a time until ``timeout`` (seconds)."""

    async def get_msg(self, timeout: float | None = None) -> dict:
        assert self.socket is not None
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            remaining = POLL_SLICE if deadline is None else max(0.0, deadline - monotonic())
            if await self.socket.poll(int(min(POLL_SLICE, remaining) * 1000)):
                return await self._recv()
            if deadline is not None and monotonic() >= deadline:
                raise Empty


class BookKernelClient(AsyncKernelClient):
    """nbclient's client with a shell channel that polls in slices."""

    shell_channel_class = Type(SlicedPollChannel)


class BookKernelManager(AsyncKernelManager):
    """nbclient's default kernel manager, handing out :class:`BookKernelClient`."""

    client_class = DottedObjectName("book_ext.kernel_client.BookKernelClient")
    client_factory = Type(BookKernelClient, klass=AsyncKernelClient)
