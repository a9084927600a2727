"""Helpers that exist for one chapter's argument each, built on the engine (``lib.nn`` …).

A module a lesson: its name is the lecture's name for the idea (``regions`` counts the linear
regions of a ReLU network, ``depth_separation`` is the tent-map construction, …). The engine
never imports from here, except ``lib.plot`` drawing a neuron's hyperplane.
"""
