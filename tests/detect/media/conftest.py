"""Synthetic images and videos, made once per test session (never real content)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from shaheen.demo.media import altered, poster, write_video


@dataclass(frozen=True)
class MediaFiles:
    original: Path  # a poster, as first posted
    reupload: Path  # the same poster re-encoded, resized, cropped and marked
    unrelated: Path  # another poster
    video: Path  # a slide-show video of six posters
    longer_video: Path  # another video that contains the first one's frames
    unrelated_video: Path


@pytest.fixture(scope="session")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> MediaFiles:
    folder = tmp_path_factory.mktemp("media")
    original = poster(1)
    original.save(folder / "original.jpg", quality=90)
    altered(original, seed=1).save(folder / "reupload.jpg", quality=60)
    poster(2).convert("RGB").save(folder / "unrelated.png")
    frames = [poster(seed) for seed in range(10, 16)]
    write_video(folder / "video.mp4", frames)
    extra = [poster(seed) for seed in (90, 91)]
    write_video(folder / "longer.mp4", extra + frames + extra, seconds_each=2.0)
    write_video(folder / "unrelated.mp4", [poster(seed) for seed in range(50, 54)])
    return MediaFiles(
        folder / "original.jpg",
        folder / "reupload.jpg",
        folder / "unrelated.png",
        folder / "video.mp4",
        folder / "longer.mp4",
        folder / "unrelated.mp4",
    )
