"""A file received in a multipart form, its name held to the text rule like any other text a
person sends (a file name is stored and shown: U+0000 or a control character in it is refused
as in a field, and the kept name is trimmed and in NFC)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import UploadFile
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from starlette.datastructures import UploadFile as ReceivedFile

from gsi_kernel.text import TextKind, TextRefused, clean


def checked_file_name(upload: Any) -> Any:
    """The text rule on an upload's file name (an ``AfterValidator``: FastAPI runs those on a
    file parameter, not a metadata object's own core schema)."""
    if isinstance(upload, ReceivedFile) and upload.filename:  # what Starlette parsed
        try:
            upload.filename = clean(upload.filename, TextKind.LINE)
        except TextRefused as refused:
            raise PydanticCustomError(
                refused.code,
                "refused character {character} at {position} of the file name",
                {"character": refused.character, "position": refused.position},
            ) from None
    return upload


class FileNameRule(AfterValidator):
    """The rule as an ``AfterValidator`` of its own kind, so that a test can tell that a file
    parameter carries it."""

    def __init__(self) -> None:
        super().__init__(checked_file_name)


Upload = Annotated[UploadFile, FileNameRule()]
