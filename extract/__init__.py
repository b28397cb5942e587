"""Field extraction: pure functions from OCR words (PageWords) to an Extraction."""
