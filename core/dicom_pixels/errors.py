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
    "ArgumentIndexError",
    "ArgumentTypeError",
    "CodecError",
    "DecodeError",
    "DicomFileNotFoundError",
    "DicomIsADirectoryError",
    "DicomPixelsError",
    "DuplicatePositionError",
    "EncodeError",
    "EncodingProfileError",
    "FrameIndexError",
    "InconsistentOrientationError",
    "InconsistentShapeError",
    "InvalidArgumentError",
    "InvalidDicomError",
    "InvalidPixelDescriptionError",
    "MissingDependencyError",
    "MissingGeometryError",
    "MixedSeriesError",
    "NoPluginError",
    "NotARegularFileError",
    "OutputTooLargeError",
    "OutputWriteError",
    "PluginRegistrationError",
    "RemoteReadError",
    "SeriesError",
    "SliceGapError",
    "SourceCannotTravelError",
    "TruncatedDataError",
    "UnsupportedTransferSyntaxError",
]


class DicomPixelsError(Exception):
    """Base class of every error raised by dicom-pixels.

    Every error pickles (a Dask worker or a spawned process sends it back to the
    caller), also the kinds that are both a ``ValueError`` and an ``OSError``
    (:class:`DicomFileNotFoundError`), whose default reduction, and the one
    ``distributed`` installs for every exception through tblib, cannot rebuild them.

    >>> import pickle
    >>> error = pickle.loads(pickle.dumps(DicomFileNotFoundError("No such file: 'a.dcm'")))
    >>> type(error).__name__, str(error)
    ('DicomFileNotFoundError', "No such file: 'a.dcm'")
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), self.args, self.__dict__ or None)


class InvalidDicomError(DicomPixelsError, ValueError):
    """The input is not a readable DICOM file or dataset (bad structure, lengths, tags)."""


class DicomFileNotFoundError(InvalidDicomError, FileNotFoundError):
    """The path or URL names nothing (a local path that does not exist, HTTP 404).

    Also a :class:`FileNotFoundError`, as ``open()`` would raise.

    >>> issubclass(DicomFileNotFoundError, (DicomPixelsError, FileNotFoundError))
    True
    """


class NotARegularFileError(InvalidDicomError, OSError):
    """The path is not a regular file (a FIFO, a socket, a device): refused before it is opened."""


class DicomIsADirectoryError(NotARegularFileError, IsADirectoryError):
    """The path is a directory; also an :class:`IsADirectoryError`."""


class RemoteReadError(DicomPixelsError, OSError):
    """A URL could not be read: a server error, a refused range request, a network failure."""


class SourceCannotTravelError(DicomPixelsError, TypeError):
    """A source on a caller's file object cannot be pickled (sent to another process):
    pass a path or a URL instead."""


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


class FrameIndexError(DicomPixelsError, IndexError, ValueError):
    """A frame index is outside the frames the pixel data holds.

    An ``IndexError`` like any out-of-range index, and also the ``ValueError``
    earlier releases raised for it, so existing ``except ValueError`` clauses keep working.

    >>> from dicom_pixels.errors import FrameIndexError
    >>> issubclass(FrameIndexError, IndexError) and issubclass(FrameIndexError, ValueError)
    True
    """


class InvalidArgumentError(DicomPixelsError, ValueError):
    """An argument has the right type but a value outside what it accepts; the message names it."""


class ArgumentTypeError(DicomPixelsError, TypeError):
    """An argument has the wrong type, or a keyword argument is not one the function knows
    (a misspelled decoding option such as ``as_RGB=True``); the message names it."""


class ArgumentIndexError(InvalidArgumentError, IndexError):
    """An index argument (which LUT, window or item to use) is out of range; the message gives the range."""


class OutputWriteError(DicomPixelsError, OSError):
    """Writing an output file failed (a full disk, no permission); the destination is unchanged."""


class SeriesError(DicomPixelsError, ValueError):
    """Files or frames do not form one consistent volume (see :func:`dicom_pixels.read_series`).

    Subclasses say which check failed; each message names the files or frames involved.
    """


class MixedSeriesError(SeriesError):
    """The input holds more than one Series Instance UID; pick one with ``series_uid=``."""


class InconsistentOrientationError(SeriesError):
    """Slices have different Image Orientation (Patient) (0020,0037)."""


class InconsistentShapeError(SeriesError):
    """Slices have different Rows, Columns, Samples per Pixel or pixel dtype."""


class DuplicatePositionError(SeriesError):
    """Two slices lie at the same position along the slice normal."""


class SliceGapError(SeriesError):
    """The distance between neighbouring slices varies beyond the tolerance (a missing slice?)."""


class MissingGeometryError(SeriesError):
    """A slice lacks Image Position (Patient), Image Orientation (Patient) or Pixel Spacing."""
