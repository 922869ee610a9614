"""Reading a file in a second process while the import writes what was read.

An import spends about half its time reading and checking records (parsing vCards and
MIME messages, reading phone numbers) and half matching and writing them. Those halves
need not wait for each other: `read_ahead` forks a child process that runs the reader
(and any per-record work that needs no database) and sends the results through a pipe,
a few hundred at a time, while the importing process writes the previous ones. The
results come out in file order, exactly as the reader gave them, and an exception the
reader raises is raised again in the importing process.

The child is forked, so it starts with the reader as it is (an open file, a generator
part-way through) and the caller's objects; it never touches the database. A thread of
the importing process empties the pipe as results arrive and holds up to `AHEAD` chunks,
so the child keeps reading while the import writes a batch (a pipe alone holds barely a
chunk, and the child would wait for every write), yet stays at most that far ahead:
memory stays bounded however large the file. Small files (at most `INLINE` records)
are read in the calling process as before, and so is everything where fork is
unavailable, where only one core is free, or where settings.RAPPORT_IMPORT_READ_AHEAD
is False (`rapport serve` sets it: forking a process that runs other threads can leave
the child waiting on a lock one of them held).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from django.conf import settings

T = TypeVar("T")
R = TypeVar("R")

# Records read in the calling process before a child is started: an import this small
# gains nothing from a second process.
INLINE = 1000
# Results sent through the pipe at a time.
CHUNK = 100
# Chunks received and held while the import is busy writing (a few thousand records).
AHEAD = 30


class ReaderStopped(RuntimeError):
    """The reading process ended without saying why (killed, out of memory)."""


def _can_fork() -> bool:
    if not getattr(settings, "RAPPORT_IMPORT_READ_AHEAD", True):
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores > 1


def _sendable(exc: BaseException) -> BaseException:
    """The exception itself if it survives the pipe as itself, else a RuntimeError
    with its text."""
    try:
        copy = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
        if type(copy) is type(exc):
            return exc
    except Exception:  # noqa: S110 - any pickling failure means "not sendable"
        pass
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _child(items: Iterator[T], work: Callable[[T], R], conn: Any, chunk: int) -> None:
    # The importing process stops this one with SIGTERM, whatever handler it had set for
    # itself (a task worker's graceful shutdown); Ctrl-C is for the importing process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results: list[R] = []
    try:
        for item in items:
            results.append(work(item))
            if len(results) >= chunk:
                conn.send(("results", results))
                results = []
        if results:
            conn.send(("results", results))
        conn.send(("done", None))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the importing process stopped listening
    except BaseException as exc:  # every failure is the caller's to see
        with suppress(BrokenPipeError):
            if results:  # what was read before it, as if read in the caller
                conn.send(("results", results))
            conn.send(("error", _sendable(exc)))
    finally:
        conn.close()


class _Reader:
    def __init__(self) -> None:
        self.process: Any = None
        self.conn: Any = None
        self.drain: threading.Thread | None = None
        self.received: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self.stopping = threading.Event()

    def receive(self) -> None:
        """The draining thread: each message's bytes into `received` as soon as it
        arrives; None when the pipe closes."""
        conn = self.conn
        while not self.stopping.is_set():
            try:
                message: bytes | None = conn.recv_bytes()
            except (EOFError, OSError):
                message = None
            while not self.stopping.is_set():
                try:
                    self.received.put(message, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if message is None:
                return

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.is_alive():
            self.process.terminate()  # ends the pipe, so the draining thread stops too
        if self.drain is not None:
            self.drain.join()
            self.drain = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None:
            self.process.join()
            self.process.close()
            self.process = None


def _results(
    items: Iterable[T], work: Callable[[T], R], reader: _Reader, inline: int, chunk: int
) -> Iterator[R]:
    iterator = iter(items)
    for _ in range(inline):
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield work(item)
    try:
        first = next(iterator)  # no process for a file that ends here
    except StopIteration:
        return
    rest = itertools.chain([first], iterator)
    if not _can_fork():
        for item in rest:
            yield work(item)
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    reader.conn = receive
    reader.process = context.Process(
        target=_child, args=(rest, work, send, chunk), name="rapport-import-reader"
    )
    reader.process.start()
    send.close()
    reader.drain = threading.Thread(target=reader.receive, name="rapport-import-drain", daemon=True)
    reader.drain.start()
    while True:
        message = reader.received.get()
        if message is None:
            raise ReaderStopped("the process reading the file stopped unexpectedly")
        what, payload = pickle.loads(message)  # noqa: S301 - our own child's bytes
        if what == "results":
            yield from payload
        elif what == "error":
            raise payload
        else:
            break
    reader.stop()


@contextmanager
def read_ahead(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    inline: int | None = None,
    chunk: int | None = None,
) -> Iterator[Iterator[R]]:
    """`work(item)` for each item, in order; past the first `inline` items (INLINE by
    default) the items are read and worked on in a forked child process, and sent here
    `chunk` (CHUNK) at a time. `work` must
    not use the database, and its results must pickle. Leaving the block (at the end,
    or by an exception) stops the child."""
    reader = _Reader()
    try:
        yield _results(
            items,
            work,
            reader,
            INLINE if inline is None else inline,
            CHUNK if chunk is None else chunk,
        )
    finally:
        reader.stop()


__all__ = ["CHUNK", "INLINE", "ReaderStopped", "read_ahead"]
