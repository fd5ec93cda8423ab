"""The corpus folder's files: articles added from a path, bytes or a URL, and removed.

Only files change here; the core's reindex (`ArticleQA.reindex`) brings the index
in line with them. A replaced or removed file is kept in corpus/.removed/, and a
file is written whole (a temporary name, then a rename) so that a reindex never
reads half of one.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from bot.articles import SUPPORTED_SUFFIXES, article_id_for, find_article_files, load_article, parse_article
from bot.errors import ArticleError, CorpusError, describe_os_error
from bot.fetch import Fetched, fetch_article
from bot.settings import CoreSettings

log = logging.getLogger(__name__)


class CorpusFolder:
    """Adds and removes article files in `settings.corpus_dir`, within `settings`' limits
    (`max_article_bytes`, `url_timeout_seconds`, `allow_private_urls`)."""

    def __init__(self, settings: CoreSettings) -> None:
        self.settings = settings

    def add(self, source: str, replace: bool = False) -> Path:
        """Add an article from an http(s) URL (add_url) or a file path (add_file); the corpus path.

        ArticleError when `source` is neither (or the article is refused; see add_bytes).
        """
        if source.startswith(("http://", "https://")):
            return self.add_url(source, replace=replace)
        local = Path(source).expanduser()
        if not local.is_file():
            raise ArticleError(f"{source} is not a file or an http(s) URL")
        return self.add_file(local, replace=replace)

    def add_file(self, source: Path, replace: bool = False) -> Path:
        """Copy an article file into the corpus after checking it parses (see add_bytes)."""
        if source.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise ArticleError(f"{source.name}: unsupported type; use one of {', '.join(SUPPORTED_SUFFIXES)}")
        load_article(source, self.settings.max_article_bytes)  # raises with a clear message
        return self._place(source.name, source.read_bytes(), replace)

    def add_bytes(self, filename: str, data: bytes, replace: bool = False) -> Path:
        """Store downloaded or uploaded article bytes in the corpus after checking them.

        A file of the same name with other bytes is replaced only with `replace`
        (its old version moves to corpus/.removed/); else ArticleError says so.
        The same bytes again change nothing.
        """
        if len(data) > self.settings.max_article_bytes:
            raise ArticleError(
                f"{filename} is {len(data):,} bytes, over the limit of {self.settings.max_article_bytes:,}"
            )
        parse_article(data, filename, article_id_for(Path(filename)))
        return self._place(filename, data, replace)

    def add_url(self, url: str, replace: bool = False) -> Path:
        """Download an article within the configured size and time limits and store it."""
        fetched = self.download(url)
        return self.add_bytes(fetched.filename, fetched.data, replace)

    def download(self, url: str) -> Fetched:
        """An article downloaded within the configured size and time limits (bot/fetch.py), as
        it would be stored: an HTML page with its address (after redirects) as front matter.
        Raises FetchError."""
        fetched = fetch_article(
            url,
            self.settings.max_article_bytes,
            self.settings.url_timeout_seconds,
            self.settings.allow_private_urls,
        )
        if not fetched.filename.endswith(".html"):
            return fetched
        # HTML pages rarely name their own address; keep it for citations.
        data = f"---\nurl: {fetched.url}\n---\n".encode() + fetched.data
        return Fetched(fetched.url, fetched.filename, data, fetched.status, fetched.headers)

    def free_name(self, filename: str, data: bytes) -> str:
        """`filename`, unless a corpus file of that name holds other bytes: then the first of
        NAME-2, NAME-3, … that is free or holds these very bytes (two pages called
        "index.html" both get a place)."""
        corpus = self.settings.corpus_dir
        stem, suffix = Path(filename).stem, Path(filename).suffix
        name, n = Path(filename).name, 2
        while (corpus / name).is_file() and (corpus / name).read_bytes() != data:
            name, n = f"{stem}-{n}{suffix}", n + 1
        return name

    def _place(self, filename: str, data: bytes, replace: bool) -> Path:
        corpus = self.settings.corpus_dir
        target = corpus / Path(filename).name
        if target.is_file() and target.read_bytes() != data:
            if not replace:
                raise ArticleError(
                    f"{target.name} is already in the corpus with other text; add it with --replace "
                    "(in Discord: replace: True) to replace it, keeping the old version in .removed/"
                )
            kept = _trash(corpus, target.name)
            shutil.copy2(target, kept)
            log.info("kept the replaced version of %s as %s", target.name, kept)
        tmp = target.with_name(f".{target.name}.part")
        try:
            corpus.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(target)
        except OSError as exc:  # e.g. the disk is full: no partial file is left in the corpus
            tmp.unlink(missing_ok=True)
            raise CorpusError(f"cannot add {target.name} to the corpus: {describe_os_error(exc)}") from exc
        return target

    def remove(self, article: str, indexed_file: str | None = None) -> Path:
        """Move an article's file into corpus/.removed/ and return where it went.

        `article`: an id as `list` shows it, or a file name; `indexed_file`: the file the
        live index has for that id (its path within the corpus), when it has one.
        Raises CorpusError when the corpus folder is missing, ArticleError when no file matches.
        """
        corpus = self.settings.corpus_dir
        if not corpus.is_dir():
            raise CorpusError(
                f"the corpus folder {corpus.resolve()} does not exist"
                " (run from the folder that holds it, or choose one with --corpus DIR or CORPUS_DIR)"
            )
        if indexed_file is not None and (corpus / indexed_file).is_file():
            matches = [corpus / indexed_file]
        else:
            matches = [
                p for p in find_article_files(corpus) if article_id_for(p) == article or p.name == article
            ]
        if not matches:
            raise ArticleError(f"no article {article!r} in {corpus}; `list` shows the ids of the articles")
        target = _trash(corpus, matches[0].name)
        shutil.move(str(matches[0]), target)
        return target


def _trash(corpus: Path, name: str) -> Path:
    """A free path for an old version of `name` in corpus/.removed/ (name, then name.2, …)."""
    trash = corpus / ".removed"
    trash.mkdir(exist_ok=True)
    target, n = trash / name, 2
    while target.exists():
        target, n = trash / f"{Path(name).stem}.{n}{Path(name).suffix}", n + 1
    return target
