"""The trusted static check of a notebook's solution cells, before anything of them runs.

For each exercise it looks at the code that exercise's function can reach: the function,
every module-level name of the solution cells it uses (transitively), and every statement
that runs when the cells run (module-level code, decorators, default arguments). In it:

- **denied**: a name from the exercise's registry entry (its `denied` course functions and
  torch built-ins, and `static_names`), as an attribute, an imported name, a name taken from
  the notebook's setup, or a string constant. Verdict FAILED: the exercise asks the student
  to write what that function computes.
- **dynamic**: a reach the grader cannot follow by reading: `exec`, `eval`, `compile`,
  `__import__`, `globals`, `locals`, `vars`, `getattr`/`setattr`/`hasattr`/`delattr` with a
  computed name, dunder attributes (`__dict__`, `__globals__`, `__code__`, ...), private
  attributes of other objects, reflective attributes (`f_globals`, `reload`, `loads`, ...),
  star imports, and imports outside the list below (`os`, `sys`, `importlib`, `ctypes`,
  `inspect`, `gc`, `subprocess`, ...). Verdict MANUAL: automatic score 0, flagged for a human.

The sandbox enforces the same things at run time (stubs, seccomp, an audit hook); this check
says so in words before the code runs, and catches what a stub cannot see.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

ALLOWED_IMPORTS = {"numpy", "math", "cmath", "torch", "collections", "itertools", "functools", "statistics", "typing",
                   "dataclasses", "fractions", "decimal", "numbers", "heapq", "bisect", "copy", "warnings", "random",
                   "enum", "re", "string", "textwrap", "matplotlib", "ipywidgets", "freqlstm_helpers", "time", "abc",
                   "IPython.display"}
REFLECTIVE_BUILTINS = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint", "input",
                       "__build_class__", "memoryview"}
NAME_ATTR_BUILTINS = {"getattr", "setattr", "delattr", "hasattr"}
ALLOWED_DUNDERS = {"__init__", "__name__", "__doc__", "__qualname__"}
REFLECTIVE_ATTRS = {"reload", "import_module", "find_spec", "spec_from_file_location", "module_from_spec",
                    "exec_module", "load_module", "f_globals", "f_locals", "f_back", "f_builtins", "f_code", "gi_frame",
                    "cr_frame", "tb_frame", "co_code", "co_consts", "getmembers", "getsource", "currentframe",
                    "system", "popen", "getattr_static", "get_objects", "get_referrers", "get_referents", "loads",
                    "load", "ctypeslib", "cdll", "CDLL", "pythonapi", "library", "overrides", "ops", "jit", "compile",
                    "fx", "cpp_extension", "sys", "os", "subprocess", "importlib", "ctypes", "gc", "inspect",
                    "builtins", "pickle", "marshal", "shutil", "socket", "types", "threading", "multiprocessing",
                    "signal", "pty", "mmap", "resource", "posix", "environ", "getenv", "settrace", "setprofile",
                    "addaudithook", "modules", "grading"}
GENERIC = {"forward", "train", "step", "predict", "sequence", "__call__", "run"}


@dataclass
class Findings:
    syntax: str | None = None
    denied: list = field(default_factory=list)
    dynamic: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"syntax": self.syntax, "denied": sorted(set(self.denied)), "dynamic": sorted(set(self.dynamic))}


def to_python(source: str) -> str:
    """IPython syntax (magics, `!cmd`) as the plain Python IPython would run: get_ipython() calls."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


@dataclass(frozen=True)
class Rules:
    tokens: frozenset          # names refused anywhere (distinctive)
    qualified: frozenset       # (dotted module, attribute) refused when reached through that module
    labels: dict               # token or (module, attr) -> how to say it


def rules_for(exercise, targets: list[str]) -> Rules:
    """The static side of an exercise's registry entry: resolved targets ("module:attr.path") and static_names."""
    tokens, qualified, labels = set(exercise.static_names), set(), {}
    for name in exercise.static_names:
        labels[name] = name
    for target in targets:
        module, _, path = target.partition(":")
        parts = path.split(".")
        short = module.rsplit(".", 1)[-1] if module.startswith("freqlstm_helpers") else module
        label = f"{short}.{path}"
        if parts[-1] in GENERIC and len(parts) == 1:
            qualified.add((module, parts[-1]))
            labels[(module, parts[-1])] = label
            continue
        token = parts[-2] if parts[-1] in GENERIC and len(parts) > 1 else parts[-1]
        if token.startswith("__"):
            continue
        tokens.add(token)
        labels.setdefault(token, label)
    return Rules(frozenset(tokens), frozenset(qualified), labels)


# --------------------------------------------------------------------------------------
# Parsing the cells
# --------------------------------------------------------------------------------------
def _module_aliases(trees) -> dict:
    """name -> dotted module (or module.attr) bound by imports, in the setup and the solution cells."""
    aliases = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _bound_names(trees) -> set:
    """Every name the solution cells bind anywhere: functions, classes, arguments, assignments, imports, loops."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name.split(".")[0]) for a in node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
    return names


def _is_reference(expr) -> bool:
    """A value with no call in it (a name, an attribute chain, a constant): assigning it has no side effect."""
    return not any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda))
                   for n in ast.walk(expr))


def _split_module_level(trees):
    """(bindings: name -> [nodes used when the name is], always: nodes that run whenever the cells run)."""
    bindings, always = {}, []
    for tree in trees:
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bindings.setdefault(stmt.name, []).append(stmt)
                a = stmt.args
                always += list(stmt.decorator_list) + list(a.defaults) + [d for d in a.kw_defaults if d is not None]
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for al in stmt.names:
                    bindings.setdefault(al.asname or al.name.split(".")[0], []).append(stmt)
                if any(al.name == "*" for al in stmt.names):
                    always.append(stmt)
            elif (isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets)
                  and _is_reference(stmt.value)):
                for t in stmt.targets:
                    bindings.setdefault(t.id, []).append(stmt)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and \
                    (stmt.value is None or _is_reference(stmt.value)):
                bindings.setdefault(stmt.target.id, []).append(stmt)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            else:
                always.append(stmt)
    return bindings, always


def _closure(function: str, bindings: dict, always: list) -> list:
    todo = list(bindings.get(function, [])) + list(always)
    seen_ids, out, seen_names = set(), [], {function}
    while todo:
        node = todo.pop()
        if id(node) in seen_ids:
            continue
        seen_ids.add(id(node))
        out.append(node)
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in bindings and n.id not in seen_names:
                seen_names.add(n.id)
                todo.extend(bindings[n.id])
    return out


def _docstrings(nodes) -> set:
    ids = set()
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and n.body:
                first = n.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    ids.add(id(first.value))
    return ids


def _dotted(expr, aliases: dict) -> str | None:
    """`stream_trainer` -> freqlstm_helpers.stream_trainer; `a.b.c` -> the dotted path with its root resolved."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    root = aliases.get(expr.id, expr.id)
    return ".".join([root] + parts[::-1])


def _string_hits(s: str, tokens) -> list:
    """Strings that spell a distinctive denied name ("lstm_cell", "torch.lstm_cell"); a word like "worst" is a key."""
    s = s.strip()
    return [t for t in tokens if (s == t or s.endswith("." + t) or s.endswith("::" + t))
            and ("_" in t.strip("_") or t != t.lower() or len(t) >= 9)]


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------
def check_notebook(solutions: list, setup_sources: list[str], exercises: list, targets: dict) -> dict:
    """{exercise id: Findings} for a notebook.

    solutions: [(grade_id, source or None)] in notebook order; targets: {exercise id: resolved denied targets}.
    """
    trees, syntax = [], {}
    for gid, src in solutions:
        if src is None:
            continue
        try:
            trees.append(ast.parse(to_python(src), filename=f"<solution {gid}>"))
        except SyntaxError as e:
            syntax[gid] = f"line {e.lineno}: {e.msg}"
    setup_trees = []
    for src in setup_sources:
        try:
            setup_trees.append(ast.parse(src))
        except SyntaxError:
            pass
    aliases = {**_module_aliases(setup_trees), **_module_aliases(trees)}
    for tree in trees:  # simple aliases: st = stream_trainer; T = freqlstm_helpers.trainer
        for n in ast.walk(tree):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                d = _dotted(n.value, aliases) if isinstance(n.value, (ast.Name, ast.Attribute)) else None
                if d and (d.split(".")[0] in ALLOWED_IMPORTS or "." in d):
                    aliases.setdefault(n.targets[0].id, d)
    bound = _bound_names(trees)
    bindings, always = _split_module_level(trees)
    out = {}
    for ex in exercises:
        f = Findings()
        if ex.solution_id in syntax:
            f.syntax = syntax[ex.solution_id]
        rules = rules_for(ex, targets.get(ex.id, []))
        nodes = _closure(ex.function, bindings, always)
        _inspect(nodes, rules, aliases, bound, f)
        out[ex.id] = f
    return out


def _inspect(nodes, rules: Rules, aliases: dict, bound: set, f: Findings) -> None:
    docs = _docstrings(nodes)

    def deny(key):
        f.denied.append(rules.labels.get(key, key if isinstance(key, str) else ".".join(key)))

    def attribute(value_expr, attr: str):
        if attr in rules.tokens:
            deny(attr)
        base = _dotted(value_expr, aliases) if value_expr is not None else None
        for module, name in rules.qualified:
            if attr == name and base is not None and (base == module or base.endswith("." + module.rsplit(".", 1)[-1])
                                                      or module.endswith("." + base)):
                deny((module, name))
        if attr.startswith("__") and attr.endswith("__"):
            if attr not in ALLOWED_DUNDERS:
                f.dynamic.append(f"reaches the attribute {attr}")
        elif attr.startswith("_") and not (isinstance(value_expr, ast.Name) and value_expr.id in ("self", "cls")):
            f.dynamic.append(f"reaches the private attribute {attr}")
        elif attr in REFLECTIVE_ATTRS:
            f.dynamic.append(f"reaches .{attr}")

    def module_path(path: str, what: str):
        root = path.split(".")[0]
        if not (root in ALLOWED_IMPORTS or path in ALLOWED_IMPORTS or path.startswith("IPython.display")):
            f.dynamic.append(f"imports {path}")
        parts = path.split(".")
        for p in parts:
            if p in rules.tokens:
                deny(p)
            if p.startswith("_") or (p in REFLECTIVE_ATTRS and p != root):
                f.dynamic.append(f"imports {path}")
        for module, name in rules.qualified:
            if path == f"{module}.{name}":
                deny((module, name))

    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Import):
                for a in n.names:
                    module_path(a.name, "import")
            elif isinstance(n, ast.ImportFrom):
                if n.level:
                    f.dynamic.append("uses a relative import")
                    continue
                module_path(n.module or "", "from")
                for a in n.names:
                    if a.name == "*":
                        f.dynamic.append(f"imports * from {n.module}")
                    else:
                        module_path(f"{n.module}.{a.name}", "from")
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                if n.id in REFLECTIVE_BUILTINS and n.id not in bound:
                    f.dynamic.append(f"calls {n.id}")
                elif n.id in NAME_ATTR_BUILTINS and n.id not in bound:
                    pass  # judged at the call below; a bare reference is judged there too
                elif n.id.startswith("__") and n.id not in ALLOWED_DUNDERS:
                    f.dynamic.append(f"uses {n.id}")
                elif n.id in rules.tokens and n.id not in bound:
                    deny(n.id)
            elif isinstance(n, ast.Attribute):
                attribute(n.value, n.attr)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
                for t in _string_hits(n.value, rules.tokens):
                    deny(t)
        for n in ast.walk(node):  # getattr & co.: a constant name is an attribute; anything else is dynamic
            if isinstance(n, ast.Name) and n.id in NAME_ATTR_BUILTINS and n.id not in bound:
                call = _call_of(node, n)
                if call is None or len(call.args) < 2 or not (isinstance(call.args[1], ast.Constant)
                                                              and isinstance(call.args[1].value, str)):
                    f.dynamic.append(f"calls {n.id} with a computed name" if call is not None
                                     else f"passes {n.id} around")
                else:
                    attribute(call.args[0], call.args[1].value)


def _call_of(root, name_node):
    for n in ast.walk(root):
        if isinstance(n, ast.Call) and n.func is name_node:
            return n
    return None
