"""aiogram imported so that its Telegram types and methods are built when first used, not all at import.

aiogram declares its types with pydantic's `defer_build`, then rebuilds every one of them (about 400) at the end of
`aiogram.types` to resolve their forward references; its methods (about 190) are built as they are declared. Building
the validators of types and methods a bot never uses costs over 100 MB of resident memory and two seconds of
start-up, in every process that talks to Telegram.

`import_aiogram()` imports aiogram with two changes, and nothing else:
- the final rebuild of the types is reduced to what it is for, resolving forward references: the names a type's
  annotations use (imported by its module only for type checkers) are added to its module from the namespace the
  rebuild is given;
- the methods' base class gets `defer_build` as the types' has.
pydantic then builds a type or method the first time one is validated or serialized (or a model holding it is
built). `tests/bot/test_lean_aiogram.py` builds every type and method after a lean import, so an aiogram release
that breaks this fails the suite, and checks the memory saved.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import re
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from pydantic import BaseModel

_METHODS_BASE = "aiogram.methods.base"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def import_aiogram() -> None:
    """Import aiogram lean (a no-op when it is already imported: then it was imported the usual way)."""
    if "aiogram" in sys.modules:
        return
    eager = BaseModel.__dict__["model_rebuild"]  # the classmethod itself, put back as it was

    def keep_namespace(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: dict[str, Any] | None = None,
    ) -> bool | None:
        deferred = cls.model_config.get("defer_build") and cls.__module__.startswith("aiogram.")
        if deferred and _types_namespace is not None and not force:
            _resolvable(cls, _types_namespace)
            return None
        return eager.__func__(  # type: ignore[no-any-return]
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            _types_namespace=_types_namespace,
        )

    finder = _DeferMethods()
    sys.meta_path.insert(0, finder)
    BaseModel.model_rebuild = classmethod(keep_namespace)  # type: ignore[method-assign,assignment]
    try:
        import aiogram  # noqa: F401
    finally:
        BaseModel.model_rebuild = eager  # type: ignore[method-assign]
        sys.meta_path.remove(finder)


def _resolvable(cls: type[BaseModel], namespace: dict[str, Any]) -> None:
    """Give the module of `cls` the names its string annotations (and its bases', which pydantic evaluates in the
    module of `cls`) refer to, as the rebuild would have found them."""
    module = vars(sys.modules[cls.__module__])
    for base in cls.__mro__:
        for annotation in vars(base).get("__annotations__", {}).values():
            for name in _NAME.findall(annotation if isinstance(annotation, str) else ""):
                if name in namespace and name not in module:
                    module[name] = namespace[name]


class _DeferMethods(importlib.abc.MetaPathFinder):
    """Finds aiogram's methods base module as usual, and gives its TelegramMethod `defer_build` once it has run
    (before any method is declared: each method inherits its base's configuration)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _METHODS_BASE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            module.TelegramMethod.model_config["defer_build"] = True

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
