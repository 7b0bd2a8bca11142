"""YAML for configs: a file means one thing, or loading fails naming the line.

PyYAML's `safe_load` lets the last of two duplicate keys win (a second
`training:` wipes the first), expands anchors and aliases (a 430-byte "billion
laughs" file becomes gigabytes), recurses once per nesting level (3,000 levels:
RecursionError), and reads `1e-4` as a string (YAML 1.1 wants a dot). This
loader refuses the first three before they cost anything and reads `1e-4` as
the number it looks like (the YAML 1.2 rule), so a quoted "1e-4" stays text and
the config checker can refuse it: one rule for every number.
"""
from __future__ import annotations

import re

import yaml

MAX_DEPTH = 3     # config, section, list (optimizer.betas): deeper is never a config
MAX_BYTES = 1 << 20  # a config is a few kB; a bigger file is not one


class YamlRefused(ValueError):
    """The text is YAML we do not accept; the message names the line."""


_EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without duplicate keys, anchors, aliases, merge keys or deep nesting."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(f"line {line}: aliases (*{event.anchor[:40]}) are not allowed in a config: "
                              "write each value out")
        if getattr(event, "anchor", None) is not None:
            raise YamlRefused(f"line {line}: anchors (&{event.anchor[:40]}) are not allowed in a config: "
                              "write each value out")
        nested = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"line {line}: nesting deeper than a config has ({MAX_DEPTH} levels: "
                                  "section, key, list of numbers)")
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlRefused(f"line {key_node.start_mark.line + 1}: merge keys (<<) are not allowed in a config")
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key ([a, b]: 1)
                raise YamlRefused(f"line {key_node.start_mark.line + 1}: a key must be a plain name") from None
            if first is not None:
                name = str(key)[:40]
                raise YamlRefused(f"line {key_node.start_mark.line + 1}: duplicate key '{name}' (first at line "
                                  f"{first}): each key may appear once, or the last would silently win")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 reads 1e-4 as a float; PyYAML (YAML 1.1) needs 1.0e-4. Add the dotless form.
StrictLoader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789"))


def loads(text: str):
    """Parse one YAML document with StrictLoader; YamlRefused or yaml.YAMLError on bad input."""
    if len(text) > MAX_BYTES:
        raise YamlRefused(f"the file has {len(text):,} characters: a config is a few kB (at most {MAX_BYTES:,})")
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def first_line(e: Exception) -> str:
    """A YAMLError as one short line: the problem and where (PyYAML spreads it over several)."""
    if isinstance(e, YamlRefused):
        return str(e)
    problem = (getattr(e, "problem", None) or getattr(e, "context", None) or getattr(e, "reason", None)
               or (str(e).splitlines() or [type(e).__name__])[0])
    if isinstance(e, yaml.reader.ReaderError):
        where = "" if getattr(e, "position", None) is None else f"character {e.position + 1}: "
        return f"{where}{str(e).splitlines()[0]}"[:200]
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"[:200]
