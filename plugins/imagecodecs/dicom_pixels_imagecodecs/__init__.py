"""dicom-pixels plugin: JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE and JPEG XL decoding through imagecodecs.

:mod:`.plugin` declares the codecs (nothing heavy is imported);
:mod:`.decode` holds the decode callables, imported when first used.
"""

__version__ = "0.1.0"
