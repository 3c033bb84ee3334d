"""dicom-pixels plugin: JPEG (8-bit) and JPEG 2000 decoding through Pillow.

:mod:`.plugin` declares the codecs (nothing heavy is imported);
:mod:`.decode` holds the decode callables, imported when first used.
"""

__version__ = "0.1.0"
