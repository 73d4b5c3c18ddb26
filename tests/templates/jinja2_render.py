"""Renders templates with Python Jinja2 configured as batou configures it.

A test dependency only (Debian's python3-jinja2): the fidelity suite compares
our output with this one. Reads a JSON list of cases from stdin, each
{"id", "path", "context"}, and writes a JSON list of {"id", "output"} or
{"id", "error"} to stdout.

The environment mirrors batou's Jinja2Engine (src/batou/template.py): line
statements with "@@", trailing newline kept, StrictUndefined. The template is
read as batou's File reads its source (text mode: "\\r\\n" becomes "\\n") and
rendered as batou's expand() renders it (no newline added).

Context conventions (JSON has no objects with attributes):
- "component", "host" and "environment" become objects with attributes;
  component.host and component.environment are the host and environment;
- any JSON object with a "__class__" key becomes an instance of a class of
  that name with the other keys as attributes; "__str__" is what str() gives,
  "__methods__" maps method names to what calling them returns.
"""
import json
import sys

import jinja2


def make_class(name, text):
    namespace = {}
    if text is not None:
        namespace["__str__"] = lambda self: text
    return type(name, (object,), namespace)


def convert(value):
    if isinstance(value, list):
        return [convert(item) for item in value]
    if isinstance(value, dict):
        if "__class__" in value:
            return as_object(value["__class__"], value)
        return {key: convert(item) for key, item in value.items()}
    return value


def as_object(class_name, attrs):
    cls = make_class(class_name, attrs.get("__str__"))
    instance = cls()
    for key, item in attrs.items():
        if key not in ("__class__", "__str__", "__methods__"):
            setattr(instance, key, convert(item))
    for name, result in attrs.get("__methods__", {}).items():
        setattr(instance, name, lambda *args, _result=convert(result), **kw: _result)
    return instance


def build_context(raw):
    context = {key: convert(value) for key, value in raw.items() if key not in ("component", "host", "environment")}
    environment = as_object("Environment", raw.get("environment", {}))
    host = as_object("Host", raw.get("host", {}))
    host.environment = environment
    component = as_object("Component", raw.get("component", {}))
    component.host = host
    component.environment = environment
    context.update(component=component, host=host, environment=environment)
    return context


def main():
    env = jinja2.Environment(
        line_statement_prefix="@@",
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    results = []
    for case in json.load(sys.stdin):
        try:
            with open(case["path"], encoding="utf-8") as f:
                source = f.read()
            output = env.from_string(source).render(**build_context(case["context"]))
            results.append({"id": case["id"], "output": output})
        except Exception as error:  # every failure is a result to compare
            results.append({"id": case["id"], "error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
