"""Cross-modal retrieval: exact and approximate top-k search (:mod:`.search`), the gallery
index (:mod:`.index`) and the ``retrieve`` stage on files (:mod:`.stage`)."""
