"""FaceNet Organizer's PySide6 desktop app (windows, models, background operations)."""

from app.compat import make_singletons_immortal, skip_feature_scan

make_singletons_immortal()  # before any Qt call: see app.compat
skip_feature_scan()
