"""Labelled image folders: one subfolder per class, as torchvision's ImageFolder and Keras use.

    shapes/
        circle/  a.png  b.jpg ...
        square/  c.PNG  sub/d.webp ...   (nested folders inside a class count for that class)

Loading happens in two steps so the app can show a report before anything is trained:

1. `list_folder(root)` walks the tree (no decoding): class names, candidate files, and the files
   skipped with their reason (not an image type, outside any class folder). Hidden files and
   folders (dot names) are left out silently, like `ls` does.
2. `load_folder(...)` decodes every candidate once, on a few threads, into one array: grayscale
   with ink made the high end (or colour), resized to the model's input, mapped to the model's
   value range. A
   corrupt file is skipped and listed, never fatal. Progress goes to a callback; a cancel flag is
   checked between small chunks.

The model's input decides how pictures load: grayscale when it takes 1 channel, colour (RGB)
when it takes 3, and the report says which; sizes are one side (a square) or (rows, cols).

The decoder is pluggable: any callable `(path, (rows, cols)) -> (rows, cols) float array 0..1`
for a grayscale load, called as `(path, (rows, cols), 3) -> (3, rows, cols)` RGB for a colour
one, that raises on an unreadable file. A grayscale result may be plain gray or already ink: the
light-background rule of convviz.core.imageio is applied afterwards, and it leaves ink unchanged.
A colour result is the picture as it shows (no polarity rule: colour has no "ink"). `pillow_decode`
(the default) is imageio's own pipeline, so a folder image becomes exactly what the app makes of
the same picture opened alone; the Qt app passes the faster QImage decoder from
convviz.qt.folder_decode. This module imports no Qt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import limits
from .errors import ConvvizError, DataError
from .imageio import (
    COLOUR_CHANNELS,
    IMAGE_SUFFIXES,
    decode_gray,
    decode_rgb,
    fit_to,
    ink_from_gray,
    rows_cols,
    shown,
    to_range,
)

# (path, (rows, cols)[, 3]) -> (rows, cols) gray or ink, or (3, rows, cols) RGB; 0..1
Decoder = Callable[..., np.ndarray]
Progress = Callable[[int, int], None]  # (images done, images in all)

CHUNK = 128  # images per task: small enough for smooth progress and a quick cancel


class LoadCancelled(ConvvizError):
    """The person cancelled loading; not a fault."""

    def __init__(self):
        super().__init__("loading the folder was cancelled")


@dataclass(frozen=True)
class Skipped:
    path: str  # relative to the folder root
    reason: str


@dataclass
class FolderListing:
    """What is in the folder, before decoding."""

    root: Path
    classes: tuple[str, ...]
    files: list[tuple[str, int]]  # (absolute path, class index), classes in sorted order
    skipped: list[Skipped] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        n = np.bincount([c for _, c in self.files], minlength=len(self.classes))
        return dict(zip(self.classes, (int(v) for v in n), strict=True))


@dataclass
class LabelledImages:
    """The decoded folder, ready to train on."""

    root: Path
    classes: tuple[str, ...]
    X: np.ndarray  # (N, C, rows, cols) float32 in the model's value range: C = 1 grayscale,
    # ink high; C = 3 RGB
    y: np.ndarray  # (N,) int64 class indices
    paths: list[str]  # (N,) where each image came from, relative to root
    skipped: list[Skipped]

    def counts(self) -> dict[str, int]:
        n = np.bincount(self.y, minlength=len(self.classes))
        return dict(zip(self.classes, (int(v) for v in n), strict=True))

    def report(self, max_skipped: int = 20) -> str:
        """A plain-text scan report: classes, images per class, files skipped and why."""
        counts = self.counts()
        width = min(max(len(c) for c in self.classes), 40)  # long names overflow, not all
        how = "in colour (RGB)" if self.X.shape[1] == COLOUR_CHANNELS else "in grayscale"
        lines = [
            f"{len(self.y)} images in {len(self.classes)} classes from {shown(self.root)}, "
            f"loaded {how}"
        ]
        lines += [f"  {c:<{width}}  {n:>7}" for c, n in counts.items()]
        if self.skipped:
            lines.append(f"{len(self.skipped)} files skipped:")
            lines += [f"  {s.path}: {s.reason}" for s in self.skipped[:max_skipped]]
            if len(self.skipped) > max_skipped:
                lines.append(f"  ... and {len(self.skipped) - max_skipped} more")
        else:
            lines.append("no files skipped")
        return "\n".join(lines)


# ---- listing -------------------------------------------------------------------------------


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in ("__MACOSX", "Thumbs.db", "desktop.ini")


def _inside(real_root: str, target: str) -> bool:
    return os.path.commonpath([real_root, target]) == real_root


class _Walk:
    """Lists a labelled folder without ever leaving it or going round in circles.

    A link is followed only when its target resolves inside the chosen folder; every folder is
    listed once, known by (device, inode), so a link back up (a loop) or a second link to the same
    folder adds nothing. Depth (limits.FOLDER_MAX_DEPTH), the number of entries seen
    (limits.FOLDER_MAX_FILES) and the cancel flag are checked as the walk goes: a folder of
    millions of files is refused before it is sorted, and Cancel stops the walk within a few
    thousand entries."""

    def __init__(self, root: Path, should_cancel):
        self.root = root
        self.real_root = os.path.realpath(root)
        self.cut = len(os.path.join(str(root), ""))
        self.should_cancel = should_cancel or (lambda: False)
        self.visited: set[tuple[int, int]] = set()
        self.seen = 0
        self.skipped: list[Skipped] = []

    def rel(self, path: str) -> str:
        return shown(path[self.cut :])

    def scan(self, path: str) -> list[os.DirEntry] | None:
        """The entries of one folder in name order; None (and a skipped entry) for a folder
        already listed or unreadable."""
        if self.should_cancel():
            raise LoadCancelled()
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in self.visited:
                self.skipped.append(
                    Skipped(
                        self.rel(path),
                        "a folder already listed (reached again through a link): not listed twice",
                    )
                )
                return None
            self.visited.add(key)
            entries = []
            with os.scandir(path) as it:
                for e in it:
                    entries.append(e)
                    self.seen += 1
                    if self.seen > limits.FOLDER_MAX_FILES:
                        raise DataError(
                            f"{shown(self.root)}: more than "
                            f"{limits.FOLDER_MAX_FILES:,} files and folders "
                            f"(convviz's limit for a labelled folder)"
                        )
                    if self.seen % 4096 == 0 and self.should_cancel():
                        raise LoadCancelled()
        except OSError as e:
            if path == str(self.root):
                raise DataError(
                    f"cannot read the folder {shown(path)}: {e.strerror or e}"
                ) from None
            self.skipped.append(
                Skipped(self.rel(path), f"cannot read the folder ({e.strerror or e})")
            )
            return None
        entries.sort(key=lambda e: e.name)
        return entries

    def leads_outside(self, e: os.DirEntry) -> bool:
        if e.is_symlink() and not _inside(self.real_root, os.path.realpath(e.path)):
            self.skipped.append(
                Skipped(self.rel(e.path), "a link to outside the chosen folder: not followed")
            )
            return True
        return False

    def class_files(self, top: str, ci: int, name: str, files: list) -> None:
        """Every image file under one class folder, depth first, in name order."""
        stack = [(top, 0)]
        while stack:
            path, depth = stack.pop()
            entries = self.scan(path)
            if entries is None:
                continue
            subdirs = []
            for e in entries:
                if _hidden(e.name) or self.leads_outside(e):
                    continue
                try:
                    is_dir = e.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(e.path)
                elif os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES:
                    files.append((e.path, ci))
                else:
                    self.skipped.append(Skipped(self.rel(e.path), "not an image type"))
            if subdirs and depth >= limits.FOLDER_MAX_DEPTH:
                raise DataError(
                    f"class folder '{name}' holds folders nested more than "
                    f"{limits.FOLDER_MAX_DEPTH} deep (convviz's limit)"
                )
            stack.extend((d, depth + 1) for d in reversed(subdirs))


def list_folder(root, should_cancel: Callable[[], bool] | None = None) -> FolderListing:
    """Walk a labelled folder without decoding anything. Raises DataError with one line, or
    LoadCancelled once `should_cancel()` says so."""
    root = Path(root).expanduser()
    if not root.exists():
        raise DataError(f"folder not found: {shown(root)}")
    if not root.is_dir():
        raise DataError(f"not a folder: {shown(root)}")
    walk = _Walk(root, should_cancel)
    entries = walk.scan(str(root)) or []  # (the first folder is never one already listed)
    class_dirs = []
    for e in entries:
        if _hidden(e.name) or walk.leads_outside(e):
            continue
        if e.is_dir():
            class_dirs.append(e)
        else:
            walk.skipped.append(Skipped(shown(e.name), "not inside a class folder"))
    if not class_dirs:
        raise DataError(
            f"no class folders in {shown(root)}: put each class's images in a "
            f"subfolder named after the class"
        )
    if len(class_dirs) == 1:
        raise DataError(
            f"only one class folder ('{shown(class_dirs[0].name)}') in "
            f"{shown(root)}: a classifier needs at least two"
        )
    classes = tuple(shown(e.name) for e in class_dirs)  # a name is shown the same everywhere
    files: list[tuple[str, int]] = []
    for ci, d in enumerate(class_dirs):
        before = len(files)
        walk.class_files(d.path, ci, classes[ci], files)
        if len(files) == before:
            raise DataError(
                f"class folder '{classes[ci]}' has no images (png, jpg, bmp, gif, webp or tif)"
            )
    return FolderListing(root, classes, files, walk.skipped)


# ---- decoding ------------------------------------------------------------------------------


def pillow_decode(path: str, size, channels: int = 1) -> np.ndarray:
    """Pillow decoder: exactly what the app does with one picture (imageio.load_image), 0..1:
    8/16-bit, palette and alpha handled. Grayscale: as ink, light backgrounds inverted, padded;
    colour: (3, rows, cols) RGB, padded with black."""
    rows, cols = rows_cols(size)
    fit = max(rows, cols)
    if channels == COLOUR_CHANNELS:
        return fit_to(decode_rgb(path, fit=fit).transpose(2, 0, 1), (rows, cols))
    return fit_to(ink_from_gray(decode_gray(path, fit=fit)), (rows, cols))


def to_ink(gray: np.ndarray) -> np.ndarray:
    """imageio's polarity rule for a stack (N, H, W) of 0..1 gray: a picture whose border is
    mostly light (mean > 0.5) is dark ink on a light background and is inverted. Applying it to
    ink already made is harmless: ink's border is dark."""
    g = np.asarray(gray, dtype=np.float32)
    border = np.concatenate(
        [g[..., 0, :], g[..., -1, :], g[..., :, 0], g[..., :, -1]], axis=-1
    ).mean(axis=-1)
    return np.where((border > 0.5)[..., None, None], 1.0 - g, g)


def _decode_chunk(
    decoder: Decoder, chunk, size: tuple[int, int], channels: int, should_cancel=None
):
    """Decode a list of (position, path); returns positions, images, and failures. Stops early
    once `should_cancel()` says so: Cancel waits for one picture, never for a whole chunk."""
    ok_pos, images, failed = [], [], []
    shape = size if channels == 1 else (channels, *size)
    for pos, path in chunk:
        if should_cancel and should_cancel():
            break
        try:
            g = decoder(path, size) if channels == 1 else decoder(path, size, channels)
            g = np.asarray(g, dtype=np.float32)
            if g.shape != shape or not np.isfinite(g).all():
                raise DataError(f"decoder gave {g.shape} instead of {'x'.join(map(str, shape))}")
        except ConvvizError as e:  # imageio's messages start with the path: the list has it
            failed.append((pos, str(e).removeprefix(f"{shown(path)}: ")))
        except Exception as e:  # noqa: BLE001 - a decoder's own fault: still this one file, never fatal
            failed.append((pos, shown(f"cannot decode: {type(e).__name__}: {e}".split("\n")[0])))
        else:
            ok_pos.append(pos)
            images.append(g)
    return ok_pos, images, failed


def _decoded(
    decoder: Decoder, chunks, size: tuple[int, int], channels: int, threads: int, should_cancel=None
):
    """Each chunk's (positions, images, failures), as chunks finish. One thread: right here, in
    order (a pool of one only adds a hand-over per chunk: 26,000 against 12,000-18,000 small
    PNGs a second measured). An early stop (cancel, error) drops the chunks not yet begun."""
    if threads <= 1:
        for c in chunks:
            yield _decode_chunk(decoder, c, size, channels, should_cancel)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [
            pool.submit(_decode_chunk, decoder, c, size, channels, should_cancel) for c in chunks
        ]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for f in futures:
                f.cancel()


def _refuse_over_decoded_limit(root, total, channels, rows, cols) -> None:
    """DataError when the decoded images would pass FOLDER_MAX_DECODED_BYTES (before allocating)."""
    need = total * channels * rows * cols * 4
    if need > limits.FOLDER_MAX_DECODED_BYTES:
        what = "colour " if channels == COLOUR_CHANNELS else ""
        raise DataError(
            f"{shown(root)}: {total:,} {what}images of {rows}x{cols} take "
            f"{need / 2**30:.1f} GB decoded, over convviz's limit of "
            f"{limits.FOLDER_MAX_DECODED_BYTES / 2**30:g} GB"
        )


def _move_usable_to_front(X, keep, channels, value_range) -> None:
    """X[:len(keep)] = the usable images X[keep], in ink polarity and the network's value range."""
    for s in range(0, len(keep), 4096):  # keep[j] >= j: each block reads at or after it writes
        block = keep[s : s + 4096]
        if channels == 1:  # the polarity rule is for drawings; colour is taken as it shows
            X[s : s + len(block)] = to_range(to_ink(X[block]), value_range)
        else:
            X[s : s + len(block)] = to_range(X[block], value_range)


def load_folder(
    root,
    size,
    value_range=(0.0, 1.0),
    decoder: Decoder | None = None,
    threads: int = 2,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
    listing: FolderListing | None = None,
    channels: int = 1,
) -> LabelledImages:
    """Decode a labelled folder into arrays of (channels, rows, cols): `size` is one side or
    (rows, cols); `channels` 1 (grayscale) or 3 (colour, RGB). Raises DataError (unusable folder)
    or LoadCancelled. `listing` reuses an earlier `list_folder` result."""
    if channels not in (1, COLOUR_CHANNELS):
        raise DataError(
            f"a labelled folder loads as 1 channel (grayscale) or 3 (colour), but "
            f"the network takes {channels}"
        )
    rows, cols = rows_cols(size)
    listing = listing or list_folder(root, should_cancel)
    decoder = decoder or pillow_decode
    files = listing.files
    total = len(files)
    _refuse_over_decoded_limit(listing.root, total, channels, rows, cols)
    # one array for the whole run: decoded in place, then the usable images moved to the front
    X = np.empty((total, channels, rows, cols), np.float32)
    good = np.zeros(total, bool)
    reasons: dict[int, str] = {}
    chunks = [
        [(i, files[i][0]) for i in range(s, min(s + CHUNK, total))] for s in range(0, total, CHUNK)
    ]
    done = 0
    if progress:
        progress(0, total)
    for ok_pos, images, failed in _decoded(
        decoder, chunks, (rows, cols), channels, threads, should_cancel
    ):
        if should_cancel and should_cancel():
            raise LoadCancelled()
        if ok_pos:
            X[ok_pos] = np.stack(images).reshape(len(ok_pos), channels, rows, cols)
            good[ok_pos] = True
        reasons.update(failed)
        done += len(ok_pos) + len(failed)
        if progress:
            progress(done, total)
    cut = len(os.path.join(str(listing.root), ""))  # paths all start with root/ (list_folder)
    skipped = list(listing.skipped) + [
        Skipped(shown(files[i][0][cut:]), reasons[i]) for i in sorted(reasons)
    ]
    labels = np.fromiter((c for _, c in files), np.int64, total)
    if not good.any():
        raise DataError(
            f"no readable images in {shown(listing.root)} ({total} files tried, "
            f"e.g. {skipped[-1].path}: {skipped[-1].reason})"
        )
    keep = np.flatnonzero(good)
    y = labels[keep]
    counts = np.bincount(y, minlength=len(listing.classes))
    empty = [c for c, n in zip(listing.classes, counts, strict=True) if n == 0]
    if empty:
        raise DataError(
            f"class folder '{empty[0]}' has no usable image (every file in it was skipped)"
        )
    _move_usable_to_front(X, keep, channels, value_range)
    if len(keep) < total:
        X = X[: len(keep)].copy() if len(keep) < total // 2 else X[: len(keep)]
    paths = [shown(files[i][0][cut:]) for i in keep]
    return LabelledImages(listing.root, listing.classes, X, y, paths, skipped)
