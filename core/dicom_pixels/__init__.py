"""dicom-pixels: DICOM Pixel Data to NumPy arrays and back, through codec plugins.

The public API mirrors ``pydicom.pixels`` (same names, arguments and array
shapes); codecs come from plugins found through the ``dicom_pixels``
entry-point group.

>>> import dicom_pixels as dp
>>> dp.pixel_array(dp.examples.get_path("ct")).shape
(128, 128)

Where things live: :mod:`~dicom_pixels.hookspecs` (the plugin contract),
:mod:`~dicom_pixels.registry` (discovery, priorities, requirement checks),
:mod:`~dicom_pixels.uid` (transfer syntaxes), :mod:`~dicom_pixels.reader`
(lazy Part 10 reading), :mod:`~dicom_pixels.encaps` (fragments and offset
tables), :mod:`~dicom_pixels.source` (frame access), :mod:`~dicom_pixels.decoder`
(the pipeline), :mod:`~dicom_pixels.processing` (colour), :mod:`~dicom_pixels.api`
and :mod:`~dicom_pixels.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import encaps, errors, examples, processing, pydicom_bridge, uid
from .api import iter_pixels, pixel_array
from .codec import DecodeFrame, EncodeFrame
from .decoder import Decoder, get_decoder
from .description import ImageDescription
from .encoder import Encoder, get_encoder
from .errors import DicomPixelsError
from .hookspecs import hookimpl
from .pixel_dataset import compress, decompress, set_pixel_data
from .registry import (
    Capabilities,
    get_plugin_priority,
    plugins,
    register,
    set_plugin_priority,
)
from .series import Volume, read_series
from .source import FramesSource, PixelSource, open_source
from .transcode import transcode

__all__ = [
    "Capabilities",
    "DecodeFrame",
    "Decoder",
    "DicomPixelsError",
    "EncodeFrame",
    "Encoder",
    "FramesSource",
    "ImageDescription",
    "PixelSource",
    "Volume",
    "__version__",
    "compress",
    "decompress",
    "encaps",
    "errors",
    "examples",
    "get_decoder",
    "get_encoder",
    "get_plugin_priority",
    "hookimpl",
    "iter_pixels",
    "open_source",
    "pixel_array",
    "plugins",
    "processing",
    "pydicom_bridge",
    "read_series",
    "register",
    "set_pixel_data",
    "set_plugin_priority",
    "transcode",
    "uid",
]
