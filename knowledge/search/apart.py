"""A large index built in a child process: the build's heap stays out of the server.

Building the index of a large knowledge base allocates several times the memory the finished index holds, in
millions of small objects. Freed, that memory stays with the process: Python's allocator gives an arena back to
the system only when every object in it is gone, and the index's own objects are spread over all of them. A child
process builds the index instead (with the very same code), hands it back pickled, and exits; the server only
unpickles the finished index, which lays it out densely.

Protocol: the parent writes pickles to the child's standard input (the synonyms, then lists of articles) and
closes it; the child writes the pickled `IndexData` to its standard output and exits 0, or exits non-zero with the
error on its standard error.
"""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from ..articles import Article
from .builder import IndexData, build_data

BUILD_TIMEOUT = 600.0  # seconds; 10,000 articles in three languages take about 20
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds the `knowledge` package
_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from knowledge.search.apart import main; main()"


class BuildFailed(RuntimeError):
    """The child process could not build the index."""


def pickle_articles(articles: list[Article]) -> bytes:
    """One chunk of articles as `build_apart` takes them."""
    return pickle.dumps(articles, protocol=pickle.HIGHEST_PROTOCOL)


def build_apart(
    chunks: Iterable[bytes], synonyms: Mapping[str, list[list[str]]], timeout: float = BUILD_TIMEOUT
) -> IndexData:
    """The index of the articles in `chunks` (each made by `pickle_articles`), built in a child process that is
    stopped after `timeout` seconds (BuildFailed then, as for any other failure)."""
    command = [sys.executable, "-c", _CHILD, _ROOT]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        stdin, stdout = child.stdin, child.stdout
        assert stdin is not None and stdout is not None
        watchdog = threading.Timer(timeout, child.kill)  # a child that hangs must not stop content updates
        watchdog.start()
        try:
            stdin.write(pickle.dumps(dict(synonyms), protocol=pickle.HIGHEST_PROTOCOL))
            for chunk in chunks:
                stdin.write(chunk)
            stdin.close()
            answer = stdout.read()  # the child writes only once it has read everything: no deadlock
        except OSError as exc:  # it died while reading
            child.kill()
            raise BuildFailed(f"index build process failed: {exc}") from exc
        finally:
            watchdog.cancel()
        if child.wait() != 0:
            raise BuildFailed(f"index build process exited with status {child.returncode}")
    collecting = gc.isenabled()
    gc.disable()  # no cycles among the index's objects: spare the collector a million allocations
    try:
        data = pickle.loads(answer)
    finally:
        if collecting:
            gc.enable()
    if not isinstance(data, IndexData):
        raise BuildFailed(f"index build process answered a {type(data).__name__}")
    return data


def _read(stream: IO[bytes]) -> tuple[dict[str, list[list[str]]], list[Article]]:
    synonyms: dict[str, list[list[str]]] = pickle.load(stream)
    articles: list[Article] = []
    while True:
        try:
            articles.extend(pickle.load(stream))
        except EOFError:
            return synonyms, articles


def main() -> None:
    """The child: read the synonyms and articles, build, write the index."""
    gc.disable()  # the build allocates millions of small tuples and no cycles
    synonyms, articles = _read(sys.stdin.buffer)
    data = build_data(articles, synonyms)
    del articles
    pickle.dump(data, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
