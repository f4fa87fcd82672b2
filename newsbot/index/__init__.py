"""The archive index: which articles an output folder holds, by key, body hash and SimHash.

- ``base``: ``Entry`` and the ``Index`` interface every backend implements;
- ``database``: the SQLite file, its connection and write transactions;
- ``keys``: entries and aliases; ``near``: near-duplicate search;
- ``archive``: ``ArchiveIndex``, the SQLite index the crawl uses, and ``repair``, which other modules opening
  the same file with sqlite3 call first;
- ``posts``: the posts read back as entries (the posts stay the source of truth).
"""

from newsbot.index.archive import ArchiveIndex, repair
from newsbot.index.base import Entry, Index, to_signed, to_unsigned
from newsbot.index.database import BUSY_TIMEOUT, INDEX_DIR, INDEX_FILE, index_path
from newsbot.index.posts import entry_from_post, post_paths

__all__ = [
    "BUSY_TIMEOUT",
    "INDEX_DIR",
    "INDEX_FILE",
    "ArchiveIndex",
    "Entry",
    "Index",
    "entry_from_post",
    "index_path",
    "post_paths",
    "repair",
    "to_signed",
    "to_unsigned",
]
