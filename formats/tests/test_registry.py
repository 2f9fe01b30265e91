"""The registry: every format that reads recognises its own export of a dataset (images and a tracked video), and no
other format claims it first; an archive of nothing known is recognised as nothing."""

from __future__ import annotations

import io

import pytest
from labelstream_formats.archive import ZipReader, zip_stream
from labelstream_formats.model import ArchiveFile, ExportOptions, Report
from labelstream_formats.registry import EXPORTS, IMPORTS, detect_format

from formats.tests.builders import GeneratedMedia, dataset, images, video


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_each_format_recognises_its_own_export(name: str) -> None:
    files = EXPORTS[name].export(dataset([*images(), video()]), ExportOptions(), GeneratedMedia(), Report())
    archive = ZipReader(io.BytesIO(b"".join(zip_stream(files))))
    found = detect_format(archive)
    assert found is not None and found.name == name


def test_an_archive_of_nothing_known_is_no_format() -> None:
    data = b"".join(zip_stream([ArchiveFile("notes/readme.txt", (b"hello",))]))
    assert detect_format(ZipReader(io.BytesIO(data))) is None
