"""Drafts a JSON context for a new corpus template (a maintenance aid, not a test).

Renders the template with recording stand-ins for component, host and
environment, notes how each name is used (printed, iterated, compared,
called) and prints a context that exercises it: strings named after their
path, two-item lists for loops, dicts where .items() is called, the compared
literal where a value is compared. Review and make the values realistic.

    python3 tests/templates/tools/skeleton.py path/to/template
"""
import json
import sys

import jinja2

STR_METHODS = {"split", "strip", "lstrip", "rstrip", "replace", "upper", "lower", "startswith", "endswith", "format", "join", "splitlines", "title", "capitalize"}
DICT_METHODS = {"items", "keys", "values", "get"}


class Rec:
    def __init__(self, path):
        self._path = path
        self._attrs = {}
        self._item = None
        self._uses = set()
        self._compared = None
        self._call = None

    def _child(self, name):
        if name not in self._attrs:
            self._attrs[name] = Rec(f"{self._path}.{name}")
        return self._attrs[name]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._child(name)

    def __getitem__(self, key):
        if isinstance(key, int):
            self._uses.add("list")
            return self._items()
        return self._child(str(key))

    def _items(self):
        if self._item is None:
            self._item = Rec(f"{self._path}[]")
        return self._item

    def __iter__(self):
        self._uses.add("iter")
        return iter([self._items(), self._items()])

    def __len__(self):
        self._uses.add("iter")
        return 2

    def __call__(self, *args, **kw):
        self._uses.add("called")
        self._call = Rec(f"{self._path}()")
        return self._call

    def __str__(self):
        self._uses.add("str")
        return self._path

    def __bool__(self):
        self._uses.add("bool")
        return True

    def __int__(self):
        self._uses.add("int")
        return 8080

    def __eq__(self, other):
        if not isinstance(other, Rec):
            self._compared = other
        return True

    def __hash__(self):
        return id(self)

    def __lt__(self, other):
        return False

    def __add__(self, other):
        self._uses.add("int" if isinstance(other, int) else "str")
        return other

    __radd__ = __add__


def materialise(rec):
    attrs = rec._attrs
    if any(name in DICT_METHODS for name in attrs):
        call = next((attrs[n]._call for n in ("items", "keys", "values") if n in attrs and attrs[n]._call), None)
        pair = call._item if call is not None else None
        value = materialise(pair._item) if pair is not None and pair._item is not None else f"{rec._path}-value"
        return {f"{rec._path.split('.')[-1]}-key-1": value, f"{rec._path.split('.')[-1]}-key-2": value}
    if any(name in STR_METHODS for name in attrs):
        return rec._path
    if rec._compared is not None:
        return rec._compared
    if "iter" in rec._uses or "list" in rec._uses:
        item = materialise(rec._item) if rec._item is not None else f"{rec._path}-item"
        second = json.loads(json.dumps(item).replace("[]", "[1]"))
        return [json.loads(json.dumps(item).replace("[]", "[0]")), second]
    if attrs:
        result = {name: materialise(child) for name, child in attrs.items()}
        if "str" in rec._uses:
            result = {"__class__": "Value", "__str__": rec._path, **result}
        return result
    if "int" in rec._uses:
        return 8080
    if rec._uses == {"bool"}:
        return True
    return rec._path


def main():
    env = jinja2.Environment(line_statement_prefix="@@", keep_trailing_newline=True)
    with open(sys.argv[1], encoding="utf-8") as f:
        template = env.from_string(f.read())
    names = {"component": Rec("component"), "host": Rec("host"), "environment": Rec("environment"), "args": Rec("args")}
    template.render(**names)
    context = {}
    for name, rec in names.items():
        if rec._attrs or rec._uses:
            context[name] = materialise(rec)
    component = context.get("component", {})
    for name in ("host", "environment"):
        if isinstance(component, dict) and name in component:
            context.setdefault(name, component.pop(name))
    print(json.dumps(context, indent=2))


if __name__ == "__main__":
    main()
