"""The model file: an uncompressed zip of a JSON manifest and safetensors members.

Layout::

    manifest.json          what the model is (class, parameters, fitted
                           state), the versions that wrote it, and the
                           size and SHA-256 of every other member
    arrays.safetensors     numeric arrays of the fitted state
    weights.safetensors    the network's tensors (fusion nets only)
    (zip comment)          "skmultimodal sha256 " + the SHA-256 of every
                           byte of the file before the digest itself

Three layers of checks, each naming what failed: the digest in the comment
covers the whole file (any changed byte, the zip's own headers included),
the zip's CRC-32 covers each member, and the manifest's digests tie the
members to the manifest. None of them authenticates the file: anybody can
write a valid one. Reading one is safe all the same, because nothing in it
is code (see :mod:`._codec`).
"""

import hashlib
import json
import os
import zipfile

from .._atomic import written_whole

#: Names the manifest's ``format`` field; other JSON-in-zip files are refused.
FORMAT = "skmultimodal model"
#: The version of this layout; files of other versions are refused.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Members other than the manifest that a model file may hold.
MEMBERS = ("arrays.safetensors", "weights.safetensors")

_SEAL_PREFIX = b"skmultimodal sha256 "
_DIGEST_LENGTH = 64
_SEAL_LENGTH = len(_SEAL_PREFIX) + _DIGEST_LENGTH
# Every member gets this date, so that one model always gives the same bytes.
_DATE = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 24


def write_archive(path, manifest, members):
    """Write the model file ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write; an existing file is replaced only once the new one
        is complete.
    manifest : dict
        JSON-ready; gets a ``members`` entry with each member's size and
        SHA-256.
    members : dict of str to bytes
        The members besides the manifest, named from :data:`MEMBERS`.
    """
    manifest = {
        **manifest,
        "members": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members.items()
        },
    }
    text = json.dumps(manifest, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save to {path!r}: the folder {folder!r} does not exist. Create it "
            "first."
        )
    with written_whole(path, durable=True) as partial, open(partial, "x+b") as file:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            for name, data in [(MANIFEST, text.encode()), *members.items()]:
                archive.writestr(_entry(name), data)
            archive.comment = _SEAL_PREFIX + b"0" * _DIGEST_LENGTH
        end = file.tell()
        file.seek(0)
        digest = _sha256(file, end - _DIGEST_LENGTH)
        file.seek(end - _DIGEST_LENGTH)
        file.write(digest.encode())


def _entry(name):
    entry = zipfile.ZipInfo(name, date_time=_DATE)
    entry.compress_type = zipfile.ZIP_STORED
    entry.external_attr = 0o644 << 16
    return entry


def _sha256(file, length):
    digest = hashlib.sha256()
    while length > 0:
        chunk = file.read(min(_CHUNK, length))
        if not chunk:
            break
        digest.update(chunk)
        length -= len(chunk)
    return digest.hexdigest()


def read_archive(path):
    """The manifest and the members of the model file ``path``, all checked.

    Returns
    -------
    manifest : dict
    members : dict of str to bytes

    Raises
    ------
    ValueError
        If the file is not a complete model file of this format version, or
        any of its bytes changed since it was written.
    """
    name = os.fspath(path)
    with open(name, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        file.seek(max(0, size - _SEAL_LENGTH))
        seal = file.read()
        if len(seal) < _SEAL_LENGTH or not seal.startswith(_SEAL_PREFIX):
            raise ValueError(
                f"{name!r} is not a complete skmultimodal model file: it does not end "
                "with the checksum that skmultimodal.save_model writes. It is cut "
                "short (an interrupted copy or download?), was modified, or was "
                "written by something else."
            )
        file.seek(0)
        if _sha256(file, size - _DIGEST_LENGTH).encode() != seal[len(_SEAL_PREFIX):]:
            raise ValueError(
                f"{name!r} is damaged: its bytes do not match the checksum "
                "skmultimodal.save_model wrote into it, so something changed after it "
                "was written. Copy it again from a good source, or save the model "
                "again."
            )
        try:
            with zipfile.ZipFile(file) as archive:
                manifest = _manifest(archive, name)
                members = {
                    member: _member(archive, member, entry, name)
                    for member, entry in manifest["members"].items()
                }
        # What zipfile raises for members it cannot read back (bad CRC, cut
        # short, compressed or encrypted in ways it lacks).
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as error:
            raise ValueError(f"{name!r} is not a readable model file: {error}.") from None
    return manifest, members


def _manifest(archive, name):
    names = archive.namelist()
    if MANIFEST not in names:
        raise ValueError(f"{name!r} is not a skmultimodal model file: it has no {MANIFEST}.")
    try:
        manifest = json.loads(archive.read(MANIFEST), parse_constant=_refuse_constant)
    except ValueError as error:
        raise ValueError(f"The manifest of {name!r} is not valid JSON: {error}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(
            f"{name!r} is not a skmultimodal model file: its manifest does not say "
            f"format {FORMAT!r}."
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise ValueError(
            f"{name!r} has model file format version {version!r}; this version of "
            f"skmultimodal reads version {FORMAT_VERSION}. "
            + (
                "It was saved by a newer skmultimodal: upgrade skmultimodal to load it."
                if newer
                else "Load it with the skmultimodal that saved it."
            )
        )
    members = manifest.get("members")
    if not isinstance(members, dict) or not set(members) <= set(MEMBERS):
        raise ValueError(
            f"The manifest of {name!r} lists the members {members!r}; a model file "
            f"holds {list(MEMBERS)} only."
        )
    expected = sorted([MANIFEST, *members])
    if sorted(names) != expected:
        raise ValueError(
            f"{name!r} holds the members {sorted(names)}, but its manifest lists "
            f"{expected}."
        )
    return manifest


def _member(archive, member, entry, name):
    data = archive.read(member)
    if not isinstance(entry, dict) or (
        entry.get("size") != len(data)
        or entry.get("sha256") != hashlib.sha256(data).hexdigest()
    ):
        raise ValueError(
            f"The member {member!r} of {name!r} does not match the size and SHA-256 "
            "its manifest gives: the file was assembled from parts of different "
            "saves, or modified. Save the model again."
        )
    return data


def _refuse_constant(constant):
    raise ValueError(f"{constant} is not a JSON number")
