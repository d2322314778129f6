"""Deployment tools: ONNX export (``pytorch2onnx.py``) and its library."""
