"""Landmark connection tables (:mod:`.connections`) and image annotation (:mod:`.annotate`).

Shared by both sides: the ROS markers use the tables, and the node and the demo draw
with :func:`.annotate.draw_holistic`. No ROS import.
"""
