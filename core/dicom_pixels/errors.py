"""Every exception raised by dicom-pixels, rooted at :class:`DicomPixelsError`.

Each class also derives from the built-in exception that callers of pydicom
would catch for the same failure (``ValueError``, ``RuntimeError``, ...), so
existing ``except`` clauses keep working. Messages name the file, element or
frame involved and say what to do.

>>> from dicom_pixels.errors import InvalidDicomError, DicomPixelsError
>>> issubclass(InvalidDicomError, DicomPixelsError)
True
"""

from __future__ import annotations

__all__ = [
    "CodecError",
    "DecodeError",
    "DicomPixelsError",
    "EncodeError",
    "EncodingProfileError",
    "InvalidDicomError",
    "InvalidPixelDescriptionError",
    "MissingDependencyError",
    "NoPluginError",
    "OutputTooLargeError",
    "PluginRegistrationError",
    "TruncatedDataError",
    "UnsupportedTransferSyntaxError",
]


class DicomPixelsError(Exception):
    """Base class of every error raised by dicom-pixels."""


class InvalidDicomError(DicomPixelsError, ValueError):
    """The input is not a readable DICOM file or dataset (bad structure, lengths, tags)."""


class TruncatedDataError(InvalidDicomError):
    """The data ends before the length declared by an element, item or image description."""


class InvalidPixelDescriptionError(DicomPixelsError, ValueError):
    """An Image Pixel module value is missing, invalid or inconsistent with the pixel data."""


class OutputTooLargeError(InvalidPixelDescriptionError, MemoryError):
    """A decode needs more memory than a ceiling allows, or than the machine has.

    Also a ``MemoryError``, so that code catching that keeps working.
    """


class UnsupportedTransferSyntaxError(DicomPixelsError, NotImplementedError):
    """The transfer syntax is unknown, or known but carries no decodable pixel data here."""


class PluginRegistrationError(DicomPixelsError, RuntimeError):
    """A plugin declared an invalid codec or an unknown hook."""


class NoPluginError(DicomPixelsError, RuntimeError):
    """No installed plugin can handle the request; the message lists each plugin's reason."""


class MissingDependencyError(NoPluginError):
    """Every candidate plugin is installed but lacks a backend distribution."""


class CodecError(DicomPixelsError, RuntimeError):
    """A codec backend failed on specific data."""


class DecodeError(CodecError):
    """A frame could not be decoded; the message names the frame and the plugin."""


class EncodeError(CodecError):
    """A frame could not be encoded; the message names the frame and the plugin."""


class EncodingProfileError(DicomPixelsError, ValueError):
    """The image does not fit the encoding profile of the target transfer syntax (PS3.5 8.2)."""
