"""Request bodies read with a cap, before anything else looks at them.

Sanic buffers a whole body (up to 100 MB by default) before a normal handler
runs. The webhooks are streaming routes instead: a declared length over the
cap is refused from the headers alone, and a body that grows past it while
being read is cut off, so a huge upload costs a few kilobytes of reading.
"""

from __future__ import annotations

from sanic.request import Request


class BodyTooLarge(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"request body too large (at most {cap} bytes)")
        self.cap = cap


async def read_capped(request: Request, cap: int) -> bytes:
    """The body of a streaming route's request, or BodyTooLarge once it exceeds ``cap`` bytes."""
    declared = request.headers.get("content-length", "")
    stream = request.stream
    if stream is None:  # not a streaming route (a test client, say): Sanic already read it
        body = request.body or b""
        if len(body) > cap:
            raise BodyTooLarge(cap)
        return body
    # Sanic stops reading there, also when it drains an unread body after the
    # response, and then closes the connection.
    stream.request_max_size = cap
    if declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge(cap)
    received = bytearray()
    while True:
        try:
            chunk = await stream.read()
        except Exception as exc:  # Sanic's PayloadTooLarge, raised past request_max_size
            if getattr(exc, "status_code", None) == 413:
                raise BodyTooLarge(cap) from None
            raise
        if chunk is None:
            return bytes(received)
        received += chunk
        if len(received) > cap:
            raise BodyTooLarge(cap)
