"""Refuse an oversized upload while it arrives, not after it is stored.

Django would otherwise write the whole file to a temporary file before any form could look at
its size. This handler, first in FILE_UPLOAD_HANDLERS, counts the bytes of each file as they
come and stops storing as soon as the limit is passed (or at once when the announced size of
the request already passes it). The rest of the body is read and dropped, so the browser gets
the form back with a clear message rather than a reset connection.
"""

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from .services import max_upload_bytes

# Room for the multipart headers and the small form fields sent with the file.
FORM_OVERHEAD_BYTES = 2 * 1024 * 1024
REFUSED_ATTRIBUTE = "maillage_upload_refused"


def refused_upload(request: HttpRequest) -> int | None:
    """The size (bytes, at least) of a file refused during the upload, or None."""
    value = getattr(request, REFUSED_ATTRIBUTE, None)
    return value if isinstance(value, int) else None


class SizeLimitedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.received = 0
        self.announced = 0

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        self.announced = content_length or 0
        return None  # the next handlers parse as usual

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.announced > self.limit + FORM_OVERHEAD_BYTES:
            self._refuse(self.announced - FORM_OVERHEAD_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse(self.received)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the storing handler after this one returns the file

    def _refuse(self, size: int) -> None:
        if self.request is not None:
            setattr(self.request, REFUSED_ATTRIBUTE, size)
        raise StopUpload(connection_reset=False)
