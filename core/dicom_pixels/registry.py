"""Plugin discovery and the codec table.

Plugins are found through the ``dicom_pixels`` entry-point group (or given to
:func:`register`), validated by pluggy against :mod:`dicom_pixels.hookspecs`,
and asked once to declare their codecs on a :class:`CodecRegistrar`. Nothing
of a backend is imported until a codec is used: requirements are PEP 508
strings checked against installed distribution metadata.

Environment variables, read when the plugins are first loaded:

``DICOM_PIXELS_PLUGINS``
    comma-separated names: load only these plugins (allow-list).
``DICOM_PIXELS_BLOCK_PLUGINS``
    comma-separated names: never load these plugins.

>>> import dicom_pixels as dp
>>> "native" in [p.name for p in dp.plugins()]
True
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata as metadata
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar, Literal

import pluggy
from packaging.requirements import InvalidRequirement, Requirement

from . import hookspecs
from .description import ImageDescription
from .errors import (
    DicomPixelsError,
    MissingDependencyError,
    NoPluginError,
    PluginRegistrationError,
    UnsupportedTransferSyntaxError,
)
from .uid import TransferSyntax, lookup

__all__ = [
    "ENTRY_POINT_GROUP",
    "Capabilities",
    "Codec",
    "CodecRegistrar",
    "Converter",
    "PluginInfo",
    "PluginManager",
    "TransferSyntaxEndpoint",
    "get_plugin_priority",
    "manager",
    "missing_requirements",
    "plugins",
    "register",
    "set_plugin_priority",
    "try_codecs",
]

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
Operation = Literal["decode", "encode"]

#: Which built-in plugin distributions can decode each codec family, for the
#: "what to install" hint when no installed plugin handles a transfer syntax.
#: (tests/test_registry.py checks both tables against what the plugins declare.)
KNOWN_PLUGINS: dict[str, tuple[str, ...]] = {
    "native": ("native",),
    "encapsulated_native": ("native",),
    "deflate_frames": ("native",),
    "rle": ("native", "pylibjpeg", "gdcm", "imagecodecs"),
    "jpeg": ("pylibjpeg", "gdcm", "pillow", "imagecodecs"),
    "jpegls": ("pylibjpeg", "gdcm", "imagecodecs", "pyjpegls"),
    "j2k": ("pylibjpeg", "gdcm", "pillow", "imagecodecs"),
    "htj2k": ("pylibjpeg", "imagecodecs"),
    "jpegxl": ("imagecodecs",),
    # Video: PyAV's wheels hold GPL encoders, hence the opt-in extra's name.
    "mpeg": ("pyav-gpl",),
    "hevc": ("pyav-gpl",),
}

#: Which built-in plugin distributions can *encode* each transfer syntax (by keyword).
KNOWN_ENCODERS: dict[str, tuple[str, ...]] = {
    "RLELossless": ("native", "imagecodecs", "pylibjpeg", "gdcm"),
    "DeflatedImageFrameCompression": ("native",),
    "JPEGBaseline8Bit": ("pillow", "imagecodecs"),
    "JPEGExtended12Bit": ("imagecodecs",),
    "JPEGLossless": ("imagecodecs",),
    "JPEGLosslessSV1": ("gdcm", "imagecodecs"),
    "JPEGLSLossless": ("gdcm", "imagecodecs", "pyjpegls"),
    "JPEGLSNearLossless": ("imagecodecs", "pyjpegls"),
    "JPEG2000Lossless": ("pylibjpeg", "gdcm", "pillow", "imagecodecs"),
    "JPEG2000": ("pylibjpeg", "pillow", "imagecodecs"),
    "HTJ2KLossless": ("imagecodecs",),
    "HTJ2K": ("imagecodecs",),
    "JPEGXLLossless": ("imagecodecs",),
    "JPEGXL": ("imagecodecs",),
}


# -- what a codec declares ------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What images a codec can handle; ``None`` means "any".

    The core checks these before calling the codec, so a codec declines up
    front with a reason instead of failing half-way through a volume.

    >>> caps = Capabilities(bits_allocated=frozenset({8}), samples_per_pixel=frozenset({1, 3}))
    >>> from dicom_pixels.description import ImageDescription
    >>> caps.reason_unsupported(ImageDescription(8, 8, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50"))
    'Bits Allocated 16 is not supported (only 8)'
    """

    bits_allocated: frozenset[int] | None = None
    max_bits_stored: int | None = None
    samples_per_pixel: frozenset[int] | None = None
    photometric_interpretations: frozenset[str] | None = None
    pixel_representations: frozenset[int] | None = None

    def reason_unsupported(self, image: ImageDescription) -> str | None:
        """Return why *image* is not supported, or ``None`` when it is."""

        def only(values: Iterable[Any]) -> str:
            return ", ".join(str(v) for v in sorted(values))

        if self.bits_allocated is not None and image.bits_allocated not in self.bits_allocated:
            return (
                f"Bits Allocated {image.bits_allocated} is not supported "
                f"(only {only(self.bits_allocated)})"
            )
        if self.max_bits_stored is not None and image.bits_stored > self.max_bits_stored:
            return f"Bits Stored {image.bits_stored} is more than the {self.max_bits_stored} supported"
        if self.samples_per_pixel is not None and image.samples_per_pixel not in self.samples_per_pixel:
            return (
                f"Samples per Pixel {image.samples_per_pixel} is not supported "
                f"(only {only(self.samples_per_pixel)})"
            )
        if (
            self.photometric_interpretations is not None
            and image.photometric_interpretation not in self.photometric_interpretations
        ):
            return (
                f"Photometric Interpretation {image.photometric_interpretation} is not supported "
                f"(only {only(self.photometric_interpretations)})"
            )
        if (
            self.pixel_representations is not None
            and image.pixel_representation not in self.pixel_representations
        ):
            kind = "signed" if image.pixel_representation else "unsigned"
            return f"{kind} pixel data (Pixel Representation {image.pixel_representation}) is not supported"
        return None


@dataclass(frozen=True)
class Codec:
    """One codec of one plugin for one transfer syntax and one direction."""

    plugin: str
    transfer_syntax_uid: str
    operation: Operation
    target: str
    requires: tuple[str, ...] = ()
    supports: Capabilities = field(default_factory=Capabilities)
    releases_gil: bool = False
    priority: int = 50
    install_hint: str = ""
    #: Decoding options of this codec's own, accepted by a decode besides the core's.
    options: tuple[str, ...] = ()
    #: A native decoder whose output is the frame exactly as stored (PS3.5 8.1.1): the
    #: core may then copy byte-aligned frames straight into the output (or view them)
    #: instead of calling it. Declared with ``add_decoder(..., reads_stored_frames=True)``.
    reads_stored_frames: bool = False

    def load(self) -> Callable[..., Any]:
        """Import and return the codec callable named by :attr:`target` (``"module:attr"``)."""
        return _load_target(self.target)

    def missing_requirements(self) -> list[str]:
        """The requirements of this codec not satisfied by installed distributions."""
        return missing_requirements(self.requires)

    @property
    def is_available(self) -> bool:
        """``True`` when every requirement is installed."""
        return not self.missing_requirements()


@dataclass(frozen=True)
class Converter:
    """A plugin's codestream converter: one frame's bitstream in :attr:`source_uid`'s encoding
    rewritten as the same image in :attr:`target_uid`'s, without decoding the pixels.

    JPEG XL JPEG Recompression (PS3.5 8.2.16) is one: libjxl repacks a JPEG bitstream and
    gives back the identical bytes. :func:`~dicom_pixels.transcode` uses a converter, when
    one is declared for the source and target transfer syntaxes, instead of decoding and
    re-encoding.

    >>> Converter("demo", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.111", "demo:to_jxl").is_available
    True
    """

    plugin: str
    source_uid: str
    target_uid: str
    target: str
    requires: tuple[str, ...] = ()

    def load(self) -> Callable[[bytes], bytes]:
        """Import and return the converter callable, ``function(data: bytes) -> bytes``."""
        return _load_target(self.target)

    @property
    def is_available(self) -> bool:
        """``True`` when every requirement is installed."""
        return not missing_requirements(self.requires)


@dataclass(frozen=True)
class PluginInfo:
    """What :func:`plugins` reports about one plugin."""

    name: str
    version: str
    distribution: str
    description: str
    install_hint: str
    codecs: tuple[Codec, ...]
    missing: tuple[str, ...]
    error: str = ""
    #: Its codestream converters (:meth:`CodecRegistrar.add_converter`).
    converters: tuple[Converter, ...] = ()

    @property
    def is_available(self) -> bool:
        """``True`` when the plugin loaded and all its requirements are installed."""
        return not self.missing and not self.error

    @property
    def available_codecs(self) -> tuple[Codec, ...]:
        """The codecs whose requirements are all installed (availability is per codec:
        a plugin can decode some transfer syntaxes while a backend for others is missing)."""
        return () if self.error else tuple(c for c in self.codecs if c.is_available)

    @property
    def state(self) -> str:
        """``"available"``, ``"partly available"`` or ``"unavailable"``."""
        if self.is_available:
            return "available"
        return "partly available" if self.available_codecs else "unavailable"

    def availability(self) -> list[str]:
        """One line per direction and requirement set: the transfer syntaxes (keywords)
        and, for those that cannot run, what is missing and the command that installs it.

        >>> import dicom_pixels as dp
        >>> [p for p in dp.plugins() if p.name == "native"][0].availability()[0]
        'decode: ImplicitVRLittleEndian, ...'
        """
        groups: dict[tuple[str, tuple[str, ...], str], list[str]] = {}
        for codec in self.codecs:
            missing = tuple(codec.missing_requirements())
            hint = codec.install_hint if missing else ""
            groups.setdefault((codec.operation, missing, hint), []).append(
                lookup(codec.transfer_syntax_uid).keyword
            )
        lines = []
        for (operation, missing, hint), keywords in groups.items():
            line = f"{operation}: {', '.join(dict.fromkeys(keywords))}"
            if missing:
                line += " - requires " + " and ".join(missing) + (f"  ({hint})" if hint else "")
            lines.append(line)
        for converter in self.converters:
            line = (f"convert: {lookup(converter.source_uid).keyword} -> "
                    f"{lookup(converter.target_uid).keyword} (transcode, without decoding)")
            missing = tuple(missing_requirements(converter.requires))
            if missing:
                line += " - requires " + " and ".join(missing)
            lines.append(line)
        return lines


class CodecRegistrar:
    """The object a plugin's ``dicom_pixels_register_codecs`` hook receives.

    It is bound to one plugin, so codecs are attributed to it automatically.
    """

    def __init__(self, plugin: str, distribution: str = "") -> None:
        self.plugin = plugin
        self.codecs: list[Codec] = []
        self.converters: list[Converter] = []
        self.description = ""
        self._default_requires: tuple[str, ...] = ()
        self._default_releases_gil = False
        self.install_hint = install_command(distribution) if distribution else ""

    def describe(self, description: str = "", *, install_hint: str | None = None) -> None:
        """Set the plugin's one-line description and the command that installs its backends.

        :param description: shown by ``dicom-pixels plugins``.
        :param install_hint: e.g. ``'pip install "dicom-pixels[gdcm]"'``; shown in
            errors when requirements are missing.
        """
        self.description = description
        if install_hint is not None:
            self.install_hint = install_hint

    def set_defaults(self, *, requires: Sequence[str] = (), releases_gil: bool = False) -> None:
        """Plugin-wide values for the codecs declared after this call that do not give their own.

        >>> registry = CodecRegistrar("demo")
        >>> registry.set_defaults(requires=["numpy>=1.24"], releases_gil=True)
        >>> registry.add_decoder("RLELossless", "demo.codec:decode")
        >>> registry.codecs[0].requires, registry.codecs[0].releases_gil
        (('numpy>=1.24',), True)
        """
        self._default_requires = tuple(requires)
        self._default_releases_gil = releases_gil

    def add_decoder(
        self,
        transfer_syntaxes: str | Iterable[str],
        target: str,
        *,
        requires: Sequence[str] | None = None,
        supports: Capabilities | None = None,
        releases_gil: bool | None = None,
        priority: int = 50,
        install_hint: str | None = None,
        options: Sequence[str] = (),
        reads_stored_frames: bool = False,
    ) -> None:
        """Declare a frame decoder for one or more transfer syntaxes.

        :param transfer_syntaxes: UIDs or keywords (``"RLELossless"``).
        :param target: ``"package.module:function"``, imported only when first used.
            The function is called as ``function(data, frame)`` with the encoded bytes of
            one frame and a :class:`~dicom_pixels.codec.DecodeFrame`; see that class
            for what it may return.
        :param requires: PEP 508 requirement strings, checked against installed
            distributions at run time (``"pylibjpeg-openjpeg>=2.0"``); by default those
            given to :meth:`set_defaults`.
        :param supports: the images it can decode; the core declines others up front.
        :param releases_gil: ``True`` when the function releases the GIL while it
            works, so frames may be decoded in parallel threads (default: :meth:`set_defaults`).
        :param priority: default rank among plugins for the same transfer syntax;
            lower is tried first. Users can override the order.
        :param install_hint: the command that installs this codec's requirements, when it
            differs from the plugin's (e.g. an optional GPL backend behind an extra).
        :param options: names of decoding options of this codec's own, read with
            ``frame.option(name)``; a decode refuses a keyword argument that neither the
            core (:data:`~dicom_pixels.decoder.DECODING_OPTIONS`) nor an installed codec
            for the transfer syntax declares, so a misspelled option is not ignored.
        :param reads_stored_frames: for a decoder of native (uncompressed) transfer syntaxes
            whose result is each frame exactly as stored, with no change of its own: when
            it is the first choice, the core copies byte-aligned frames straight into the
            output, or views them, without calling it.
        """
        self._add("decode", transfer_syntaxes, target, requires, supports, releases_gil, priority,
                  install_hint, tuple(options), reads_stored_frames)

    def add_encoder(
        self,
        transfer_syntaxes: str | Iterable[str],
        target: str,
        *,
        requires: Sequence[str] | None = None,
        supports: Capabilities | None = None,
        releases_gil: bool | None = None,
        priority: int = 50,
        install_hint: str | None = None,
    ) -> None:
        """Declare a frame encoder; arguments as for :meth:`add_decoder`.

        The function is called as ``function(arr, frame)`` with one frame as an
        array and an :class:`~dicom_pixels.codec.EncodeFrame`; it returns bytes.
        """
        self._add("encode", transfer_syntaxes, target, requires, supports, releases_gil, priority,
                  install_hint)

    def add_converter(
        self,
        sources: str | Iterable[str],
        target_syntax: str,
        target: str,
        *,
        requires: Sequence[str] | None = None,
    ) -> None:
        """Declare a codestream converter from each of *sources* to *target_syntax*.

        The function is called as ``function(data)`` with the encoded bytes of one
        frame and returns the frame's bytes in the target encoding; the image (and so
        every Image Pixel attribute) is unchanged (see :class:`Converter`).

        >>> registry = CodecRegistrar("demo")
        >>> registry.add_converter("JPEGBaseline8Bit", "JPEGXLJPEGRecompression", "demo.codec:to_jxl")
        >>> registry.converters[0].target_uid
        '1.2.840.10008.1.2.4.111'
        """
        self._check_target("convert", target)
        requires = self._default_requires if requires is None else tuple(requires)
        to_uid = self._uid(target_syntax)
        for source in [sources] if isinstance(sources, str) else sources:
            self.converters.append(Converter(self.plugin, self._uid(source), to_uid, target, tuple(requires)))

    def _uid(self, transfer_syntax: str) -> str:
        try:
            return lookup(transfer_syntax).uid
        except UnsupportedTransferSyntaxError as exc:
            raise PluginRegistrationError(f"Plugin {self.plugin!r}: {exc}") from None

    def _check_target(self, operation: str, target: str) -> None:
        if not isinstance(target, str) or ":" not in target:
            raise PluginRegistrationError(
                f"Plugin {self.plugin!r}: the {operation} target {target!r} must be a "
                "'package.module:function' import path"
            )

    def _add(
        self,
        operation: Operation,
        transfer_syntaxes: str | Iterable[str],
        target: str,
        requires: Sequence[str] | None,
        supports: Capabilities | None,
        releases_gil: bool | None,
        priority: int,
        install_hint: str | None = None,
        options: tuple[str, ...] = (),
        reads_stored_frames: bool = False,
    ) -> None:
        requires = self._default_requires if requires is None else tuple(requires)
        if releases_gil is None:
            releases_gil = self._default_releases_gil
        if isinstance(transfer_syntaxes, str):
            transfer_syntaxes = [transfer_syntaxes]
        self._check_target(operation, target)
        for requirement in requires:
            try:
                Requirement(requirement)
            except InvalidRequirement as exc:
                raise PluginRegistrationError(
                    f"Plugin {self.plugin!r}: {requirement!r} is not a PEP 508 requirement: {exc}"
                ) from None
        for ts in transfer_syntaxes:
            uid = self._uid(ts)
            self.codecs.append(
                Codec(
                    plugin=self.plugin,
                    transfer_syntax_uid=uid,
                    operation=operation,
                    target=target,
                    requires=tuple(requires),
                    supports=supports or Capabilities(),
                    releases_gil=releases_gil,
                    priority=priority,
                    install_hint=self.install_hint if install_hint is None else install_hint,
                    options=options,
                    reads_stored_frames=reads_stored_frames,
                )
            )


# -- requirements -------------------------------------------------------------------

_requirement_cache: dict[str, str | None] = {}


def missing_requirements(requires: Iterable[str]) -> list[str]:
    """Return the requirements in *requires* that installed distributions do not satisfy.

    Only distribution metadata is read; nothing is imported. A requirement
    whose environment marker does not apply is ignored.

    >>> missing_requirements(["numpy>=1.0", "surely-not-installed-dist>=1"])
    ['surely-not-installed-dist>=1']
    """
    missing = []
    for requirement in requires:
        if requirement not in _requirement_cache:
            _requirement_cache[requirement] = _check_requirement(requirement)
        problem = _requirement_cache[requirement]
        if problem is not None:
            missing.append(problem)
    return missing


def _check_requirement(requirement: str) -> str | None:
    req = Requirement(requirement)
    if req.marker is not None and not req.marker.evaluate():
        return None
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return requirement
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        return f"{requirement} (found {version})"
    return None


_target_cache: dict[str, Callable[..., Any]] = {}
_target_lock = threading.Lock()


def _load_target(target: str) -> Callable[..., Any]:
    try:
        return _target_cache[target]
    except KeyError:
        pass
    module_name, _, attr = target.partition(":")
    with _target_lock:
        module = importlib.import_module(module_name)
        func = module
        for part in attr.split("."):
            func = getattr(func, part)
        _target_cache[target] = func  # type: ignore[assignment]
    return func  # type: ignore[return-value]


# -- the plugin manager -------------------------------------------------------------------


def _env_names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginManager:
    """Finds plugins, validates them and holds the codec table.

    One instance, :data:`manager`, serves the process. Loading is lazy and
    thread-safe: the first call that needs the table builds it under a lock;
    afterwards readers only see immutable snapshots.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pm: pluggy.PluginManager | None = None
        self._codecs: tuple[Codec, ...] = ()
        self._converters: tuple[Converter, ...] = ()
        self._info: dict[str, PluginInfo] = {}
        self._distributions: dict[str, tuple[str, str]] = {}
        self._errors: dict[str, str] = {}
        self._explicit: list[tuple[str, object]] = []
        self._priority: dict[tuple[str, Operation], tuple[str, ...]] = {}
        self._order_cache: tuple[Any, Any, dict[tuple[str, str], tuple[Codec, ...]]] = ((), {}, {})
        self._loaded = False

    # -- loading ---------------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def _load(self) -> None:
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        self._errors = {}
        self._distributions = {}
        allow = _env_names("DICOM_PIXELS_PLUGINS")
        block = _env_names("DICOM_PIXELS_BLOCK_PLUGINS") or set()

        def wanted(name: str) -> bool:
            return name not in block and (allow is None or name in allow)

        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if not wanted(ep.name) or pm.has_plugin(ep.name):
                continue
            dist = getattr(ep, "dist", None)
            self._distributions[ep.name] = (
                getattr(dist, "name", "") or "",
                getattr(dist, "version", "") or "",
            )
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break the others
                self._errors[ep.name] = f"failed to import {ep.value}: {exc!r}"
                warnings.warn(
                    f"dicom-pixels plugin {ep.name!r} could not be loaded: {exc!r}",
                    RuntimeWarning,
                    stacklevel=3,
                )
                continue
            pm.register(plugin, name=ep.name)
        for name, plugin in self._explicit:
            if wanted(name) and not pm.has_plugin(name):
                pm.register(plugin, name=name)
        self._validate(pm)
        self._pm = pm
        self._collect()

    @staticmethod
    def _validate(pm: pluggy.PluginManager) -> None:
        known = {name for name in dir(hookspecs) if name.startswith("dicom_pixels_")}
        for name, plugin in pm.list_name_plugin():
            # An unmarked function named like a hook is almost always a typo'd hook name.
            unknown = sorted(
                attr for attr in dir(plugin) if attr.startswith("dicom_pixels_") and attr not in known
            )
            if unknown:
                raise PluginRegistrationError(
                    f"Plugin {name!r} defines {', '.join(unknown)}, which is not a dicom-pixels "
                    f"hook; the hooks are: {', '.join(sorted(known))}"
                )
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginRegistrationError(
                f"Plugin {exc.plugin!r} defines a hook that dicom-pixels does not know: {exc}. "
                "Check the function names against dicom_pixels.hookspecs."
            ) from None

    def _collect(self) -> None:
        assert self._pm is not None
        codecs: list[Codec] = []
        converters: list[Converter] = []
        info: dict[str, PluginInfo] = {}
        names = [name for name, _ in self._pm.list_name_plugin()]
        for impl in self._pm.hook.dicom_pixels_register_codecs.get_hookimpls():
            name = impl.plugin_name
            dist_name, version = self._distributions.get(name, ("", ""))
            if not version:
                version = str(getattr(impl.plugin, "__version__", ""))
            registrar = CodecRegistrar(name, dist_name)
            error = ""
            try:
                impl.function(registry=registrar)
            except PluginRegistrationError:
                raise
            except Exception as exc:
                error = f"its register hook failed: {exc!r}"
                registrar.codecs.clear()
                registrar.converters.clear()
            codecs.extend(registrar.codecs)
            converters.extend(registrar.converters)
            missing = sorted({m for c in registrar.codecs for m in c.missing_requirements()})
            info[name] = PluginInfo(
                name=name,
                version=version,
                distribution=dist_name,
                description=registrar.description,
                install_hint=registrar.install_hint,
                codecs=tuple(registrar.codecs),
                missing=tuple(missing),
                error=error,
                converters=tuple(registrar.converters),
            )
        for name in names:
            if name not in info:
                dist_name, version = self._distributions.get(name, ("", ""))
                info[name] = PluginInfo(name, version, dist_name, "", "", (), ())
        for name, error in self._errors.items():
            dist_name, version = self._distributions.get(name, ("", ""))
            info[name] = PluginInfo(name, version, dist_name, "", "", (), (), error)
        self._codecs = tuple(codecs)
        self._converters = tuple(converters)
        self._info = info

    def reload(self) -> None:
        """Forget every discovered plugin and cached requirement check; rediscover on next use.

        Call it after installing or removing a plugin distribution in a running process.
        """
        with self._lock:
            _requirement_cache.clear()
            importlib.invalidate_caches()
            self._loaded = False
            self._pm = None

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin module or object without an entry point.

        For frozen applications (PyInstaller, ...) where distribution metadata,
        and so entry points, are lost. Returns the name it is registered under.
        """
        if name is None:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            name = name.rsplit(".", 1)[-1].removeprefix("dicom_pixels_")
        with self._lock:
            self._explicit = [(n, p) for n, p in self._explicit if n != name]
            self._explicit.append((name, plugin))
            self._loaded = False
            self._ensure_loaded()
        return name

    def unregister(self, name: str) -> None:
        """Remove a plugin registered with :meth:`register` (or block a discovered one until reload)."""
        with self._lock:
            self._explicit = [(n, p) for n, p in self._explicit if n != name]
            self._ensure_loaded()
            assert self._pm is not None
            if self._pm.has_plugin(name):
                self._pm.unregister(name=name)
            self._info.pop(name, None)
            self._codecs = tuple(c for c in self._codecs if c.plugin != name)
            self._converters = tuple(c for c in self._converters if c.plugin != name)

    # -- queries -------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Every loaded plugin, sorted by name."""
        self._ensure_loaded()
        return [self._info[name] for name in sorted(self._info)]

    def codecs(self, uid: str | TransferSyntax, operation: Operation) -> list[Codec]:
        """The codecs for a transfer syntax in the order they are tried."""
        self._ensure_loaded()
        ts = lookup(uid)
        # Remembered per (codecs, priorities) pair: both are replaced, never mutated, on change.
        codecs, priority = self._codecs, self._priority
        cache = self._order_cache
        if cache[0] is not codecs or cache[1] is not priority:
            cache = self._order_cache = (codecs, priority, {})
        ordered = cache[2].get((ts.uid, operation))
        if ordered is None:
            found = [c for c in codecs if c.transfer_syntax_uid == ts.uid and c.operation == operation]
            order = priority.get((ts.uid, operation))
            if order:
                rank = {name: i for i, name in enumerate(order)}
                found.sort(key=lambda c: (rank.get(c.plugin, len(rank)), c.priority, c.plugin))
            else:
                found.sort(key=lambda c: (c.priority, c.plugin))
            ordered = cache[2][(ts.uid, operation)] = tuple(found)
        return list(ordered)

    def set_priority(
        self, uid: str | TransferSyntax, plugins: Sequence[str], operation: Operation = "decode"
    ) -> None:
        """Try *plugins* first, in this order, for *uid*; others follow by default rank.

        An empty sequence restores the default order.
        """
        ts = lookup(uid)
        if isinstance(plugins, str):
            raise TypeError(
                f"set_plugin_priority() takes a list of plugin names, not the string {plugins!r}; "
                f"write [{plugins!r}]"
            )
        plugins = tuple(plugins)
        declared = {c.plugin for c in self.codecs(ts, operation)}
        for name in plugins:
            if name not in declared:
                excluded = self.excluded_by_environment(name)
                loaded = ", ".join(sorted(declared)) or "none"
                raise NoPluginError(
                    f"Cannot put {name!r} in the {operation} order of '{ts.name}': "
                    + (excluded if excluded else f"no loaded plugin of that name has a {operation}r "
                       f"for it (those that do: {loaded})")
                )
        with self._lock:
            priority = dict(self._priority)
            if plugins:
                priority[(ts.uid, operation)] = tuple(plugins)
            else:
                priority.pop((ts.uid, operation), None)
            self._priority = priority

    def excluded_by_environment(self, name: str) -> str:
        """Why the plugin *name* was not loaded because of an environment variable, or ``""``.

        >>> manager.excluded_by_environment("native")
        ''
        """
        block = _env_names("DICOM_PIXELS_BLOCK_PLUGINS") or set()
        if name in block:
            return (f"it is blocked by the environment variable DICOM_PIXELS_BLOCK_PLUGINS="
                    f"{os.environ.get('DICOM_PIXELS_BLOCK_PLUGINS', '')!r}; remove it from there")
        allow = _env_names("DICOM_PIXELS_PLUGINS")
        if allow is not None and name not in allow:
            return (f"it is not in the environment variable DICOM_PIXELS_PLUGINS="
                    f"{os.environ.get('DICOM_PIXELS_PLUGINS', '')!r}, which loads only the plugins "
                    "it names; add it there")
        return ""

    def converter(self, source: str | TransferSyntax, target: str | TransferSyntax, plugin: str = "") -> Converter | None:
        """The first installed :class:`Converter` from *source* to *target* (of *plugin* if
        given), or ``None``: then the frames are decoded and encoded instead.

        >>> manager.converter("RLELossless", "ExplicitVRLittleEndian") is None
        True
        """
        self._ensure_loaded()
        source_uid, target_uid = lookup(source).uid, lookup(target).uid
        for converter in self._converters:
            if (converter.source_uid, converter.target_uid) == (source_uid, target_uid) \
                    and plugin in ("", converter.plugin) and converter.is_available:
                return converter
        return None

    def get_priority(self, uid: str | TransferSyntax, operation: Operation = "decode") -> list[str]:
        """Plugin names in the order they are tried for *uid*."""
        names: list[str] = []
        for codec in self.codecs(uid, operation):
            if codec.plugin not in names:
                names.append(codec.plugin)
        return names

    def select(
        self,
        uid: str | TransferSyntax,
        operation: Operation,
        image: ImageDescription | None = None,
        plugin: str = "",
    ) -> tuple[list[Codec], dict[str, str]]:
        """Return the usable codecs in order, and the reason each other candidate was skipped.

        :raises NoPluginError: naming every plugin's reason, when none is usable.
        :raises MissingDependencyError: when every candidate lacks a backend.
        """
        ts = lookup(uid)
        candidates = self.codecs(ts, operation)
        verb = "decompress" if operation == "decode" else "compress"
        if plugin:
            chosen = [c for c in candidates if c.plugin == plugin]
            if not chosen:
                known = ", ".join(sorted({c.plugin for c in candidates})) or "none"
                excluded = self.excluded_by_environment(plugin)
                if excluded:
                    raise NoPluginError(
                        f"The plugin {plugin!r} cannot {verb} '{ts.name}' pixel data here: {excluded}"
                    )
                raise NoPluginError(
                    f"No plugin named {plugin!r} can {verb} '{ts.name}' pixel data; "
                    f"the plugins that can are: {known}"
                    + ("" if plugin in self._info else f". {_install_suggestion(ts, operation, plugin)}")
                )
            candidates = chosen
        usable: list[Codec] = []
        reasons: dict[str, str] = {}
        for codec in candidates:
            missing = codec.missing_requirements()
            if missing:
                hint = f"  ({codec.install_hint})" if codec.install_hint else ""
                reasons[codec.plugin] = "requires " + " and ".join(missing) + hint
                continue
            if image is not None:
                why = codec.supports.reason_unsupported(image)
                if why:
                    reasons[codec.plugin] = why
                    continue
            usable.append(codec)
        if usable:
            return usable, reasons
        if not candidates:
            if not ts.carries_pixels:
                raise UnsupportedTransferSyntaxError(
                    f"Unable to {verb} '{ts.name}' pixel data: dicom-pixels has no codec for "
                    f"this transfer syntax ({ts.uid}) and no installed plugin declares one"
                )
            raise NoPluginError(
                f"Unable to {verb} '{ts.name}' pixel data because no installed plugin supports "
                f"it. {_install_suggestion(ts, operation)}"
            )
        all_missing = all(reason.startswith("requires ") for reason in reasons.values())
        lines = "\n".join(f"    {name} - {reason}" for name, reason in reasons.items())
        if all_missing:
            raise MissingDependencyError(
                f"Unable to {verb} '{ts.name}' pixel data because all plugins are missing "
                f"dependencies:\n{lines}"
            )
        raise NoPluginError(
            f"Unable to {verb} '{ts.name}' pixel data because no plugin can handle this "
            f"image:\n{lines}"
        )


#: Built-in plugins whose codecs for a family need an extra other than the plugin's name
#: (pylibjpeg's JPEG and JPEG-LS backend, pylibjpeg-libjpeg, is GPLv3: opt-in).
KNOWN_EXTRAS: dict[tuple[str, str], str] = {
    ("pylibjpeg", "jpeg"): "pylibjpeg-gpl",
    ("pylibjpeg", "jpegls"): "pylibjpeg-gpl",
}


@functools.lru_cache(maxsize=1)
def _core_extras() -> dict[str, str]:
    """The core's extras that install exactly one distribution: distribution -> extra."""
    try:
        requirements = metadata.requires(hookspecs.PROJECT_NAME.replace("_", "-")) or []
    except metadata.PackageNotFoundError:
        return {}
    members: dict[str, list[str]] = {}
    for line in requirements:
        req = Requirement(line)
        marker = str(req.marker or "")
        if marker.startswith("extra == "):
            extra = marker.split("==", 1)[1].strip().strip('"').strip("'")
            members.setdefault(extra, []).append(req.name.lower())
    extras: dict[str, str] = {}
    for extra, names in members.items():
        if len(names) == 1:
            extras.setdefault(names[0], extra)
    return extras


def install_command(distribution: str) -> str:
    """The ``pip install`` command for a plugin distribution: through the core's extra
    when dicom-pixels has one for it, else the distribution's own name.

    >>> install_command("dicom-pixels-gdcm")
    'pip install "dicom-pixels[gdcm]"'
    >>> install_command("acme-dicom-jpegxr")
    'pip install acme-dicom-jpegxr'
    """
    extra = _core_extras().get(distribution.lower())
    return f'pip install "dicom-pixels[{extra}]"' if extra else f"pip install {distribution}"


def _install_suggestion(
    ts: TransferSyntax, operation: Operation, exclude: str = "", installed: Sequence[Codec] = ()
) -> str:
    """Every way to get a codec for *ts*: the install hints of installed plugins that lack
    a backend (third-party ones included, under their own names), then the built-ins."""
    commands = [c.install_hint for c in installed if c.plugin != exclude and c.install_hint]
    table = KNOWN_PLUGINS.get(ts.family, ()) if operation == "decode" else KNOWN_ENCODERS.get(ts.keyword, ())
    for name in table:
        if name != exclude:
            commands.append(f'pip install "dicom-pixels[{KNOWN_EXTRAS.get((name, ts.family), name)}]"')
    commands = list(dict.fromkeys(commands))
    if not commands:
        return "Install a plugin that declares a codec for it."
    return f"Install one of: {', '.join(commands)}"


def try_codecs(
    codecs: Sequence[Codec],
    preferred: Codec | None,
    call: Callable[[Codec], Any],
    reraise: tuple[type[BaseException], ...] = (),
) -> tuple[Codec | None, Any, list[str]]:
    """Call ``call(codec)`` for each codec, *preferred* first, until one returns.

    The one exception policy of the decoder and the encoder: a typed error, any
    ``Exception`` of a backend and a Rust backend's ``PanicException`` (a
    ``BaseException`` raised by pyo3 on a panic) all mean "this codec failed, try the
    next"; the exceptions in *reraise* and any other ``BaseException`` (``KeyboardInterrupt``)
    propagate. Returns the codec that worked and its result, or ``None`` and the failures
    ("plugin: reason"), one per codec.

    >>> codec = Codec("demo", "1.2.840.10008.1.2.5", "decode", "demo:decode")
    >>> try_codecs([codec], None, lambda c: 1 / 0)
    (None, None, ['demo: ZeroDivisionError: division by zero'])
    """
    order = list(codecs)
    if preferred is not None and preferred in order:
        order.remove(preferred)
        order.insert(0, preferred)
    failures: list[str] = []
    for codec in order:
        try:
            return codec, call(codec), failures
        except reraise:
            raise
        except DicomPixelsError as exc:
            failures.append(f"{codec.plugin}: {exc}")
        except Exception as exc:  # a backend's own error type; reported with the frame
            failures.append(f"{codec.plugin}: {type(exc).__name__}: {exc}")
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            failures.append(f"{codec.plugin}: a panic in the backend: {exc}")
    return None, None, failures


#: The process-wide plugin manager.
manager = PluginManager()


class TransferSyntaxEndpoint:
    """What :class:`~dicom_pixels.decoder.Decoder` and :class:`~dicom_pixels.encoder.Encoder`
    share: a transfer syntax and the plugins that handle it for one :data:`Operation`.

    >>> import dicom_pixels as dp
    >>> decoder = dp.get_decoder("RLELossless")
    >>> decoder.UID, "native" in decoder.available_plugins, decoder.is_available
    ('1.2.840.10008.1.2.5', True, True)
    """

    operation: ClassVar[Operation]

    def __init__(self, uid: str) -> None:
        self.transfer_syntax: TransferSyntax = lookup(uid)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for '{self.transfer_syntax.name}'>"

    @property
    def UID(self) -> str:
        """The transfer syntax UID."""
        return self.transfer_syntax.uid

    @property
    def is_native(self) -> bool:
        """``True`` for uncompressed, unencapsulated transfer syntaxes."""
        return not self.transfer_syntax.encapsulated

    @property
    def available_plugins(self) -> tuple[str, ...]:
        """Plugins with every requirement installed, in the order they are tried."""
        return tuple(c.plugin for c in manager.codecs(self.transfer_syntax, self.operation) if c.is_available)

    @property
    def missing_dependencies(self) -> list[str]:
        """One line per plugin that lacks a requirement: ``"name - requires ..."``."""
        lines = []
        for codec in manager.codecs(self.transfer_syntax, self.operation):
            missing = codec.missing_requirements()
            if missing:
                lines.append(f"{codec.plugin} - requires {' and '.join(missing)}")
        return lines


def plugins() -> list[PluginInfo]:
    """List installed plugins: name, version, codecs, availability and missing requirements.

    >>> import dicom_pixels as dp
    >>> native = [p for p in dp.plugins() if p.name == "native"][0]
    >>> native.is_available
    True
    """
    return manager.plugins()


def register(plugin: ModuleType | object, name: str | None = None) -> str:
    """Register a plugin module directly, for frozen apps where entry points are lost.

    >>> import dicom_pixels as dp, dicom_pixels_native.plugin as native_plugin
    >>> dp.register(native_plugin, name="native")
    'native'
    """
    return manager.register(plugin, name)


def set_plugin_priority(
    uid: str, plugins: Sequence[str], operation: Operation = "decode"
) -> None:
    """Set the order in which plugins are tried for a transfer syntax (process-wide).

    >>> import dicom_pixels as dp
    >>> dp.set_plugin_priority("RLELossless", ["native"])
    >>> dp.get_plugin_priority("RLELossless")[0]
    'native'
    >>> dp.set_plugin_priority("RLELossless", [])   # back to the default order
    """
    manager.set_priority(uid, plugins, operation)


def get_plugin_priority(uid: str, operation: Operation = "decode") -> list[str]:
    """The names of the plugins for *uid* in the order they are tried."""
    return manager.get_priority(uid, operation)
