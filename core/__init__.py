"""FaceNet Organizer core: the GUI-free library (no Qt, no app imports)."""

__version__ = "0.1.0"
