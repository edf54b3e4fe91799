import { SqlmeshPipesError } from '../errors.js';
import type { Contract } from './registry.js';

/**
 * Renders the contracts' JSON Schemas as ONE plain Python module: constants, a `Literal` alias
 * per enum, a frozen dataclass per object (with `to_json()`), and a strict reader per contract.
 * Only the JSON Schema subset our zod schemas produce is supported; anything else throws, so a
 * new zod construct is noticed here rather than silently read wrong.
 */

/** A JSON Schema node (the subset `z.toJSONSchema` emits for our schemas). */
export interface SchemaNode {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly SchemaNode[];
  readonly oneOf?: readonly SchemaNode[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly items?: SchemaNode | false;
  readonly prefixItems?: readonly SchemaNode[];
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly description?: string;
}

/** A contract with its JSON Schema. */
export interface RenderedContract {
  readonly contract: Contract;
  readonly jsonSchema: { readonly $ref: string; readonly $defs: Readonly<Record<string, SchemaNode>> };
}

const HELPERS = `
class ContractError(ValueError):
    """A document does not match its contract: \`\`where\`\` is the JSON path, \`\`problem\`\` what is wrong."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _at(where: str, key: str | int | None) -> str:
    if key is None:
        return where
    return f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}"


def _fail(value: Any, expected: str, where: str, key: str | int | None) -> NoReturn:
    raise ContractError(_at(where, key), f"expected {expected}, got {value!r:.200}")


def _object(
    value: Any, where: str, keys: frozenset[str], required: frozenset[str], strict: bool
) -> dict[str, Any]:
    if type(value) is dict:
        present = value.keys()
        if present == keys or (required <= present and (not strict or present <= keys)):
            return value
    else:
        raise ContractError(where, f"expected an object, got {type(value).__name__}")
    problems = []
    missing = sorted(required - present)
    unknown = sorted(present - keys) if strict else []
    if missing:
        problems.append(f"missing key(s) {missing}")
    if unknown:
        problems.append(f"unknown key(s) {unknown}")
    raise ContractError(where, " and ".join(problems))


def _str(value: Any, expected: str, where: str, key: str | int | None) -> str:
    if isinstance(value, str):
        return value
    _fail(value, expected, where, key)


def _bool(value: Any, expected: str, where: str, key: str | int | None) -> bool:
    if isinstance(value, bool):
        return value
    _fail(value, expected, where, key)


def _int(value: Any, expected: str, where: str, key: str | int | None, minimum: float | None = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and (minimum is None or value >= minimum):
        return value
    _fail(value, expected, where, key)


def _num(value: Any, expected: str, where: str, key: str | int | None, minimum: float | None = None) -> float:
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (minimum is None or value >= minimum)
    ):
        return value
    _fail(value, expected, where, key)


def _gt(value: float, bound: float, expected: str, where: str, key: str | int | None) -> float:
    if value > bound:
        return value
    _fail(value, expected, where, key)


def _one_of(value: Any, options: tuple[Any, ...], expected: str, where: str, key: str | int | None) -> Any:
    # Compared with their types: JSON's true is not the literal 1.
    if any(value == option and type(value) is type(option) for option in options):
        return value
    _fail(value, expected, where, key)


def _list(value: Any, expected: str, where: str, key: str | int | None) -> list[Any]:
    if isinstance(value, list):
        return value
    _fail(value, expected, where, key)


def _items(value: Any, read: Any, expected: str, where: str, key: str | int | None) -> tuple[Any, ...]:
    base = _at(where, key)
    return tuple([read(item, f"{base}[{i}]") for i, item in enumerate(_list(value, expected, where, key))])


def _dict(value: Any, expected: str, where: str, key: str | int | None) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    _fail(value, expected, where, key)


def _strs(value: Any, expected: str, where: str, key: str | int | None) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    _fail(value, expected, where, key)


def _str_map(value: Any, expected: str, where: str, key: str | int | None) -> dict[str, str]:
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return value
    _fail(value, expected, where, key)
`;

interface Field {
  readonly name: string;
  readonly node: SchemaNode;
  readonly required: boolean;
}

/** Python source of the module for these contracts. */
export function renderPython(contracts: readonly RenderedContract[], constants: Readonly<Record<string, unknown>>): string {
  const defs = mergeDefs(contracts);
  const r = new Renderer(defs);
  const order = dependencyOrder(
    defs,
    contracts.map((c) => refName(c.jsonSchema.$ref)),
  );
  const types = order.map((name) => r.definition(name, defs[name]!)).join('\n\n\n');
  const readers = contracts.map((c) => r.reader(c)).join('\n\n\n');
  const constantLines = Object.entries(constants).map(([name, value]) => `${name}: Final = ${pyLiteral(value)}`);
  const exported = [
    'ContractError',
    ...Object.keys(constants),
    ...order.flatMap((name) => (r.isEnum(defs[name]!) ? [name, enumValuesName(name)] : [name])),
    ...contracts.map((c) => c.contract.reader),
  ];
  return [
    '# Generated by `npm run contracts` from the zod schemas in src/contracts/: do not edit by hand.',
    '# ruff: noqa: E501',
    '"""The contracts between the sqlmesh-pipes executor (TypeScript) and its Python packages.',
    '',
    ...contracts.map(
      (c) => `- ${c.contract.name}: written by ${c.contract.producer}; read by ${c.contract.consumers} (\`\`${c.contract.reader}\`\`).`,
    ),
    '',
    'Readers are as strict as the zod schemas: a missing key, a wrong type or (for strict objects) an',
    "unknown key raises ``ContractError`` naming the JSON path. ``to_json()`` gives each object's JSON.",
    '"""',
    '',
    'from __future__ import annotations',
    '',
    'from collections.abc import Mapping',
    'from dataclasses import dataclass',
    'from typing import Any, Final, Literal, NoReturn',
    '',
    `__all__ = [${exported.map((name) => JSON.stringify(name)).join(', ')}]`,
    '',
    '# --- constants (src/contracts/) ---',
    '',
    ...constantLines,
    '',
    '# --- reading ---',
    HELPERS,
    '# --- types ---',
    '',
    types,
    '',
    '',
    '# --- readers ---',
    '',
    readers,
    '',
  ].join('\n');
}

class Renderer {
  readonly #defs: Readonly<Record<string, SchemaNode>>;

  constructor(defs: Readonly<Record<string, SchemaNode>>) {
    this.#defs = defs;
  }

  isEnum(node: SchemaNode): boolean {
    return node.enum !== undefined;
  }

  /** One named definition: an enum alias, a tuple alias, a union alias or a dataclass with its reader. */
  definition(name: string, node: SchemaNode): string {
    const doc = node.description ? `\n"""${pyDoc(node.description)}"""` : '';
    if (node.enum) {
      const values = node.enum.map(pyLiteral).join(', ');
      return `${name} = Literal[${values}]${doc}\n${enumValuesName(name)}: Final[tuple[${name}, ...]] = (${values}${node.enum.length === 1 ? ',' : ''})`;
    }
    if (node.prefixItems) return `${name} = ${this.type(node)}${doc}\n\n\n${this.readerFunction(name, node)}`;
    if (node.oneOf) {
      const members = node.oneOf.map((option) => refName(option.$ref!));
      return `${name} = ${members.join(' | ')}${doc}`;
    }
    if (!isObject(node)) throw new SqlmeshPipesError(`contracts: definition ${name} is neither an object, an enum, a tuple nor a union`);
    return `${this.dataclass(name, node)}\n\n\n${this.readerFunction(name, node)}`;
  }

  dataclass(name: string, node: SchemaNode): string {
    const fields = objectFields(node);
    const lines = ['@dataclass(frozen=True, slots=True, kw_only=True)', `class ${name}:`];
    lines.push(`    """${pyDoc(node.description ?? name)}"""`, '');
    for (const field of fields) {
      const type = this.type(field.node);
      const constant = field.node.const;
      const declared = field.required || isNullable(field.node) ? type : `${type} | None`;
      const fallback = constant !== undefined ? ` = ${pyLiteral(constant)}` : field.required ? '' : ' = None';
      lines.push(`    ${field.name}: ${declared}${fallback}`);
      if (field.node.description) lines.push(`    """${pyDoc(field.node.description)}"""`);
    }
    lines.push('', '    def to_json(self) -> dict[str, Any]:', `        """This ${name} as JSON-ready data."""`);
    // Absent and null read alike where the schema allows null, so None is written as null there;
    // an optional field that may not be null is left out when None.
    const required = fields.filter((f) => f.required || isNullable(f.node));
    const optional = fields.filter((f) => !f.required && !isNullable(f.node));
    lines.push(
      `        data: dict[str, Any] = {${required.map((f) => `${JSON.stringify(f.name)}: ${this.toJson(f.node, `self.${f.name}`)}`).join(', ')}}`,
    );
    for (const field of optional) {
      lines.push(
        `        if self.${field.name} is not None:`,
        `            data[${JSON.stringify(field.name)}] = ${this.toJson(field.node, `self.${field.name}`)}`,
      );
    }
    lines.push('        return data');
    return lines.join('\n');
  }

  /** `_read_<name>(value, where)`: the strict reader of one named definition. */
  readerFunction(name: string, node: SchemaNode): string {
    if (node.prefixItems) {
      const items = node.prefixItems.map((item, i) => this.read(item, `items[${i}]`, 'where', String(i)));
      return [
        `def ${readerName(name)}(value: Any, where: str) -> ${name}:`,
        `    items = _list(value, ${JSON.stringify(describe(node, this.#defs))}, where, None)`,
        `    if len(items) != ${node.prefixItems.length}:`,
        `        _fail(value, ${JSON.stringify(describe(node, this.#defs))}, where, None)`,
        `    return (${items.join(', ')})`,
      ].join('\n');
    }
    const fields = objectFields(node);
    const strict = node.additionalProperties === false;
    const keys = fields.map((f) => JSON.stringify(f.name));
    const required = fields.filter((f) => f.required).map((f) => JSON.stringify(f.name));
    const lines = [
      `_${snake(name).toUpperCase()}_KEYS: Final = frozenset({${keys.join(', ')}})`,
      `_${snake(name).toUpperCase()}_REQUIRED: Final = frozenset({${required.join(', ')}})`,
      '',
      '',
      `def ${readerName(name)}(value: Any, where: str) -> ${name}:`,
      `    obj = _object(value, where, _${snake(name).toUpperCase()}_KEYS, _${snake(name).toUpperCase()}_REQUIRED, ${strict ? 'True' : 'False'})`,
      `    return ${name}(`,
    ];
    for (const field of fields) {
      const key = JSON.stringify(field.name);
      // Optional: absent is None; null only where the schema allows it (as zod reads it).
      const expr = field.required
        ? this.read(field.node, `obj[${key}]`, 'where', key)
        : isNullable(field.node)
          ? `None if obj.get(${key}) is None else ${this.read(withoutNull(field.node), `obj[${key}]`, 'where', key)}`
          : `None if ${key} not in obj else ${this.read(field.node, `obj[${key}]`, 'where', key)}`;
      lines.push(`        ${field.name}=${expr},`);
    }
    lines.push('    )');
    return lines.join('\n');
  }

  /** The public reader of a contract. */
  reader({ contract, jsonSchema }: RenderedContract): string {
    const name = refName(jsonSchema.$ref);
    const root = this.#defs[name]!;
    if (root.oneOf) {
      const byTag = root.oneOf.map((option) => {
        const target = refName(option.$ref!);
        const tag = this.#defs[target]!.properties?.type?.const;
        if (typeof tag !== 'string') throw new SqlmeshPipesError(`contracts: ${target} has no constant \`type\` to dispatch on`);
        return `    ${JSON.stringify(tag)}: ${readerName(target)},`;
      });
      return [
        `_${snake(name).toUpperCase()}_READERS: Final = {`,
        ...byTag,
        '}',
        '',
        '',
        `def ${contract.reader}(value: Any, where: str = "$") -> ${name} | None:`,
        `    """Read one ${name}; None for an event type this module does not know (a newer producer)."""`,
        '    tag = _dict(value, "an object", where, None).get("type")',
        `    read = _${snake(name).toUpperCase()}_READERS.get(tag) if isinstance(tag, str) else None`,
        '    return None if read is None else read(value, where)',
      ].join('\n');
    }
    return [
      `def ${contract.reader}(value: Any, where: str = "$") -> ${name}:`,
      `    """Read a ${name} from decoded JSON, strictly (\`\`ContractError\`\` names what is wrong)."""`,
      `    return ${readerName(name)}(value, where)`,
    ].join('\n');
  }

  /** The Python type of a node. */
  type(node: SchemaNode): string {
    if (node.$ref) return refName(node.$ref);
    if (node.anyOf) {
      const parts = node.anyOf.map((option) => (option.type === 'null' ? 'None' : this.type(option)));
      const literals = node.anyOf.every((option) => option.const !== undefined);
      if (literals) return `Literal[${node.anyOf.map((option) => pyLiteral(option.const)).join(', ')}]`;
      return [...new Set(parts)].join(' | ');
    }
    if (node.const !== undefined) return `Literal[${pyLiteral(node.const)}]`;
    if (node.enum) return `Literal[${node.enum.map(pyLiteral).join(', ')}]`;
    if (Array.isArray(node.type)) return node.type.map((type) => this.type({ ...node, type })).join(' | ');
    if (node.prefixItems) return `tuple[${node.prefixItems.map((item) => this.type(item)).join(', ')}]`;
    switch (node.type) {
      case 'null':
        return 'None';
      case 'string':
        return 'str';
      case 'boolean':
        return 'bool';
      case 'integer':
        return 'int';
      case 'number':
        return 'float';
      case 'array':
        return `tuple[${this.type(node.items as SchemaNode)}, ...]`;
      case 'object':
        if (node.propertyNames) return `Mapping[str, ${this.type(node.additionalProperties as SchemaNode)}]`;
        break;
      case undefined:
        if (Object.keys(node).filter((k) => k !== 'description').length === 0) return 'Any';
    }
    throw new SqlmeshPipesError(`contracts: no Python type for ${JSON.stringify(node)}`);
  }

  /** A Python expression that reads `value` (at `where` + `key`) as `node`. */
  read(node: SchemaNode, value: string, where: string, key: string): string {
    const expected = JSON.stringify(describe(node, this.#defs));
    const at = `_at(${where}, ${key})`;
    if (node.$ref) {
      const target = this.#defs[refName(node.$ref)]!;
      if (target.enum) return `_one_of(${value}, ${enumValuesName(refName(node.$ref))}, ${expected}, ${where}, ${key})`;
      return `${readerName(refName(node.$ref))}(${value}, ${at})`;
    }
    if (node.anyOf) {
      const nonNull = node.anyOf.filter((option) => option.type !== 'null');
      if (nonNull.every((option) => option.const !== undefined)) {
        const options = nonNull.map((option) => pyLiteral(option.const));
        const nullable = nonNull.length < node.anyOf.length ? ', None' : '';
        return `_one_of(${value}, (${options.join(', ')}${nullable}${options.length === 1 && !nullable ? ',' : ''}), ${expected}, ${where}, ${key})`;
      }
      if (nonNull.length === 1 && node.anyOf.length === 2) {
        return `None if ${value} is None else ${this.read(nonNull[0]!, value, where, key).replace(JSON.stringify(describe(nonNull[0]!, this.#defs)), expected)}`;
      }
      throw new SqlmeshPipesError(`contracts: unsupported union ${JSON.stringify(node)}`);
    }
    if (Array.isArray(node.type)) {
      const nonNull = node.type.filter((type) => type !== 'null');
      if (nonNull.length !== 1 || node.type.length !== 2)
        throw new SqlmeshPipesError(`contracts: unsupported type list ${JSON.stringify(node.type)}`);
      if (nonNull[0] === 'string' && value.startsWith('obj[')) {
        return `(v if (v := ${value}) is None or isinstance(v, str) else _fail(v, ${expected}, ${where}, ${key}))`;
      }
      const inner = this.read({ ...node, type: nonNull[0]! }, value, where, key).replace(
        JSON.stringify(describe({ ...node, type: nonNull[0]! }, this.#defs)),
        expected,
      );
      return `None if ${value} is None else ${inner}`;
    }
    if (node.const !== undefined) return `_one_of(${value}, (${pyLiteral(node.const)},), ${expected}, ${where}, ${key})`;
    if (node.enum) return `_one_of(${value}, (${node.enum.map(pyLiteral).join(', ')}), ${expected}, ${where}, ${key})`;
    switch (node.type) {
      case 'string':
        // Inline: most fields are strings, and a call per field is most of the reading time.
        return value.startsWith('obj[')
          ? `(v if isinstance(v := ${value}, str) else _fail(v, ${expected}, ${where}, ${key}))`
          : `_str(${value}, ${expected}, ${where}, ${key})`;
      case 'boolean':
        return `_bool(${value}, ${expected}, ${where}, ${key})`;
      case 'integer':
      case 'number': {
        const reader = node.type === 'integer' ? '_int' : '_num';
        // zod bounds every integer to the safe range; only a real lower bound is worth a check.
        const minimum = node.minimum !== undefined && node.minimum > Number.MIN_SAFE_INTEGER ? `, ${node.minimum}` : '';
        const read = `${reader}(${value}, ${expected}, ${where}, ${key}${minimum})`;
        return node.exclusiveMinimum !== undefined ? `_gt(${read}, ${node.exclusiveMinimum}, ${expected}, ${where}, ${key})` : read;
      }
      case 'array': {
        const items = node.items as SchemaNode;
        if (items.type === 'string' && Object.keys(items).length === 1) return `_strs(${value}, ${expected}, ${where}, ${key})`;
        if (items.$ref && !this.#defs[refName(items.$ref)]!.enum)
          return `_items(${value}, ${readerName(refName(items.$ref))}, ${expected}, ${where}, ${key})`;
        const item = this.read(items, 'item', at, 'i');
        return `tuple(${item} for i, item in enumerate(_list(${value}, ${expected}, ${where}, ${key})))`;
      }
      case 'object': {
        if (!node.propertyNames) break;
        const values = node.additionalProperties as SchemaNode;
        if (values.type === 'string' && Object.keys(values).length === 1) return `_str_map(${value}, ${expected}, ${where}, ${key})`;
        if (this.type(values) === 'Any') return `_dict(${value}, ${expected}, ${where}, ${key})`;
        const item = this.read(values, 'item', at, 'name');
        return `{name: ${item} for name, item in _dict(${value}, ${expected}, ${where}, ${key}).items()}`;
      }
      case undefined:
        if (this.type(node) === 'Any') return value;
    }
    throw new SqlmeshPipesError(`contracts: no reader for ${JSON.stringify(node)}`);
  }

  /** A Python expression giving the JSON of `value` (typed as `node`); `depth` names nested loop variables. */
  toJson(node: SchemaNode, value: string, depth = 0): string {
    if (node.$ref) {
      const target = this.#defs[refName(node.$ref)]!;
      if (target.enum) return value;
      if (target.prefixItems) return `list(${value})`;
      return `${value}.to_json()`;
    }
    const options = node.anyOf?.filter((option) => option.type !== 'null');
    if (options && options.length === 1) {
      const inner = this.toJson(options[0]!, value, depth);
      return inner === value ? value : `None if ${value} is None else ${inner}`;
    }
    const item = depth === 0 ? 'item' : `item${depth}`;
    if (node.type === 'array') {
      const inner = this.toJson(node.items as SchemaNode, item, depth + 1);
      return inner === item ? `list(${value})` : `[${inner} for ${item} in ${value}]`;
    }
    if (node.type === 'object' && node.propertyNames) {
      const inner = this.toJson(node.additionalProperties as SchemaNode, item, depth + 1);
      const name = depth === 0 ? 'name' : `name${depth}`;
      return inner === item ? `dict(${value})` : `{${name}: ${inner} for ${name}, ${item} in ${value}.items()}`;
    }
    return value;
  }
}

/** The phrase an error uses for what was expected ("a string or null", "a list of strings"). */
function describe(node: SchemaNode, defs: Readonly<Record<string, SchemaNode>>): string {
  if (node.$ref) {
    const target = defs[refName(node.$ref)]!;
    return target.enum ? `one of ${target.enum.map((v) => JSON.stringify(v)).join(', ')}` : describe(target, defs);
  }
  if (node.anyOf) {
    const parts = node.anyOf.map((option) => (option.type === 'null' ? 'null' : describe(option, defs)));
    return parts.join(' or ');
  }
  if (Array.isArray(node.type)) return node.type.map((type) => (type === 'null' ? 'null' : describe({ ...node, type }, defs))).join(' or ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (node.prefixItems) return `a list of ${node.prefixItems.length} ${plural(describe(node.prefixItems[0]!, defs))}`;
  switch (node.type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'integer':
      return node.exclusiveMinimum === 0 ? 'a positive integer' : node.minimum === 0 ? 'a non-negative integer' : 'an integer';
    case 'number':
      return node.exclusiveMinimum === 0 ? 'a positive number' : 'a number';
    case 'array':
      return `a list of ${plural(describe(node.items as SchemaNode, defs))}`;
    case 'object':
      if (node.propertyNames) {
        const values = node.additionalProperties as SchemaNode;
        return Object.keys(values).length === 0 ? 'an object' : `an object of ${plural(describe(values, defs))}`;
      }
      return 'an object';
  }
  return 'a value';
}

function plural(phrase: string): string {
  return phrase.replace(/^an? /, '').replace(/^(\S+)/, '$1s');
}

function mergeDefs(contracts: readonly RenderedContract[]): Record<string, SchemaNode> {
  const defs: Record<string, SchemaNode> = {};
  for (const { contract, jsonSchema } of contracts) {
    for (const [name, node] of Object.entries(jsonSchema.$defs)) {
      const known = defs[name];
      if (known && JSON.stringify(known) !== JSON.stringify(node))
        throw new SqlmeshPipesError(`contracts: ${contract.name} defines ${name} differently`);
      defs[name] = node;
    }
  }
  return defs;
}

/** Definitions so that each comes after the ones it uses. */
function dependencyOrder(defs: Readonly<Record<string, SchemaNode>>, roots: readonly string[]): string[] {
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name)) return;
    for (const ref of refsIn(defs[name]!)) if (ref !== name) visit(ref);
    order.push(name);
  };
  for (const root of roots) visit(root);
  return order;
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [refName(value)] : refsIn(value)));
}

function objectFields(node: SchemaNode): Field[] {
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {}).map(([name, field]) => ({ name, node: field, required: required.has(name) }));
}

function isObject(node: SchemaNode): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

function isNullable(node: SchemaNode): boolean {
  return (node.anyOf?.some((option) => option.type === 'null') ?? false) || (Array.isArray(node.type) && node.type.includes('null'));
}

function withoutNull(node: SchemaNode): SchemaNode {
  if (node.anyOf) {
    const rest = node.anyOf.filter((option) => option.type !== 'null');
    return rest.length === 1 ? { ...rest[0]!, ...(node.description ? { description: node.description } : {}) } : { ...node, anyOf: rest };
  }
  if (Array.isArray(node.type)) {
    const rest = node.type.filter((type) => type !== 'null');
    return { ...node, type: rest.length === 1 ? rest[0]! : rest };
  }
  return node;
}

function refName(ref: string): string {
  const name = ref.replace(/^#\/\$defs\//, '');
  if (name === ref) throw new SqlmeshPipesError(`contracts: unsupported $ref ${ref}`);
  return name;
}

function readerName(name: string): string {
  return `_read_${snake(name)}`;
}

function enumValuesName(name: string): string {
  return `${snake(name).toUpperCase()}_VALUES`;
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A Python literal for JSON-like data. */
function pyLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `(${value.map(pyLiteral).join(', ')}${value.length === 1 ? ',' : ''})`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${/^\d+$/.test(k) ? k : JSON.stringify(k)}: ${pyLiteral(v)}`);
    return `{${entries.join(', ')}}`;
  }
  throw new SqlmeshPipesError(`contracts: no Python literal for ${String(value)}`);
}

function pyDoc(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('"""', '\\"\\"\\"').replaceAll('`', '``').replaceAll('````', '``');
}
