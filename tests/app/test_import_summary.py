"""The status bar's one-line summary of a finished import job."""

from app.importing import ImportOutcome
from app.views.import_status import summarize
from core.library.results import ImportReport


def test_summary_says_what_happened() -> None:
    report = ImportReport(files_total=12, files_done=12, photos_new=12, faces_new=15)
    assert summarize(ImportOutcome(report)) == "Imported 12 new photos with 15 faces"
    cut = ImportReport(files_total=12, files_done=5, cancelled=True)
    assert summarize(ImportOutcome(cut, cancelled=True)).startswith("Import cancelled after 5 photos")
    failed = summarize(ImportOutcome(report, grouping_error="disk full"))
    assert failed.endswith("(not grouped: disk full)")
    late = summarize(ImportOutcome(report, grouping_cancelled=True))
    assert late.startswith("Imported 12 new photos") and "grouping cancelled" in late
    assert "Group Faces Again" in late  # and where to finish it
    assert summarize(ImportOutcome(None)) == "Faces grouped again"
    tagged = ImportReport(files_total=3, files_done=3, photos_new=3, faces_new=4, metadata_faces_named=2)
    assert summarize(ImportOutcome(tagged)) == "Imported 3 new photos with 4 faces, 2 named from photo metadata"
