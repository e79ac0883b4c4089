"""The knowledge base's search: keywords (the database's full-text index)
and meaning (embeddings) fused, filtered by what the reader may see."""

from netdesk.knowledge.search.embedder import embeddings_refresh_all
from netdesk.knowledge.search.engine import keyword_search, search
from netdesk.knowledge.search.types import Hit, Reader

__all__ = ["Hit", "Reader", "embeddings_refresh_all", "keyword_search", "search"]
