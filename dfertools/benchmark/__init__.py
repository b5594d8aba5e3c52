"""Benchmarks on top of the package: the speed harness behind
``tools/analysis/benchmark.py`` (:mod:`.harness`, its ``data`` mode in
:mod:`.data`) and the one-GPU check behind ``tools/analysis/gpu_check.sh``
(:mod:`.gpu_check`); docs/benchmarks.md. It builds models, loaders and
runners, so nothing below it (``utils``, ``models``, ``datasets``,
``engine``) imports it."""
