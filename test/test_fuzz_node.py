"""holistic_node survives its inputs: a short seeded run of scripts/fuzz_node.py.

The node runs as its own process (the real pipeline, with depth, camera_info, markers,
annotated image, segmentation and REP-155 output on) and is sent, interleaved with good
frames, bad images of every size and encoding, bad depth and camera_info, odd stamps,
wrong parameters and rapid pipeline rebuilds (the kinds are listed in the script); every
100 messages the start parameters are put back and the node's RSS is read, which must not
rise by more than two pipelines after the first sample (issue 19: "Memory is flat"). The
long run (10,000 messages) is run by hand: ``scripts/fuzz_node.py --messages 10000``
(docs/rep155.md has its report).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import require_messages

require_messages()
pytestmark = [pytest.mark.ros, pytest.mark.slow]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import fuzz_node  # noqa: E402
from test_node_memory import SMALLEST_PIPELINE_MB  # noqa: E402

#: Messages between the fuzz's RSS samples (each: the start values back through a rebuild,
#: two good frames answered, fuzz_node.run's ``rss_mb_baseline``).
RSS_EVERY = 100
#: The most the node's RSS may rise from the first sample (after 100 messages: the fuzz has
#: visited other pipelines, the largest images, and ONNX Runtime's and glibc's pools have
#: grown to them) to any later one: two pipelines. The two samplings between the first and the
#: last rebuild twice each, so a pipeline left alive per rebuild (the leak docs/ros.md
#: "Memory" fixed) adds four (measured with close() made to keep its pipeline: 1080 then
#: 1474 MB). Measured without a leak: from the first sample to the highest, 59 MB over a
#: 1,000-message run (--rss-every 125, before glibc's mmap threshold was fixed), 24 MB after;
#: this test's own runs 41 and 24 MB.
MAX_RSS_RISE_MB = 2 * SMALLEST_PIPELINE_MB


def test_the_node_survives_a_seeded_fuzz_run(install_prefix, images_dir, tmp_path):
    report = fuzz_node.run(messages=300, seed=20261206, namespace="/fuzztest",
                           image=images_dir / "tfe_yoga_tree_pose.jpg", log_path=tmp_path / "node.log",
                           rss_every=RSS_EVERY)
    summary = {k: report[k] for k in ("messages_sent", "good_frames_answered", "images_not_taken", "result",
                                      "failure", "rss_mb_start", "rss_mb_end", "rss_mb_baseline", "node_unexpected_errors",
                                      "node_tracebacks", "seconds")}
    print(summary)
    # Never dies, never hangs: every good frame after bad messages is answered.
    assert report["result"] == "ok", report["failure"]
    assert report["node_alive"]
    assert report["messages_sent"] >= 300 and report["good_frames_answered"] >= 300 // 6
    # Every bad image was looked at (not just replaced by the next one in the node's queue).
    assert report["images_not_taken"] == 0
    # Bad input gets a clear error, never the worker's catch-all, never a traceback.
    assert report["node_unexpected_errors"] == 0, report["node_errors"]
    assert report["node_tracebacks"] == 0, (tmp_path / "node.log").read_text()[-3000:]
    # Every kind of bad input was sent.
    kinds = {k.split(":")[0] for k in report["kinds"]}
    assert kinds == set(fuzz_node.KINDS), kinds
    # Memory does not grow over the run (RSS back on the start pipeline, at fixed points).
    baseline = [rss for _, rss in report["rss_mb_baseline"]]
    assert len(baseline) >= 3, report["rss_mb_baseline"]
    assert max(baseline[2:]) - baseline[1] <= MAX_RSS_RISE_MB, report["rss_mb_baseline"]
