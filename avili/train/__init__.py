"""Training: the teacher (:mod:`avili.train.teach`) and the student (:mod:`avili.train.distill`)
share the loop in :mod:`avili.train.loop`."""
