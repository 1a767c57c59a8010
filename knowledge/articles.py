"""Article and topic content: the plain data shapes and the YAML files they live in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,55}$")
LANG_CODE = re.compile(r"^[a-z]{2,3}$")
STATUSES = ("published", "draft")
SHIPPED_CONTENT = Path(__file__).parent / "content"


class ContentError(ValueError):
    """A content file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Translation:
    lang: str
    title: str
    body: str
    questions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    id: str
    topic: str
    translations: Mapping[str, Translation]
    status: str = "published"
    tags: tuple[str, ...] = ()

    @property
    def published(self) -> bool:
        return self.status == "published"

    def translation(self, lang: str | None) -> Translation:
        """The translation in `lang`, else English, else any (callers note the fallback)."""
        for code in (lang, "en", *sorted(self.translations)):
            if code and code in self.translations:
                return self.translations[code]
        raise ContentError(f"article {self.id} has no translations")


@dataclass(frozen=True)
class Topic:
    id: str
    title: Mapping[str, str]
    emoji: str = ""

    def title_in(self, lang: str | None) -> str:
        return self.title.get(lang or "", "") or self.title.get("en", "") or next(iter(self.title.values()), self.id)


@dataclass
class ContentSet:
    topics: list[Topic] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    # per language: groups of words that mean the same thing for search
    synonyms: dict[str, list[list[str]]] = field(default_factory=dict)

    def published(self) -> list[Article]:
        return [a for a in self.articles if a.published]


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ContentError(f"{where}: expected a list of strings")
    return tuple(str(v).strip() for v in value if str(v).strip())


def parse_article(data: Any, where: str) -> Article:
    """Validate one article mapping (as in an article YAML file)."""
    if not isinstance(data, dict):
        raise ContentError(f"{where}: an article must be a mapping")
    art_id = str(data.get("id", "")).strip()
    if not ARTICLE_ID.match(art_id):
        raise ContentError(f"{where}: id {art_id!r} must be a-z, 0-9 and '-'")
    topic = str(data.get("topic", "")).strip()
    if not topic:
        raise ContentError(f"{where}: topic is missing")
    status = str(data.get("status", "published")).strip()
    if status not in STATUSES:
        raise ContentError(f"{where}: status must be one of {', '.join(STATUSES)}")
    raw = data.get("translations")
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{where}: translations must be a non-empty mapping")
    translations: dict[str, Translation] = {}
    for lang, tr in raw.items():
        lang = str(lang)
        at = f"{where}: translations.{lang}"
        if not LANG_CODE.match(lang):
            raise ContentError(f"{at}: not a language code")
        if not isinstance(tr, dict):
            raise ContentError(f"{at}: must be a mapping")
        title = str(tr.get("title") or "").strip()
        body = str(tr.get("body") or "").strip()
        if not title or not body:
            raise ContentError(f"{at}: title and body are required")
        translations[lang] = Translation(
            lang=lang,
            title=title,
            body=body,
            questions=_str_list(tr.get("questions"), f"{at}.questions"),
            keywords=_str_list(tr.get("keywords"), f"{at}.keywords"),
        )
    return Article(
        id=art_id,
        topic=topic,
        translations=translations,
        status=status,
        tags=_str_list(data.get("tags"), f"{where}: tags"),
    )


def parse_topics(data: Any, where: str) -> list[Topic]:
    if not isinstance(data, list):
        raise ContentError(f"{where}: expected a list of topics")
    topics: list[Topic] = []
    for i, item in enumerate(data):
        at = f"{where}: topic #{i + 1}"
        if not isinstance(item, dict) or not ARTICLE_ID.match(str(item.get("id", ""))):
            raise ContentError(f"{at}: needs an id of a-z, 0-9 and '-'")
        title = item.get("title")
        if isinstance(title, str):
            title = {"en": title}
        if not isinstance(title, dict) or not title:
            raise ContentError(f"{at}: title must map languages to text")
        topics.append(
            Topic(
                id=str(item["id"]), title={str(k): str(v) for k, v in title.items()}, emoji=str(item.get("emoji") or "")
            )
        )
    return topics


def parse_synonyms(data: Any, where: str) -> dict[str, list[list[str]]]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(f"{where}: expected a mapping of language to groups")
    result: dict[str, list[list[str]]] = {}
    for lang, groups in data.items():
        if not isinstance(groups, list):
            raise ContentError(f"{where}: {lang} must be a list of word groups")
        result[str(lang)] = [list(_str_list(g, f"{where}: {lang}")) for g in groups]
    return result


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML ({exc})") from exc


def load_content(directory: Path | str = SHIPPED_CONTENT) -> ContentSet:
    """Load `topics.yaml`, optional `synonyms.yaml` and every `<topic>/<id>.yaml` under `directory`."""
    root = Path(directory)
    topics_file = root / "topics.yaml"
    topics = parse_topics(_read_yaml(topics_file), str(topics_file)) if topics_file.exists() else []
    synonyms_file = root / "synonyms.yaml"
    synonyms = parse_synonyms(_read_yaml(synonyms_file), str(synonyms_file)) if synonyms_file.exists() else {}
    known_topics = {t.id for t in topics}
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for path in sorted(root.glob("*/*.yaml")):
        article = parse_article(_read_yaml(path), str(path))
        if article.id in seen:
            raise ContentError(f"{path}: id {article.id} is also used by {seen[article.id]}")
        seen[article.id] = path
        if known_topics and article.topic not in known_topics:
            raise ContentError(f"{path}: topic {article.topic!r} is not in topics.yaml")
        articles.append(article)
    return ContentSet(topics=topics, articles=articles, synonyms=synonyms)


def article_to_dict(article: Article) -> dict[str, Any]:
    """The YAML shape of an article (inverse of `parse_article`)."""
    data: dict[str, Any] = {"id": article.id, "topic": article.topic}
    if article.tags:
        data["tags"] = list(article.tags)
    data["status"] = article.status
    data["translations"] = {}
    for lang, tr in article.translations.items():
        entry: dict[str, Any] = {"title": tr.title}
        if tr.questions:
            entry["questions"] = list(tr.questions)
        if tr.keywords:
            entry["keywords"] = list(tr.keywords)
        entry["body"] = tr.body + "\n"
        data["translations"][lang] = entry
    return data


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=100)


def write_content(content: ContentSet, directory: Path | str, articles: Iterable[Article] | None = None) -> int:
    """Write topics and articles as YAML files under `directory`; returns the number of articles."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    topics = [{"id": t.id, "emoji": t.emoji, "title": dict(t.title)} for t in content.topics]
    (root / "topics.yaml").write_text(dump_yaml(topics), encoding="utf-8")
    if content.synonyms:
        (root / "synonyms.yaml").write_text(dump_yaml(content.synonyms), encoding="utf-8")
    count = 0
    for article in articles if articles is not None else content.articles:
        folder = root / article.topic
        folder.mkdir(exist_ok=True)
        (folder / f"{article.id}.yaml").write_text(dump_yaml(article_to_dict(article)), encoding="utf-8")
        count += 1
    return count
