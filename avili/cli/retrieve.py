"""``avili retrieve``: one-off search, and gallery indexes built once and searched often."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from avili.cli._common import (Device, Direction, EmbedDevice, Json, MaxMemory, Overwrite,
                               Seed, Split, _emit, _outputs, app, command, guarded,
                               paragraphs, value)
from avili.config import IndexConfig, SearchConfig


retrieve_app = typer.Typer(rich_markup_mode=None)


@retrieve_app.callback(invoke_without_command=True)
@guarded
def retrieve(
    ctx: typer.Context,
    model: Annotated[Optional[Path], typer.Option(help="Student checkpoint.")] = None,
    data: Annotated[Optional[Path], typer.Option(help="avili dataset (HDF5).")] = None,
    query: Annotated[Optional[str], typer.Option(help="Clip id of the query.")] = None,
    k: Annotated[int, typer.Option(help="Number of hits.")] = 10,
    direction: Annotated[Direction, typer.Option(help="a2v: audio query, visual gallery.")
                         ] = Direction.a2v,
    split: Annotated[Optional[Split], typer.Option(help="Gallery split (default: the "
                                                        "query's own).")] = None,
    max_memory: MaxMemory = 0.0, device: EmbedDevice = Device.auto, as_json: Json = False,
) -> None:
    """Top-k cross-modal search: directly from a model and a dataset, or against a gallery
    index built once.

    With --model, --data and --query, search for one clip, embedding the gallery on the fly.
    For repeated queries or big galleries, build an index once ('avili retrieve index') and
    query it as often as needed ('avili retrieve search').

    Example: avili retrieve --model student.pt --data demo.h5 --query syn0-00001 --k 5
    """
    if ctx.invoked_subcommand is not None:
        return
    if model is None or data is None or query is None:
        from avili.errors import AviliError

        raise AviliError("give --model, --data and --query, or use 'avili retrieve index' "
                         "and 'avili retrieve search' (see --help)")
    from avili import api

    s = api.retrieve(model, data, query, k, direction.value, value(split), device.value,
                     max_memory)
    _print_hits([{"query": s["query"], "hits": s["hits"]}], s, as_json,
                f"{s['direction']} hits for {s['query']} ({s['query_class']}), gallery "
                f"{s['gallery_size']}")


app.add_typer(retrieve_app, name="retrieve", help=paragraphs(retrieve.__doc__ or ""))


@command("index", retrieve_app)
def retrieve_index(
    model: Annotated[Path, typer.Option(help="Student checkpoint.")],
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    out: Annotated[Path, typer.Option(help="Gallery index file to write (.avx).")],
    split: Annotated[Optional[Split], typer.Option(help="Only this split (default: every "
                                                        "clip).")] = None,
    ivfpq: Annotated[bool, typer.Option("--ivfpq", help="Also build faiss IVF-PQ indexes "
                                        "for approximate search (avili[faiss]).")] = False,
    nlist: Annotated[int, typer.Option(help="IVF lists.")] = IndexConfig.nlist,
    pq_m: Annotated[int, typer.Option(help="PQ sub-quantizers (divides the embedding "
                                           "size; 0: half of it).")] = IndexConfig.pq_m,
    nbits: Annotated[int, typer.Option(help="Bits per PQ code (4: fast scan).")
                     ] = IndexConfig.nbits,
    max_memory: MaxMemory = 0.0, device: EmbedDevice = Device.auto,
    seed: Seed = 0, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Embed a dataset's clips once with a student and store them as a gallery index;
    with --ivfpq, also measure the approximate index's recall@10 against exact search.

    Example: avili retrieve index --model student.pt --data demo.h5 --split test --out g.avx
    """
    from avili import api

    _outputs(overwrite, out)
    s = api.build_index(model, data, out, IndexConfig(split=value(split), ivfpq=ivfpq, nlist=nlist,
                                                      pq_m=pq_m, nbits=nbits, seed=seed,
                                                      max_memory_mb=max_memory,
                                                      device=device.value))
    recall = s["ivfpq_recall@10"]
    extra = (f"; IVF-PQ recall@10 vs exact: a2v {recall['a2v']:.3f}, v2a {recall['v2a']:.3f}"
             if recall else "")
    _emit(s, as_json, f"wrote {out} ({s['clips']} clips, {s['dim']}-d){extra}")


@command("search", retrieve_app)
def retrieve_search(
    index: Annotated[Path, typer.Option(help="Gallery index (.avx) from 'retrieve index'.")],
    query: Annotated[Optional[list[str]], typer.Option(help="Clip id in the index; "
                                                            "repeatable.")] = None,
    query_file: Annotated[Optional[Path], typer.Option(help="Raw query-modality features "
                          "(.npy (Q, D), or .npz with one array); needs --model.")] = None,
    query_media: Annotated[Optional[list[Path]], typer.Option(help="Media file (video or "
                           "audio), through the backbones of the index's dataset; "
                           "repeatable; needs --model and avili[media].")] = None,
    model: Annotated[Optional[Path], typer.Option(help="The student the index was built "
                                                       "with (for --query-file and "
                                                       "--query-media).")] = None,
    k: Annotated[int, typer.Option(help="Number of hits.")] = 10,
    direction: Annotated[Direction, typer.Option(help="a2v: audio queries, visual "
                                                      "gallery.")] = Direction.a2v,
    approximate: Annotated[bool, typer.Option("--approximate", help="Use the index's "
                           "IVF-PQ part (built with --ivfpq).")] = False,
    nprobe: Annotated[int, typer.Option(help="IVF lists probed (--approximate).")
                      ] = SearchConfig.nprobe,
    k_factor: Annotated[int, typer.Option(help="IVF-PQ candidates per hit, re-ranked "
                                               "exactly (--approximate).")
                        ] = SearchConfig.k_factor,
    memory_mb: Annotated[int, typer.Option(help="Exact search's score buffer, MB (without "
                                               "faiss).")] = SearchConfig.memory_mb,
    as_json: Json = False,
) -> None:
    """Top-k search against a gallery index, exact (chunked, memory bounded by
    --memory-mb) or approximate.

    Queries are clip ids stored in the index (--query), raw query-modality features
    (--query-file) or media files (--query-media); the last two are embedded with --model,
    the student the index was built with. --approximate uses the IVF-PQ part built with
    'avili retrieve index --ivfpq'.

    Example: avili retrieve search --index g.avx --query syn0-00001 --k 5 --json
    """
    from avili import api

    cfg = SearchConfig(k=k, direction=direction.value, approximate=approximate,
                       nprobe=nprobe, k_factor=k_factor, memory_mb=memory_mb)
    s = api.search_index(index, cfg, query or (), query_file, model, query_media or ())
    _print_hits(s["results"], s, as_json, f"{s['direction']} hits, gallery "
                f"{s['gallery_size']}{' (approximate)' if approximate else ''}")


def _print_hits(results: list[dict], summary: dict, as_json: bool, title: str) -> None:
    if as_json:
        _emit(summary, True, "")
        return
    from avili.cli._console import stdout
    from avili.cli.report import hits_table

    for r in results:
        stdout.print(hits_table(r["hits"], f"{title}; query {r['query']}"))
