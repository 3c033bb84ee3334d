"""Plugin discovery, requirements, selection order and the errors users see."""

from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import hookimpl
from dicom_pixels.errors import (
    MissingDependencyError,
    NoPluginError,
    PluginRegistrationError,
    UnsupportedTransferSyntaxError,
)
from dicom_pixels.registry import Capabilities, missing_requirements


def _install_fake_distribution(root: Path, dist: str, module: str, entry: str, code: str) -> None:
    """Lay out a package and its .dist-info in *root*, as pip installs a wheel."""
    (root / f"{module}.py").write_text(textwrap.dedent(code))
    info = root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[dicom_pixels]\n{entry} = {module}\n")
    (info / "RECORD").write_text("")


THIRD_PARTY = """
    import numpy as np
    from dicom_pixels import hookimpl

    CALLS = []

    @hookimpl
    def dicom_pixels_register_codecs(registry):
        registry.describe("a third-party test codec")
        registry.add_decoder("ExplicitVRLittleEndian", "tp_codec:decode", requires=["numpy"],
                             priority=99)

    def decode(data, frame):
        CALLS.append(frame.index)
        image = frame.image
        return np.frombuffer(data, image.dtype.newbyteorder("<")).reshape(image.frame_shape)
"""


def test_third_party_plugin_installed_in_a_temporary_directory_is_discovered_and_used(
    tmp_path, monkeypatch, fresh_registry
):
    _install_fake_distribution(tmp_path, "tp-codec", "tp_codec", "thirdparty", THIRD_PARTY)
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh_registry.reload()
    info = {p.name: p for p in dp.plugins()}
    assert info["thirdparty"].version == "1.2.3"
    assert info["thirdparty"].distribution == "tp-codec"
    assert info["thirdparty"].is_available
    # Lowest priority: native is tried first by default ...
    assert dp.get_plugin_priority("ExplicitVRLittleEndian")[-1] == "thirdparty"
    path = dp.examples.get_path("ct")
    ours = dp.pixel_array(path, decoding_plugin="thirdparty")
    assert np.array_equal(ours, dp.pixel_array(path, decoding_plugin="native"))
    assert sys.modules["tp_codec"].CALLS == [0]
    monkeypatch.delitem(sys.modules, "tp_codec")


def test_priority_override_puts_a_plugin_first_and_empty_list_restores_default(fresh_registry):
    uid = "ExplicitVRLittleEndian"
    default = dp.get_plugin_priority(uid)
    dp.set_plugin_priority(uid, [default[-1]])
    assert dp.get_plugin_priority(uid)[0] == default[-1]
    dp.set_plugin_priority(uid, [])
    assert dp.get_plugin_priority(uid) == default


def test_block_list_environment_variable_hides_a_plugin(monkeypatch, fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_BLOCK_PLUGINS", "native")
    fresh_registry.reload()
    assert "native" not in [p.name for p in dp.plugins()]
    with pytest.raises(NoPluginError, match=r'pip install "dicom-pixels\[native\]"'):
        dp.pixel_array(dp.examples.get_path("ct"))


def test_a_file_no_installed_plugin_decodes_raises_an_error_naming_what_to_install(
    monkeypatch, fresh_registry
):
    """What a user of the minimum install (the native plugin alone) sees for JPEG 2000."""
    from pydicom.data import get_testdata_file

    monkeypatch.setenv("DICOM_PIXELS_PLUGINS", "native")
    fresh_registry.reload()
    assert [p.name for p in dp.plugins()] == ["native"]
    assert not dp.get_decoder("JPEG2000Lossless").is_available
    with pytest.raises(NoPluginError) as exc:
        dp.pixel_array(get_testdata_file("MR_small_jp2klossless.dcm"))
    message = str(exc.value)
    assert "'JPEG 2000 Image Compression (Lossless Only)'" in message
    assert "no installed plugin supports it" in message
    for plugin in ("pylibjpeg", "gdcm", "pillow", "imagecodecs"):
        assert f'pip install "dicom-pixels[{plugin}]"' in message
    # Encoding says the same.
    with pytest.raises(NoPluginError, match=r'Unable to compress.*pip install "dicom-pixels\[imagecodecs\]"'):
        dp.get_encoder("JPEG2000Lossless").encode(np.zeros((8, 8), "u1"))


def test_allow_list_environment_variable_loads_only_named_plugins(monkeypatch, fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_PLUGINS", "nothing-by-that-name")
    fresh_registry.reload()
    assert dp.plugins() == []


def _plugin_module(name: str, register) -> types.ModuleType:
    module = types.ModuleType(name)
    module.dicom_pixels_register_codecs = hookimpl(register)
    return module


def test_register_adds_a_plugin_without_entry_points_for_frozen_apps(fresh_registry):
    def register(registry):
        registry.add_decoder("RLELossless", "dicom_pixels_native.rle:decode_rle", priority=1)

    name = dp.register(_plugin_module("frozen_rle", register))
    try:
        assert name == "frozen_rle"
        assert dp.get_plugin_priority("RLELossless")[0] == "frozen_rle"
        arr = dp.pixel_array(dp.examples.get_path("rle_rgb"), decoding_plugin="frozen_rle")
        assert arr.shape == (64, 96, 3)
    finally:
        fresh_registry.unregister(name)


def test_missing_requirements_are_reported_per_plugin_with_the_install_line(fresh_registry):
    def register(registry):
        registry.describe(install_hint='pip install "dicom-pixels[ghost]"')
        registry.add_decoder("HTJ2KLossless", "ghost:decode", requires=["ghost-codec>=3.0"])

    dp.register(_plugin_module("ghost", register))
    try:
        with pytest.raises(MissingDependencyError) as exc:
            dp.get_decoder("HTJ2KLossless").as_array([b"\xff\x4f"], decoding_plugin="ghost", rows=1, columns=1,
                samples_per_pixel=1, bits_allocated=8, bits_stored=8, pixel_representation=0,
                photometric_interpretation="MONOCHROME2", transfer_syntax_uid="HTJ2KLossless")
        message = str(exc.value)
        assert message.startswith(
            "Unable to decompress 'High-Throughput JPEG 2000 Image Compression (Lossless Only)' "
            "pixel data because all plugins are missing dependencies:"
        )
        assert '    ghost - requires ghost-codec>=3.0  (pip install "dicom-pixels[ghost]")' in message
        decoder = dp.get_decoder("HTJ2KLossless")
        assert "ghost" not in decoder.available_plugins
        assert "ghost - requires ghost-codec>=3.0" in decoder.missing_dependencies
    finally:
        fresh_registry.unregister("ghost")


def test_a_function_named_like_an_unknown_hook_is_rejected(fresh_registry):
    module = types.ModuleType("typo_plugin")
    module.dicom_pixels_register_codec = lambda registry: None  # missing "s"
    with pytest.raises(PluginRegistrationError, match="dicom_pixels_register_codec,? which is not"):
        dp.register(module)
    fresh_registry.unregister("typo_plugin")


def test_invalid_codec_declarations_are_rejected_with_the_plugin_name(fresh_registry):
    def register(registry):
        registry.add_decoder("RLELossless", "no_colon_here")

    with pytest.raises(PluginRegistrationError, match="'bad'.*import path"):
        dp.register(_plugin_module("bad", register), name="bad")
    fresh_registry.unregister("bad")


def test_requirements_are_checked_from_metadata_with_versions():
    assert missing_requirements(["numpy>=1.0"]) == []
    assert missing_requirements(["numpy>=999"])[0].startswith("numpy>=999 (found ")
    assert missing_requirements(['numpy>=999; python_version < "3"']) == []


def test_capabilities_decline_before_decoding_and_the_error_names_the_reason(fresh_registry):
    def register(registry):
        registry.add_decoder("JPEGLSLossless", "x:y", supports=Capabilities(bits_allocated=frozenset({8})))

    dp.register(_plugin_module("eight_bit_only", register))
    try:
        with pytest.raises(NoPluginError, match="eight_bit_only - Bits Allocated 16 is not supported"):
            dp.get_decoder("JPEGLSLossless").as_array([b"\xff\xd8"], decoding_plugin="eight_bit_only", rows=1, columns=1,
                samples_per_pixel=1, bits_allocated=16, bits_stored=16, pixel_representation=0,
                photometric_interpretation="MONOCHROME2", transfer_syntax_uid="JPEGLSLossless")
    finally:
        fresh_registry.unregister("eight_bit_only")


def test_transfer_syntaxes_without_pixel_data_in_the_file_are_known_but_unsupported():
    with pytest.raises(UnsupportedTransferSyntaxError, match="no codec"):
        dp.get_decoder("JPIPHTJ2KReferenced").as_array([b"\x00"], rows=1, columns=1, samples_per_pixel=1,
            bits_allocated=8, bits_stored=8, pixel_representation=0,
            photometric_interpretation="MONOCHROME2", transfer_syntax_uid="JPIPHTJ2KReferenced")


def test_video_without_the_pyav_plugin_suggests_its_opt_in_extra(monkeypatch, fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_PLUGINS", "native")
    fresh_registry.reload()
    with pytest.raises(dp.errors.NoPluginError, match=r'pip install "dicom-pixels\[pyav-gpl\]"'):
        dp.get_decoder("MPEG4HP41").as_array([b"\x00"], rows=16, columns=16, samples_per_pixel=3,
            bits_allocated=8, bits_stored=8, pixel_representation=0,
            photometric_interpretation="YBR_PARTIAL_420", transfer_syntax_uid="MPEG4HP41")


def test_plugins_lists_native_with_version_and_codecs():
    native = {p.name: p for p in dp.plugins()}["native"]
    assert native.version == "0.1.0"
    assert native.distribution == "dicom-pixels-native"
    ops = {(c.operation, c.transfer_syntax_uid) for c in native.codecs}
    assert ("decode", "1.2.840.10008.1.2.5") in ops
    assert ("decode", "1.2.840.10008.1.2.2") in ops


def test_unknown_plugin_name_lists_the_plugins_that_can():
    with pytest.raises(NoPluginError, match="No plugin named 'nope'.*native"):
        dp.pixel_array(dp.examples.get_path("ct"), decoding_plugin="nope")


BUILT_IN = ("native", "pylibjpeg", "gdcm", "pillow", "imagecodecs", "pyjpegls")


def test_the_install_hint_tables_match_what_the_built_in_plugins_declare():
    """KNOWN_PLUGINS (decode, by family) and KNOWN_ENCODERS (by keyword) name exactly the
    built-in plugins that declare such a codec, so missing-plugin errors suggest the right ones."""
    from dicom_pixels.registry import KNOWN_ENCODERS, KNOWN_PLUGINS
    from dicom_pixels.uid import lookup

    installed = {p.name: p for p in dp.plugins() if p.name in BUILT_IN}
    if set(installed) != set(BUILT_IN):
        pytest.skip(f"needs every built-in plugin installed (have {sorted(installed)})")
    decoders: dict[str, set[str]] = {}
    encoders: dict[str, set[str]] = {}
    for info in installed.values():
        for codec in info.codecs:
            ts = lookup(codec.transfer_syntax_uid)
            if codec.operation == "decode":
                decoders.setdefault(ts.family, set()).add(info.name)
            else:
                encoders.setdefault(ts.keyword, set()).add(info.name)
    assert {k: set(v) for k, v in KNOWN_PLUGINS.items() if k in decoders} == decoders
    assert {k: set(v) for k, v in KNOWN_ENCODERS.items()} == encoders


def test_a_missing_encoder_suggests_only_plugins_that_encode_that_syntax(monkeypatch, fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_PLUGINS", "native")
    fresh_registry.reload()
    with pytest.raises(dp.errors.NoPluginError) as info:
        dp.get_encoder("JPEGLSNearLossless").encode(
            np.zeros((8, 8), "u1"), photometric_interpretation="MONOCHROME2", jls_error=2
        )
    message = str(info.value)
    assert 'pip install "dicom-pixels[imagecodecs]"' in message
    assert "pylibjpeg" not in message and "gdcm" not in message


# -- issue 12: hints, listings and priorities that tell the truth -------------------------------


class _PartlyInstalled:
    """A third-party plugin: JPEG 2000 needs only NumPy; JPEG-LS needs an absent backend."""

    @hookimpl
    def dicom_pixels_register_codecs(self, registry):
        registry.add_decoder("JPEG2000Lossless", "dicom_pixels_native.native:decode_native",
                             requires=["numpy>=1.0"], priority=99)
        registry.add_decoder("JPEGLSLossless", "acme_jls:decode", priority=99,
                             requires=["acme-jls-backend>=2"], install_hint="pip install acme-dicom-jls[backend]")


@pytest.fixture
def partly_installed(fresh_registry):
    dp.register(_PartlyInstalled(), name="acme")
    yield "acme"
    fresh_registry.unregister("acme")


def test_availability_is_per_codec_in_plugins_and_the_cli(partly_installed, capsys):
    from dicom_pixels.cli import main

    info = {p.name: p for p in dp.plugins()}["acme"]
    assert info.state == "partly available" and not info.is_available
    assert [c.transfer_syntax_uid for c in info.available_codecs] == ["1.2.840.10008.1.2.4.90"]
    assert info.availability() == [
        "decode: JPEG2000Lossless",
        "decode: JPEGLSLossless - requires acme-jls-backend>=2  (pip install acme-dicom-jls[backend])",
    ]
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "acme  (partly available)" in out or "acme (partly available)" in out
    assert "    decode: JPEGLSLossless - requires acme-jls-backend>=2" in out
    assert "JPEG2000Lossless - requires" not in out


def test_a_third_party_plugin_lacking_its_backend_is_named_in_install_one_of(partly_installed, monkeypatch):
    from dicom_pixels.registry import manager

    monkeypatch.setattr(manager, "_codecs", tuple(c for c in manager._codecs if c.plugin == "acme"))
    monkeypatch.setattr(manager, "_order_cache", ((), {}, {}))
    with pytest.raises(dp.errors.MissingDependencyError, match=r"acme - requires acme-jls-backend>=2"):
        manager.select("JPEGLSLossless", "decode")


def test_the_install_suggestion_names_third_party_hints_and_the_gpl_extra_for_jpeg_ls():
    from dicom_pixels.registry import Codec, _install_suggestion
    from dicom_pixels.uid import lookup

    acme = Codec("acme", "1.2.840.10008.1.2.4.80", "decode", "acme_jls:decode",
                 install_hint="pip install acme-dicom-jls")
    text = _install_suggestion(lookup("JPEGLSLossless"), "decode", installed=[acme])
    assert text.startswith("Install one of: pip install acme-dicom-jls, ")
    assert 'pip install "dicom-pixels[pylibjpeg-gpl]"' in text
    assert 'dicom-pixels[pylibjpeg]"' not in text
    assert 'pip install "dicom-pixels[pylibjpeg]"' in _install_suggestion(lookup("JPEG2000"), "decode")


def test_default_install_hint_comes_from_the_distribution():
    from dicom_pixels.registry import CodecRegistrar

    assert CodecRegistrar("gdcm", "dicom-pixels-gdcm").install_hint == 'pip install "dicom-pixels[gdcm]"'
    # a third-party distribution named like ours has no extra of ours: its own name
    assert CodecRegistrar("foo", "dicom-pixels-foo").install_hint == "pip install dicom-pixels-foo"
    assert CodecRegistrar("x", "").install_hint == ""


def test_a_blocked_plugin_error_names_the_variable(monkeypatch, fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_BLOCK_PLUGINS", "native,other")
    fresh_registry.reload()
    with pytest.raises(NoPluginError, match="blocked by the environment variable DICOM_PIXELS_BLOCK_PLUGINS"):
        dp.pixel_array(dp.examples.get_path("ct"), decoding_plugin="native")
    with pytest.raises(NoPluginError, match="DICOM_PIXELS_BLOCK_PLUGINS"):
        dp.set_plugin_priority("RLELossless", ["native"])


def test_a_plugin_left_out_by_the_allow_list_error_names_the_variable(monkeypatch, fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_PLUGINS", "pillow")
    fresh_registry.reload()
    with pytest.raises(NoPluginError, match="not in the environment variable DICOM_PIXELS_PLUGINS"):
        dp.pixel_array(dp.examples.get_path("ct"), decoding_plugin="native")


def test_set_plugin_priority_rejects_unknown_names_and_a_bare_string(fresh_registry):
    with pytest.raises(NoPluginError, match="'nonexistent'.*those that do: .*native"):
        dp.set_plugin_priority("RLELossless", ["nonexistent"])
    with pytest.raises(TypeError, match=r"a list of plugin names, not the string 'native'; write \['native'\]"):
        dp.set_plugin_priority("RLELossless", "native")
    assert dp.get_plugin_priority("RLELossless") == fresh_registry.get_priority("RLELossless")


def test_the_metadata_names_the_plugin_that_decoded_each_frame(fresh_registry):
    from pydicom.data import get_testdata_file

    path = get_testdata_file("SC_rgb_rle_2frame.dcm")
    arr, meta = dp.get_decoder("RLELossless").as_array(path, decoding_plugin="native")
    assert meta["decoded_by"] == ("native", "native") and arr.shape[0] == 2
    _, one = dp.get_decoder("RLELossless").as_array(path, index=1, decoding_plugin="native")
    assert one["decoded_by"] == ("native",)
    _, native = dp.get_decoder("ExplicitVRLittleEndian").as_array(dp.examples.get_path("ct"))
    assert native["decoded_by"] == ("native",)


# -- one plugin surface; the names plugins already use keep working ------------------------------


def test_the_old_plugin_names_are_the_objects_of_the_plugin_surface():
    import dicom_pixels.codec as codec
    import dicom_pixels.hookspecs as hookspecs
    import dicom_pixels.plugin as surface
    import dicom_pixels.registry as registry

    assert dp.hookimpl is surface.hookimpl is hookspecs.hookimpl
    assert dp.Capabilities is surface.Capabilities is registry.Capabilities
    assert dp.DecodeFrame is surface.DecodeFrame is codec.DecodeFrame
    assert dp.EncodeFrame is surface.EncodeFrame is codec.EncodeFrame
    assert registry.CodecRegistrar is surface.CodecRegistrar
    assert surface.dicom_pixels_register_codecs is hookspecs.dicom_pixels_register_codecs
    # the hook is rendered in the docs: automodule documents what __all__ lists
    assert "dicom_pixels_register_codecs" in hookspecs.__all__
    assert all(hasattr(surface, name) for name in surface.__all__)


OLD_STYLE_PLUGIN = '''
from dicom_pixels import Capabilities, DecodeFrame, hookimpl


def decode(data, frame: DecodeFrame):
    import numpy as np

    image = frame.image
    return np.frombuffer(data, image.dtype.newbyteorder("<"), image.pixels_per_frame).reshape(image.frame_shape)


@hookimpl
def dicom_pixels_register_codecs(registry):
    registry.add_decoder("ExplicitVRLittleEndian", "old_style_plugin:decode",
                         supports=Capabilities(bits_allocated=frozenset({16}), samples_per_pixel=frozenset({1})))
'''


def test_a_plugin_written_against_the_old_names_still_works(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "old_style_plugin.py").write_text(OLD_STYLE_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    import old_style_plugin

    dp.register(old_style_plugin, name="old-style")
    try:
        path = dp.examples.get_path("ct")
        np.testing.assert_array_equal(
            dp.pixel_array(path, decoding_plugin="old-style"), dp.pixel_array(path, decoding_plugin="native")
        )
    finally:
        fresh_registry.unregister("old-style")
        sys.modules.pop("old_style_plugin", None)


# -- one codec-trying mechanism for the decoder and the encoder ---------------------------------


class PanicException(BaseException):
    """What pyo3 raises on a Rust panic: a BaseException, named so."""


def _panicking_encode(arr, frame):
    raise PanicException("index out of bounds")


def test_the_encoder_treats_a_backend_panic_as_a_failed_codec_like_the_decoder(fresh_registry):
    class Panicking:
        @hookimpl
        def dicom_pixels_register_codecs(self, registry):
            registry.add_encoder("RLELossless", f"{__name__}:_panicking_encode", priority=1)

    sys.modules.setdefault(__name__, sys.modules.get(__name__) or types.ModuleType(__name__))
    sys.modules[__name__]._panicking_encode = _panicking_encode  # type: ignore[attr-defined]
    dp.register(Panicking(), name="panicking")
    try:
        arr = np.arange(12, dtype="u1").reshape(3, 4)
        with pytest.raises(dp.errors.EncodeError, match="panicking: a panic in the backend: index out of bounds"):
            dp.get_encoder("RLELossless").encode(arr, encoding_plugin="panicking")
        data = dp.get_encoder("RLELossless").encode(arr)  # the next plugin takes over
        assert len(data) > 64
    finally:
        fresh_registry.unregister("panicking")


@pytest.mark.parametrize("declared", [False, True])
def test_native_frames_bypass_a_decoder_only_when_it_declares_reads_stored_frames(
    fresh_registry, monkeypatch, declared
):
    """Issue 12 point 3: the direct read follows the codec's declaration, not a plugin *named* native."""
    calls: list[int] = []

    def decode(data, frame):
        calls.append(frame.index)
        image = frame.image
        return np.frombuffer(data, image.dtype.newbyteorder("<")).reshape(image.frame_shape)

    module = types.ModuleType(f"stored_copy_{declared}")
    module.decode = decode
    monkeypatch.setitem(sys.modules, module.__name__, module)

    def register(registry):
        registry.add_decoder("ExplicitVRLittleEndian", f"{module.__name__}:decode",
                             reads_stored_frames=declared)

    name = dp.register(_plugin_module("stored_copy", register))
    try:
        arr = dp.pixel_array(dp.examples.ct, decoding_plugin=name)  # 16-bit little-endian, one frame
        np.testing.assert_array_equal(arr, dp.pixel_array(dp.examples.ct, decoding_plugin="native"))
        assert calls == ([] if declared else [0])
    finally:
        fresh_registry.unregister(name)


def test_only_sources_with_native_frame_access_are_read_directly():
    from dicom_pixels.source import FramesSource, NativeFrameAccess, open_source

    with open_source(dp.examples.ct) as src:
        assert isinstance(src, NativeFrameAccess)
        frames = FramesSource([src.read_frame(0)[0]], src.image)
    assert not isinstance(frames, NativeFrameAccess)
    np.testing.assert_array_equal(dp.pixel_array(frames), dp.pixel_array(dp.examples.ct))


def _private_names_taken_from_other_modules(package: Path) -> list[str]:
    """``from .x import _y``, ``m._y`` of an imported core module, and ``obj._y`` where no
    ``_y`` is defined in the module itself (so it belongs to another module's class): every
    use of a private name across core modules, as ``file:line name``."""
    import ast

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        imported: set[str] = set()  # names bound to another core module or its members
        for node in ast.walk(tree):
            internal = isinstance(node, ast.ImportFrom) and (
                node.level > 0 or (node.module or "").split(".")[0] == "dicom_pixels"
            )
            if internal:
                for alias in node.names:
                    if private(alias.name):
                        found.append(f"{path.name}:{node.lineno} {alias.name}")
                    imported.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names
                                if a.name.split(".")[0] == "dicom_pixels")
        defined = {"_replace", "_asdict", "_fields"}  # the public API of named tuples
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not private(node.attr):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in imported:
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
            elif node.attr not in defined:
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_core_modules_use_no_private_name_of_another_core_module(tmp_path):
    """Issue 12 point 3: what one module needs of another is a public seam."""
    package = Path(dp.__file__).parent
    assert _private_names_taken_from_other_modules(package) == []
    # The check itself finds both forms.
    (tmp_path / "a.py").write_text(
        "from .b import _hidden\nfrom . import b\nb._other()\n"
        "class A:\n    def f(self, s):\n        self._mine = s._theirs\n        return self._mine\n"
    )
    assert _private_names_taken_from_other_modules(tmp_path) == [
        "a.py:1 _hidden", "a.py:3 b._other", "a.py:6 s._theirs"
    ]
