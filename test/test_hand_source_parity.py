"""hand_source against MediaPipe's GestureRecognizer, and hand gesture events on real footage
(issue 17's evidence; numbers from tools/palm_parity.py --sources and tools/quiet_footage.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))

import gesture_parity  # noqa: E402
import palm_parity  # noqa: E402
import parity  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]

WOMAN = "mps_woman_thumbs_up_1280x720.mp4"
# Issue 17's criteria: labels agree on >= 95% of the hands both find (MediaPipe against itself
# under +-1 noise: 97.3%); >= 95% of the oracle's hands found, matched within 3% of the diagonal.
AGREEMENT_MIN = 0.95
RECALL_MIN = 0.95


@pytest.fixture(scope="module")
def oracle():
    if not gesture_parity.oracle_available():
        pytest.skip(f"MediaPipe oracle venv missing ({gesture_parity.ORACLE_PYTHON})")


@pytest.fixture(scope="module")
def woman(videos_dir):
    return list(parity.iter_video_rgb(videos_dir / WOMAN))


def _check(stats, what):
    print(f"{what}: {stats.summary()}\n{palm_parity.confusion_table(stats)}")
    assert stats.recall >= RECALL_MIN, f"{what}: {stats.summary()}"
    assert stats.agreement >= AGREEMENT_MIN, f"{what}: {stats.summary()}"


@pytest.fixture(scope="module")
def woman_both(woman):
    """Holistic(hand_source="both") on the thumbs-up clip in video mode: each frame's result."""
    from holistic_ros import Holistic

    with Holistic(hand_source="both", recognize_gestures=True, providers=["CPUExecutionProvider"]) as h:
        return [h.process(frame, timestamp=(i + 1) / palm_parity.CLIP_FPS) for i, frame in enumerate(woman)]


def test_both_against_gesture_recognizer(oracle, images_dir, woman, woman_both):
    """hand_source="both" on the photos (image mode) and the thumbs-up clip (video mode, tracking
    on both sides). "palm" alone: test_palm_hands.py (the same tracker, its landmarks and labels)."""
    photos = [parity.load_image_rgb(p) for p in sorted(images_dir.glob("*")) if p.suffix in (".jpg", ".png")]
    stats = palm_parity.eval_sources(photos, video=False, sources=["both"])["both"]
    theirs = [palm_parity.oracle_hands(h) for h in gesture_parity.recognize(woman, palm_parity.NUM_HANDS,
                                                                            video_fps=palm_parity.CLIP_FPS)]
    stats.extend(palm_parity.compare([palm_parity.holistic_hands(r) for r in woman_both], theirs, woman))
    _check(stats, f"hand_source=both, photos and {WOMAN}")


def test_close_range_crops_without_a_pose(oracle, woman, videos_dir):
    """Crops of both clips around the hand (every 5th frame, 1.5, 2.5 and 4 hand sizes), where
    MediaPipe Holistic finds no pose: hands found and labelled as GestureRecognizer does."""
    torso = list(parity.iter_video_rgb(videos_dir / "mps_hand_reach_640x360.mp4"))
    crops = palm_parity.close_range_crops(woman) + palm_parity.close_range_crops(torso)
    assert len(crops) >= 20
    stats = palm_parity.eval_sources(crops, video=False, sources=["both"])["both"]
    _check(stats, f"{len(crops)} close-range crops without a pose, hand_source=both")


def test_thumb_up_span_gives_one_onset_and_quiet_spans_none(woman_both):
    """The labelled Thumb_Up span (test/data/gesture_labels.json) gives one Thumb_Up onset on
    that side's hand; no hand gesture event starts outside the labelled hand-gesture spans."""
    from holistic_ros.gestures import EventKind, HandGestureEvents, HandObservation, person_plausibility

    labels = json.loads((Path(__file__).parent / "data" / "gesture_labels.json").read_text())["clips"][WOMAN]
    # The labels may split one shown thumbs-up into spans a few frames apart (the thumb shows
    # from frame 43, dips, and holds from 52): held as one gesture, it is one onset.
    spans = [s for s in labels["hand_gestures"] if s["label"] == "Thumb_Up"]
    assert spans and len({s["side"] for s in spans}) == 1, spans
    span = {"side": spans[0]["side"],
            "frames": [min(s["frames"][0] for s in spans), max(s["frames"][1] for s in spans)]}
    events = HandGestureEvents()
    onsets = []
    for i, result in enumerate(woman_both):
        t = i / labels["fps"]
        obs = [HandObservation(g.label if g else None, getattr(p, f"{s}_hand_score"), s, p.person_id, None,
                               person_plausibility(p).plausible)
               for p in result.people for s in ("left", "right")
               for g in [getattr(p, f"{s}_hand_gesture")] if getattr(p, f"{s}_hand_landmarks") is not None]
        obs += [HandObservation(x.gesture.label if x.gesture else None, x.score, x.side, None, x.track_id)
                for x in result.hands]
        ev, _ = events.update(obs, t)
        onsets += [(i, e) for e in ev if e.kind is EventKind.ONSET]
    print([(i, e.label, e.side, e.person_id, e.hand_track_id) for i, e in onsets])
    a, b = span["frames"]
    inside = [(i, e) for i, e in onsets if a <= i <= b + labels["fps"]]   # + 1 s for the debouncer
    assert [(e.label, e.side) for _, e in inside] == [("Thumb_Up", span["side"])]
    assert len(onsets) == len(inside), "a hand gesture fired outside the labelled span"


#: tools/video_variants.py's variants nothing was tuned on (issue 17: "the rotated, flipped and
#: half-size variants"); every one of them on the photos, and one clip variant in video mode
#: (tools/palm_parity.py --sources gives the three sources on all of them: docs/hands.md).
PHOTO_VARIANTS = ("rotate+15", "rotate-15", "rotate+30", "rotate-30", "rotate+90", "flip", "half")


def test_both_on_the_rotated_flipped_and_half_size_photos(oracle):
    """hand_source="both" on the shared photos under every variant, image mode, against
    GestureRecognizer on the same variant frames (the oracle's results are cached)."""
    import video_variants

    photos = [parity.load_image_rgb(p) for p in parity.image_paths()]
    stats = palm_parity.HandStats()
    for variant in PHOTO_VARIANTS:
        frames = video_variants.variant_frames(photos, variant)
        one = palm_parity.eval_sources(frames, video=False, sources=["both"])["both"]
        print(f"photos {variant}: {one.summary()}")
        stats.extend(one)
    _check(stats, f"hand_source=both, photos x {len(PHOTO_VARIANTS)} variants")


@pytest.fixture(scope="module")
def woman_rolled(oracle, woman):
    """hand_source="both" on the thumbs-up clip rolled by -15 degrees (video mode): the variant
    where the labels agree least (tools/palm_parity.py --sources, docs/hands.md)."""
    import video_variants

    frames = video_variants.variant_frames(woman, "rotate-15")
    stats = palm_parity.eval_sources(frames, video=True, sources=["both"])["both"]
    print(f"{WOMAN} rotate-15, hand_source=both: {stats.summary()}\n{palm_parity.confusion_table(stats)}")
    return stats


def test_both_finds_the_hands_of_the_rolled_thumbs_up_clip(woman_rolled):
    assert woman_rolled.recall >= RECALL_MIN, woman_rolled.summary()


@pytest.mark.xfail(strict=True, reason=(
    "measured 136/172 (79.1%) labels agree, all Thumb_Up <-> None: rolled by -15 degrees the thumb "
    "scores 0.49-0.52, on the classifier's 0.5 line, and landmarks 0.17% of the diagonal apart (mean) "
    "tip it (our classifier on GestureRecognizer's own landmarks: 172/172). MediaPipe against itself "
    "under +-1 noise on this variant: 123/172 (71.5%) and 128/172 (74.4%)"))
def test_both_labels_agree_on_the_rolled_thumbs_up_clip(woman_rolled):
    assert woman_rolled.agreement >= AGREEMENT_MIN, woman_rolled.summary()
