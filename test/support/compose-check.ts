/**
 * Static checks of a Docker Compose document: the Compose specification's JSON schema
 * (vendored in docker/schema/) plus the cross-references the schema cannot see — a
 * depends_on naming a missing service, an undeclared volume, a Dockerfile that is not
 * there, an interpolation that silently becomes "", an environment variable no Nimbus
 * process reads. Every function returns a list of problems; an empty list means clean.
 */
import { interpolationProblems } from './compose-interpolation.js';
import { environmentProblems } from './compose-environment.js';
import { referenceProblems } from './compose-references.js';
import { schemaProblems } from './compose-schema.js';
import type { ComposeCheckOptions, ComposeDoc } from './compose-doc.js';

export { loadComposeFile, parseCompose, type ComposeCheckOptions, type ComposeDoc } from './compose-doc.js';
export { COMPOSE_SCHEMA_FILE, schemaProblems } from './compose-schema.js';
export { referenceProblems } from './compose-references.js';
export { interpolationProblems, interpolations, type Interpolation } from './compose-interpolation.js';
export { APP_REQUIRED_ENV, environment, environmentProblems, nimbusApp } from './compose-environment.js';

/** Everything: schema, references, interpolation, environment. */
export function checkCompose(doc: ComposeDoc, options: ComposeCheckOptions): string[] {
  return [
    ...schemaProblems(doc),
    ...referenceProblems(doc, options),
    ...interpolationProblems(doc),
    ...environmentProblems(doc, options),
  ];
}
