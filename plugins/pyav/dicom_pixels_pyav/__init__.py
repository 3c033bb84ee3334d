"""dicom-pixels plugin: video pixel data (MPEG-2, H.264, HEVC) through PyAV."""

__version__ = "0.1.0"
