"""Files written whole: a reader sees the old file or the new one, never half of one."""

import contextlib
import os
import uuid


@contextlib.contextmanager
def written_whole(path, *, durable=False):
    """A temporary path to write, renamed onto ``path`` when the block succeeds.

    The temporary file lies beside ``path``, so that the rename stays on one
    filesystem and is atomic, under a name of its own, so that processes
    writing the same file at once never share it; it is removed when the
    block fails (an interruption included), leaving any old file as it was.
    The block creates the file (``open``, ``DataFrame.to_csv``, ``Image.save``),
    which therefore gets the usual permissions.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    durable : bool, default=False
        Flush the file to the disk before the rename, so that a power cut
        leaves the old file or the whole new one (a saved model); caches and
        files that can be written again skip the cost.

    Yields
    ------
    temporary : str
        Where to write.

    Examples
    --------
    >>> import os, tempfile
    >>> from skmultimodal._atomic import written_whole
    >>> path = os.path.join(tempfile.mkdtemp(), "table.csv")
    >>> with written_whole(path) as temporary:
    ...     with open(temporary, "w") as file:
    ...         _ = file.write("a,b\\n")
    >>> open(path).read()
    'a,b\\n'
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield temporary
        if durable:
            with open(temporary, "rb+") as file:
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
