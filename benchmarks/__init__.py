"""Benchmarks: micrograd_lite against micrograd 0.1.0 side by side (``python -m benchmarks.run``, or
``make bench``), and each of the engine's speed tricks against the code it replaced
(``python -m benchmarks.tricks``)."""
