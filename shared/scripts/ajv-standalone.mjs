// What both build-time validator compilers share (compile-realtime-validators.mjs,
// compile-schema-validators.mjs): the schemas without their prose, and Ajv's standalone code
// made a real ES module.

/** Drops the prose (descriptions, titles, examples): it validates nothing, and the code keeps each schema whole. */
export function withoutProse(node, parentKey) {
  if (Array.isArray(node)) return node.map((entry) => withoutProse(entry, undefined));
  if (!node || typeof node !== 'object') return node;
  // In these maps the keys are names (a property may well be called "description"), not keywords.
  const namesAreKeys = parentKey === 'properties' || parentKey === '$defs' || parentKey === 'patternProperties' || parentKey === 'dependentSchemas';
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (!namesAreKeys && (key === 'title' || key === 'examples' || (key === 'description' && typeof value === 'string'))) continue;
    out[key] = withoutProse(value, key);
  }
  return out;
}

/**
 * Ajv's ESM output still require()s its runtime helpers; an import works in Node and in bundles.
 * How a CommonJS module's default import arrives differs (Node: module.exports; bundlers and
 * Vite: its `default`), so the helper is taken as whichever of the two is the function.
 * Returns the code with the imports it needs in front.
 */
export function asEsModule(code) {
  const { imports, body } = esModuleParts(code);
  return `${imports}\n${body}`;
}

/** The imports of the helpers, and the code that uses them (which may then be wrapped in a function). */
export function esModuleParts(code) {
  const helpers = [];
  const body = code.replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)(\.default)?/g, (_, module) => {
    const local = `ajvRuntime${helpers.length}`;
    helpers.push(`import ${local} from "${module}.js";`);
    return `(typeof ${local} === "function" ? ${local} : ${local}.default)`;
  });
  return { imports: helpers.join('\n'), body };
}
