"""Topics, articles, translations, versions and search previews as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admin_api.params import MAX_INT, ArticleId, InputModel, Lang, TopicId
from knowledge.articles import Article, Translation
from knowledge.freshness import TranslationState

Title = Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S")]
Body = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"\S")]
Phrase = Annotated[str, Field(min_length=1, max_length=300)]
Tag = Annotated[str, Field(min_length=1, max_length=64)]
Note = Annotated[str, Field(max_length=500)]
Status = Literal["draft", "published"]


class TranslationIn(InputModel):
    title: Title
    body: Body
    questions: Annotated[list[Phrase], Field(max_length=200)] = Field(default_factory=list)
    keywords: Annotated[list[Tag], Field(max_length=50)] = Field(default_factory=list)


class TranslationPatch(InputModel):
    """Only the fields sent change; a language the article lacks needs a title and a body."""

    title: Title | None = None
    body: Body | None = None
    questions: Annotated[list[Phrase], Field(max_length=200)] | None = None
    keywords: Annotated[list[Tag], Field(max_length=50)] | None = None


class ArticleCreate(InputModel):
    id: ArticleId
    topic: TopicId
    status: Status = "draft"
    tags: Annotated[list[Tag], Field(max_length=20)] = Field(default_factory=list)
    translations: Annotated[dict[Lang, TranslationIn], Field(min_length=1, max_length=20)]
    note: Note = ""

    def to_article(self) -> Article:
        return Article(
            id=self.id,
            topic=self.topic,
            status=self.status,
            tags=tuple(self.tags),
            translations={
                lang: Translation(lang, tr.title.strip(), tr.body.strip(), tuple(tr.questions), tuple(tr.keywords))
                for lang, tr in self.translations.items()
            },
        )


class ArticleUpdate(InputModel):
    """Change topic, tags or some translations; `base_version` (from the read) refuses a save over a newer one."""

    topic: TopicId | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    translations: Annotated[dict[Lang, TranslationPatch], Field(max_length=20)] | None = None
    base_version: Annotated[int, Field(ge=0, le=MAX_INT)] | None = None
    note: Note = ""


class TranslationRead(BaseModel):
    title: str
    body: str
    questions: list[str]
    keywords: list[str]


class TranslationStateRead(BaseModel):
    lang: str
    state: Literal["up_to_date", "missing", "outdated"]
    text_changed_at: datetime | None = None
    outdated_by: list[str] = Field(default=[], description="languages whose title or body changed since")

    @classmethod
    def of(cls, state: TranslationState) -> TranslationStateRead:
        return cls(
            lang=state.lang,
            state=state.state,
            text_changed_at=state.text_changed_at,
            outdated_by=list(state.outdated_by),
        )


class ArticleRead(BaseModel):
    id: str
    topic: str
    status: str
    tags: list[str]
    version: int
    translations: dict[str, TranslationRead]
    translation_states: list[TranslationStateRead]


class ArticleSummary(BaseModel):
    id: str
    topic: str
    status: str
    titles: dict[str, str]
    translation_states: list[TranslationStateRead]


class VersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    action: str
    staff_id: int | None
    note: str
    created_at: datetime


class VersionRead(VersionSummary):
    snapshot: dict[str, Any]


class TopicCreate(InputModel):
    id: TopicId
    title: Annotated[dict[Lang, Title], Field(min_length=1, max_length=20)]
    emoji: Annotated[str, Field(max_length=16)] = ""
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


class TopicUpdate(InputModel):
    title: Annotated[dict[Lang, Title], Field(max_length=20)] | None = None
    emoji: Annotated[str, Field(max_length=16)] | None = None
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: dict[str, str]
    emoji: str
    position: int


class TranslationTodo(BaseModel):
    article_id: str
    lang: str
    state: Literal["missing", "outdated"]
    outdated_by: list[str]


class LanguageReport(BaseModel):
    lang: str
    up_to_date: int
    missing: int
    outdated: int


class ImportResult(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    topics: int
    synonyms_changed: bool


class SearchPreviewIn(InputModel):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    lang: Lang | None = None


class SearchHitRead(BaseModel):
    article_id: str
    score: float
    lang: str
    title: str
    topic: str


class SearchPreviewOut(BaseModel):
    decision: Literal["answer", "choices", "none"]
    query_lang: str | None
    coverage: float
    hits: list[SearchHitRead]
    answer: SearchHitRead | None = Field(description="the article the bot would show; None when it would not answer")
