"""Benchmarks: micrograd_lite against micrograd 0.1.0 and against its own engine before the closures
(``python -m benchmarks.run``, ``make bench``), and every op against PyTorch float64
(``python -m benchmarks.torch_agreement``, needs torch)."""
