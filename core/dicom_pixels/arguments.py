"""Checks of public functions' arguments: a wrong type or value is refused up front, by name.

Every public function of :mod:`~dicom_pixels.processing`,
:mod:`~dicom_pixels.pixel_dataset`, :mod:`~dicom_pixels.transcode` and
:mod:`~dicom_pixels.encaps` checks its arguments with these helpers before any
work, so a path where a dataset belongs, ``None`` where an array belongs, an
index out of range or a misspelled keyword raises
:class:`~dicom_pixels.errors.ArgumentTypeError` (a ``TypeError``) or
:class:`~dicom_pixels.errors.InvalidArgumentError` (a ``ValueError``), both
:class:`~dicom_pixels.errors.DicomPixelsError`, naming the function, the
argument and what to pass instead -- never an ``AttributeError`` from deep
inside, and never silently ignored.

>>> import numpy as np
>>> from dicom_pixels.arguments import check_array
>>> check_array("ct.dcm", "arr", "apply_color_lut")
Traceback (most recent call last):
    ...
dicom_pixels.errors.ArgumentTypeError: apply_color_lut(): 'arr' must be a numpy.ndarray, not str ('ct.dcm'); to read pixels from a file use dicom_pixels.pixel_array(path)
"""

from __future__ import annotations

import difflib
import functools
import inspect
import operator
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from .errors import ArgumentIndexError, ArgumentTypeError, DicomPixelsError, InvalidArgumentError

__all__ = [
    "ENCODING_OPTIONS",
    "check_array",
    "check_bytes",
    "check_choice",
    "check_dataset",
    "check_index",
    "check_integer",
    "check_options",
    "check_path",
    "check_text",
    "checked_signature",
    "parameter_names",
]

#: Encoding options the core and the bundled plugins read (``EncodeFrame.option``);
#: an unknown option close to one of these is taken for a misspelling.
ENCODING_OPTIONS = frozenset(
    {"j2k_cr", "j2k_psnr", "jls_error", "quality", "use_mct", "planar_configuration",
     "deflate_level", "rle_segment_order"}
)

_Function = TypeVar("_Function", bound=Callable[..., Any])


def _shown(value: Any) -> str:
    """The type of *value*, with the value itself when it is short enough to help."""
    text = repr(value)
    kind = type(value).__name__
    return f"{kind} ({text})" if len(text) <= 60 and not isinstance(value, np.ndarray) else kind


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, bytes, os.PathLike))


def check_array(value: Any, name: str, function: str) -> np.ndarray:
    """*value* if it is a NumPy array, else :class:`ArgumentTypeError` naming *name*.

    >>> check_array(None, "arr", "pack_bits")
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.ArgumentTypeError: pack_bits(): 'arr' must be a numpy.ndarray, not NoneType (None)
    """
    if isinstance(value, np.ndarray):
        return value
    hint = "; to read pixels from a file use dicom_pixels.pixel_array(path)" if _is_path(value) else ""
    raise ArgumentTypeError(f"{function}(): '{name}' must be a numpy.ndarray, not {_shown(value)}{hint}")


def check_dataset(value: Any, name: str, function: str, *, pydicom_only: bool = False) -> None:
    """Refuse what is not a dataset: a pydicom ``Dataset`` (or, unless *pydicom_only*, a ``dict``).

    Processing functions read element values with ``ds.get(keyword)``, so a ``dict``
    of keywords works there; functions that change the dataset in place need pydicom's.

    >>> check_dataset("ct.dcm", "ds", "apply_windowing")
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.ArgumentTypeError: apply_windowing(): 'ds' must be a pydicom Dataset or a dict of element keywords, not str ('ct.dcm'); read the file first with pydicom.dcmread(path)
    """
    is_pydicom = callable(getattr(value, "data_element", None)) and callable(getattr(value, "get", None))
    if is_pydicom or (not pydicom_only and isinstance(value, Mapping)):
        return
    wanted = "a pydicom Dataset" if pydicom_only else "a pydicom Dataset or a dict of element keywords"
    hint = "; read the file first with pydicom.dcmread(path)" if _is_path(value) else ""
    raise ArgumentTypeError(f"{function}(): '{name}' must be {wanted}, not {_shown(value)}{hint}")


def check_integer(
    value: Any, name: str, function: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """*value* as an ``int`` (NumPy integers too, never ``bool``), within [*minimum*, *maximum*].

    >>> check_integer(2.5, "bits", "expand_segmented_lut")
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.ArgumentTypeError: expand_segmented_lut(): 'bits' must be an integer, not float (2.5)
    >>> check_integer(0, "nr_fragments", "fragment_frame", minimum=1)
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.InvalidArgumentError: fragment_frame(): 'nr_fragments' must be at least 1, not 0
    """
    if isinstance(value, bool):
        raise ArgumentTypeError(f"{function}(): '{name}' must be an integer, not bool ({value!r})")
    try:
        number = operator.index(value)
    except TypeError:
        raise ArgumentTypeError(f"{function}(): '{name}' must be an integer, not {_shown(value)}") from None
    if minimum is not None and number < minimum:
        raise InvalidArgumentError(f"{function}(): '{name}' must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise InvalidArgumentError(f"{function}(): '{name}' must be at most {maximum}, not {number}")
    return number


def check_index(value: Any, name: str, function: str, count: int, what: str) -> int:
    """*value* as an index into *count* *what*; out of range is :class:`ArgumentIndexError`.

    >>> check_index(5, "index", "apply_voi_lut", 2, "windows (Window Center/Width values)")
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.ArgumentIndexError: apply_voi_lut(): 'index' is 5, but there are 2 windows (Window Center/Width values): use 0 to 1
    """
    number = check_integer(value, name, function)
    if not 0 <= number < count:
        choices = f"use 0 to {count - 1}" if count else "there is nothing to choose"
        raise ArgumentIndexError(f"{function}(): '{name}' is {number}, but there are {count} {what}: {choices}")
    return number


def check_text(value: Any, name: str, function: str) -> str:
    """*value* if it is a ``str``, else :class:`ArgumentTypeError`."""
    if isinstance(value, str):
        return value
    raise ArgumentTypeError(f"{function}(): '{name}' must be a str, not {_shown(value)}")


def check_choice(value: Any, name: str, function: str, choices: Iterable[Any]) -> Any:
    """*value* if it is one of *choices*, else :class:`InvalidArgumentError` listing them.

    >>> check_choice("ybr", "current", "convert_color_space", ["RGB", "YBR_FULL"])
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.InvalidArgumentError: convert_color_space(): 'current' must be one of 'RGB', 'YBR_FULL', not 'ybr'
    """
    allowed = list(choices)
    if value in allowed:
        return value
    listed = ", ".join(repr(c) for c in allowed)
    raise InvalidArgumentError(f"{function}(): '{name}' must be one of {listed}, not {value!r}")


def check_path(value: Any, name: str, function: str) -> str:
    """*value* as a ``str`` path if it is a ``str`` or ``os.PathLike``, else :class:`ArgumentTypeError`."""
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        return path if isinstance(path, str) else os.fsdecode(path)
    raise ArgumentTypeError(f"{function}(): '{name}' must be a path (str or os.PathLike), not {_shown(value)}")


def check_bytes(value: Any, name: str, function: str) -> None:
    """Refuse what is not ``bytes``, ``bytearray`` or ``memoryview``."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ArgumentTypeError(
            f"{function}(): '{name}' must be bytes, bytearray or memoryview, not {_shown(value)}"
        )


def _suggestion(name: str, known: Collection[str]) -> str:
    by_lower = {k.lower(): k for k in known}  # as_RGB is as_rgb misspelled
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.75)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""


@functools.cache
def parameter_names(function: Callable[..., Any]) -> frozenset[str]:
    """The names of *function*'s parameters, but not its ``*args``/``**kwargs``.

    For :func:`check_options`: a misspelled parameter lands in ``**options`` too.

    >>> sorted(parameter_names(lambda arr, *, index=0, **options: None))
    ['arr', 'index']
    """
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return frozenset(p.name for p in inspect.signature(function).parameters.values() if p.kind not in kinds)


def check_options(options: Mapping[str, Any], known: Collection[str], function: str) -> None:
    """Refuse options that look like misspellings of *known* ones.

    Options unknown to the core but unlike any known name pass through: a
    third-party plugin may read its own.

    >>> check_options({"qualty": 90}, ENCODING_OPTIONS, "compress")
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.ArgumentTypeError: compress() got an unexpected keyword argument 'qualty' (did you mean 'quality'?)
    """
    for option in options:
        if option not in known:
            suggestion = _suggestion(option, known)
            if suggestion:
                raise ArgumentTypeError(f"{function}() got an unexpected keyword argument '{option}'{suggestion}")


def checked_signature(function: _Function) -> _Function:
    """Decorate *function* so that arguments not fitting its signature raise :class:`ArgumentTypeError`.

    Python's own ``TypeError`` (an unknown keyword, a missing argument) becomes a
    :class:`~dicom_pixels.errors.DicomPixelsError` too, with a close parameter
    name suggested. The check runs only when the call fails, so it costs nothing.

    >>> @checked_signature
    ... def window(arr, *, level=0):
    ...     return level
    >>> window(None, levle=3)
    Traceback (most recent call last):
        ...
    dicom_pixels.errors.ArgumentTypeError: window() got an unexpected keyword argument 'levle' (did you mean 'level'?)
    """
    signature = inspect.signature(function)
    takes_any_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    names = set() if takes_any_keyword else parameter_names(function)

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TypeError as exc:
            if isinstance(exc, DicomPixelsError):
                raise
            try:
                signature.bind(*args, **kwargs)
            except TypeError as mismatch:
                # A misspelled keyword also leaves its parameter missing: name the cause first.
                unknown = [k for k in kwargs if k not in names]
                if unknown:
                    message = f"got an unexpected keyword argument '{unknown[0]}'{_suggestion(unknown[0], names)}"
                else:
                    message = str(mismatch)
                raise ArgumentTypeError(f"{function.__name__}() {message}") from None
            raise

    return call  # type: ignore[return-value]
