"""Helpers for the stream tests: an HTTP server with Range support on 127.0.0.1, and
multi-frame files built byte by byte (RLE Lossless frames, PS3.5 Annex G)."""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from dicom_pixels.writer import DataElement, write_file

RLE_LOSSLESS = "1.2.840.10008.1.2.5"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def rle_frame(frame: np.ndarray) -> bytes:
    """One 8-bit frame as RLE Lossless (PS3.5 G.3): one segment, each row literal runs."""
    runs = bytearray()
    for row in frame:
        for start in range(0, len(row), 128):  # a literal run holds at most 128 bytes
            chunk = row[start : start + 128].tobytes()
            runs.append(len(chunk) - 1)
            runs += chunk
    header = struct.pack("<16I", 1, 64, *([0] * 14))
    return header + bytes(runs)


def frame_pixels(index: int, rows: int, cols: int) -> np.ndarray:
    """A frame whose pixels say which frame it is."""
    return ((np.arange(rows * cols, dtype=np.uint32) * 7 + index * 13) % 251).astype(np.uint8).reshape(rows, cols)


def image_elements(rows: int, cols: int, frames: int, bits: int = 8) -> list[DataElement]:
    return [
        DataElement(0x00080016, "UI", SECONDARY_CAPTURE),
        DataElement(0x00080018, "UI", "1.2.3.4.5"),
        DataElement(0x00280002, "US", 1),
        DataElement(0x00280004, "CS", "MONOCHROME2"),
        DataElement(0x00280008, "IS", str(frames)),
        DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", cols),
        DataElement(0x00280100, "US", bits),
        DataElement(0x00280101, "US", bits),
        DataElement(0x00280102, "US", bits - 1),
        DataElement(0x00280103, "US", 0),
    ]


def write_rle_slide(path: Path, frames: int, rows: int = 64, cols: int = 64) -> Path:
    """A multi-frame RLE file with a Basic Offset Table, one fragment per frame."""
    encoded = [rle_frame(frame_pixels(i, rows, cols)) for i in range(frames)]
    write_file(path, image_elements(rows, cols, frames), transfer_syntax_uid=RLE_LOSSLESS,
               sop_class_uid=SECONDARY_CAPTURE, sop_instance_uid="1.2.3.4.5", frames=encoded)
    return path


class RangeServer:
    """A real HTTP server on 127.0.0.1 serving files with ``Range: bytes=a-b`` (206).

    Counts every request and the body bytes it served; records request headers.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests = 0
        self.bytes_served = 0
        self.headers: list[dict[str, str]] = []
        #: paths whose GETs are answered with this HTTP status (e.g. 500) instead of their bytes.
        self.failing: dict[str, int] = {}
        #: answer every GET with the whole file (200), as a server without Range support.
        self.ignore_range = False
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, body: bool) -> None:
                with server._lock:
                    server.requests += 1
                    server.headers.append(dict(self.headers))
                data = server.files.get(self.path)
                failing = server.failing.get(self.path) if body else None
                if data is None or failing:
                    self.send_response(failing or 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if server.ignore_range:
                    match = None
                if match:
                    start = int(match.group(1))
                    end = min(int(match.group(2)) + 1 if match.group(2) else len(data), len(data))
                    part = data[start:end]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
                else:
                    part = data
                    self.send_response(200)
                self.send_header("Content-Length", str(len(part)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if body:
                    with server._lock:  # counted before the client can see the bytes
                        server.bytes_served += len(part)
                    self.wfile.write(part)

            def do_GET(self) -> None:
                self._serve(body=True)

            def do_HEAD(self) -> None:
                self._serve(body=False)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.bytes_served = 0
            self.headers.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_in_forked_child(work: Callable[[], object], timeout: float = 60) -> tuple[str, object]:
    """Run *work* in a child made by ``fork`` (it inherits every open source of the parent):
    ``("ok", its result)``, or ``("error", "Type: message")`` when it raised or gave no
    answer within *timeout* seconds."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send(("ok", work()))
        except BaseException as exc:
            sender.send(("error", f"{type(exc).__name__}: {exc}"))

    process = context.Process(target=child)
    process.start()
    outcome = receiver.recv() if receiver.poll(timeout) else ("error", "no answer")
    process.join(30)
    return outcome
