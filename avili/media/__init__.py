"""Raw-video extraction (``avili extract --videos``), behind the ``avili[media]`` extra.

PyAV and transformers are imported lazily inside the functions that need them, so this
package imports without them; calling in without them raises an AviliError naming the
extra. This ``__init__`` imports nothing, so light modules such as :mod:`avili.media.paths`
load without torch; the entry point is :func:`avili.media.extract.extract_videos`.
"""
