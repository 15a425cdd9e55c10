"""Synthetic images and videos for the demo, the tests and the benchmarks.

Never real propaganda: each "poster" is random shapes on a gradient, drawn from a seed,
so the same seed always gives the same picture and different seeds unrelated ones.
Videos are sequences of such pictures encoded with the `ffmpeg` command (installed by
`make`), each picture held for a second or more, as a slide-show video would be.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from shaheen.errors import ConfigError


def poster(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A picture of random shapes on a gradient, the same for the same seed."""
    rng = random.Random(seed)
    width, height = size
    top = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    bottom = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    gradient = top * (1 - ramp) + bottom * ramp
    image = Image.fromarray(np.broadcast_to(gradient, (height, width, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(6, 12)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = min(width, x0 + rng.randint(width // 10, width // 2))
        y1 = min(height, y0 + rng.randint(height // 10, height // 2))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    return image


def altered(image: Image.Image, seed: int = 0) -> Image.Image:
    """The kind of copy a re-upload makes: a 0.5 % crop, resized to three quarters, a faint
    watermark. (PDQ tolerates that; a crop of 1 % already moves some pictures past 31.)"""
    rng = random.Random(seed)
    width, height = image.size
    dx, dy = max(1, width // 200), max(1, height // 200)
    copy = image.crop((dx, dy, width - dx, height - dy)).resize(
        (int(width * 0.75), int(height * 0.75))
    )
    mark = Image.new("RGB", (copy.width // 8, copy.height // 16), (255, 255, 255))
    x, y = rng.randrange(copy.width - mark.width), rng.randrange(copy.height - mark.height)
    region = copy.crop((x, y, x + mark.width, y + mark.height))
    copy.paste(Image.blend(region, mark, 0.15), (x, y))
    return copy


def organisation_poster(slug: str) -> Image.Image:
    """The demo's fictional poster of an organisation (the same on every run)."""
    return poster(zlib.crc32(slug.encode()) % 100_000)


def write_video(
    path: Path, pictures: Sequence[Image.Image], seconds_each: float = 2.0, fps: int = 4
) -> Path:
    """Encode `pictures` as an H.264 MP4, each shown for `seconds_each`."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ConfigError("the ffmpeg command is needed to write videos (`make` installs it)")
    width, height = pictures[0].size
    repeat = max(1, round(seconds_each * fps))
    raw = b"".join(p.convert("RGB").resize((width, height)).tobytes() * repeat for p in pictures)
    command = [
        ffmpeg, "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast",
        str(path),
    ]  # fmt: skip
    subprocess.run(command, input=raw, check=True, capture_output=True)
    return path
