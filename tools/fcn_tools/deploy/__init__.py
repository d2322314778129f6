"""Deployment of the FCN nets: ONNX export and ONNX Runtime inference.

Used by ``tools/deployment/pytorch2onnx.py``, ``tools/infer.py
--backend onnxruntime`` and ``tools/benchmark.py``.
"""
