"""The model store: saved-model files, the registry of models a library can use, and loading them as embedders.

Embedding, library and storage code read models from here; training writes them here. Nothing in this package
imports ``core.training``.
"""
