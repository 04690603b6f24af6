// The one ajv configuration for the manifest schemas. `npm run gen:types` compiles it into
// validator.gen.js (ajv standalone), which validate.ts uses at run time.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { loadSchemaFiles } from './schemas.ts';

// ajv-formats is CommonJS; under Node's ESM interop its plugin is the module object itself.
type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
const addFormats: FormatsPlugin =
  typeof addFormatsModule === 'function' ? (addFormatsModule as unknown as FormatsPlugin) : (addFormatsModule as unknown as { default: FormatsPlugin }).default;

export function manifestAjv(options: { source?: boolean } = {}): Ajv2020 {
  // inlineRefs: false keeps each $defs entry one function instead of a copy at every use: the generated
  // validator is ~10× smaller, which is what start-up (parsing it) pays for.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, inlineRefs: false, ...(options.source ? { code: { source: true, esm: true } } : {}) });
  addFormats(ajv);
  for (const { schema } of loadSchemaFiles()) ajv.addSchema(schema);
  return ajv;
}
