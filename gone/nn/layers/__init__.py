"""Layers: Dense, Conv2D, MaxPool2D and Flatten."""
