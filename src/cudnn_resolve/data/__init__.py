"""The compatibility knowledge base: schema, loader and cross-file checks."""

from .knowledge import DATA_FILES, KnowledgeBase, load_knowledge_base, shipped_data_dir

__all__ = ["DATA_FILES", "KnowledgeBase", "load_knowledge_base", "shipped_data_dir"]
