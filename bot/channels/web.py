"""The web chat: a page at / (its script and style under /static/) and a JSON endpoint for each message."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field, model_validator

from bot.channels.render import to_html
from bot.engine import Inbound, InboundKind, Reply

STATIC = Path(__file__).parent / "static"
PAGE = STATIC / "chat.html"
# the page keeps no script or style inline, so its Content-Security-Policy can forbid inline code
ASSETS = {"chat.js": "text/javascript", "chat.css": "text/css"}
SessionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,64}$")]


class ChatIn(BaseModel):
    session: SessionId
    message_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    text: Annotated[str, Field(max_length=20_000)] | None = None
    data: Annotated[str, Field(max_length=64)] | None = None
    language: Annotated[str, Field(max_length=16)] | None = None

    @model_validator(mode="after")
    def _one_of_text_or_data(self) -> ChatIn:
        if (self.text is None) == (self.data is None):
            raise ValueError("send exactly one of text or data")
        return self


class ButtonOut(BaseModel):
    text: str
    data: str = ""
    url: str | None = None


class KeyButtonOut(BaseModel):
    text: str
    request_contact: bool = False
    request_location: bool = False


class ReplyOut(BaseModel):
    html: str
    buttons: list[list[ButtonOut]] = []
    keyboard: list[list[KeyButtonOut]] = []
    remove_keyboard: bool = False


class ChatOut(BaseModel):
    replies: list[ReplyOut]


def _reply_out(reply: Reply) -> ReplyOut:
    return ReplyOut(
        html=to_html(reply.text),
        buttons=[[ButtonOut(text=b.text, data=b.data, url=b.url) for b in row] for row in reply.buttons],
        keyboard=[
            [
                KeyButtonOut(text=k.text, request_contact=k.request_contact, request_location=k.request_location)
                for k in row
            ]
            for row in reply.keyboard
        ],
        remove_keyboard=reply.remove_keyboard,
    )


def to_inbound(body: ChatIn) -> Inbound:
    key = f"web:{body.session}:{body.message_id}" if body.message_id else None
    if body.data is not None:
        return Inbound(
            channel="web",
            external_id=body.session,
            kind=InboundKind.BUTTON,
            data=body.data,
            update_key=key,
            language_hint=body.language,
        )
    return Inbound(
        channel="web",
        external_id=body.session,
        kind=InboundKind.TEXT,
        text=body.text or "",
        update_key=key,
        language_hint=body.language,
    )


def web_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})

    @router.get("/static/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404)
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    @router.post("/chat/messages", response_model=ChatOut, tags=["web chat"])
    async def message(body: ChatIn, request: Request) -> dict[str, Any]:
        """Hand one message or button press to the engine; the replies come back rendered as safe HTML."""
        replies = await request.app.state.services.engine.handle(to_inbound(body))
        return {"replies": [_reply_out(r) for r in replies]}

    return router
