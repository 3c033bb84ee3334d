"""Byte streams: random access to the bytes of a DICOM file, one small class per kind of input.

:func:`open_stream` turns what the user has into a :class:`ByteStream`:

* a local path -> :class:`PathStream` (``os.pread`` on a descriptor: no shared
  position, so no lock; refused before opening when it is not a regular file,
  such as a FIFO, a device or a directory);
* ``bytes``/``bytearray``/``memoryview`` -> :class:`MemoryStream`;
* a binary file object -> :class:`FileObjectStream` (``os.pread`` on its
  descriptor when it has one, else seek+read under a lock shared by every
  stream on that object);
* a URL (``http(s)://``, ``s3://``, ``gs://``, ``memory://``, anything fsspec
  opens) or an fsspec file object -> :class:`RemoteStream` (one range request
  per read, small reads coalesced into blocks; needs ``dicom-pixels[remote]``).

Every stream counts :attr:`~ByteStream.bytes_read` and
:attr:`~ByteStream.requests`, and is safe to use from several threads and,
except a file object without a descriptor, from a forked child process.

>>> with open_stream(b"DICM and more") as stream:
...     stream.pread(5, 3), stream.size, stream.requests, stream.bytes_read
(b'and', 13, 1, 3)
"""

from __future__ import annotations

import io
import os
import stat
import threading
import weakref
import zlib
from collections.abc import Mapping
from typing import IO, Any

from .errors import (
    DicomFileNotFoundError,
    DicomIsADirectoryError,
    InvalidDicomError,
    MissingDependencyError,
    NotARegularFileError,
    RemoteReadError,
)

__all__ = [
    "ByteStream",
    "BorrowedStream",
    "FileObjectStream",
    "InflatedStream",
    "MemoryStream",
    "PathStream",
    "RemoteStream",
    "is_url",
    "open_stream",
]

#: ``pip install`` command for the optional remote support.
REMOTE_INSTALL_HINT = 'pip install "dicom-pixels[remote]"'


class ByteStream:
    """Random access to the bytes of one input; counts the reads and bytes it hands out.

    Subclasses implement :meth:`_pread` (and may implement :meth:`_preadinto`).
    The counters are updated under a per-process lock, so they are exact when
    several threads read. :attr:`read_ahead` is the size a parser should read
    at once when it does not know how much it needs (small for local files,
    large where every read is a round trip).

    >>> stream = MemoryStream(bytes(range(10)), "ten bytes")
    >>> buffer = bytearray(4)
    >>> stream.preadinto(6, memoryview(buffer)), bytes(buffer), stream.requests
    (4, b'\\x06\\x07\\x08\\t', 1)
    """

    #: names the input in error messages.
    name: str
    #: the number of bytes of the input.
    size: int
    #: the whole input when it is in memory (then reads are slices).
    memory: memoryview | None = None
    #: how many bytes to read when the amount needed is not known yet.
    read_ahead: int = 512

    def __init__(self) -> None:
        self.bytes_read = 0
        self.requests = 0
        self.closed = False
        self._pid = os.getpid()
        self._count_lock = threading.Lock()

    @property
    def origin(self) -> ByteStream:
        """The stream this one finally reads from: itself, unless it wraps another
        (a :class:`BorrowedStream`, an :class:`InflatedStream`).

        >>> owner = MemoryStream(b"abc", "<bytes>")
        >>> BorrowedStream(BorrowedStream(owner)).origin is owner
        True
        """
        return self

    # -- per process ------------------------------------------------------------------------

    def _check_process(self) -> None:
        """Re-make per-process state when used from a forked child (the pid changed)."""
        if self._pid != os.getpid():
            # A lock held by another thread of the parent at fork time stays held forever
            # in the child: every lock is re-made rather than inherited.
            self._count_lock = threading.Lock()
            self._after_fork()
            self._pid = os.getpid()

    def _after_fork(self) -> None:
        """Make the stream usable in a forked child (nothing to do by default)."""

    def count_read(self, n: int, requests: int = 1) -> None:
        """Add *n* bytes and *requests* reads to the counters: for a reader that slices
        :attr:`memory` itself instead of calling :meth:`pread`.

        >>> stream = MemoryStream(bytes(8), "eight bytes")
        >>> stream.count_read(8); stream.bytes_read, stream.requests
        (8, 1)
        """
        with self._count_lock:
            self.bytes_read += n
            self.requests += requests

    # -- reading ----------------------------------------------------------------------------

    def pread(self, offset: int, length: int) -> bytes:
        """Return up to *length* bytes at *offset* (fewer only at the end)."""
        self._check_process()
        data = self._pread(offset, length)
        self.count_read(len(data))
        return data

    def preadinto(self, offset: int, view: memoryview) -> int:
        """Fill *view* from *offset*; return how many bytes were copied (fewer only at the end)."""
        self._check_process()
        done = self._preadinto(offset, view)
        self.count_read(done)
        return done

    def _pread(self, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def _preadinto(self, offset: int, view: memoryview) -> int:
        data = self._pread(offset, len(view))
        view[: len(data)] = data
        return len(data)

    def retain_from(self, offset: int) -> None:
        """Say that bytes from *offset* on will be read at random (only an inflated stream cares)."""

    def close(self) -> None:
        """Release what the stream opened (a file object or fsspec file given is left open)."""
        self.closed = True

    def __enter__(self) -> ByteStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryStream(ByteStream):
    """Bytes already in memory; reads are slices.

    >>> MemoryStream(b"abcdef", "<bytes>").pread(4, 10)
    b'ef'
    """

    def __init__(self, data: bytes | bytearray | memoryview, name: str) -> None:
        super().__init__()
        self.memory = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
        self.size = len(self.memory)
        self.name = name

    def _pread(self, offset: int, length: int) -> bytes:
        assert self.memory is not None
        return bytes(self.memory[offset : offset + length])

    def _preadinto(self, offset: int, view: memoryview) -> int:
        assert self.memory is not None
        chunk = self.memory[offset : offset + len(view)]
        view[: len(chunk)] = chunk
        return len(chunk)


def _pread_fd(fd: int, offset: int, length: int) -> bytes:
    """``os.pread`` until *length* bytes or the end (a pread may return fewer bytes)."""
    parts = []
    while length > 0:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            break
        parts.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _preadinto_fd(fd: int, offset: int, view: memoryview) -> int | None:
    """``os.preadv`` into *view* until full or the end; ``None`` where there is no preadv."""
    preadv = getattr(os, "preadv", None)
    if preadv is None:
        return None
    done = 0
    while done < len(view):
        n = preadv(fd, [view[done:]], offset + done)
        if n <= 0:
            break
        done += n
    return done


def check_regular_file(path: str) -> os.stat_result:
    """Return the status of *path*, refusing what is not a regular file before it is opened.

    Opening a FIFO for reading blocks until a writer comes, and a device such as
    ``/dev/zero`` never ends: neither is a DICOM file, so both are refused from
    their status, which does not open them.

    :raises DicomFileNotFoundError: nothing is at *path*.
    :raises NotARegularFileError: *path* is a directory, a FIFO, a socket or a device
        (a directory's error is also an :class:`IsADirectoryError`).

    >>> check_regular_file("/dev/null")
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.NotARegularFileError: '/dev/null' is a character device, not a regular file: ...
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise DicomFileNotFoundError(
            f"No such file: '{path}': check the path (relative paths start at {os.getcwd()})"
        ) from None
    mode = status.st_mode
    if stat.S_ISREG(mode):
        return status
    kinds = [(stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "named pipe (FIFO)"),
             (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
             (stat.S_ISBLK, "block device")]
    kind = next((name for test, name in kinds if test(mode)), "special file")
    if kind == "directory":
        raise DicomIsADirectoryError(
            f"'{path}' is a directory, not a DICOM file: pass one of the files in it "
            "(dicom_pixels.read_series reads a directory of slices as a volume)"
        )
    raise NotARegularFileError(
        f"'{path}' is a {kind}, not a regular file: pass the path of a DICOM file (a file "
        "read from a pipe or a device must be copied to a file or read into bytes first)"
    )


class PathStream(ByteStream):
    """A local file we open, read with ``os.pread``: no shared position, so no lock.

    In a forked child the file is opened again (and checked to be the same file),
    so that closing it in one process never affects the other.

    >>> import dicom_pixels as dp
    >>> with PathStream(str(dp.examples.get_path("ct"))) as stream:
    ...     stream.pread(128, 4)
    b'DICM'
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.name = path
        status = check_regular_file(path)
        self._identity = (status.st_dev, status.st_ino)
        # O_NONBLOCK: should the path have become a FIFO since the check, open must not block.
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            status = os.fstat(self._fd)
            if not stat.S_ISREG(status.st_mode):
                check_regular_file(path)  # raises, naming what the path now is
            self.size = status.st_size
        except BaseException:
            os.close(self._fd)
            raise

    def _after_fork(self) -> None:
        if self.closed:
            return
        fd = os.open(self.name, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
        status = os.fstat(fd)
        if (status.st_dev, status.st_ino) != self._identity:
            os.close(fd)
            raise InvalidDicomError(
                f"{self.name} was replaced by another file after it was opened in the parent "
                "process: open it again in this process"
            )
        # The inherited descriptor stays the parent's to close; this process reads its own.
        self._fd = fd

    def _pread(self, offset: int, length: int) -> bytes:
        return _pread_fd(self._fd, offset, length)

    def _preadinto(self, offset: int, view: memoryview) -> int:
        done = _preadinto_fd(self._fd, offset, view)
        return super()._preadinto(offset, view) if done is None else done

    def close(self) -> None:
        if not self.closed:
            if self._pid == os.getpid():
                os.close(self._fd)
            else:  # the inherited descriptor: close this process's copy
                try:
                    os.close(self._fd)
                except OSError:
                    pass
        super().close()

    def __del__(self) -> None:
        # A source that was never closed (no ``with``) must not keep its descriptor open for
        # the life of the process, as a file object would not.
        if not getattr(self, "closed", True) and hasattr(self, "_fd"):
            self.close()


#: One lock per caller-supplied file object without a descriptor, shared by every stream
#: reading it, so that threads decoding from the same object do not interleave seek+read.
_FILE_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_FILE_LOCKS_GUARD = threading.Lock()


def _remake_file_locks() -> None:
    # PS: a lock held by another thread at fork time would stay held in the child forever.
    global _FILE_LOCKS, _FILE_LOCKS_GUARD
    _FILE_LOCKS = weakref.WeakKeyDictionary()
    _FILE_LOCKS_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_remake_file_locks)


def _lock_for(fileobj: Any) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        try:
            lock = _FILE_LOCKS.get(fileobj)
            if lock is None:
                lock = _FILE_LOCKS[fileobj] = threading.Lock()
            return lock
        except TypeError:  # not weak-referenceable (or unhashable): a lock of its own
            return threading.Lock()


def _descriptor_of(fileobj: Any) -> int | None:
    """The descriptor whose bytes *are* the file object's bytes, or ``None``.

    Only plain files qualify: a wrapper such as ``gzip.GzipFile`` also answers
    ``fileno()``, with the descriptor of the *compressed* file.
    """
    if type(fileobj) not in (io.BufferedReader, io.BufferedRandom, io.FileIO):
        return None
    try:
        fd = fileobj.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, ValueError):
        return None


class FileObjectStream(ByteStream):
    """A binary file object: positional reads on its descriptor, else seek+read under a lock.

    With a descriptor (a file from ``open(path, "rb")``) the object's position is
    never used, so threads and forked processes sharing it cannot disturb each
    other. Otherwise reads are serialised by a lock and restore its position; such
    a stream refuses to read in a forked child (the object's position is shared
    with the parent through the file, so the bytes could be another process's),
    except for an :class:`io.BytesIO`, which is the process's own memory.

    >>> import io
    >>> FileObjectStream(io.BytesIO(b"0123456789"), "<BytesIO>", owned=False).pread(3, 2)
    b'34'
    """

    def __init__(self, fileobj: IO[bytes], name: str, owned: bool) -> None:
        super().__init__()
        self.name = name
        self._file = fileobj
        self._owned = owned
        self._fd = _descriptor_of(fileobj)
        self._lock = threading.Lock() if owned else _lock_for(fileobj)
        if self._fd is not None:
            self.size = os.fstat(self._fd).st_size
            return
        seekable = getattr(fileobj, "seekable", None)
        try:
            if seekable is not None and not seekable():
                raise OSError("seekable() is False")
            with self._lock:
                position = fileobj.tell()
                self.size = fileobj.seek(0, io.SEEK_END)
                fileobj.seek(position)
        except (OSError, AttributeError, ValueError) as exc:
            raise InvalidDicomError(
                f"{name} is not a seekable, open binary file ({exc}): pass a path, bytes, or "
                "a seekable binary file object (or read it into bytes first)"
            ) from None

    def _after_fork(self) -> None:
        if self._fd is None and not isinstance(self._file, io.BytesIO):
            raise InvalidDicomError(
                f"{self.name} is a file object opened in another process (this is a forked "
                "child): its position is shared with that process, so reads could return "
                "another process's bytes. Pass a path or a URL, or open the file in the child"
            )
        self._lock = threading.Lock() if self._owned else _lock_for(self._file)

    def _pread(self, offset: int, length: int) -> bytes:
        if self._fd is not None:
            return _pread_fd(self._fd, offset, length)
        with self._lock:
            position = self._file.tell()
            parts: list[bytes] = []
            try:
                self._file.seek(offset)
                while length > 0:  # raw streams may return short reads before the end
                    chunk = self._file.read(length)
                    if not chunk:
                        break
                    parts.append(bytes(chunk))
                    length -= len(chunk)
            finally:
                self._file.seek(position)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _preadinto(self, offset: int, view: memoryview) -> int:
        if self._fd is not None:
            done = _preadinto_fd(self._fd, offset, view)
            if done is not None:
                return done
        readinto = getattr(self._file, "readinto", None)
        if readinto is None or self._fd is not None:
            return super()._preadinto(offset, view)
        with self._lock:
            position = self._file.tell()
            done = 0
            try:
                self._file.seek(offset)
                while done < len(view):
                    n = readinto(view[done:])
                    if not n:
                        break
                    done += n
            finally:
                self._file.seek(position)
        return done

    def close(self) -> None:
        if self._owned and not self.closed:
            self._file.close()
        super().close()


class BorrowedStream(ByteStream):
    """Another stream, read again; closing it leaves the owner open.

    >>> owner = MemoryStream(b"abc", "<bytes>")
    >>> BorrowedStream(owner).close(); owner.closed
    False
    """

    def __init__(self, owner: ByteStream) -> None:
        super().__init__()
        self._owner = owner
        self.name = owner.name
        self.size = owner.size
        self.memory = owner.memory
        self.read_ahead = owner.read_ahead

    @property
    def origin(self) -> ByteStream:
        return self._owner.origin

    def retain_from(self, offset: int) -> None:
        self._owner.retain_from(offset)

    def _pread(self, offset: int, length: int) -> bytes:
        return b"" if self._owner.closed else self._owner.pread(offset, length)

    def _preadinto(self, offset: int, view: memoryview) -> int:
        return 0 if self._owner.closed else self._owner.preadinto(offset, view)


# -- remote (fsspec) ---------------------------------------------------------------------------


def is_url(src: Any) -> bool:
    """Whether *src* is a string naming a URL (``scheme://...``) rather than a local path.

    >>> is_url("https://example.org/a.dcm"), is_url("s3://bucket/a.dcm"), is_url("/tmp/a.dcm")
    (True, True, False)
    """
    if not isinstance(src, str):
        return False
    scheme, sep, _ = src.partition("://")
    # "C://x" on Windows is a path: a scheme has at least two characters.
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum()


def _import_fsspec() -> Any:
    try:
        import fsspec
    except ImportError:
        raise MissingDependencyError(
            "Reading a URL needs fsspec (and for HTTP, aiohttp): "
            f"{REMOTE_INSTALL_HINT}"
        ) from None
    return fsspec


def is_fsspec_file(obj: Any) -> bool:
    """Whether *obj* is an open fsspec file (it knows its filesystem and path).

    >>> is_fsspec_file(open(__file__, "rb"))
    False
    """
    return hasattr(obj, "fs") and isinstance(getattr(obj, "path", None), str) and hasattr(obj, "read")


class RemoteStream(ByteStream):
    """A file on any fsspec filesystem, read with one range request per read.

    Reads go through ``fs.cat_file(path, start, end)`` rather than fsspec's own
    read-ahead caches, so that each costs exactly one request and the bytes asked
    for. Small reads (an item header, an offset table) are served from a block
    read around them; the block starts at :data:`MIN_BLOCK` bytes and doubles
    while small reads go forward (a walk over item headers), up to
    :data:`MAX_BLOCK`, so a walk costs a few requests, not one per item, while a
    single random read costs one small block.

    :param url: the URL, or the path on *fs*.
    :param fs: the filesystem; ``None`` to find it from *url* with *storage_options*.
    :param storage_options: passed to fsspec (credentials, ``client_kwargs``, ...).

    >>> import fsspec
    >>> with fsspec.open("memory://doc/example.bin", "wb") as f:
    ...     _ = f.write(bytes(range(256)) * 4)
    >>> with RemoteStream("memory://doc/example.bin") as stream:   # 2 requests: size, then bytes
    ...     stream.size, stream.pread(1000, 3), stream.requests
    (1024, b'\\xe8\\xe9\\xea', 2)
    """

    MIN_BLOCK = 4 * 1024
    MAX_BLOCK = 8 * 1024 * 1024
    #: reads at least this large go straight to one range request of their own.
    DIRECT = 64 * 1024
    read_ahead = 64 * 1024

    def __init__(
        self, url: str, *, fs: Any = None, storage_options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.url = url
        self.storage_options = dict(storage_options or {})
        if fs is None:
            fsspec = _import_fsspec()
            fs, path = fsspec.core.url_to_fs(url, **self.storage_options)
        else:
            path = url
        self.name = url
        self._fs = fs
        self._path = path
        self._block_size = self.MIN_BLOCK
        self._block: tuple[int, bytes] = (0, b"")
        self._block_lock = threading.Lock()
        try:
            size = fs.size(path)
        except FileNotFoundError:
            raise DicomFileNotFoundError(f"No such file: '{url}'") from None
        except Exception as exc:  # fsspec backends raise their own types (aiohttp, botocore)
            raise _remote_error(url, exc) from None
        if size is None:
            raise RemoteReadError(
                f"Unable to read '{url}': the server does not report its size, so it cannot be "
                "read by range; download it and pass the local path or its bytes"
            )
        self.size = int(size)
        self.count_read(0)  # the size costs a request (HEAD, stat, ...)

    @classmethod
    def from_fsspec_file(cls, fileobj: Any) -> RemoteStream:
        """A stream over what an open fsspec file refers to (its filesystem and path, not its position)."""
        fs = fileobj.fs
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        path = fileobj.path
        name = path if "://" in path else f"{protocol}://{path}"
        stream = cls(path, fs=fs)
        stream.name = stream.url = name
        stream.storage_options = dict(getattr(fs, "storage_options", {}) or {})
        return stream

    def _after_fork(self) -> None:
        self._block_lock = threading.Lock()
        # An asynchronous filesystem's event loop belongs to the parent: ask fsspec for
        # this process's instance of the same filesystem.
        try:
            import fsspec

            self._fs = fsspec.filesystem(self._fs.protocol if isinstance(self._fs.protocol, str)
                                         else self._fs.protocol[0], **self.storage_options)
        except Exception:
            pass

    def _cat(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if end <= start:
            return b""
        try:
            data = self._fs.cat_file(self._path, start=start, end=end)
        except FileNotFoundError:
            raise DicomFileNotFoundError(f"No such file: '{self.name}' (it was removed?)") from None
        except Exception as exc:  # fsspec backends raise their own types (aiohttp, botocore)
            raise _remote_error(self.name, exc) from None
        if len(data) > end - start:
            # a server that ignored the Range header sent more than asked for
            raise RemoteReadError(
                f"Unable to read '{self.name}' by range: {len(data)} bytes came for a request "
                f"of {end - start}; the server must support HTTP Range requests"
            )
        return bytes(data)

    def pread(self, offset: int, length: int) -> bytes:
        self._check_process()
        if length >= self.DIRECT:
            data = self._cat(offset, offset + length)
            self.count_read(len(data))
            return data
        with self._block_lock:
            start, block = self._block
            if start <= offset and offset + length <= start + len(block):
                return block[offset - start : offset - start + length]
            # Forward from the last block, within one block size: a walk, so read more.
            walking = start <= offset <= start + len(block) + self._block_size
            self._block_size = min(self._block_size * 2, self.MAX_BLOCK) if walking else self.MIN_BLOCK
            size = max(self._block_size, length)
            block = self._cat(offset, offset + size)
            self.count_read(len(block))
            self._block = (offset, block)
            return block[:length]

    def preadinto(self, offset: int, view: memoryview) -> int:
        data = self.pread(offset, len(view))
        view[: len(data)] = data
        return len(data)


def _remote_error(url: str, exc: BaseException) -> RemoteReadError:
    return RemoteReadError(
        f"Unable to read '{url}': {type(exc).__name__}: {exc}. Check the URL, the network and "
        "the credentials in storage_options="
    )


# -- opening -------------------------------------------------------------------------------------


def open_stream(src: Any, *, storage_options: Mapping[str, Any] | None = None) -> ByteStream:
    """Return the :class:`ByteStream` for a path, URL, bytes, file object or fsspec file.

    :param storage_options: for a URL, passed to fsspec.
    :raises DicomFileNotFoundError: a path or URL that does not exist.
    :raises NotARegularFileError: a path that is a directory, FIFO or device.
    :raises ~dicom_pixels.errors.MissingDependencyError: a URL without fsspec installed.

    >>> import io
    >>> type(open_stream(io.BytesIO(b"x"))).__name__, type(open_stream(b"x")).__name__
    ('FileObjectStream', 'MemoryStream')
    """
    if isinstance(src, (bytes, bytearray, memoryview)):
        return MemoryStream(src, "<bytes>")
    if is_url(src):
        return RemoteStream(src, storage_options=storage_options)
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if hasattr(os, "pread"):
            return PathStream(path)
        check_regular_file(path)
        return FileObjectStream(open(path, "rb"), path, owned=True)
    if is_fsspec_file(src):
        return RemoteStream.from_fsspec_file(src)
    if hasattr(src, "read") and hasattr(src, "seek"):
        return FileObjectStream(src, repr(src), owned=False)
    raise InvalidDicomError(
        f"Unable to read DICOM from a {type(src).__name__}: pass a path, a URL, bytes or a "
        "seekable binary file object"
    )


# -- deflated datasets ---------------------------------------------------------------------------


class InflatedStream(ByteStream):
    """A Deflated Explicit VR Little Endian file (PS3.5 A.5) seen as if it were not deflated.

    The stream is the file's bytes up to the end of the File Meta Information
    (*prefix_length*) followed by the inflated dataset. The dataset is inflated
    chunk by chunk and never held whole: a first pass only measures it (checking
    *limit* before anything is kept); afterwards reads go forward, keeping only
    the bytes asked for, so a value that is skipped is inflated and dropped. From
    :meth:`retain_from` on (the pixel element's value), every inflated byte is
    kept, since frames are read at random. The first pass also keeps a copy of the
    inflater's state every :data:`SNAPSHOT_EVERY` inflated bytes (about 32 KiB of
    window each), so that a read far ahead (after a large value skipped) or behind
    what was dropped resumes from the nearest state instead of inflating everything
    before it again.

    :param raw: the file.
    :param prefix_length: where the deflated bytes start.
    :param limit: the largest inflated dataset accepted (bytes).
    :raises InvalidDicomError: the dataset inflates past *limit*, or is not deflate data.

    >>> import zlib
    >>> packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    >>> raw = MemoryStream(b"META" + packer.compress(bytes(100) + b"pixels") + packer.flush(), "f")
    >>> stream = InflatedStream(raw, 4, limit=1000)
    >>> stream.size, stream.pread(0, 4), stream.pread(104, 6)
    (110, b'META', b'pixels')
    """

    CHUNK = 1 << 20
    #: compressed bytes read at once (an inflater state kept holds at most this much input).
    RAW_CHUNK = 64 * 1024
    #: inflated bytes between two kept inflater states.
    SNAPSHOT_EVERY = 32 * 1024 * 1024

    def __init__(self, raw: ByteStream, prefix_length: int, *, limit: int) -> None:
        super().__init__()
        self.name = raw.name
        self._raw = raw
        self._prefix = raw.pread(0, prefix_length)
        self._start = prefix_length
        self._limit = limit
        self._lock = threading.Lock()
        self._retain_start: int | None = None
        self._retained = bytearray()
        #: (inflated offset, inflater state, compressed offset) kept by the first pass.
        self._snapshots: list[tuple[int, Any, int]] = []
        self.size = prefix_length + self._measure()
        self._restart()

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    @property
    def origin(self) -> ByteStream:
        return self._raw.origin

    def close(self) -> None:
        """Close the file and drop the bytes kept."""
        self._raw.close()
        self._retained = bytearray()
        self._chunk = b""
        super().close()

    @property
    def raw_bytes_read(self) -> int:
        """Compressed bytes read from the file so far (both passes)."""
        return self._raw.bytes_read

    def _chunks(self, resume: tuple[int, Any, int] | None = None) -> Any:
        """Yield (chunk, inflater, compressed offset): the inflated dataset in chunks of at
        most :data:`CHUNK` bytes, from the start or from a kept state."""
        if resume is None:
            inflater, pos = zlib.decompressobj(-zlib.MAX_WBITS), self._start
        else:
            inflater, pos = resume[1].copy(), resume[2]
        try:
            while not inflater.eof:
                data = inflater.unconsumed_tail
                if not data:
                    data = self._raw.pread(pos, self.RAW_CHUNK)
                    pos += len(data)
                    if not data:
                        return  # a truncated stream: the parser reports what is missing
                out = inflater.decompress(data, self.CHUNK)
                if out:
                    yield out, inflater, pos
        except zlib.error as exc:
            raise InvalidDicomError(
                f"The deflated dataset of {self.name} (from offset {self._start}) cannot be "
                f"inflated: {exc} (PS3.5 A.5)"
            ) from None

    def _measure(self) -> int:
        total = 0
        for chunk, inflater, pos in self._chunks():
            total += len(chunk)
            if total - (self._snapshots[-1][0] if self._snapshots else 0) >= self.SNAPSHOT_EVERY:
                self._snapshots.append((total, inflater.copy(), pos))
            if total > self._limit:
                raise InvalidDicomError(
                    f"The deflated dataset of {self.name} inflates to more than {self._limit} "
                    "bytes (dicom_pixels.reader.MAX_INFLATED_SIZE): refusing to continue; raise "
                    "the limit if the file is trusted"
                )
        return total

    def _restart(self, offset: int = 0) -> None:
        """Inflate from the kept state nearest before stream *offset* (or from the start)."""
        resume = None
        for snapshot in self._snapshots:
            if self._start + snapshot[0] > offset:
                break
            resume = snapshot
        self._producer = self._chunks(resume)
        #: the last chunk inflated, and the stream offset of its first byte.
        self._chunk = b""
        self._chunk_start = self._start + (resume[0] if resume else 0)
        self._retained = bytearray()

    def _next_chunk(self) -> bool:
        """Inflate the next chunk (keeping what is retained); ``False`` at the end."""
        start = self._chunk_start + len(self._chunk)
        chunk = next(self._producer, (b"",))[0]
        if not chunk:
            return False
        self._chunk, self._chunk_start = chunk, start
        keep = self._retain_start
        if keep is not None and start + len(chunk) > keep:
            self._retained += memoryview(chunk)[max(0, keep - start):]
        return True

    def retain_from(self, offset: int) -> None:
        """Keep every inflated byte from *offset* on (where the pixel data starts)."""
        with self._lock:
            if self._retain_start is not None and self._retain_start <= offset:
                return
            if offset < self._chunk_start:
                self._restart(offset)
            self._retain_start = offset
            end = self._chunk_start + len(self._chunk)
            self._retained = bytearray(self._chunk[max(0, offset - self._chunk_start):]) if end > offset else bytearray()

    def _pread(self, offset: int, length: int) -> bytes:
        parts = []
        if offset < self._start:
            head = self._prefix[offset : offset + length]
            parts.append(head)
            offset += len(head)
            length -= len(head)
        if length > 0 and offset < self.size:
            with self._lock:
                parts.append(self._inflated(offset, min(length, self.size - offset)))
        return b"".join(parts)

    def _inflated(self, offset: int, length: int) -> bytes:
        keep = self._retain_start
        if keep is not None and offset >= keep:
            while keep + len(self._retained) < offset + length and self._next_chunk():
                pass
            return bytes(self._retained[offset - keep : offset - keep + length])
        ahead = self._chunk_start + len(self._chunk) + self.SNAPSHOT_EVERY
        if offset < self._chunk_start or (offset > ahead and self._snapshots):
            # behind what was dropped, or far ahead: resume from the nearest kept state
            self._restart(offset)
        parts = []
        end = offset + length
        while True:
            chunk_end = self._chunk_start + len(self._chunk)
            if chunk_end > offset:
                low = max(offset, self._chunk_start) - self._chunk_start
                parts.append(self._chunk[low : min(end, chunk_end) - self._chunk_start])
                if chunk_end >= end:
                    break
            if not self._next_chunk():
                break
        return b"".join(parts)
