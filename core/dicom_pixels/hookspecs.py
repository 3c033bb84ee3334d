"""The hook specifications: the whole contract between the core and a plugin.

A plugin is a module (or object) with functions named after these hooks and
marked with :data:`hookimpl`. It is found through the ``dicom_pixels``
entry-point group, or given to :func:`dicom_pixels.register`. The core's own
codecs (the ``native`` plugin) register through the same hooks.

Writing a plugin in five lines::

    from dicom_pixels import hookimpl

    @hookimpl
    def dicom_pixels_register_codecs(registry):
        registry.add_decoder("1.2.840.10008.1.2.5", "my_rle.decode:decode_frame",
                             requires=["my-rle-lib>=1.0"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .registry import CodecRegistrar

__all__ = ["PROJECT_NAME", "dicom_pixels_register_codecs", "hookimpl", "hookspec"]

#: The pluggy project name; also the entry-point group plugins register under.
PROJECT_NAME = "dicom_pixels"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a function of a plugin module as the implementation of a hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- codecs -----------------------------------------------------------------------


@hookspec
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Declare the plugin's codecs by calling methods of *registry*.

    Called once per plugin, the first time the codec table is needed. Declare
    only metadata here (transfer syntaxes, ``"module:function"`` import paths
    of the codec callables, PEP 508 requirements, capabilities): importing a
    backend library in this hook is a mistake because it makes every
    ``import`` of every user pay for it.

    :param registry: bound to this plugin; see
        :meth:`~dicom_pixels.registry.CodecRegistrar.add_decoder`,
        :meth:`~dicom_pixels.registry.CodecRegistrar.add_encoder` and
        :meth:`~dicom_pixels.registry.CodecRegistrar.describe`.
    :returns: nothing; results are recorded on *registry*.
    """
