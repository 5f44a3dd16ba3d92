"""Several people on layouts nobody tuned on (issue 18): a seeded generator and an evaluator.

A *layout* is a short sequence (40 frames by default, 25 fps) drawn on a black
canvas (1280x720 by default) from the shared clips and photos
(../shared/testdata/media): two to four *sprites*, each one person, at a random
position and scale (0.5x to 1.5x of half the canvas height), above, below, beside
or over each other, waist-up (the clips, Grace Hopper, the business woman) and
full-body (the standing and sitting photos) mixed, some mirrored, the clips
time-shifted, some crossing (moving across the canvas while another does the
opposite). Sprites are drawn back to front; a *keyed* sprite covers what lies
behind it only with its person (the clips' dark background or the rendered
woman's alpha are left out), an opaque one with its whole rectangle.

The evaluator runs ``Holistic(max_num_people=number of sprites)`` on the layout
and, for each sprite, the reference: a one-person ``Holistic()`` run on that
sprite *alone* (the same canvas with only that sprite drawn, so its coordinates
are the layout's). The one-person run is MediaPipe Holistic within the parity
tests (test/test_parity_mediapipe.py holds it to 1.5x MediaPipe's own drift), so
it stands for MediaPipe here and costs no oracle subprocess in CI; its drift
under +-1 pixel noise (the same run on the alone frames with every value moved
by -1, 0 or +1, as tools/parity.py's perturb_frames), averaged over NOISE_DRAWS
draws of that noise, is the noise floor (``--draws 1``: the first draw alone). With
``--oracle`` the reference and the drift are MediaPipe's own (tools/parity.py,
cached).

Per layout it reports (the criteria of issue 18):

- ``found``: on frames 10 on, the share of (frame, person) where the person is
  visible (the reference finds them and less than a quarter of them is covered: of
  their sprite's pixels and of the landmarks the reference sees, ``in_view``; and the
  reference's own runs under +-1 noise land on the same person there, in most draws:
  ``References.reproducible``) and some track lies on them; worst person (goal >= 95%);
- ``switches``: a person getting an id after its first, plus an id seen on two
  people (migration) (goal 0);
- ``double``: frames where two tracks lie on one person (goal 0);
- ``first``: frames to first detection, per person;
- ``err/drift``: per person, the mean pose error (visible landmarks, fraction of
  the canvas diagonal) against the reference on frames where the person is not
  covered at all, over the reference's drift under noise; worst person (goal <= 1.5).
  With ``-v``, each person's farthest landmarks (mean pixels over those frames) say where
  the error comes from: a limb on a neighbour, the feet, the whole pose.

A track *lies on* a person when its nose and shoulders are within one shoulder
width of the reference's (median of the three distances, the reference's
shoulder width in pixels); where the reference finds nobody, when its shoulders'
midpoint is inside the sprite's rectangle (where a track lies on both kinds, the one
drawn in front counts, unless the track matches a person behind by pose and its nose is
off the sprite in front: that person's face shows over it, ``lies_on``).

With ``-v --context-check``, each person's line also says how far MediaPipe's own one-person
run moves off its run alone when given the layout around them (``context_error``): whether
the err/drift criterion is one MediaPipe itself meets on that view.

Usage:  .venv/bin/python tools/layouts.py [--seeds 0-29] [--frames 40] [--issue] [--oracle]
                                          [--out table.md] [-v] [--self-check] [--context-check]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import parity  # noqa: E402
from holistic_ros.pipeline.landmark_names import PoseLandmark  # noqa: E402

WOMAN_CLIP = "videos/mps_woman_thumbs_up_1280x720.mp4"
TORSO_CLIP = "videos/mps_hand_reach_640x360.mp4"
FPS = 25.0
# Frames after which every visible person must be found (issue 18: "after the first 10").
SETTLE_FRAMES = 10
# Criteria of issue 18.
FOUND_MIN = 0.95
DRIFT_FACTOR = 1.5
# The noise floor is the mean over this many draws of +-1 noise. One draw is a noisy
# estimate on 40 frames of a still person (a track keeps where it started, so its frames
# are one sample, not forty): the one-person run itself, under three other draws, scored
# 1.39 / 1.89 / 2.13 against draw 0's floor on seed 4's sitting photo, 2.09 / 1.84 / 1.69 on
# seed 20's small woman (docs/people-layouts.md). Every draw is an equally valid floor;
# their mean is the same quantity with less of that noise.
NOISE_DRAWS = 3
# A person counts as visible for `found` when less than this share of them is covered by
# sprites in front (of the pixels their sprite draws, and of the landmarks the reference sees
# on them: in_view), and is compared with the reference only when not covered at all.
COVERED_MAX = 0.25
COVERED_COMPARE = 0.02
# A track lies on a person when its nose and shoulders are this many of the person's
# shoulder widths from the reference's (median of the three).
ON_BODY_SHOULDERS = 1.0
NOSE_SHOULDERS = [0, 11, 12]
# Keyed clips: a pixel is the person where its channels sum to more than this (as
# test_multi_person.py's crossing clip: the clips' background is dark).
KEY_LEVEL = 120
# Pose landmarks compared: those both runs see (visibility), as the two-person clip test.
VISIBLE = 0.5
# Where a sprite draws (Rendered.drawn) is kept in cells of this many pixels: a cell is
# drawn when any of its pixels is. A track lies on a person the reference does not find
# when its shoulders' midpoint is within DRAWN_REACH_PX of a pixel the person's sprite
# draws (a keyed sprite's rectangle is mostly background: a track on someone standing
# there is not on them). The reach is a margin chosen, not measured: the key by brightness
# cuts dark clothes and hair out of the keyed clip, so a pose on her can have its
# shoulders' midpoint a little off her drawn pixels. 16 px is under the shoulder width of
# the smallest keyed people drawn (180 px tall: the rendered woman's references about
# 24-28 px, the woman clip's about 100 px).
DRAWN_CELL_PX = 4
DRAWN_REACH_PX = 16


@dataclass(frozen=True)
class Source:
    """A person to draw: a clip or a photo (``path`` under the media folder)."""

    path: str
    keyed: bool          # drawn without its background
    framing: str         # "waist-up" or "full-body"

    @property
    def is_clip(self) -> bool:
        return self.path.endswith(".mp4")


SOURCES = {
    "woman": Source(WOMAN_CLIP, True, "waist-up"),
    "woman_box": Source(WOMAN_CLIP, False, "waist-up"),
    "torso": Source(TORSO_CLIP, False, "waist-up"),
    "businessman": Source("images/tfe_businessman_standing.jpg", False, "full-body"),
    "sitting": Source("images/mps_woman_sitting_fullbody.jpg", False, "full-body"),
    "yoga": Source("images/tfe_yoga_tree_pose.jpg", False, "full-body"),
    "render": Source("images/tfe_render_woman_standing_rgba.png", True, "full-body"),
    "business_woman": Source("images/mps_business_person.png", False, "waist-up"),
    "hopper": Source("images/tfe_grace_hopper_bust.jpg", False, "waist-up"),
}
# How often each is drawn: the waist-up clip (the robot's usual view) most.
SOURCE_WEIGHTS = {"woman": 5, "woman_box": 2, "torso": 1, "businessman": 2, "sitting": 1, "yoga": 2,
                  "render": 2, "business_woman": 2, "hopper": 1}
KINDS = ("row", "stack", "scatter", "overlap", "crossing")


@dataclass(frozen=True)
class Sprite:
    source: str          # key of SOURCES
    height_px: int       # drawn height
    x_px: float          # top-left corner on frame 0
    y_px: float
    vx_px: float = 0.0   # motion per frame (crossing)
    mirror: bool = False
    shift: int = 0       # first clip frame


@dataclass(frozen=True)
class Layout:
    name: str
    size: Tuple[int, int]
    frames: int
    sprites: Tuple[Sprite, ...]   # back to front
    kind: str = ""

    def describe(self) -> str:
        parts = []
        for s in self.sprites:
            src = SOURCES[s.source]
            parts.append(f"{s.source}{'/m' if s.mirror else ''}@{int(s.x_px)},{int(s.y_px)}h{s.height_px}"
                         + (f"v{s.vx_px:+.0f}" if s.vx_px else "") + (f"t{s.shift}" if src.is_clip and s.shift else ""))
        return f"{self.kind}: " + " ".join(parts)


# --- media ------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _source_frames(path: str) -> Tuple[np.ndarray, ...]:
    """RGBA frames of a clip (its height capped at 540 px) or the one frame of a photo."""
    full = parity.media_dir() / path
    if not full.is_file():
        raise FileNotFoundError(f"test media {full} not found (../shared/testdata/media beside the repo)")
    if path.endswith(".mp4"):
        frames = []
        for rgb in parity.iter_video_rgb(full):
            if rgb.shape[0] > 540:
                rgb = cv2.resize(rgb, (rgb.shape[1] * 540 // rgb.shape[0], 540), interpolation=cv2.INTER_AREA)
            frames.append(rgb)
    else:
        image = cv2.imread(str(full), cv2.IMREAD_UNCHANGED)
        if image.ndim == 3 and image.shape[2] == 4:
            frames = [np.dstack([cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB), image[..., 3]])]
        else:
            frames = [cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)]
    out = []
    for f in frames:
        if f.shape[2] == 3:
            f = np.dstack([f, np.full(f.shape[:2], 255, np.uint8)])
        out.append(f)
    return tuple(out)


def source_length(key: str) -> int:
    return len(_source_frames(SOURCES[key].path))


def sprite_image(sprite: Sprite, frame: int) -> Tuple[np.ndarray, np.ndarray]:
    """(RGB, person mask) of a sprite on a frame, scaled and mirrored."""
    src = SOURCES[sprite.source]
    frames = _source_frames(src.path)
    rgba = frames[(sprite.shift + frame) % len(frames)]
    h = sprite.height_px
    w = max(1, round(rgba.shape[1] * h / rgba.shape[0]))
    rgba = cv2.resize(rgba, (w, h), interpolation=cv2.INTER_AREA if h < rgba.shape[0] else cv2.INTER_LINEAR)
    if sprite.mirror:
        rgba = rgba[:, ::-1]
    rgb = np.ascontiguousarray(rgba[..., :3])
    if not src.keyed:
        mask = np.ones(rgb.shape[:2], bool)
    elif src.is_clip:
        mask = rgb.astype(np.int32).sum(axis=2) > KEY_LEVEL
    else:
        mask = rgba[..., 3] > 127
    return rgb, mask


def _paste(canvas: np.ndarray, rgb: np.ndarray, mask: np.ndarray, x: int, y: int) -> np.ndarray:
    """Draw ``rgb`` where ``mask`` at (x, y), clipped to the canvas; returns the mask in canvas coordinates."""
    H, W = canvas.shape[:2]
    h, w = mask.shape
    x1, y1, x2, y2 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    placed = np.zeros((H, W), bool)
    if x1 >= x2 or y1 >= y2:
        return placed
    sub = mask[y1 - y:y2 - y, x1 - x:x2 - x]
    canvas[y1:y2, x1:x2][sub] = rgb[y1 - y:y2 - y, x1 - x:x2 - x][sub]
    placed[y1:y2, x1:x2] = sub
    return placed


@dataclass
class Rendered:
    frames: List[np.ndarray]                 # the layout
    alone: List[List[np.ndarray]]            # per sprite: the sprite alone
    covered: np.ndarray                      # (sprites, frames): share of the sprite covered by sprites in front
    rects: np.ndarray                        # (sprites, frames, 4): the sprite's rectangle, pixels
    drawn: np.ndarray                        # (sprites, frames, H', W'): cells the sprite draws (DRAWN_CELL_PX)


def render(layout: Layout) -> Rendered:
    W, H = layout.size
    n = len(layout.sprites)
    frames, alone = [], [[] for _ in range(n)]
    covered = np.zeros((n, layout.frames))
    rects = np.zeros((n, layout.frames, 4))
    cells = (-(-H // DRAWN_CELL_PX), -(-W // DRAWN_CELL_PX))
    drawn = np.zeros((n, layout.frames) + cells, bool)
    for i in range(layout.frames):
        canvas = np.zeros((H, W, 3), np.uint8)
        placed = []
        for k, s in enumerate(layout.sprites):
            rgb, mask = sprite_image(s, i)
            x, y = int(round(s.x_px + s.vx_px * i)), int(round(s.y_px))
            placed.append(_paste(canvas, rgb, mask, x, y))
            own = np.zeros((H, W, 3), np.uint8)
            _paste(own, rgb, mask, x, y)
            alone[k].append(own)
            rects[k, i] = (x, y, x + mask.shape[1], y + mask.shape[0])
            drawn[k, i] = _cells(placed[-1])
        for k in range(n):
            front = np.zeros((H, W), bool)
            for j in range(k + 1, n):
                front |= placed[j]
            total = placed[k].sum()
            covered[k, i] = (placed[k] & front).sum() / total if total else 1.0
        frames.append(canvas)
    return Rendered(frames, alone, covered, rects, drawn)


def _cells(mask: np.ndarray) -> np.ndarray:
    """A pixel mask -> cells of DRAWN_CELL_PX pixels, a cell set when any of its pixels is."""
    H, W = mask.shape
    c = DRAWN_CELL_PX
    padded = np.zeros((-(-H // c) * c, -(-W // c) * c), bool)
    padded[:H, :W] = mask
    return padded.reshape(padded.shape[0] // c, c, padded.shape[1] // c, c).any(axis=(1, 3))


# --- layouts ------------------------------------------------------------------------------

def issue_layout(frames: int = 60, gap: int = 40) -> Layout:
    """Issue 18's reproduction: the woman clip at 640x360 above a mirrored copy of
    itself (same frames), ``gap`` black pixels between."""
    h = 360
    return Layout("issue18", (640, 2 * h + gap), frames,
                  (Sprite("woman_box", h, 0, 0), Sprite("woman_box", h, 0, h + gap, mirror=True)),
                  kind="stack")


def random_layout(seed: int, frames: int = 40, size: Tuple[int, int] = (1280, 720)) -> Layout:
    """A seeded layout: 2-4 people, one of KINDS."""
    rng = np.random.default_rng(seed)
    W, H = size
    n = int(rng.integers(2, 5))
    kind = KINDS[int(rng.integers(len(KINDS)))]
    keys = list(SOURCE_WEIGHTS)
    weights = np.array([SOURCE_WEIGHTS[k] for k in keys], float)
    sprites = []
    for k in range(n):
        key = keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
        if kind in ("overlap", "crossing") and k > 0 and rng.random() < 0.7:
            key = "woman" if rng.random() < 0.7 else "render"   # keyed: the one behind stays visible
        src = SOURCES[key]
        scale = float(rng.uniform(0.5, 1.5))
        h = int(min(H, round(0.5 * H * scale)))
        length = source_length(key)
        aspect = _source_frames(src.path)[0].shape[1] / _source_frames(src.path)[0].shape[0]
        w = h * aspect
        shift = int(rng.integers(0, max(1, length - frames))) if src.is_clip else 0
        mirror = bool(rng.random() < 0.4)
        vx = 0.0
        if kind == "row":
            x = (k + 0.5) * W / n - w / 2 + rng.uniform(-0.1, 0.1) * W / n
            y = H - h - rng.uniform(0, 0.15) * H
        elif kind == "stack":   # columns at different heights: some above, some below
            col = k % 2
            x = (col + 0.5) * W / 2 - w / 2 + rng.uniform(-0.15, 0.15) * W
            y = rng.uniform(0, max(1.0, H - h)) if k < 2 else (0 if sprites[k - 2].y_px > H / 3 else H - h)
        elif kind == "overlap":   # the next one partly over the previous
            if k == 0:
                x = rng.uniform(0, max(1.0, W / 2 - w))
            else:
                prev = sprites[-1]
                x = prev.x_px + rng.uniform(0.4, 0.8) * w
            y = rng.uniform(0, max(1.0, H - h))
        elif kind == "crossing":   # two walk through each other; the others stand
            if k < 2:
                travel = rng.uniform(0.4, 0.7) * W
                start = W / 2 - travel / 2 - w / 2
                x = start if k == 0 else start + travel
                vx = travel / max(1, frames - 1) * (1 if k == 0 else -1)
            else:
                x = rng.uniform(0, max(1.0, W - w))
            y = H - h - rng.uniform(0, 0.2) * H
        else:   # scatter
            x = rng.uniform(-0.1 * w, max(1.0, W - 0.9 * w))
            y = rng.uniform(-0.05 * h, max(1.0, H - 0.95 * h))
        sprites.append(Sprite(key, h, float(x), float(y), float(vx), mirror, shift))
    return Layout(f"seed{seed}", size, frames, tuple(sprites), kind)


# --- evaluation -----------------------------------------------------------------------------

@dataclass
class PersonReport:
    found: float = float("nan")          # share of visible frames (from SETTLE_FRAMES) with a track on them
    first: Optional[int] = None          # first frame with a track on them
    first_visible: Optional[int] = None  # first frame the reference finds them
    ids: List[int] = field(default_factory=list)
    error: Optional[float] = None        # mean pose error vs reference, fraction of the diagonal
    drift: Optional[float] = None        # the reference's drift under +-1 noise (mean over the draws)
    drifts: List[Optional[float]] = field(default_factory=list)   # per draw
    # Frames (after SETTLE_FRAMES, in view) left out of ``found``: MediaPipe's own run under
    # +-1 noise does not land on its clean pose there (References.reproducible).
    unreproduced: int = 0
    # Per landmark (len(PoseLandmark)): the mean distance to the reference in pixels over the frames whose
    # error is counted (nan: never seen by both); says where ``error`` comes from.
    landmark_px: Optional[np.ndarray] = None

    def worst_landmarks(self, count: int = 4) -> List[Tuple[str, float]]:
        """The ``count`` landmarks farthest from the reference on average: (name, pixels)."""
        if self.landmark_px is None or np.isnan(self.landmark_px).all():
            return []
        order = np.argsort(-np.nan_to_num(self.landmark_px, nan=-1.0))[:count]
        return [(PoseLandmark(int(j)).name.lower(), float(self.landmark_px[j])) for j in order
                if not np.isnan(self.landmark_px[j])]

    @property
    def ratio(self) -> Optional[float]:
        if self.error is None or self.drift is None:
            return None
        return self.error / max(self.drift, 1e-9)


@dataclass
class LayoutReport:
    layout: Layout
    people: List[PersonReport]
    switches: int
    double: int
    stray: int                           # frames with a track on nobody
    seconds: float

    @property
    def found(self) -> float:
        values = [p.found for p in self.people if not np.isnan(p.found)]
        return min(values) if values else float("nan")

    @property
    def ratio(self) -> Optional[float]:
        values = [p.ratio for p in self.people if p.ratio is not None]
        return max(values) if values else None

    @property
    def passed(self) -> bool:
        return (not self.found < FOUND_MIN and self.switches == 0 and self.double == 0
                and (self.ratio is None or self.ratio <= DRIFT_FACTOR))

    def row(self) -> str:
        firsts = ",".join("-" if p.first is None else str(p.first) for p in self.people)
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        found = "-" if np.isnan(self.found) else f"{100 * self.found:.0f}%"
        return (f"| {self.layout.name} | {len(self.people)} | {self.layout.kind} | {found} | {self.switches} | "
                f"{self.double} | {firsts} | {ratio} | {'pass' if self.passed else 'FAIL'} |")


TABLE_HEADER = ("| layout | people | kind | found (worst) | id switches | 2 tracks on 1 body (frames) | "
                "first detection (frames) | err/drift (worst) | |\n|---|---|---|---|---|---|---|---|---|")


def _pose(result) -> Optional[np.ndarray]:
    return None if result is None else result.pose_landmarks


def _shoulder_width_px(pose: np.ndarray, size) -> float:
    return float(np.hypot(*((pose[11, :2] - pose[12, :2]) * size)))


def on_body(track_pose: np.ndarray, reference: Optional[np.ndarray], rect_px: np.ndarray, size,
            drawn: Optional[np.ndarray] = None) -> float:
    """How far a track lies from a person, in the person's shoulder widths (< ON_BODY_SHOULDERS: on them);
    without a reference, 0 when the track's shoulders' midpoint is in the sprite's rectangle and
    (with ``drawn``, the sprite's cells: Rendered.drawn) within DRAWN_REACH_PX of a pixel the
    sprite draws, else inf."""
    size = np.asarray(size, float)
    if reference is not None:
        d = np.linalg.norm((track_pose[NOSE_SHOULDERS, :2] - reference[NOSE_SHOULDERS, :2]) * size, axis=1)
        return float(np.median(d) / max(_shoulder_width_px(reference, size), 1.0))
    mid = (track_pose[11, :2] + track_pose[12, :2]) / 2 * size
    return 0.0 if _sprite_at(mid, rect_px, drawn) else float("inf")


def _sprite_at(point_px: np.ndarray, rect_px: np.ndarray, drawn: Optional[np.ndarray]) -> bool:
    """``point_px`` in the sprite's rectangle and (with ``drawn``, its cells) within
    DRAWN_REACH_PX of a pixel the sprite draws."""
    x, y = point_px
    if not (rect_px[0] <= x < rect_px[2] and rect_px[1] <= y < rect_px[3]):
        return False
    if drawn is None:
        return True
    c, r = DRAWN_CELL_PX, DRAWN_REACH_PX // DRAWN_CELL_PX
    col, row = int(x) // c, int(y) // c
    return bool(drawn[max(0, row - r):row + r + 1, max(0, col - r):col + r + 1].any())


def lies_on(track_pose: np.ndarray, references: Sequence[Optional[np.ndarray]], rects_px: np.ndarray,
            size, drawn: Optional[np.ndarray] = None) -> Optional[int]:
    """Which person a track lies on, or None. A person the reference finds is matched by
    pose; a person it does not find (a photo too small for the pose detector, say) by their
    rectangle holding the track's shoulders' midpoint. Where both hold, the one drawn in
    front wins: a track on a photo drawn over a walker is the photo's (the walker is covered
    there), and a track on a walker in front of such a photo is the walker's. (Before, the
    rectangle always won, then the pose always won: one counted a walker passing in front of
    a photo as an id on two people, the other a track on a photo in front as on the walker
    passing behind it.) ``drawn`` (Rendered.drawn of the frame): a rectangle holds the
    track only where its sprite draws near the track's shoulders (:func:`on_body`); a
    keyed sprite's rectangle is mostly background, and a track on the person standing
    there is that person's (layout seed 15: a woman found on every frame, counted as on
    the keyed woman in front of her, whose rectangle reached over her chest but whose
    body was out of the frame). A track that matches a person by pose, with its nose off
    the sprite in front, is that person's: their face shows over the sprite, and only their
    shoulders lie behind it. Sprites are indexed back to front."""
    dist = np.array([on_body(track_pose, ref, rect, size) if ref is not None else np.inf
                     for ref, rect in zip(references, rects_px)])
    by_pose = int(np.argmin(dist)) if dist.size and dist.min() < ON_BODY_SHOULDERS else None
    for k in range(len(references) - 1, -1, -1):   # front first
        if by_pose is not None and k < by_pose:
            break
        cells = None if drawn is None else drawn[k]
        if references[k] is None and on_body(track_pose, None, rects_px[k], size, cells) < ON_BODY_SHOULDERS:
            if by_pose is not None and not _sprite_at(track_pose[0, :2] * np.asarray(size, float), rects_px[k], cells):
                # The track's pose is a person's behind, whose face shows over (or beside)
                # this sprite: its shoulders only lie behind the sprite (seed 402: a woman
                # standing behind the sitting photo, her face above it, a track on her
                # counted as a second track on the photo on 38 of 40 frames).
                continue
            return k
    return by_pose


def landmarks_covered(reference: np.ndarray, rendered: Rendered, k: int, i: int, size) -> float:
    """The share of the landmarks the reference sees on person ``k`` (visibility >= VISIBLE, in
    the frame) that sprites drawn in front of them cover on frame ``i`` (Rendered.drawn cells)."""
    size = np.asarray(size, float)
    px = reference[:, :2] * size
    seen = (reference[:, 3] >= VISIBLE) & np.all((px >= 0) & (px < size), axis=1)
    if not seen.any() or k + 1 >= rendered.drawn.shape[0]:
        return 0.0
    front = rendered.drawn[k + 1:, i].any(axis=0)
    cells = (px[seen] // DRAWN_CELL_PX).astype(int)
    return float(np.mean(front[cells[:, 1], cells[:, 0]]))


def in_view(rendered: Rendered, reference: Optional[np.ndarray], k: int, i: int, size) -> bool:
    """Person ``k`` counts as in view on frame ``i`` (for `found`): the reference finds them,
    and less than COVERED_MAX is covered by sprites in front, both of the pixels their sprite
    draws and of the landmarks the reference sees on them. The pixels alone counted a person
    whose face and chest were hidden behind a narrow person in front as in view (never-seen
    seed 386: 14% of her pixels covered, 36-38% of her landmarks, her nose among them); the
    landmarks alone would count a person whose sprite is mostly hidden but whose pose the
    reference found on the uncovered part."""
    return (reference is not None and rendered.covered[k, i] < COVERED_MAX
            and landmarks_covered(reference, rendered, k, i, size) < COVERED_MAX)


def landmark_distances_px(ours: np.ndarray, reference: np.ndarray, size) -> np.ndarray:
    """Per landmark, its distance to the reference's in pixels where both see it
    (visibility > VISIBLE), else nan."""
    visible = (ours[:, 3] > VISIBLE) & (reference[:, 3] > VISIBLE)
    d = np.linalg.norm((ours[:, :2] - reference[:, :2]) * np.asarray(size, float), axis=1)
    return np.where(visible, d, np.nan)


def pose_error(ours: np.ndarray, reference: np.ndarray, size) -> Optional[float]:
    """Mean distance of the landmarks both see, over the canvas diagonal."""
    return error_of(landmark_distances_px(ours, reference, size), size)


def error_of(distances_px: np.ndarray, size) -> Optional[float]:
    """:func:`pose_error` from :func:`landmark_distances_px`' output (None: nothing seen by both)."""
    if np.isnan(distances_px).all():
        return None
    return float(np.nanmean(distances_px) / np.hypot(*size))


def _run(frames: Sequence[np.ndarray], max_num_people: int, holistic_kwargs: Dict) -> list:
    from holistic_ros import Holistic

    with Holistic(max_num_people=max_num_people, providers=["CPUExecutionProvider"], **holistic_kwargs) as h:
        return [h.process(f, timestamp=(i + 1) / FPS) for i, f in enumerate(frames)]


_ORACLE_OPTIONS = dict(static_image_mode=False, model_complexity=1, enable_segmentation=False,
                       refine_face_landmarks=False)


def one_person_poses(frames: Sequence[np.ndarray], corners=None, size=None) -> List[Optional[np.ndarray]]:
    """MediaPipe's one-person run (the project's ``Holistic()``) on ``frames``: its poses; with
    ``corners`` (each frame's top-left corner, pixels, on a canvas ``size`` pixels wide and
    high), in that canvas's normalised coordinates."""
    poses = [_pose(r) for r in _run(frames, 1, {})]
    if corners is None:
        return poses
    frame_size = np.array([frames[0].shape[1], frames[0].shape[0]], float)
    out = []
    for pose, corner in zip(poses, corners):
        if pose is not None:
            pose = pose.copy()
            pose[:, :2] = (pose[:, :2] * frame_size + corner) / np.asarray(size, float)
        out.append(pose)
    return out


def distances_to_reported(layout: Layout, person: int, frames: Optional[int] = None):
    """For the tests: ``person``'s one-person run alone and, on each of the first ``frames``
    frames (all by default), their distance to the nearest person the several-people run
    reports, in their shoulder widths (:func:`on_body`; < ON_BODY_SHOULDERS: found).
    Returns (rendered, alone poses, distances)."""
    rendered = render(layout)
    frames = layout.frames if frames is None else frames
    alone = one_person_poses(rendered.alone[person][:frames])
    crowd = _run(rendered.frames[:frames], len(layout.sprites), {})
    distances = [min((on_body(p.pose_landmarks, alone[i], rendered.rects[person, i], layout.size,
                              rendered.drawn[person, i])
                      for p in crowd[i].people), default=np.inf) for i in range(frames)]
    return rendered, alone, distances


def _noisy_run(alone: Sequence[np.ndarray], draw: int, oracle: bool) -> List[Optional[np.ndarray]]:
    """The one-person run on the alone frames under one draw of +-1 noise: its poses."""
    noisy = parity.perturb_frames(alone, seed=draw)
    if oracle:
        noisy_o = parity.run_oracle(noisy, _ORACLE_OPTIONS, f"layouts-noisy{draw or ''}-")
        return [parity.oracle_frame(noisy_o, "pose", i) for i in range(len(alone))]
    return one_person_poses(noisy)


def mean_pose_error(ours: Sequence[Optional[np.ndarray]], reference: Sequence[Optional[np.ndarray]],
                    size) -> Optional[float]:
    """A run's mean pose error against another, frame by frame, over the frames where both find
    someone (and see a landmark in common); None where there is none. A noisy run's against the
    clean one is its drift."""
    errors = [pose_error(a, b, size) for a, b in zip(ours, reference) if a is not None and b is not None]
    errors = [e for e in errors if e is not None]
    return float(np.mean(errors)) if errors else None


def shifted_error(alone: Sequence[np.ndarray], clean: Sequence[Optional[np.ndarray]],
                  shift_px: int = 1) -> Optional[float]:
    """MediaPipe's one-person run against itself (``--self-check``): the run on the alone
    frames moved ``shift_px`` pixels right (the column uncovered black, as the canvas), its
    landmarks moved back, its mean pose error against the clean run. A one-pixel move is
    what a camera's mount gives; it changes the first detection a little, so the run starts
    from another first ROI and tracking keeps that start (docs/people-layouts.md, "Accuracy
    against a run alone"). Its ratio to the noise floor says how far the criterion is
    reachable by MediaPipe itself started from a first ROI a pixel away."""
    moved = []
    for frame in alone:
        out = np.zeros_like(frame)
        out[:, shift_px:] = frame[:, :frame.shape[1] - shift_px]
        moved.append(out)
    size = (alone[0].shape[1], alone[0].shape[0])
    back = one_person_poses(moved, [(-shift_px, 0)] * len(moved), size)   # its landmarks moved back
    return mean_pose_error(back, clean, size)


# --context-check: the crop around a person, the sprite's rectangle grown by this share of its
# size on each side (a waist-up person's pose ROI reaches past their sprite; a margin chosen,
# not measured).
CONTEXT_MARGIN = 0.5


def _crop_around(frames: Sequence[np.ndarray], rects_px: np.ndarray, margin: float = CONTEXT_MARGIN):
    """Each frame cut around its rectangle grown by ``margin`` of its size on each side, black
    beyond the canvas (the canvas is black). Returns (crops, top-left corners in pixels)."""
    w, h = rects_px[0, 2] - rects_px[0, 0], rects_px[0, 3] - rects_px[0, 1]
    cw, ch = int(round(w * (1 + 2 * margin))), int(round(h * (1 + 2 * margin)))
    crops, corners = [], []
    for frame, rect in zip(frames, rects_px):
        x0, y0 = int(round(rect[0] - margin * w)), int(round(rect[1] - margin * h))
        out = np.zeros((ch, cw, 3), np.uint8)
        H, W = frame.shape[:2]
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + cw, W), min(y0 + ch, H)
        if sx1 > sx0 and sy1 > sy0:
            out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = frame[sy0:sy1, sx0:sx1]
        crops.append(out)
        corners.append((x0, y0))
    return crops, corners


def context_error(rendered: Rendered, k: int, margin: float = CONTEXT_MARGIN) -> Optional[float]:
    """MediaPipe's one-person run on the layout around person ``k`` (``--context-check``): the
    layout's frames cut around their sprite (:func:`_crop_around`), neighbours and all,
    against the same run on the same cuts of their alone frames: its mean pose error (canvas
    coordinates, as the reference's) on the frames where the person is not covered. Its ratio
    to the noise floor says how far the neighbours' pixels alone move MediaPipe's own answer
    off the run alone, where the layout lets MediaPipe see them: what the err/drift criterion
    asks of the several-people run, asked of MediaPipe itself."""
    frame = rendered.frames[0]
    size = np.array([frame.shape[1], frame.shape[0]], float)
    in_context, alone = (one_person_poses(*_crop_around(frames, rendered.rects[k], margin), size)
                         for frames in (rendered.frames, rendered.alone[k]))
    uncovered = [pose if rendered.covered[k, i] < COVERED_COMPARE else None for i, pose in enumerate(in_context)]
    return mean_pose_error(uncovered, alone, size)


def references(rendered: Rendered, oracle: bool = False, draws: int = NOISE_DRAWS, poses=None,
               noisy=None) -> "References":
    """Per sprite: the one-person poses on its alone frames, and the same run under each of
    ``draws`` draws of +-1 noise. ``poses`` and ``noisy`` (from the cache) are kept: only the
    missing runs are made."""
    poses = list(poses) if poses is not None else [None] * len(rendered.alone)
    noisy = [list(d) for d in noisy] if noisy is not None else [[] for _ in rendered.alone]
    for k, alone in enumerate(rendered.alone):
        if poses[k] is None:
            if oracle:
                clean_o = parity.run_oracle(alone, _ORACLE_OPTIONS, "layouts-")
                poses[k] = [parity.oracle_frame(clean_o, "pose", i) for i in range(len(alone))]
            else:
                poses[k] = one_person_poses(alone)
        for draw in range(len(noisy[k]), draws):
            # Nobody to drift from where the clean run finds nobody: no noisy run.
            found = any(p is not None for p in poses[k])
            noisy[k].append(_noisy_run(alone, draw, oracle) if found else [None] * len(alone))
    frame = rendered.frames[0]
    return References(poses, noisy, (frame.shape[1], frame.shape[0]))


@dataclass
class References:
    """The one-person runs on each sprite alone: ``poses[k][i]`` (clean) and
    ``noisy[k][draw][i]`` (under +-1 noise draw ``draw``)."""

    poses: List[List[Optional[np.ndarray]]]
    noisy: List[List[List[Optional[np.ndarray]]]]
    size: Tuple[int, int]

    def drifts(self, k: int, draws: int = NOISE_DRAWS) -> List[Optional[float]]:
        """Person ``k``'s drift under each of the first ``draws`` draws of noise."""
        return [mean_pose_error(run, self.poses[k], self.size) for run in self.noisy[k][:draws]]

    def reproducible(self, k: int, i: int, draws: int = NOISE_DRAWS) -> bool:
        """Whether MediaPipe's own run finds person ``k`` on frame ``i`` again under noise: in
        most of the first ``draws`` draws, its pose there lies on the clean one
        (:func:`on_body`, within ON_BODY_SHOULDERS); with no draws, wherever the clean run
        finds them. A person whose pose lands elsewhere under
        +-1 noise is not one the layout lets MediaPipe see: the hand-reach clip, with no head in
        view, gets a guessed nose and shoulders that the noisy runs put more than a shoulder
        width away (never-seen seed 361: on all 21 frames counted, in each of three draws)."""
        clean = self.poses[k][i]
        runs = self.noisy[k][:draws]
        if clean is None or not runs:   # draws=0 (ids only): every frame the clean run finds
            return clean is not None
        hits = sum(run[i] is not None and on_body(run[i], clean, None, self.size) < ON_BODY_SHOULDERS
                   for run in runs)
        return 2 * hits > len(runs)


def noise_floor(drifts: Sequence[Optional[float]], draws: int = NOISE_DRAWS) -> Optional[float]:
    """The reference's drift under +-1 noise: the mean over the first ``draws`` draws."""
    values = [d for d in list(drifts)[:draws] if d is not None]
    return float(np.mean(values)) if values else None


CACHE_DIR = parity.REPO_ROOT / ".cache" / "layouts"


def cached_references(layout: Layout, rendered: Rendered, oracle: bool = False,
                      draws: int = NOISE_DRAWS) -> References:
    """:func:`references`, kept on disk by layout (the one-person runs do not change with
    the several-people code; delete .cache/layouts when the one-person pipeline changes).
    A file with fewer noise draws than asked for gets the missing ones added (a file from
    before the noisy poses were kept has them all made again)."""
    import hashlib

    key = hashlib.sha1(repr((layout, oracle)).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{layout.name}-{key}.npz"
    poses = noisy = None
    n = len(layout.sprites)

    def unpack(array):   # (frames, 33, 4) with nan where nobody was found
        return [None if np.isnan(p).all() else p for p in array]

    if path.is_file():
        with np.load(path) as data:
            poses = [unpack(data["poses"][k]) for k in range(n)]
            if "noisy" in data:
                noisy = [[unpack(run) for run in data["noisy"][k]] for k in range(n)]
        if noisy is not None and all(len(runs) >= draws for runs in noisy):
            return References(poses, noisy, layout.size)
    refs = references(rendered, oracle, draws, poses, noisy)

    def pack(seq):
        array = np.full((layout.frames, 33, 4), np.nan, np.float32)
        for i, p in enumerate(seq):
            if p is not None:
                array[i] = p[:, :4]
        return array

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = parity.private_temp(path)
    drifts = [[np.nan if d is None else d for d in refs.drifts(k, len(runs))] for k, runs in enumerate(refs.noisy)]
    np.savez_compressed(tmp, poses=np.stack([pack(seq) for seq in refs.poses]),
                        noisy=np.stack([np.stack([pack(run) for run in runs]) for runs in refs.noisy]),
                        drifts=np.array(drifts, float))   # as files before the noisy runs were kept had
    os.replace(tmp, path)
    return refs


def evaluate(layout: Layout, holistic_kwargs: Optional[Dict] = None, oracle: bool = False,
             rendered: Optional[Rendered] = None, refs=None, cache: bool = False,
             draws: int = NOISE_DRAWS) -> LayoutReport:
    t0 = time.perf_counter()
    rendered = rendered or render(layout)
    n = len(layout.sprites)
    results = _run(rendered.frames, n, holistic_kwargs or {})
    if refs is None:
        refs = cached_references(layout, rendered, oracle, draws) if cache else references(rendered, oracle, draws)
    ref_poses = refs.poses
    size = layout.size
    reports = []
    for k in range(n):
        drifts = refs.drifts(k, draws)
        reports.append(PersonReport(drift=noise_floor(drifts, draws), drifts=drifts))
    owners: Dict[int, set] = {}
    double = stray = 0
    visible_frames = np.zeros(n)
    found_frames = np.zeros(n)
    errors: List[List[float]] = [[] for _ in range(n)]
    landmark_sums, landmark_counts = np.zeros((n, len(PoseLandmark))), np.zeros((n, len(PoseLandmark)))
    for i, result in enumerate(results):
        on: List[List] = [[] for _ in range(n)]   # tracks on each person this frame
        nobody = False
        for person in result.people:
            k = lies_on(person.pose_landmarks, [ref_poses[j][i] for j in range(n)], rendered.rects[:, i], size,
                        rendered.drawn[:, i])
            if k is None:
                nobody = True
                continue
            on[k].append(person)
            owners.setdefault(person.person_id, set()).add(k)
        stray += nobody
        double += any(len(tracks) > 1 for tracks in on)
        for k in range(n):
            rep = reports[k]
            visible = in_view(rendered, ref_poses[k][i], k, i, size)
            if ref_poses[k][i] is not None and rep.first_visible is None:
                rep.first_visible = i
            if on[k] and rep.first is None:
                rep.first = i
            for person in on[k]:
                if person.person_id not in rep.ids:
                    rep.ids.append(person.person_id)
            if i >= SETTLE_FRAMES and visible:
                if refs.reproducible(k, i, draws):
                    visible_frames[k] += 1
                    found_frames[k] += bool(on[k])
                else:
                    rep.unreproduced += 1
            if len(on[k]) == 1 and ref_poses[k][i] is not None and rendered.covered[k, i] < COVERED_COMPARE:
                d = landmark_distances_px(on[k][0].pose_landmarks, ref_poses[k][i], size)
                e = error_of(d, size)
                if e is not None:
                    errors[k].append(e)
                    landmark_sums[k] += np.nan_to_num(d)
                    landmark_counts[k] += ~np.isnan(d)
    for k, rep in enumerate(reports):
        rep.found = found_frames[k] / visible_frames[k] if visible_frames[k] else float("nan")
        rep.error = float(np.mean(errors[k])) if errors[k] else None
        if errors[k]:
            with np.errstate(invalid="ignore"):
                rep.landmark_px = landmark_sums[k] / landmark_counts[k]
    switches = sum(max(0, len(r.ids) - 1) for r in reports) + sum(len(s) - 1 for s in owners.values())
    return LayoutReport(layout, reports, switches, double, stray, time.perf_counter() - t0)


def _seeds(text: str) -> List[int]:
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0-29")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--size", default="1280x720",
                        help="the canvas of the seeded layouts, WxH (a robot's 640x480, a portrait 720x1280, ...); "
                        "issue 18's reproduction keeps its own")
    parser.add_argument("--issue", action="store_true", help="also issue 18's reproduction (60 frames)")
    parser.add_argument("--oracle", action="store_true", help="MediaPipe's runs as the reference (slower)")
    parser.add_argument("--out", type=Path, help="write the table (markdown) here too")
    parser.add_argument("--no-cache", action="store_true", help="re-run the one-person references "
                        "(else kept in .cache/layouts)")
    parser.add_argument("--draws", type=int, default=NOISE_DRAWS,
                        help=f"draws of +-1 noise whose mean drift is the noise floor (default {NOISE_DRAWS})")
    parser.add_argument("-v", "--verbose", action="store_true", help="per-person lines")
    parser.add_argument("--self-check", action="store_true",
                        help="per person, also MediaPipe's one-person run on them alone moved one pixel "
                        "against the reference, over the noise floor (shifted_error; with -v)")
    parser.add_argument("--context-check", action="store_true",
                        help="per person, also MediaPipe's one-person run on the layout cut around them against "
                        "the same run on the same cuts of them alone, over the noise floor (context_error; with -v)")
    args = parser.parse_args(argv)
    try:
        size = tuple(int(v) for v in args.size.lower().split("x"))
        if len(size) != 2 or min(size) < 64:
            raise ValueError(args.size)
    except ValueError:
        parser.error(f"--size {args.size!r}: give the canvas as WxH in pixels, each 64 or more, e.g. 640x480")
    layouts = ([issue_layout()] if args.issue else []) + [random_layout(s, args.frames, size)
                                                           for s in _seeds(args.seeds)]
    lines = [TABLE_HEADER]
    print(TABLE_HEADER, flush=True)
    passed = 0
    for layout in layouts:
        # Rendered and referenced once, for the evaluation and the self- and context checks.
        rendered = render(layout)
        refs = (references(rendered, args.oracle, args.draws) if args.no_cache
                else cached_references(layout, rendered, args.oracle, args.draws))
        report = evaluate(layout, oracle=args.oracle, draws=args.draws, rendered=rendered, refs=refs)
        passed += report.passed
        lines.append(report.row())
        print(report.row(), f"  <!-- {layout.describe()}; frames with a track on nobody: {report.stray}; "
              f"{report.seconds:.0f} s -->" if args.verbose else "",
              flush=True)
        if args.verbose:
            for k, p in enumerate(report.people):
                line = (f"    person {k}: found {p.found:.2f}, first {p.first} (visible from {p.first_visible}), "
                        f"ids {p.ids}, err {p.error}, drift {p.drift} (draws {p.drifts})")
                if p.unreproduced:
                    line += f", {p.unreproduced} frames not counted in found (MediaPipe's own noisy runs elsewhere)"
                if args.self_check and p.drift:
                    self_err = shifted_error(rendered.alone[k], refs.poses[k])
                    if self_err is not None:
                        line += f", self-check {self_err / p.drift:.2f}"
                if args.context_check and p.drift:
                    context = context_error(rendered, k)
                    if context is not None:
                        line += f", context-check {context / p.drift:.2f}"
                worst = p.worst_landmarks()
                if worst:   # where err comes from: a limb on a neighbour, the feet, the whole pose
                    line += ", farthest: " + ", ".join(f"{name} {px:.0f} px" for name, px in worst)
                print(line, flush=True)
    summary = f"\n{passed}/{len(layouts)} layouts pass."
    print(summary)
    if args.out:
        args.out.write_text("\n".join(lines) + summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
