/** The Compose specification's JSON schema (vendored in docker/schema/), checked with Ajv. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { REPO_ROOT } from '../../core/config.js';
import { isMap } from './compose-doc.js';

export const COMPOSE_SCHEMA_FILE = path.join(REPO_ROOT, 'docker', 'schema', 'compose-spec.json');

type Validate = ((data: unknown) => boolean) & {
  errors?: Array<{
    instancePath: string;
    message?: string;
    params: { additionalProperty?: string; allowedValues?: unknown[]; missingProperty?: string };
  }> | null;
};
let validateCompose: Validate | undefined;

function compileSchema(): Validate {
  const ajv = new AjvModule.default({ strict: false, allErrors: true });
  addFormatsModule.default(ajv);
  // The spec names its meta-schema with https and no fragment; ajv ships it as http…#.
  const draft7 = ajv.getSchema('http://json-schema.org/draft-07/schema')?.schema;
  if (isMap(draft7)) ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8'))) as Validate;
}

export function schemaProblems(doc: unknown): string[] {
  validateCompose ??= compileSchema();
  if (validateCompose(doc)) return [];
  const seen = new Set<string>();
  for (const e of validateCompose.errors ?? []) {
    const extra = e.params.additionalProperty ?? e.params.allowedValues ?? e.params.missingProperty;
    const detail = extra === undefined ? '' : ` (${String(extra)})`;
    seen.add(`schema: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${detail}`);
  }
  return [...seen];
}
