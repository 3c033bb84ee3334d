"""A PyTorch-style dataset over the frames of DICOM files (used by ``tutorial_scaling.rst``).

Worker processes (a ``torch.utils.data.DataLoader`` with ``num_workers > 0``, a
``multiprocessing`` pool) receive the dataset by pickling: it holds only paths
and frame counts, and each ``__getitem__`` opens its file, reads that frame's
bytes and decodes them. The class lives in a module so that processes started
with *spawn* (macOS, Windows) or *forkserver* can import it.
"""

from __future__ import annotations

import numpy as np

import dicom_pixels as dp


class FramesDataset:
    """Item ``k`` is one frame, as ``float32``, of the multi-frame files given, in order."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = list(paths)
        self.frames: list[tuple[str, int]] = []
        for path in self.paths:
            with dp.open_source(path, specific_tags=()) as source:  # the header only
                self.frames += [(path, index) for index in range(source.frame_count)]

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, k: int) -> np.ndarray:
        path, index = self.frames[k]
        return dp.pixel_array(path, index=index).astype(np.float32)
