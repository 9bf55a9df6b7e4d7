import { Connection, isGrpcServiceError } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
// Not re-exported from the package index; the SDK's own test environment uses it to register
// search attributes, which is exactly what this does.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.js';

export type SearchAttributeSpec = { name: string; type: string };

const GRPC_ALREADY_EXISTS = 6;

/** 'Keyword' / 'KeywordList' (the CLI's spelling) → the proto enum value. */
function indexedValueType(type: string): number {
  const sdkName = type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as SearchAttributeType;
  const value = encodeSearchAttributeIndexedValueType(sdkName);
  if (value === undefined) throw new Error(`unknown search attribute type ${type}`);
  return value;
}

/** The custom search attributes of `namespace`, name → proto enum value. */
export async function listCustomSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<Record<string, number>> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(Object.entries(customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
}

/**
 * Registers the search attributes the workflows keep current (InstanceId, ComputeHost, ...)
 * where they are missing. Needed on an external Temporal, and on the embedded one too: the
 * dev server applies `--search-attribute` only when it creates its data file, so one added
 * to the contract later would otherwise never reach an existing `.nimbus/`.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: ReadonlyArray<SearchAttributeSpec> = SEARCH_ATTRIBUTES,
): Promise<void> {
  const existing = await listCustomSearchAttributes(connection, namespace);
  for (const { name, type } of wanted) {
    if (name in existing && existing[name] !== indexedValueType(type)) {
      throw new Error(
        `Temporal namespace ${namespace} already has search attribute ${name} with another type; Nimbus needs ${type}`,
      );
    }
  }
  const missing = wanted.filter(({ name }) => !(name in existing));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(({ name, type }) => [name, indexedValueType(type)])),
    });
  } catch (error) {
    // Another process (a second launcher, a parallel test) registered them first.
    if (!(isGrpcServiceError(error) && (error.code as number) === GRPC_ALREADY_EXISTS)) throw error;
  }
}

/** The same, for a Temporal reached by address (TEMPORAL_ADDRESS). */
export async function ensureSearchAttributesAt(
  address: string,
  namespace: string,
  wanted: ReadonlyArray<SearchAttributeSpec> = SEARCH_ATTRIBUTES,
): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  try {
    await ensureSearchAttributes(connection, namespace, wanted);
  } finally {
    await connection.close();
  }
}
