"""Evaluation: standard mAP and related metrics over the full ranked gallery
(:mod:`.metrics`), scoring a model on a split (:mod:`.evaluate`), the graph diagnostic
(:mod:`.diagnose`), plots (:mod:`.plots`) and the ``eval`` stage on files (:mod:`.stage`)."""
