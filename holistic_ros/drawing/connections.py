"""Which landmarks MediaPipe joins with lines: pose, hand and face-contour tables.

The edge sets equal MediaPipe's ``POSE_CONNECTIONS``
(``mediapipe/python/solutions/pose_connections.py``), ``HAND_CONNECTIONS``
(``hands_connections.py``) and ``FACEMESH_CONTOURS`` / ``FACEMESH_IRISES`` /
``FACEMESH_NOSE`` (``face_mesh_connections.py``) as undirected edges. They are written
here as polylines (runs of landmark indices), which is shorter and shows the anatomy;
``test/test_markers.py`` checks them against MediaPipe's tables when those are at hand.

No ROS import: the drawing and marker code both use these tables.
"""

from __future__ import annotations

from typing import FrozenSet, Iterable, Sequence, Tuple

Edge = Tuple[int, int]


def polyline_edges(*polylines: Sequence[int], closed: bool = False) -> FrozenSet[Edge]:
    """Edges joining consecutive indices of each polyline (and last to first if closed)."""
    edges = set()
    for line in polylines:
        pairs = list(zip(line[:-1], line[1:]))
        if closed:
            pairs.append((line[-1], line[0]))
        edges.update(pairs)
    return frozenset(edges)


def undirected(edges: Iterable[Edge]) -> FrozenSet[Edge]:
    """Edges as (smaller, larger) index pairs, for comparing tables regardless of direction."""
    return frozenset((min(a, b), max(a, b)) for a, b in edges)


# --- Pose (33 landmarks: 0 nose ... 11/12 shoulders, 15/16 wrists, 23/24 hips) ---------
POSE_FACE = polyline_edges((7, 3, 2, 1, 0, 4, 5, 6, 8), (9, 10))  # ears-eyes-nose, mouth
POSE_TORSO = polyline_edges((11, 12, 24, 23), closed=True)
POSE_LEFT_ARM = polyline_edges((11, 13, 15, 21)) | polyline_edges((15, 17, 19), closed=True)
POSE_RIGHT_ARM = polyline_edges((12, 14, 16, 22)) | polyline_edges((16, 18, 20), closed=True)
POSE_LEFT_LEG = polyline_edges((23, 25, 27)) | polyline_edges((27, 29, 31), closed=True)
POSE_RIGHT_LEG = polyline_edges((24, 26, 28)) | polyline_edges((28, 30, 32), closed=True)
POSE_CONNECTIONS: FrozenSet[Edge] = (
    POSE_FACE | POSE_TORSO | POSE_LEFT_ARM | POSE_RIGHT_ARM | POSE_LEFT_LEG | POSE_RIGHT_LEG)

# --- Hand (21 landmarks: 0 wrist, then 4 per finger from the base to the tip) ----------
HAND_PALM = polyline_edges((0, 1), (0, 5, 9, 13, 17, 0))
HAND_THUMB = polyline_edges((1, 2, 3, 4))
HAND_INDEX_FINGER = polyline_edges((5, 6, 7, 8))
HAND_MIDDLE_FINGER = polyline_edges((9, 10, 11, 12))
HAND_RING_FINGER = polyline_edges((13, 14, 15, 16))
HAND_PINKY_FINGER = polyline_edges((17, 18, 19, 20))
HAND_CONNECTIONS: FrozenSet[Edge] = (
    HAND_PALM | HAND_THUMB | HAND_INDEX_FINGER | HAND_MIDDLE_FINGER | HAND_RING_FINGER
    | HAND_PINKY_FINGER)

# --- Face mesh (468 landmarks; 468..477 are the irises with refine_face_landmarks) ------
# "Left" is the subject's left, as in MediaPipe.
FACE_LIPS = polyline_edges(
    (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291),   # outer, lower
    (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291),     # outer, upper
    (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308),    # inner, lower
    (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308),    # inner, upper
)
FACE_LEFT_EYE = polyline_edges(
    (263, 249, 390, 373, 374, 380, 381, 382, 362),
    (263, 466, 388, 387, 386, 385, 384, 398, 362),
)
FACE_LEFT_EYEBROW = polyline_edges((276, 283, 282, 295, 285), (300, 293, 334, 296, 336))
FACE_RIGHT_EYE = polyline_edges(
    (33, 7, 163, 144, 145, 153, 154, 155, 133),
    (33, 246, 161, 160, 159, 158, 157, 173, 133),
)
FACE_RIGHT_EYEBROW = polyline_edges((46, 53, 52, 65, 55), (70, 63, 105, 66, 107))
FACE_OVAL = polyline_edges(
    (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
     377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
     109),
    closed=True,
)
FACE_NOSE = polyline_edges(
    (168, 6, 197, 195, 5, 4, 1, 19, 94, 2),
    (98, 97, 2, 326, 327, 294, 278, 344, 440, 275, 4, 45, 220, 115, 48, 64, 98),
)
FACE_LEFT_IRIS = polyline_edges((474, 475, 476, 477), closed=True)
FACE_RIGHT_IRIS = polyline_edges((469, 470, 471, 472), closed=True)

FACE_CONTOURS: FrozenSet[Edge] = (
    FACE_LIPS | FACE_LEFT_EYE | FACE_LEFT_EYEBROW | FACE_RIGHT_EYE | FACE_RIGHT_EYEBROW
    | FACE_OVAL)
FACE_IRISES: FrozenSet[Edge] = FACE_LEFT_IRIS | FACE_RIGHT_IRIS

__all__ = [
    "Edge", "polyline_edges", "undirected",
    "POSE_CONNECTIONS", "HAND_CONNECTIONS", "FACE_CONTOURS", "FACE_IRISES", "FACE_NOSE",
    "FACE_LIPS", "FACE_LEFT_EYE", "FACE_LEFT_EYEBROW", "FACE_RIGHT_EYE",
    "FACE_RIGHT_EYEBROW", "FACE_OVAL", "FACE_LEFT_IRIS", "FACE_RIGHT_IRIS",
]
