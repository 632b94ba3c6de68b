// The API report: one file per package entry point under api/ (api/durable-agent.api.md,
// api/durable-agent-sqlite.api.md, ...) listing every exported name, its kind and its public
// shape, as users see it through the published declarations: function signatures, class
// constructors and public or protected members, interface and type alias members, enum and
// const values; `@internal` declarations left out (tsup strips them with `stripInternal`),
// private members left out, everything sorted by name. Project types an export refers to but
// the entry does not export are listed after the exports, since a change to them is a change
// to the entry's surface too.
//
//   npm run api:report            (re)write api/*.api.md; review the diff and commit it
//
// test/unit/api-report.test.ts generates the same text in memory and fails when the
// checked-in files differ. One ts.Program serves every entry.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PACKAGE_NAME = "durable-agent";

/** Where the checked-in report lives. */
export const API_DIR = "api";

/** One public entry point of the package. */
export interface ApiEntry {
  /** What users import, e.g. `durable-agent/sqlite`. */
  specifier: string;
  /** Its source, relative to the repository root, e.g. `drivers/sqlite.ts`. */
  source: string;
  /** Its report's file name under api/, e.g. `durable-agent-sqlite.api.md`. */
  reportFile: string;
}

/**
 * The package's entry points: every subpath of package.json `exports` with declarations,
 * mapped to its source the way tsup.config.ts builds it (`dist/<name>.d.ts` from
 * `src/<name>.ts`, `dist/drivers/<name>.d.ts` from `drivers/<name>.ts`). Throws when the two
 * disagree: a file directly under drivers/ (tsup builds each one) without a subpath export,
 * or an export without a source.
 */
export function apiEntries(root = ROOT): ApiEntry[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> };
  const entries: ApiEntry[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = (target as { import?: { types?: string } }).import?.types;
    if (types === undefined) continue; // ./package.json
    const output = /^\.\/dist\/(.+)\.d\.ts$/.exec(types)?.[1];
    if (output === undefined) throw new Error(`package.json exports["${subpath}"]: unexpected types path ${types}`);
    const source = output.startsWith("drivers/") ? `${output}.ts` : `src/${output}.ts`;
    if (!existsSync(join(root, source))) throw new Error(`package.json exports["${subpath}"] (${types}) has no source ${source}`);
    const specifier = subpath === "." ? PACKAGE_NAME : `${PACKAGE_NAME}/${subpath.replace(/^\.\//, "")}`;
    entries.push({ specifier, source, reportFile: `${specifier.replace(/\//g, "-")}.api.md` });
  }
  // tsup builds the src/ entries it names and every file directly under drivers/.
  const built = [
    ...[...readFileSync(join(root, "tsup.config.ts"), "utf8").matchAll(/"(src\/[^"]+\.ts)"/g)].map((match) => match[1]!),
    ...readdirSync(join(root, "drivers"))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => `drivers/${file}`),
  ];
  const exported = new Set(entries.map((entry) => entry.source));
  const unexported = built.filter((source) => !exported.has(source));
  if (unexported.length > 0) {
    throw new Error(`built by tsup but missing from package.json exports: ${unexported.join(", ")}`);
  }
  const unbuilt = [...exported].filter((source) => !built.includes(source));
  if (unbuilt.length > 0) throw new Error(`in package.json exports but not built by tsup.config.ts: ${unbuilt.join(", ")}`);
  return entries.sort((a, b) => compareNames(a.specifier, b.specifier));
}

/** Case-insensitive order, then code units: stable whatever the locale. */
function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The compiler options of tsconfig.json, for a program that only reads types. */
function compilerOptions(root: string): ts.CompilerOptions {
  const file = join(root, "tsconfig.json");
  const read = ts.readConfigFile(file, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, file);
  return { ...parsed.options, noEmit: true, incremental: false, composite: false };
}

const TYPE_FLAGS =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope |
  ts.TypeFormatFlags.AllowUniqueESSymbolType;

/**
 * Generate every entry's report. Returns file name (under api/) to content, in entry order.
 */
export function generateApiReport(root = ROOT): Map<string, string> {
  const entries = apiEntries(root);
  const program = ts.createProgram(
    entries.map((entry) => join(root, entry.source)),
    compilerOptions(root),
  );
  const checker = program.getTypeChecker();
  const reporter = new Reporter(program, checker, root);

  const moduleOf = (entry: ApiEntry): ts.Symbol => {
    const file = program.getSourceFile(join(root, entry.source));
    const symbol = file && checker.getSymbolAtLocation(file);
    if (!symbol) throw new Error(`${entry.source}: not a module`);
    return symbol;
  };
  // Which entry exports which declaration: a type referenced by one entry and exported by
  // another is named, not repeated.
  const exportedBy = new Map<ts.Symbol, string>();
  for (const entry of entries) {
    for (const symbol of reporter.publicSymbols(moduleOf(entry))) {
      if (!exportedBy.has(symbol)) exportedBy.set(symbol, entry.specifier);
    }
  }

  const reports = new Map<string, string>();
  for (const entry of entries) {
    reports.set(entry.reportFile, reporter.report(entry, moduleOf(entry), exportedBy));
  }
  return reports;
}

/** A rendered declaration: its sort key and its lines. */
interface Block {
  name: string;
  lines: string[];
}

/** One export of a module: its name, the declared symbol behind it, whether it is exported as a type only. */
interface Export {
  name: string;
  symbol: ts.Symbol;
  typeOnly: boolean;
}

type SignatureNode = ts.SignatureDeclaration;

class Reporter {
  /** Project declarations the blocks rendered since the last report() refer to. */
  private referenced = new Set<ts.Symbol>();
  private readonly printer = ts.createPrinter({ removeComments: true });

  constructor(
    private readonly program: ts.Program,
    private readonly checker: ts.TypeChecker,
    private readonly root: string,
  ) {}

  /** The declared symbol behind an export (through re-exports and imports). */
  resolve(symbol: ts.Symbol): ts.Symbol {
    return symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
  }

  /** A module's exports, `@internal` ones left out, sorted by name. */
  exportsOf(module: ts.Symbol): Export[] {
    return this.checker
      .getExportsOfModule(module)
      .map((symbol) => ({ name: symbol.name, symbol: this.resolve(symbol), typeOnly: this.typeOnly(symbol) }))
      .filter((entry) => !this.isInternal(entry.symbol))
      .sort((a, b) => compareNames(a.name, b.name));
  }

  /** The declarations an entry makes public: its exports, and the exports of `export * as ns` namespaces in it. */
  publicSymbols(module: ts.Symbol): ts.Symbol[] {
    return this.exportsOf(module).flatMap((entry) =>
      this.isNamespace(entry.symbol) ? [entry.symbol, ...this.publicSymbols(entry.symbol)] : [entry.symbol],
    );
  }

  report(entry: ApiEntry, module: ts.Symbol, exportedBy: Map<ts.Symbol, string>): string {
    this.referenced = new Set();
    const exports = this.exportsOf(module);
    const blocks = exports.flatMap((item) => this.render(item));

    // Referenced declarations, to a fixed point (rendering one may reference more).
    const elsewhere = new Map<string, string>();
    const hidden: Block[] = [];
    const done = new Set<ts.Symbol>(this.publicSymbols(module));
    for (let pending = this.pending(done); pending.length > 0; pending = this.pending(done)) {
      for (const symbol of pending) {
        done.add(symbol);
        const other = exportedBy.get(symbol);
        if (other !== undefined) elsewhere.set(symbol.name, other);
        else hidden.push(...this.render({ name: symbol.name, symbol, typeOnly: false }));
      }
    }

    const out: string[] = [
      `# ${entry.specifier}`,
      "",
      "<!-- Generated by `npm run api:report` (scripts/api-report.ts). Do not edit: regenerate, then review the diff. -->",
      "",
      `The public surface of \`${entry.specifier}\`: every exported name with its kind and shape, as the`,
      "published declarations give it (`@internal` and private members left out), sorted by name.",
      "A change to this file is a change to what users can import: review it.",
      "",
      `## Exports (${exports.length})`,
      "",
      ...codeBlock(blocks),
    ];
    if (elsewhere.size > 0) {
      out.push("", "## Referenced, exported by another entry", "");
      for (const name of [...elsewhere.keys()].sort(compareNames)) out.push(`- \`${name}\`: \`${elsewhere.get(name)}\``);
    }
    if (hidden.length > 0) {
      out.push(
        "",
        "## Referenced, not exported",
        "",
        "Declarations the exports above refer to that no entry exports: users meet them through those exports.",
        "",
        ...codeBlock(hidden.sort((a, b) => compareNames(a.name, b.name))),
      );
    }
    const text = `${out.join("\n")}\n`;
    const leak = /[A-Za-z]:\\|\/(?:work|home|tmp|usr|root)\/|node_modules|chunk-[A-Z0-9]{8}/.exec(text);
    if (leak) throw new Error(`${entry.reportFile}: a file path or chunk name got into the report (${leak[0]}...)`);
    return text;
  }

  private pending(done: Set<ts.Symbol>): ts.Symbol[] {
    return [...this.referenced].filter((symbol) => !done.has(symbol)).sort((a, b) => compareNames(a.name, b.name));
  }

  // ---- what a declaration is

  /** Marked `@internal`: left out of the published declarations (tsup's `stripInternal`). */
  private isInternal(symbol: ts.Symbol): boolean {
    const declarations = symbol.declarations ?? [];
    return declarations.length > 0 && declarations.every((declaration) => this.isInternalDeclaration(declaration));
  }

  private isInternalDeclaration(declaration: ts.Declaration): boolean {
    if (ts.isInternalDeclaration(declaration)) return true;
    // A variable's comment is on its statement.
    return ts.isVariableDeclaration(declaration) && ts.isInternalDeclaration(declaration.parent.parent);
  }

  /** Whether the export chain goes through `export type` / `import type` (a value usable as a type only). */
  private typeOnly(symbol: ts.Symbol): boolean {
    for (let current = symbol; current.flags & ts.SymbolFlags.Alias; ) {
      for (const declaration of current.declarations ?? []) {
        if ((ts.isExportSpecifier(declaration) || ts.isImportSpecifier(declaration)) && (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly)) {
          return true;
        }
      }
      const next = this.checker.getImmediateAliasedSymbol(current);
      if (!next || next === current) break;
      current = next;
    }
    return false;
  }

  private isNamespace(symbol: ts.Symbol): boolean {
    return (symbol.flags & ts.SymbolFlags.ValueModule) !== 0 && (symbol.declarations ?? []).some(ts.isSourceFile);
  }

  /** Declared in this repository's sources (not in a library's declarations, not in TypeScript's lib). */
  private isProjectSymbol(symbol: ts.Symbol): boolean {
    const declarations = symbol.declarations ?? [];
    return (
      declarations.length > 0 &&
      declarations.every((declaration) => {
        const file = declaration.getSourceFile();
        return !file.isDeclarationFile && !this.program.isSourceFileFromExternalLibrary(file) && !relative(this.root, file.fileName).startsWith("..");
      })
    );
  }

  private isPrivate(declaration: ts.Declaration): boolean {
    const name = ts.getNameOfDeclaration(declaration);
    if (name && ts.isPrivateIdentifier(name)) return true;
    return (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Private) !== 0;
  }

  // ---- rendering: declarations

  /** Every meaning of an export (a name can be a value and a type at once), one block each. */
  private render({ name, symbol, typeOnly }: Export): Block[] {
    const declarations = symbol.declarations ?? [];
    const note = typeOnly ? " // exported as a type only" : "";
    const blocks: Block[] = [];
    const add = (lines: string[]) => blocks.push({ name, lines });
    if (symbol.flags & ts.SymbolFlags.Class) add(this.renderClass(name, symbol, note));
    if (symbol.flags & ts.SymbolFlags.Interface) add(this.renderInterface(name, symbol));
    if (symbol.flags & ts.SymbolFlags.TypeAlias) add(this.renderTypeAlias(name, symbol));
    if (symbol.flags & ts.SymbolFlags.Enum) add(this.renderEnum(name, symbol, note));
    if (symbol.flags & ts.SymbolFlags.Function) {
      const overloads = this.overloads(declarations.filter(ts.isFunctionDeclaration));
      add(overloads.map((declaration) => `function ${name}${this.signature(declaration)};${note}`));
    }
    if (symbol.flags & ts.SymbolFlags.Variable) {
      const declaration = declarations.find(ts.isVariableDeclaration);
      const keyword = declaration && ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const ? "const" : "let";
      add([`${keyword} ${name}: ${this.declaredType(symbol)};${note}`]);
    }
    if (this.isNamespace(symbol)) {
      const members = this.exportsOf(symbol).flatMap((member) => this.render(member));
      add([`namespace ${name} {`, ...indent(members.flatMap((block) => block.lines)), "}"]);
    }
    if (blocks.length === 0) throw new Error(`${name}: no rendering for a symbol with flags ${symbol.flags}`);
    return blocks;
  }

  private renderClass(name: string, symbol: ts.Symbol, note: string): string[] {
    const declaration = symbol.declarations?.find(ts.isClassDeclaration);
    if (!declaration) throw new Error(`${name}: a class without a class declaration`);
    const abstract = ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Abstract ? "abstract " : "";
    const header = `${abstract}class ${name}${this.typeParameters(declaration.typeParameters)}${this.heritage(declaration.heritageClauses)}`;
    const owns = (member: ts.Declaration) => member.parent === declaration || (ts.isParameter(member) && member.parent.parent === declaration);
    const lines: string[] = [];
    // Constructors as declared (a class without one inherits its base's, as in a .d.ts).
    const constructors = declaration.members.filter(ts.isConstructorDeclaration).filter((c) => !ts.isInternalDeclaration(c));
    for (const constructor of this.overloads(constructors)) {
      const flags = ts.getCombinedModifierFlags(constructor);
      if (flags & ts.ModifierFlags.Private) lines.push("private constructor();");
      else lines.push(`${flags & ts.ModifierFlags.Protected ? "protected " : ""}constructor${this.parameters(constructor)};`);
    }
    const statics = this.checker.getPropertiesOfType(this.checker.getTypeOfSymbol(symbol));
    const instance = this.checker.getPropertiesOfType(this.checker.getDeclaredTypeOfSymbol(symbol));
    const own = (members: ts.Symbol[]) => members.filter((member) => member.name !== "prototype" && (member.declarations ?? []).some(owns));
    lines.push(...this.members(own(statics), "static "), ...this.members(own(instance), ""));
    return body(`${header} {${note}`, lines);
  }

  private renderInterface(name: string, symbol: ts.Symbol): string[] {
    const declarations = (symbol.declarations ?? []).filter(ts.isInterfaceDeclaration);
    const first = declarations[0];
    if (!first) throw new Error(`${name}: an interface without an interface declaration`);
    const heritage = declarations.flatMap((declaration) => declaration.heritageClauses ?? []).flatMap((clause) => clause.types);
    const header =
      `interface ${name}${this.typeParameters(first.typeParameters)}` +
      (heritage.length > 0 ? ` extends ${heritage.map((node) => this.nodeText(node)).join(", ")}` : "");
    const lines: string[] = [];
    const members = declarations.flatMap((declaration) => [...declaration.members]);
    for (const member of members) {
      if (ts.isInternalDeclaration(member)) continue;
      if (ts.isCallSignatureDeclaration(member)) lines.push(`${this.signature(member)};`);
      else if (ts.isConstructSignatureDeclaration(member)) lines.push(`new ${this.signature(member)};`);
      else if (ts.isIndexSignatureDeclaration(member)) lines.push(`${this.nodeText(member).replace(/;?$/, ";")}`);
    }
    const type = this.checker.getDeclaredTypeOfSymbol(symbol);
    const own = this.checker
      .getPropertiesOfType(type)
      .filter((member) => (member.declarations ?? []).some((d) => declarations.some((declaration) => d.parent === declaration)));
    lines.push(...this.members(own, ""));
    return body(`${header} {`, lines);
  }

  private renderTypeAlias(name: string, symbol: ts.Symbol): string[] {
    const declaration = symbol.declarations?.find(ts.isTypeAliasDeclaration);
    if (!declaration) throw new Error(`${name}: a type alias without its declaration`);
    return [`type ${name}${this.typeParameters(declaration.typeParameters)} = ${this.nodeText(declaration.type)};`];
  }

  private renderEnum(name: string, symbol: ts.Symbol, note: string): string[] {
    const declaration = symbol.declarations?.find(ts.isEnumDeclaration);
    if (!declaration) throw new Error(`${name}: an enum without its declaration`);
    const members = declaration.members.map((member) => `${member.name.getText()} = ${JSON.stringify(this.checker.getConstantValue(member))},`);
    const keyword = ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Const ? "const enum" : "enum";
    return body(`${keyword} ${name} {${note}`, members);
  }

  /** Properties, accessors and methods, sorted by name; private and `@internal` ones left out. */
  private members(symbols: ts.Symbol[], prefix: string): string[] {
    const lines: string[] = [];
    for (const member of [...symbols].sort((a, b) => compareNames(a.name, b.name))) {
      const declarations = member.declarations ?? [];
      if (declarations.length === 0 || declarations.some((d) => this.isPrivate(d) || ts.isInternalDeclaration(d))) continue;
      const declaration = declarations[0]!;
      const flags = ts.getCombinedModifierFlags(declaration);
      const modifiers =
        (flags & ts.ModifierFlags.Protected ? "protected " : "") + prefix + (flags & ts.ModifierFlags.Abstract ? "abstract " : "");
      const optional = member.flags & ts.SymbolFlags.Optional ? "?" : "";
      const name = this.memberName(member, declaration);
      if (member.flags & ts.SymbolFlags.Method) {
        const methods = this.overloads(declarations.filter((d): d is ts.MethodDeclaration | ts.MethodSignature => ts.isMethodDeclaration(d) || ts.isMethodSignature(d)));
        for (const method of methods) lines.push(`${modifiers}${name}${optional}${this.signature(method)};`);
      } else if (member.flags & ts.SymbolFlags.Accessor) {
        const getter = declarations.find(ts.isGetAccessorDeclaration);
        const setter = declarations.find(ts.isSetAccessorDeclaration);
        if (getter) lines.push(`${modifiers}get ${name}(): ${this.returnType(getter)};`);
        if (setter) lines.push(`${modifiers}set ${name}${this.parameters(setter)};`);
      } else {
        const readonly = flags & ts.ModifierFlags.Readonly ? "readonly " : "";
        lines.push(`${modifiers}${readonly}${name}${optional}: ${this.declaredType(member)};`);
      }
    }
    return lines;
  }

  private memberName(member: ts.Symbol, declaration: ts.Declaration): string {
    const name = ts.getNameOfDeclaration(declaration);
    if (name && ts.isComputedPropertyName(name)) return `[${this.nodeText(name.expression)}]`;
    return /^[A-Za-z_$][\w$]*$/.test(member.name) ? member.name : JSON.stringify(member.name);
  }

  /** The overload signatures when there are some, else the implementation. */
  private overloads<T extends ts.FunctionLikeDeclaration | ts.MethodSignature>(declarations: T[]): T[] {
    const signatures = declarations.filter((declaration) => !("body" in declaration) || declaration.body === undefined);
    return declarations.length > 1 && signatures.length > 0 ? signatures : declarations;
  }

  // ---- rendering: types, as declared

  /** `<T extends X = Y>(a: A, b?: B): R` */
  private signature(declaration: SignatureNode): string {
    return `${this.typeParameters(declaration.typeParameters)}${this.parameters(declaration)}: ${this.returnType(declaration)}`;
  }

  private parameters(declaration: SignatureNode): string {
    const list = declaration.parameters.map((parameter) => {
      const rest = parameter.dotDotDotToken ? "..." : "";
      const optional = parameter.questionToken || parameter.initializer ? "?" : "";
      const name = ts.isIdentifier(parameter.name) ? parameter.name.text : this.nodeText(parameter.name);
      const type = parameter.type ? this.nodeText(parameter.type) : this.typeText(this.checker.getTypeAtLocation(parameter));
      return `${rest}${name}${optional}: ${type}`;
    });
    return `(${list.join(", ")})`;
  }

  private returnType(declaration: SignatureNode): string {
    if (declaration.type) return this.nodeText(declaration.type);
    const signature = this.checker.getSignatureFromDeclaration(declaration);
    if (!signature) return "unknown";
    const predicate = this.checker.getTypePredicateOfSignature(signature);
    if (predicate?.type && predicate.kind === ts.TypePredicateKind.Identifier) return `${predicate.parameterName} is ${this.typeText(predicate.type)}`;
    return this.typeText(this.checker.getReturnTypeOfSignature(signature));
  }

  private typeParameters(parameters: ts.NodeArray<ts.TypeParameterDeclaration> | undefined): string {
    if (!parameters || parameters.length === 0) return "";
    return `<${parameters.map((parameter) => this.nodeText(parameter)).join(", ")}>`;
  }

  private heritage(clauses: ts.NodeArray<ts.HeritageClause> | undefined): string {
    return (clauses ?? [])
      .map((clause) => {
        const keyword = clause.token === ts.SyntaxKind.ExtendsKeyword ? "extends" : "implements";
        return ` ${keyword} ${clause.types.map((node) => this.nodeText(node)).join(", ")}`;
      })
      .join("");
  }

  /** The type a property or variable was declared with (its annotation), else the inferred one. */
  private declaredType(symbol: ts.Symbol): string {
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (!declaration) return this.typeText(this.checker.getTypeOfSymbol(symbol));
    const node = (declaration as { type?: ts.Node }).type;
    if (node && ts.isTypeNode(node)) return this.nodeText(node);
    return this.typeText(this.checker.getTypeOfSymbolAtLocation(symbol, declaration));
  }

  /** A piece of a declaration as written (comments dropped, on one line), noting the project declarations it names. */
  private nodeText(node: ts.Node): string {
    this.collectNode(node);
    const text = this.printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile());
    return escapeLoneSurrogates(text.replace(/\s*\n\s*/g, " ").replace(/\{ \}/g, "{}"));
  }

  /** An inferred type (nothing written to print), noting the project declarations it names. */
  private typeText(type: ts.Type): string {
    this.collectType(type);
    const text = this.checker.typeToString(type, undefined, TYPE_FLAGS);
    // A qualified import type names a file: keep the name.
    return escapeLoneSurrogates(text.replace(/import\("[^"]*"\)\./g, ""));
  }

  // ---- what the rendered text refers to

  private note(symbol: ts.Symbol | undefined): void {
    if (!symbol || symbol.flags & ts.SymbolFlags.TypeParameter) return;
    const target = this.resolve(symbol);
    if (this.isProjectSymbol(target) && !this.isInternal(target)) this.referenced.add(target);
  }

  private collectNode(node: ts.Node): void {
    if (ts.isTypeReferenceNode(node)) this.note(this.checker.getSymbolAtLocation(node.typeName));
    else if (ts.isExpressionWithTypeArguments(node)) this.note(this.checker.getSymbolAtLocation(node.expression));
    else if (ts.isTypeQueryNode(node)) this.note(this.checker.getSymbolAtLocation(node.exprName));
    ts.forEachChild(node, (child) => this.collectNode(child));
  }

  /** The named project types an inferred type refers to (walking unions, type arguments, anonymous object types). */
  private collectType(type: ts.Type, seen = new Set<ts.Type>()): void {
    if (seen.has(type)) return;
    seen.add(type);
    if (type.aliasSymbol) {
      this.note(type.aliasSymbol);
      for (const argument of type.aliasTypeArguments ?? []) this.collectType(argument, seen);
      return;
    }
    if (type.isUnionOrIntersection()) {
      for (const member of type.types) this.collectType(member, seen);
      return;
    }
    if (type.flags & ts.TypeFlags.EnumLiteral) {
      const symbol = type.getSymbol();
      this.note(symbol && symbol.flags & ts.SymbolFlags.EnumMember ? (symbol as { parent?: ts.Symbol }).parent : symbol);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object)) return;
    const object = type as ts.ObjectType;
    if (object.objectFlags & ts.ObjectFlags.Reference) {
      for (const argument of this.checker.getTypeArguments(object as ts.TypeReference)) this.collectType(argument, seen);
    }
    const symbol = type.getSymbol();
    if (symbol && symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.Enum)) {
      this.note(symbol);
      return;
    }
    // An anonymous object or function type is printed whole: what it names counts.
    for (const property of this.checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (declaration) this.collectType(this.checker.getTypeOfSymbolAtLocation(property, declaration), seen);
    }
    for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      for (const parameter of signature.getParameters()) this.collectType(this.checker.getTypeOfSymbol(parameter), seen);
      this.collectType(this.checker.getReturnTypeOfSignature(signature), seen);
    }
  }
}

/** A lone surrogate would not survive the trip through a UTF-8 file. */
function escapeLoneSurrogates(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `header` then the indented lines and `}`; `header }` when there are none. */
function body(header: string, lines: string[]): string[] {
  return lines.length === 0 ? [`${header}}`] : [header, ...indent(lines), "}"];
}

function indent(lines: string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

function codeBlock(blocks: Block[]): string[] {
  const body: string[] = [];
  for (const block of blocks) {
    if (body.length > 0) body.push("");
    body.push(...block.lines);
  }
  return ["```ts", ...body, "```"];
}

/**
 * A line diff of `before` and `after` (longest common subsequence), unchanged lines around a
 * change kept for context: `-` removed, `+` added.
 */
export function diffLines(before: string, after: string, context = 2): string {
  const a = before.split("\n");
  const b = after.split("\n");
  // Trim the common head and tail so the table only covers what changed.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { kind: " " | "-" | "+"; line: string; at: number }[] = [];
  for (let k = 0; k < head; k++) ops.push({ kind: " ", line: a[k]!, at: k + 1 });
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      ops.push({ kind: " ", line: x[i]!, at: head + i + 1 });
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: "-", line: x[i]!, at: head + i + 1 });
      i++;
    } else {
      ops.push({ kind: "+", line: y[j]!, at: head + i + 1 });
      j++;
    }
  }
  for (let k = a.length - tail; k < a.length; k++) ops.push({ kind: " ", line: a[k]!, at: k + 1 });
  const keep = ops.map((_, index) => ops.slice(Math.max(0, index - context), index + context + 1).some((near) => near.kind !== " "));
  const out: string[] = [];
  ops.forEach((op, index) => {
    if (!keep[index]) return;
    if (index === 0 || !keep[index - 1]) out.push(`@@ line ${op.at}`);
    out.push(`${op.kind} ${op.line}`);
  });
  return out.join("\n");
}

/** The checked-in report against a fresh one: a readable diff per file, empty when equal. */
export function compareApiReport(root = ROOT, fresh = generateApiReport(root)): string[] {
  const dir = join(root, API_DIR);
  const problems: string[] = [];
  const checkedIn = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith(".api.md")) : [];
  for (const [file, text] of fresh) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      problems.push(`${API_DIR}/${file} is missing (new entry point)`);
      continue;
    }
    const old = readFileSync(path, "utf8");
    if (old !== text) problems.push(`${API_DIR}/${file} differs from the sources (- checked in, + generated):\n${diffLines(old, text)}`);
  }
  for (const file of checkedIn) {
    if (!fresh.has(file)) problems.push(`${API_DIR}/${file} belongs to no entry point any more`);
  }
  return problems;
}

function main(): void {
  const started = Date.now();
  const reports = generateApiReport(ROOT);
  const dir = join(ROOT, API_DIR);
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (file.endsWith(".api.md") && !reports.has(file)) {
      rmSync(join(dir, file));
      console.log(`removed ${API_DIR}/${file}`);
    }
  }
  let changed = 0;
  for (const [file, text] of reports) {
    const path = join(dir, file);
    const old = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (old === text) continue;
    writeFileSync(path, text);
    changed++;
    console.log(`${old === undefined ? "wrote" : "updated"} ${API_DIR}/${file}`);
  }
  console.log(
    `api report: ${reports.size} entries, ${changed} file(s) changed in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (changed > 0 ? `; review \`git diff ${API_DIR}/\` and commit it with the change` : ""),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
