"""The archive index: which articles an output folder holds, by key, body hash and SimHash.

- ``base``: ``Entry`` and the ``Index`` interface every backend implements;
- ``database``: the SQLite file, its connection and write transactions;
- ``keys``: entries and aliases; ``near``: near-duplicate search;
- ``table``: ``IndexTable``, the connection every module keeping a table in the index file opens (repaired,
  never mid-swap, reopened after a ``reindex``), and ``read_rows``, which reads without creating anything;
- ``archive``: ``ArchiveIndex``, the SQLite index the crawl uses;
- ``posts``: the posts read back as entries (the posts stay the source of truth).
"""

from newsbot.index.archive import ArchiveIndex
from newsbot.index.base import Candidates, Entry, Executes, Index, to_signed, to_unsigned
from newsbot.index.database import BUSY_TIMEOUT, INDEX_DIR, INDEX_FILE, index_path
from newsbot.index.posts import entry_from_post, post_paths
from newsbot.index.table import IndexTable, read_rows, repair

__all__ = [
    "BUSY_TIMEOUT",
    "INDEX_DIR",
    "INDEX_FILE",
    "ArchiveIndex",
    "Candidates",
    "Entry",
    "Executes",
    "Index",
    "IndexTable",
    "entry_from_post",
    "index_path",
    "post_paths",
    "read_rows",
    "repair",
    "to_signed",
    "to_unsigned",
]
