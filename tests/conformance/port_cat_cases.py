"""Port the parametrized cases of CAT's unit tests to JSON data (a development tool, not a test).

Usage::

    python tests/conformance/port_cat_cases.py <cat-tree>/unit_tests <commit> tests/conformance/cases/raw

Each CAT test module is executed with stand-ins for pytest, the Airbyte protocol models and CAT's own
package: ``pytest.mark.parametrize`` records its parameters, a protocol model call records its class and
keyword arguments, an enum member becomes its name.  No CAT code is copied or imported; the output is the
cases' *data*, one JSON file per CAT test file, with the file, test name, case id and commit of each case.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import itertools
import json
import sys
import types
from pathlib import Path
from typing import Any

CAT_PATH = "airbyte-integrations/bases/connector-acceptance-test/unit_tests"
STUBBED = ("airbyte_protocol", "connector_acceptance_test", "dagger", "docker", "pendulum", "_pytest")


class Raises:
    def __init__(self, exc: Any = None, match: str | None = None) -> None:
        self.exc, self.match = exc, match

    def __enter__(self) -> Raises:
        return self

    def __exit__(self, *args: object) -> bool:
        return False

    def to_json(self) -> Any:
        name = getattr(self.exc, "__name__", None) or getattr(self.exc, "_name", None) or str(self.exc)
        return {"__raises__": name if self.exc is not None else None, "match": self.match}


class Param:
    def __init__(self, *values: Any, id: str | None = None, marks: Any = None) -> None:
        self.values, self.id = values, id


class Model:
    """A stand-in for any imported class: calls record the class name and arguments."""

    def __init__(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.name, self.args, self.kwargs = name, args, kwargs

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        return self.kwargs.get(item)

    def dict(self, **_: Any) -> dict[str, Any]:
        return dict(self.kwargs)

    def to_json(self) -> Any:
        out: dict[str, Any] = {"__cls__": self.name}
        if self.args:
            out["__args__"] = list(self.args)
        out.update(self.kwargs)
        return out


class Enum:
    def __init__(self, owner: str, name: str) -> None:
        self.owner, self.name = owner, name

    @property
    def value(self) -> str:
        return self.name

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        return Enum(f"{self.owner}.{self.name}", item)

    def __call__(self, *args: Any, **kwargs: Any) -> Model:
        return Model(f"{self.owner}.{self.name}", args, kwargs)

    def to_json(self) -> Any:
        return self.name


class ClassStub(type):
    def __getattr__(cls, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        if item in ("parse_obj", "model_validate"):
            return lambda data: Model(cls.__name__, (), dict(data))
        return Enum(cls.__name__, item)


def class_stub(name: str) -> Any:
    def new(cls: Any, *args: Any, **kwargs: Any) -> Model:
        return Model(name, args, kwargs)

    return ClassStub(name, (), {"__new__": new})


class StubModule(types.ModuleType):
    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        if item[:1].islower():  # a submodule or a function
            full = f"{self.__name__}.{item}"
            module = sys.modules.get(full) or StubModule(full)
            sys.modules[full] = module
            return module
        value = class_stub(item)
        setattr(self, item, value)
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Model:
        return Model(self.__name__.rsplit(".", 1)[-1], args, kwargs)


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.split(".")[0] in STUBBED or fullname.endswith(".conftest"):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> Any:
        module = StubModule(spec.name)
        module.__path__ = []  # type: ignore[attr-defined]
        if spec.name.endswith(".conftest"):
            module.does_not_raise = lambda: Raises(None)  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: Any) -> None:
        return None


def _identity_decorator(*args: Any, **kwargs: Any) -> Any:
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda fn: fn


def _parametrize(argnames: Any, argvalues: Any, ids: Any = None, **_: Any) -> Any:
    names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else list(argnames)

    def decorate(fn: Any) -> Any:
        rows = []
        for i, value in enumerate(argvalues):
            case_id = None
            if isinstance(value, Param):
                case_id, value = value.id, value.values
            elif len(names) == 1:
                value = (value,)
            if case_id is None and isinstance(ids, list | tuple) and i < len(ids):
                case_id = ids[i]
            rows.append((case_id or str(i), dict(zip(names, value, strict=False))))
        fn.__cat_params__ = [rows, *getattr(fn, "__cat_params__", [])]
        return fn

    return decorate


def pytest_stub() -> types.ModuleType:
    module = types.ModuleType("pytest")
    mark = types.SimpleNamespace(parametrize=_parametrize)
    module.mark = types.SimpleNamespace(  # type: ignore[attr-defined]
        parametrize=_parametrize,
        anyio=_identity_decorator,
        skip=_identity_decorator,
        slow=_identity_decorator,
        skipif=_identity_decorator,
        usefixtures=_identity_decorator,
    )
    del mark
    module.param = Param  # type: ignore[attr-defined]
    module.raises = Raises  # type: ignore[attr-defined]
    module.fixture = _identity_decorator  # type: ignore[attr-defined]
    module.fail = lambda *a, **k: None  # type: ignore[attr-defined]
    module.warns = Raises  # type: ignore[attr-defined]
    return module


def to_json(value: Any) -> Any:
    if isinstance(value, Raises | Model | Enum):
        return to_json(value.to_json())
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, set | frozenset):
        items = [to_json(v) for v in value]
        return {"__set__": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, type) and issubclass(value, BaseException):
        return {"__raises__": value.__name__, "match": None}
    if isinstance(value, contextlib.AbstractContextManager) and type(value).__name__ == "nullcontext":
        return {"__raises__": None, "match": None}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return f"<{type(value).__name__}>"


def cases_of(module: types.ModuleType, file_name: str, commit: str) -> list[dict[str, Any]]:
    functions: list[tuple[str, Any]] = []
    for name, value in vars(module).items():
        if name.startswith("test_") and isinstance(value, types.FunctionType):
            functions.append((name, value))
        elif name.startswith("Test") and isinstance(value, type):
            functions.extend(
                (f"{name}.{attr}", fn) for attr, fn in vars(value).items() if attr.startswith("test_") and callable(fn)
            )
    out = []
    for name, fn in functions:
        tables = getattr(fn, "__cat_params__", None) or [[("single", {})]]
        for combination in itertools.product(*tables):
            case_id = "-".join(c[0] for c in combination)
            params: dict[str, Any] = {}
            for _, values in combination:
                params.update(values)
            out.append(
                {
                    "provenance": {"file": f"{CAT_PATH}/{file_name}", "test": name, "id": case_id, "commit": commit},
                    "params": to_json(params),
                }
            )
    return out


def main(argv: list[str]) -> int:
    source_dir, commit, out_dir = Path(argv[0]), argv[1], Path(argv[2])
    sys.meta_path.insert(0, StubFinder())
    sys.modules["pytest"] = pytest_stub()
    out_dir.mkdir(parents=True, exist_ok=True)
    package = types.ModuleType("cat_unit_tests")
    package.__path__ = [str(source_dir)]  # type: ignore[attr-defined]
    sys.modules["cat_unit_tests"] = package
    total = 0
    for path in sorted(source_dir.glob("test_*.py")):
        module = types.ModuleType(f"cat_unit_tests.{path.stem}")
        module.__package__ = "cat_unit_tests"
        sys.modules[module.__name__] = module
        try:
            exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other files
            print(f"{path.name}: cannot load: {exc!r}", file=sys.stderr)
            continue
        cases = cases_of(module, path.name, commit)
        total += len(cases)
        (out_dir / f"{path.stem}.json").write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")
        print(f"{path.name}: {len(cases)} cases")
    print(f"total: {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
