/**
 * Jinja2's syntax where nunjucks' lexer and parser differ, patched into
 * nunjucks once (it offers no hooks): `}}` closing a dict literal inside a
 * tag, a trailing colon (`{% for x in xs: %}`), `{% for x in xs if cond %}`,
 * tests without parentheses (`is divisibleby 3`), slices (`xs[1:]`,
 * `s[::-1]`), `{% with %}`, `set ns.attr = ...`, float literals that stay
 * floats, number literals with exponents, underscores and 0x/0o/0b,
 * tuples, and Python's `True`/`False`/`None`.
 */
import nunjucks from "nunjucks";

type Token = { type: string; value: string; lineno: number; colno: number };
type AnyNode = Record<string, any>;
type NodeClass = new (...args: any[]) => AnyNode;

const internals = nunjucks as unknown as {
  lexer: Record<string, any> & { Tokenizer?: any };
  parser: { Parser?: any } & Record<string, any>;
  nodes: Record<string, NodeClass & { extend: (name: string, props: Record<string, unknown>) => NodeClass }>;
};
export const nodes = internals.nodes;
const lexer = internals.lexer;

/** Slice `target[start:stop:step]`. */
export const SliceNode = nodes.Node!.extend("PySlice", { fields: ["target", "start", "stop", "step"] });
/** `{% with a = 1 %}...{% endwith %}`. */
export const WithNode = nodes.Node!.extend("PyWith", { fields: ["targets", "values", "body"] });

function tokenizerClass(): any {
  // nunjucks exports only `lex`; the Tokenizer class is the prototype of what it returns.
  return Object.getPrototypeOf(lexer.lex("")).constructor;
}

function patchLexer(): void {
  const Tokenizer = tokenizerClass();
  const next = Tokenizer.prototype.nextToken;
  Tokenizer.prototype.nextToken = function (this: any): Token | null {
    // Inside a tag, `}` closes an open `{` even when a second `}` follows (Jinja2 balances braces).
    if (this.in_code && this.__braces > 0 && this.str.charAt(this.index) === "}") {
      const token = { type: lexer.TOKEN_RIGHT_CURLY, value: "}", lineno: this.lineno, colno: this.colno };
      this.forward();
      this.__braces--;
      return token;
    }
    const number = this.in_code ? pythonNumber(this.str, this.index) : undefined;
    if (number) {
      const token = { type: number.float ? lexer.TOKEN_FLOAT : lexer.TOKEN_INT, value: number.value, lineno: this.lineno, colno: this.colno };
      this.forwardN(number.length);
      return token;
    }
    const token: Token | null = next.call(this);
    if (token) {
      if (token.type === lexer.TOKEN_LEFT_CURLY) this.__braces = (this.__braces ?? 0) + 1;
      else if (token.type === lexer.TOKEN_RIGHT_CURLY) this.__braces = Math.max(0, (this.__braces ?? 0) - 1);
      else if (token.type === lexer.TOKEN_BLOCK_END || token.type === lexer.TOKEN_VARIABLE_END) this.__braces = 0;
    }
    return token;
  };
}

// Jinja2's number literals that nunjucks' lexer splits or takes for names (it reads `1e-5` as
// `1e - 5`, `1_000` and `0x1F` as names): exponents, underscores, hex, octal and binary.
const FLOAT = /^(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/i;
const INTEGER = /^(?:0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*)/i;
const NAME_CHAR = /[\w.]/;

/** The number literal at `index` when nunjucks would read it otherwise (plain `12` and `1.5` are left to nunjucks). */
function pythonNumber(str: string, index: number): { float: boolean; value: string; length: number } | undefined {
  if (!/\d/.test(str.charAt(index)) || (index > 0 && NAME_CHAR.test(str.charAt(index - 1)))) return undefined;
  const rest = str.slice(index, index + 200);
  const float = FLOAT.exec(rest)?.[0];
  const integer = INTEGER.exec(rest)?.[0];
  const text = float ?? integer;
  // plain `12` and `1.5` stay nunjucks'; `123abc` stays a name as before
  if (!text || /^[\d.]+$/.test(text) || NAME_CHAR.test(rest.charAt(text.length))) return undefined;
  const digits = text.replaceAll("_", "");
  const value = float !== undefined ? digits : String(Number(/^0[box]/i.test(digits) ? digits.toLowerCase() : digits));
  return { float: float !== undefined, value, length: text.length };
}

const stopWords = new Set(["and", "or", "else", "if", "in", "not", "is"]);

function patchParser(): void {
  const Parser = internals.parser.Parser ?? Object.getPrototypeOf(new (internals.parser as any).Parser([])).constructor;
  const proto = Parser.prototype;

  const advanceAfterBlockEnd = proto.advanceAfterBlockEnd;
  proto.advanceAfterBlockEnd = function (this: any, name?: string) {
    if (name) {
      // Jinja2 accepts a colon before the end of a statement, for Python habits.
      const token = this.peekToken();
      if (token && token.type === lexer.TOKEN_COLON) this.nextToken();
    }
    return advanceAfterBlockEnd.call(this, name);
  };

  // nunjucks' block `{% set x -%}` ends its tag with skip(), which forgot the `-`: the body kept its leading whitespace.
  const skip = proto.skip;
  proto.skip = function (this: any, type: string) {
    const token = type === lexer.TOKEN_BLOCK_END ? this.peekToken() : undefined;
    const skipped = skip.call(this, type);
    if (skipped && token?.value.charAt(0) === "-") this.dropLeadingWhitespace = true;
    return skipped;
  };

  proto.parseIs = function (this: any) {
    let node = this.parseCompare();
    if (this.skipSymbol("is")) {
      const negated = this.skipSymbol("not");
      const name = this.parsePrimary(true);
      let args = new nodes.NodeList!(name.lineno, name.colno);
      const token: Token = this.peekToken();
      if (token && token.type === lexer.TOKEN_LEFT_PAREN) {
        args = this.parseSignature();
      } else if (
        token &&
        ([lexer.TOKEN_STRING, lexer.TOKEN_INT, lexer.TOKEN_FLOAT, lexer.TOKEN_LEFT_BRACKET, lexer.TOKEN_LEFT_CURLY].includes(token.type) ||
          (token.type === lexer.TOKEN_SYMBOL && !stopWords.has(token.value)))
      ) {
        args.addChild(this.parsePrimary());
      }
      node = new nodes.Is!(node.lineno, node.colno, node, new nodes.FunCall!(name.lineno, name.colno, name, args));
      if (negated) node = new nodes.Not!(node.lineno, node.colno, node);
    }
    return node;
  };

  const parsePrimary = proto.parsePrimary;
  proto.parsePrimary = function (this: any, noPostfix?: boolean) {
    const token: Token = this.peekToken();
    if (token && token.type === lexer.TOKEN_SYMBOL && (token.value === "True" || token.value === "False" || token.value === "None")) {
      this.nextToken();
      const literal = new nodes.Literal!(token.lineno, token.colno, token.value === "None" ? null : token.value === "True");
      return noPostfix ? literal : this.parsePostfix(literal);
    }
    const node = parsePrimary.call(this, noPostfix);
    if (token && token.type === lexer.TOKEN_FLOAT && node instanceof nodes.Literal!) node.pyFloat = true;
    return node;
  };

  const parseAggregate = proto.parseAggregate;
  proto.parseAggregate = function (this: any) {
    const token: Token = this.peekToken();
    const node = parseAggregate.call(this);
    if (node && token.type === lexer.TOKEN_LEFT_PAREN && node.children.length !== 1) node.pyTuple = true;
    return node;
  };

  proto.parsePostfix = function (this: any, node: AnyNode) {
    let token: Token = this.peekToken();
    while (token) {
      if (token.type === lexer.TOKEN_LEFT_BRACKET) {
        node = this.parseSubscript(node);
      } else if (token.type === lexer.TOKEN_LEFT_PAREN || (token.type === lexer.TOKEN_OPERATOR && token.value === ".")) {
        node = this.parseCallOrAttribute(node);
      } else break;
      token = this.peekToken();
    }
    return node;
  };

  /** A call `f(...)` or an attribute `.name` after `node` (as nunjucks parses them). */
  proto.parseCallOrAttribute = function (this: any, node: AnyNode) {
    const token: Token = this.peekToken();
    if (token.type === lexer.TOKEN_LEFT_PAREN) return new nodes.FunCall!(token.lineno, token.colno, node, this.parseSignature());
    this.nextToken();
    const name: Token = this.nextToken();
    if (name.type !== lexer.TOKEN_SYMBOL) this.fail(`expected name as lookup value, got ${name.value}`, name.lineno, name.colno);
    return new nodes.LookupVal!(token.lineno, token.colno, node, new nodes.Literal!(name.lineno, name.colno, name.value));
  };

  proto.parseSubscript = function (this: any, target: AnyNode) {
    const open: Token = this.nextToken();
    const parts: (AnyNode | null)[] = [];
    let current: AnyNode | null = null;
    for (;;) {
      const token: Token = this.peekToken();
      if (!token) this.fail("unexpected end of template in subscript", open.lineno, open.colno);
      if (token.type === lexer.TOKEN_RIGHT_BRACKET) {
        this.nextToken();
        parts.push(current);
        break;
      }
      if (token.type === lexer.TOKEN_COLON) {
        this.nextToken();
        parts.push(current);
        current = null;
        continue;
      }
      current = this.parseExpression();
    }
    if (parts.length === 1) {
      if (!parts[0]) this.fail("expected an index", open.lineno, open.colno);
      return new nodes.LookupVal!(open.lineno, open.colno, target, parts[0]);
    }
    return new SliceNode(open.lineno, open.colno, target, parts[0] ?? null, parts[1] ?? null, parts[2] ?? null);
  };

  const parseStatement = proto.parseStatement;
  proto.parseStatement = function (this: any) {
    const token: Token = this.peekToken();
    if (token && token.type === lexer.TOKEN_SYMBOL && token.value === "with") return this.parseWith();
    const node = parseStatement.call(this);
    if (node instanceof nodes.For! && node.arr instanceof nodes.InlineIf! && node.arr.else_ === null) {
      node.pyFilter = node.arr.cond;
      node.arr = node.arr.body;
    }
    return node;
  };

  proto.parseWith = function (this: any) {
    const tag: Token = this.nextToken();
    const targets: AnyNode[] = [];
    const values: AnyNode[] = [];
    while (this.peekToken().type !== lexer.TOKEN_BLOCK_END && this.peekToken().type !== lexer.TOKEN_COLON) {
      if (targets.length && !this.skip(lexer.TOKEN_COMMA)) this.fail("expected comma in with statement", tag.lineno, tag.colno);
      const name = this.parsePrimary(true);
      if (!(name instanceof nodes.Symbol!)) this.fail("expected a name in with statement", tag.lineno, tag.colno);
      if (!this.skipValue(lexer.TOKEN_OPERATOR, "=")) this.fail("expected = in with statement", tag.lineno, tag.colno);
      targets.push(name);
      values.push(this.parseExpression());
    }
    this.advanceAfterBlockEnd("with");
    const body = this.parseUntilBlocks("endwith");
    this.advanceAfterBlockEnd();
    return new WithNode(tag.lineno, tag.colno, targets, values, body);
  };
}


let patched = false;

/** Applies the patches once per process. */
export function patchSyntax(): void {
  if (patched) return;
  patched = true;
  patchLexer();
  patchParser();
}
