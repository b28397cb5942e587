"""Page image cleanup, Tesseract OCR with word boxes, PDF text-layer reuse and searchable archive copies."""
