"""Sample videos: streams made with PyAV's own encoders, wrapped in DICOM as PS3.5 A.4.5 requires.

For tests, benchmarks and trying the plugin out. pydicom cannot decode video,
so the reference is PyAV decoding the same stream directly
(:func:`reference_frames`); :func:`video_dataset` needs pydicom to build the dataset.

>>> stream = make_stream("h264", moving_frames(3, 16, 32))
>>> reference_frames(stream).shape
(3, 16, 32, 3)
"""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np

#: (PyAV encoder, raw-stream muxer, transfer syntax UID) per codec.
CODECS = {
    "mpeg2": ("mpeg2video", "mpeg2video", "1.2.840.10008.1.2.4.100"),
    "h264": ("libx264", "h264", "1.2.840.10008.1.2.4.102"),
    "hevc": ("libx265", "hevc", "1.2.840.10008.1.2.4.107"),
}


def moving_frames(count: int, rows: int, columns: int) -> np.ndarray:
    """RGB frames with a bar and a gradient moving across them (every frame differs)."""
    y, x = np.mgrid[0:rows, 0:columns]
    frames = np.empty((count, rows, columns, 3), "u1")
    for i in range(count):
        frames[i, ..., 0] = (x * 4 + i * 9) % 256
        frames[i, ..., 1] = (y * 3 + i * 5) % 256
        frames[i, ..., 2] = np.where((x - i * 3) % columns < 8, 230, 40)
    return frames


def make_stream(
    codec: str, frames: np.ndarray, *, rate: int = 25, gop: int = 8, options: dict | None = None,
    pix_fmt: str = "yuv420p",
) -> bytes:
    """Encode *frames* with PyAV directly (not through the plugin)."""
    encoder, muxer, _ = CODECS[codec]
    out = io.BytesIO()
    with av.open(out, "w", format=muxer) as container:
        stream = container.add_stream(encoder, rate=Fraction(rate))
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = pix_fmt
        stream.codec_context.gop_size = gop
        if codec == "hevc":
            stream.options = {"x265-params": "log-level=error", **(options or {})}
        elif options:
            stream.options = options
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def reference_frames(stream: bytes, fmt: str = "rgb24") -> np.ndarray:
    """Every frame of *stream* decoded by PyAV directly: the oracle."""
    with av.open(io.BytesIO(stream)) as container:
        return np.stack([f.to_ndarray(format=fmt) for f in container.decode(video=0)])


def video_dataset(stream: bytes, uid: str, frames: int, rows: int, columns: int, *, fragments: int = 1, rate: int = 25):
    """A pydicom Video Endoscopic Image dataset holding *stream* as PS3.5 A.4.5 requires:
    one frame, the whole stream, split into *fragments* fragments."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "ES"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = 0x00181063  # Frame Time
    ds.FrameTime = 1000 / rate
    ds.CineRate = rate
    ds.LossyImageCompression = "01"
    padded = stream + b"\x00" * (len(stream) % 2)
    # PS3.5 A.4.5: the whole stream is one frame, in one or more fragments.
    ds.PixelData = encapsulate([padded], fragments_per_frame=fragments, has_bot=fragments == 1)
    ds["PixelData"].VR = "OB"
    ds.set_original_encoding(False, True)
    return ds


