"""Writing DICOM Part 10 files: file meta, elements, native or encapsulated pixel data.

A small, dependency-free writer for Explicit VR Little Endian datasets (and
the encapsulated transfer syntaxes, which share that encoding). Values are
given as Python objects with their VR and are encoded as PS3.5 6.2 and 7.1.2
require: text padded with a space, UIDs with NUL, binary values with 0x00 to
an even length. A path is written atomically through :func:`atomic_output`: to a
temporary in the destination directory that a killed process cannot leave behind,
then renamed, so a failed write leaves no half file and nothing else.

>>> import io, numpy as np
>>> from dicom_pixels.writer import DataElement, write_file
>>> buf = io.BytesIO()
>>> write_file(buf, [DataElement(0x00280010, "US", 1)], transfer_syntax_uid="1.2.840.10008.1.2.1",
...            sop_class_uid="1.2.840.10008.5.1.4.1.1.7", sop_instance_uid="1.2.3")
>>> buf.getvalue()[128:132]
b'DICM'
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import struct
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__
from .elements import LONG_VRS
from .errors import DicomPixelsError, InvalidDicomError, OutputWriteError

__all__ = [
    "IMPLEMENTATION_CLASS_UID",
    "STALE_TEMP_AGE",
    "DataElement",
    "atomic_output",
    "encode_element",
    "encode_value",
    "remove_stale_temporaries",
    "write_file",
]

#: Our Implementation Class UID (PS3.7 D.3.3.2), under the UUID-derived 2.25 root.
IMPLEMENTATION_CLASS_UID = "2.25.157620913412405117233468154786318432711"
_NUMERIC = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "SV": "q", "UV": "Q", "AT": "L"}
_BINARY = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}


@dataclass(frozen=True)
class DataElement:
    """An element to write: tag, VR and a Python value (``bytes`` for binary VRs)."""

    tag: int
    vr: str
    value: Any


def encode_value(vr: str, value: Any) -> bytes:
    """The little-endian bytes of one element value of *vr* (PS3.5 6.2), padded to even length.

    >>> encode_value("US", [1, 2]), encode_value("CS", "RGB")
    (b'\\x01\\x00\\x02\\x00', b'RGB ')
    """
    if value is None:
        return b""
    if vr in _NUMERIC:
        values = value if isinstance(value, (list, tuple)) else [value]
        if vr == "AT":
            return b"".join(struct.pack("<HH", v >> 16, v & 0xFFFF) for v in values)
        return struct.pack(f"<{len(values)}{_NUMERIC[vr]}", *values)
    if vr in _BINARY:
        raw = bytes(value)
        return raw + b"\x00" * (len(raw) % 2)
    if vr == "SQ":
        raise InvalidDicomError("Writing sequences by value is not supported; pass the raw bytes with VR 'UN'")
    if isinstance(value, (list, tuple)):
        text = "\\".join(_format_text(vr, v) for v in value)
    else:
        text = _format_text(vr, value)
    raw = text.encode("ascii" if vr in ("UI", "CS", "DS", "IS", "DA", "TM", "DT", "AS", "AE") else "utf-8")
    pad = b"\x00" if vr == "UI" else b" "
    return raw + pad * (len(raw) % 2)


def _format_text(vr: str, value: Any) -> str:
    if vr == "DS" and isinstance(value, float):
        text = repr(value) if len(repr(value)) <= 16 else f"{value:.10g}"
        return text[:16]
    return str(value)


def encode_element(element: DataElement) -> bytes:
    """Encode one element in Explicit VR Little Endian (PS3.5 7.1.2).

    >>> encode_element(DataElement(0x00280010, "US", 512)).hex()
    '28001000555302000002'
    """
    value = encode_value(element.vr, element.value)
    group, elem = element.tag >> 16, element.tag & 0xFFFF
    if element.vr in LONG_VRS:
        return struct.pack("<HH2sHL", group, elem, element.vr.encode(), 0, len(value)) + value
    if len(value) > 0xFFFF:
        raise InvalidDicomError(
            f"The value of ({group:04X},{elem:04X}) is {len(value)} bytes, too long for VR {element.vr}"
        )
    return struct.pack("<HH2sH", group, elem, element.vr.encode(), len(value)) + value


def file_meta_bytes(transfer_syntax_uid: str, sop_class_uid: str, sop_instance_uid: str) -> bytes:
    """Return the preamble, ``DICM`` prefix and File Meta Information group (PS3.10 7.1)."""
    elements = [
        DataElement(0x00020001, "OB", b"\x00\x01"),
        DataElement(0x00020002, "UI", sop_class_uid),
        DataElement(0x00020003, "UI", sop_instance_uid),
        DataElement(0x00020010, "UI", transfer_syntax_uid),
        DataElement(0x00020012, "UI", IMPLEMENTATION_CLASS_UID),
        DataElement(0x00020013, "SH", f"DICOM_PIXELS_{__version__}"[:16]),
    ]
    body = b"".join(encode_element(e) for e in elements)
    group_length = encode_element(DataElement(0x00020000, "UL", len(body)))
    return b"\x00" * 128 + b"DICM" + group_length + body


def encapsulated_pixel_data(frames: Sequence[bytes]) -> bytes:
    """Return an undefined-length Pixel Data element holding *frames* (PS3.5 A.4).

    One fragment per frame, a Basic Offset Table, odd fragments padded.
    """
    from .encaps import encapsulate

    header = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF)
    return header + encapsulate(list(frames), has_bot=True) + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def write_file(
    dst: str | os.PathLike[str] | BinaryIO,
    elements: Iterable[DataElement],
    *,
    transfer_syntax_uid: str,
    sop_class_uid: str,
    sop_instance_uid: str,
    pixel_data: bytes | None = None,
    frames: Sequence[bytes] | None = None,
    pixel_keyword_tag: int = 0x7FE00010,
    pixel_vr: str = "OW",
) -> None:
    """Write a Part 10 file with *elements* and native (*pixel_data*) or encapsulated (*frames*) pixels.

    Elements are sorted by tag (PS3.5 7.1: ascending order). A path is written
    atomically through a temporary file in the same directory.
    """
    parts = [file_meta_bytes(transfer_syntax_uid, sop_class_uid, sop_instance_uid)]
    for element in sorted(elements, key=lambda e: e.tag):
        if element.tag >= 0x7FE00008:
            raise InvalidDicomError("Pass pixel data through pixel_data= or frames=")
        parts.append(encode_element(element))
    if frames is not None:
        parts.append(encapsulated_pixel_data(frames))
    elif pixel_data is not None:
        parts.append(encode_element(DataElement(pixel_keyword_tag, pixel_vr, pixel_data)))
    blob = b"".join(parts)
    if hasattr(dst, "write"):
        dst.write(blob)
        return
    atomic_write_bytes(Path(os.fspath(dst)), blob)


# The process umask, read once at import (reading it means setting it, which is not
# thread-safe later): new files get the permissions open() would give them.
_UMASK = os.umask(0o022)
os.umask(_UMASK)

#: Named temporaries are ``.dicom-pixels-<pid>-<random>.tmp``: the pid tells a later
#: write whether the process that made one is still running.
_TEMP_PREFIX = ".dicom-pixels-"
_TEMP_NAME = re.compile(r"^\.dicom-pixels-(\d+)-[A-Za-z0-9_]+\.tmp$")
#: A named temporary older than this many seconds whose process has ended is removed by
#: the next write into its directory (a process killed between naming and renaming its
#: output, or a platform without ``O_TMPFILE``).
STALE_TEMP_AGE = 15 * 60
# Directories already cleaned by this process: one listing per directory, not per write.
_CLEANED: set[str] = set()
_CLEANED_LOCK = threading.Lock()
# Linux: an O_TMPFILE file has no name until linked through its /proc/self/fd entry.
_CAN_LINK_ANONYMOUS = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _mode_for(path: Path) -> int:
    """The mode *path* has, or for a new file the one ``open()`` would give (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


def temp_file_beside(path: Path) -> tuple[int, str]:
    """Create a named temporary file next to *path* for an atomic replace; return (fd, its path).

    The name carries our pid (``.dicom-pixels-<pid>-<random>.tmp``) so that a later
    write can remove it if this process dies before renaming it. ``mkstemp`` creates
    files readable by the owner only; the file gets the mode of the *path* it will
    replace, or for a new file the mode ``open()`` would give, so a written DICOM file
    is as readable as any other.

    >>> import tempfile, stat
    >>> target = Path(tempfile.mkdtemp()) / "out.dcm"
    >>> fd, tmp = temp_file_beside(target)
    >>> os.close(fd); stat.S_IMODE(os.stat(tmp).st_mode) == 0o666 & ~_UMASK
    True
    >>> bool(_TEMP_NAME.match(os.path.basename(tmp)))
    True
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))
    except (AttributeError, OSError):  # no fchmod (Windows): keep mkstemp's mode
        pass
    return fd, tmp


def _process_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        # Windows: os.kill would terminate the process; a file still open in a live
        # process cannot be deleted there, so the unlink below is the check.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def remove_stale_temporaries(directory: str | os.PathLike[str], older_than: float | None = None) -> list[str]:
    """Remove our named temporaries in *directory* left by processes that ended; return their paths.

    Only files named as :func:`temp_file_beside` names them, older than *older_than*
    seconds (default :data:`STALE_TEMP_AGE`) and made by a process that no longer
    runs, are removed. Every write through :func:`atomic_output` calls this once per
    directory and process. In a directory shared between machines (NFS, which has no
    ``O_TMPFILE``), a pid is only checked on this machine: raise
    :data:`STALE_TEMP_AGE` above the longest write there.

    >>> import tempfile, subprocess, sys
    >>> folder = tempfile.mkdtemp()
    >>> ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
    ...                        capture_output=True, text=True).stdout.strip()
    >>> leftover = os.path.join(folder, f".dicom-pixels-{ended}-x1y2z3.tmp")
    >>> open(leftover, "wb").close(); os.utime(leftover, (0, 0))
    >>> remove_stale_temporaries(folder) == [leftover], os.listdir(folder)
    (True, [])
    """
    removed: list[str] = []
    oldest = time.time() - (STALE_TEMP_AGE if older_than is None else older_than)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None:
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime > oldest:
                continue
            if _process_running(int(match.group(1))) or not entry.is_file(follow_symlinks=False):
                continue
            os.unlink(entry.path)
        except OSError:  # gone already, or still open in a live process (Windows)
            continue
        removed.append(entry.path)
    return removed


def _clean_once(directory: Path) -> None:
    key = os.path.abspath(directory)
    with _CLEANED_LOCK:
        if key in _CLEANED:
            return
        _CLEANED.add(key)
    remove_stale_temporaries(directory)


def _open_temporary(path: Path) -> tuple[int, str | None]:
    """An fd for the new content of *path*: anonymous (``O_TMPFILE``, name ``None``) where possible."""
    directory = path.parent
    _clean_once(directory)
    if _CAN_LINK_ANONYMOUS:
        mode = _mode_for(path)
        try:
            fd = os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, mode)
        except OSError as exc:
            # The file system (or an old kernel) has no O_TMPFILE: use a named temporary.
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
        else:
            os.fchmod(fd, mode)  # the umask applied to O_TMPFILE's mode too
            return fd, None
    return temp_file_beside(path)


def _link_anonymous(fd: int, directory: Path) -> str:
    """Give an ``O_TMPFILE`` file a name of our pattern in *directory* (open(2): linkat)."""
    # A directory fd makes os.link call linkat(AT_SYMLINK_FOLLOW), which follows the
    # /proc magic link to the file; without one, CPython before 3.13 calls link(), which
    # links the /proc entry itself and fails with EXDEV.
    directory_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        while True:
            name = f"{_TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(8)}.tmp"
            try:
                os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=directory_fd, follow_symlinks=True)
            except FileExistsError:
                continue
            return str(directory / name)
    finally:
        os.close(directory_fd)


def _hold_open(path: Path) -> int | None:
    """A descriptor on the file *path* names now (a regular file only), or ``None``.

    Held across the rename, it keeps the replaced file's blocks allocated, so that the
    rename does not free them (9 ms for a 20 MB file here) and :func:`_close_later`
    frees them off the caller's path.
    """
    if os.name != "posix":  # elsewhere a file held open cannot be replaced
        return None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # never open a FIFO or a device
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _close_later(fd: int | None) -> None:
    """Close *fd* on a thread: the last reference to a replaced file frees its blocks."""
    if fd is not None:
        threading.Thread(target=os.close, args=(fd,), name="dicom-pixels-release", daemon=True).start()


class _Writeback:
    """Flush what has been written to disk on a thread, while the content is still being
    produced, so that the fsync that makes the finished file durable has little left to
    wait for (it was a tenth of a fast transcode's time). ``fdatasync`` releases the GIL,
    and the kernel allows it while another thread writes to the same file.

    The file's size is looked at every :data:`WRITEBACK_INTERVAL` seconds and flushed once
    it has grown by :data:`WRITEBACK_BYTES`: a flush per few megabytes, not per tick, where
    each one is expensive (a COMMIT round trip on NFS)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dicom-pixels-writeback", daemon=True)

    def __enter__(self) -> _Writeback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)
        flushed = 0
        while not self.stop.wait(WRITEBACK_INTERVAL):
            try:
                size = os.fstat(self.fd).st_size
                if size - flushed >= WRITEBACK_BYTES:
                    sync(self.fd)
                    flushed = size
            except OSError:
                return  # the final fsync reports it


#: Seconds between two looks at the size of :func:`atomic_output`'s file.
WRITEBACK_INTERVAL = 0.02
#: Bytes written since the last background flush that make the next one.
WRITEBACK_BYTES = 4 * 1024**2


def _sync_directory(directory: Path) -> None:
    # POSIX: the rename is durable once the directory itself is flushed.
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file whose content replaces *path* atomically when the block ends.

    The file is a temporary in *path*'s directory that cannot be orphaned: on Linux it
    is opened with ``O_TMPFILE`` (no name: a killed process leaves nothing) and named
    only once complete, then renamed over *path*; elsewhere it is a named temporary of
    our own pattern, removed on failure, and removed by a later write if the process
    was killed (:func:`remove_stale_temporaries`). It is readable and seekable, so
    the content can be checked before it replaces *path*. The new file gets *path*'s
    mode, or for a new file the mode ``open()`` would give.

    If the block raises, or writing fails (a full disk), *path* is left as it was and
    no temporary remains. Leave the file open in the block: it is flushed, synced and
    closed when the block ends.

    :raises OutputWriteError: writing, naming or renaming failed (the ``OSError`` is
        the cause).

    >>> import tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "frame.npy")
    >>> with atomic_output(target) as f:
    ...     _ = f.write(b"complete")
    >>> open(target, "rb").read(), os.listdir(os.path.dirname(target))
    (b'complete', ['frame.npy'])
    >>> try:
    ...     with atomic_output(target) as f:
    ...         _ = f.write(b"half")
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> open(target, "rb").read(), os.listdir(os.path.dirname(target))
    (b'complete', ['frame.npy'])
    """
    path = Path(os.fspath(path))
    directory = path.parent
    named: str | None = None
    try:
        fd, named = _open_temporary(path)
        out = os.fdopen(fd, "w+b")
    except OSError as exc:
        raise _write_error(path, exc) from exc
    writeback = _Writeback(out.fileno())
    try:
        with writeback:
            yield out
        out.flush()
        os.fsync(out.fileno())
        if named is None:
            named = _link_anonymous(out.fileno(), directory)
        out.close()
        replaced = _hold_open(path)
        try:
            os.replace(named, path)
        finally:
            _close_later(replaced)  # also when the rename failed: never leak the descriptor
        named = None
        _sync_directory(directory)
    except BaseException as exc:
        try:
            out.close()  # flushing what is buffered may fail again (a full disk): that is known
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, DicomPixelsError):
            raise _write_error(path, exc) from exc
        raise
    finally:
        if named is not None:
            try:
                os.unlink(named)
            except OSError:
                pass


def _write_error(path: Path, exc: OSError) -> OutputWriteError:
    reason = exc.strerror or str(exc)
    return OutputWriteError(
        f"Unable to write '{path}': {reason}. Nothing was changed: an existing '{path.name}' "
        "is as it was and no temporary file remains; free some space or choose another "
        "destination"
    )


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write *data* to *path* through :func:`atomic_output`: all or nothing.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "x.bin"
    >>> atomic_write_bytes(target, b"abc"); target.read_bytes()
    b'abc'
    """
    with atomic_output(path) as out:
        out.write(data)
