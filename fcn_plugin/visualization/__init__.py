"""Visualizers of the plugin's nets."""
from .two_map_visualizer import TwoMapSegVisualizer

__all__ = ['TwoMapSegVisualizer']
